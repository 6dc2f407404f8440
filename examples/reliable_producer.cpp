// A reliable producer to copy: acks=all, idempotence and retries (the
// defaults), a callback per message, and a shutdown that keeps what could
// not be delivered.
//
//   reliable_producer [--brokers host:port,...] [--topic NAME] [--count N]
//
// Without --brokers it starts an embedded mock cluster and says so.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>

#include "example_options.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
    const example::Options options(argc, argv, {{"brokers", ""}, {"topic", "orders"}, {"count", "10000"}});
    const std::string topic = options["topic"];
    const long count = options.number("count");
    std::unique_ptr<relkafka::testing::MockCluster> mock;
    const std::string brokers = example::brokers_or_mock(options, mock, topic);

    relkafka::ProducerConfig config;
    config.bootstrap_servers = brokers;
    config.retry.delivery_timeout = 30s;  // give up on a message after 30 s, and say so
    config.on_error = [](const relkafka::Error& e) {
        std::fprintf(stderr, "client error: %s\n", e.to_string().c_str());
    };

    std::atomic<long> delivered{0}, failed{0};
    relkafka::Producer producer(config);
    for (long n = 0; n < count; ++n) {
        relkafka::Message message;
        message.topic = topic;
        message.key = "customer-" + std::to_string(n % 100);
        message.value = "order " + std::to_string(n);
        // The callback runs once per message, on the producer's thread.
        producer.send(std::move(message), [&](relkafka::Delivery&& d) {
            if (d.ok()) {
                ++delivered;
                return;
            }
            ++failed;
            // The message comes back whole: retry it, store it or dead-letter it.
            std::fprintf(stderr, "not delivered: %s (%s)\n", d.message.value->c_str(),
                         d.error.to_string().c_str());
        });
    }

    // close() flushes; whatever is still undelivered after 30 s comes back
    // here (and through the callbacks), never silently dropped.
    const auto undelivered = producer.close(30s);
    for (const relkafka::Delivery& d : undelivered) {
        std::fprintf(stderr, "handed back at close: %s\n", d.message.value->c_str());
    }
    std::printf("sent %ld: delivered %ld, failed %ld, handed back at close %zu\n", count,
                delivered.load(), failed.load(), undelivered.size());
    return failed == 0 && undelivered.empty() ? EXIT_SUCCESS : EXIT_FAILURE;
}
