// An at-least-once consumer to copy: offsets are committed only for records
// your handler finished (async on the hot path, synchronously on rebalance
// and close), a failing record is retried and then dead-lettered, and Ctrl-C
// stops it cleanly.
//
//   at_least_once_consumer [--brokers host:port,...] [--topic NAME] [--group ID] [--count N]
//
// Without --brokers it starts an embedded mock cluster, fills the topic, and
// says so. It stops after --count records (default: on Ctrl-C only).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <relkafka/consumer.hpp>
#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>

#include "example_options.hpp"

using namespace std::chrono_literals;

namespace {

std::atomic<bool> stop{false};

void request_stop(int) { stop = true; }

// Your business logic. Throwing means "not processed": the record is retried,
// then dead-lettered; it is never committed as if it had succeeded.
void handle(const relkafka::Record& record) {
    if (!record.value()) {
        throw std::invalid_argument("tombstones are not orders");
    }
}

// Gives the embedded cluster something to consume.
void fill_topic(const std::string& brokers, const std::string& topic, long count) {
    relkafka::ProducerConfig producer_config;
    producer_config.bootstrap_servers = brokers;
    relkafka::Producer producer(producer_config);
    for (long n = 0; n < count; ++n) {
        relkafka::Message m;
        m.topic = topic;
        m.key = "customer-" + std::to_string(n % 100);
        m.value = "order " + std::to_string(n);
        producer.send(std::move(m), [](relkafka::Delivery&&) {});
    }
    const std::vector<relkafka::Delivery> undelivered = producer.close(30s);
    std::printf("filled %s with %ld orders (%zu undelivered)\n", topic.c_str(),
                count - static_cast<long>(undelivered.size()), undelivered.size());
}

}  // namespace

int main(int argc, char** argv) {
    const example::Options options(
        argc, argv, {{"brokers", ""}, {"topic", "orders"}, {"group", "billing"}, {"count", "0"}});
    const std::string topic = options["topic"];
    const std::string group = options["group"];
    long count = options.number("count");
    std::unique_ptr<relkafka::testing::MockCluster> mock;
    const std::string brokers = example::brokers_or_mock(options, mock, topic);
    if (mock) {
        count = count > 0 ? count : 1000;
        fill_topic(brokers, topic, count);
    }

    relkafka::ConsumerConfig config;
    config.bootstrap_servers = brokers;
    config.group_id = group;
    config.topics = {topic};
    config.commit = relkafka::AsyncThenSync{};             // the default, spelled out
    config.retry = relkafka::ProcessingRetry{3, 200ms};    // 3 attempts per record
    config.dead_letter = relkafka::DeadLetter{};           // then orders.DLT
    config.on_error = [](const relkafka::Error& e) {
        std::fprintf(stderr, "consumer: %s\n", e.to_string().c_str());
    };
    config.on_commit = [](const relkafka::CommitResult& r) {
        if (r.error) {
            std::fprintf(stderr, "commit: %s\n", r.error.to_string().c_str());
        }
    };

    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);

    relkafka::Consumer consumer(config);
    std::atomic<long> processed{0};
    consumer.run(
        [&](const relkafka::Record& record) {
            handle(record);
            if (++processed == count) {
                stop = true;
            }
        },
        stop);
    consumer.close();  // commits everything processed and leaves the group

    const auto counters = consumer.counters();
    std::printf("processed %ld records, dead-lettered %zu, commits %zu (failed %zu)\n",
                processed.load(), counters.dead_lettered, counters.commits, counters.commits_failed);
    return processed == count || count == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
