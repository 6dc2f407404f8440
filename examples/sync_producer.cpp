// A synchronous producer to copy: each send waits for the broker's
// acknowledgement and returns where the record was written, or why it was
// not. For request/response code paths where the caller must know before it
// answers; for throughput use reliable_producer.cpp.
//
//   sync_producer [--brokers host:port,...] [--topic NAME] [--count N]
//
// Without --brokers it starts an embedded mock cluster and says so.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>

#include "example_options.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
    const example::Options options(argc, argv, {{"brokers", ""}, {"topic", "payments"}, {"count", "10"}});
    const std::string topic = options["topic"];
    const long count = options.number("count");
    std::unique_ptr<relkafka::testing::MockCluster> mock;
    const std::string brokers = example::brokers_or_mock(options, mock, topic);

    relkafka::ProducerConfig config;
    config.bootstrap_servers = brokers;
    config.retry.delivery_timeout = 10s;  // the longest a caller waits for one send
    relkafka::Producer producer(config);

    for (long n = 0; n < count; ++n) {
        relkafka::Message message;
        message.topic = topic;
        message.key = "payment-" + std::to_string(n);
        message.value = "amount=" + std::to_string(100 + n);

        const relkafka::Delivery d = producer.send_sync(std::move(message));
        if (d.ok()) {
            std::printf("payment %ld written to %s[%d] at offset %lld\n", n, d.topic.c_str(),
                        d.partition, static_cast<long long>(d.offset));
            continue;
        }
        // The message comes back whole. Whether resending is safe depends on
        // whether it may already be in the log.
        std::fprintf(stderr, "payment %ld not written: %s (%s)\n", n, d.error.to_string().c_str(),
                     d.persistence == relkafka::Persistence::NotPersisted ? "safe to resend"
                                                                          : "may already be written");
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
