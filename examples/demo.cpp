// relkafka demo: a reliable producer through broker faults, on an embedded
// 3-broker mock cluster, followed by an audit of the topic.
//
// The stream is sent in rounds; between rounds the demo moves partition
// leaders and takes a leader's broker down and back up, while messages are
// in flight. Then it reads the topic back and accounts for every message.
// The last line is the audit: produced, delivered, lost, duplicated, reordered.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>
#include <relkafka/testing/stream_audit.hpp>
#include <relkafka/testing/topic_reader.hpp>

using namespace std::chrono_literals;

int main() {
    constexpr int brokers = 3, partitions = 4, rounds = 10, per_round = 5000;

    relkafka::testing::MockCluster cluster(brokers);
    const std::string topic = "demo.orders";
    cluster.create_topic(topic, partitions, brokers);
    for (int p = 0; p < partitions; ++p) {
        cluster.set_partition_leader(topic, p, p % brokers + 1);
    }
    std::printf("mock cluster: %d brokers at %s; topic %s: %d partitions, replication factor %d\n",
                brokers, cluster.bootstrap_servers().c_str(), topic.c_str(), partitions, brokers);

    relkafka::ProducerConfig config;  // acks=all, idempotence, retries: the defaults
    config.bootstrap_servers = cluster.bootstrap_servers();
    config.overrides["reconnect.backoff.max.ms"] = "1000";
    config.overrides["log_level"] = "2";  // forced disconnects are expected here
    relkafka::Producer producer(config);

    relkafka::testing::StreamAudit audit(topic);
    for (int round = 0; round < rounds; ++round) {
        for (int i = 0; i < per_round; ++i) {
            producer.send(audit.message(round * per_round + i), audit.on_delivery());
        }
        switch (round) {
            case 2:
            case 7:
                for (int p = 0; p < partitions; ++p) {
                    cluster.set_partition_leader(topic, p, (p + round) % brokers + 1);
                }
                std::printf("round %d: moved the leader of every partition\n", round);
                break;
            case 4:
                cluster.broker_down(1);
                std::printf("round %d: broker 1 down with %zu messages in flight\n", round,
                            producer.in_flight());
                break;
            case 5:
                cluster.broker_up(1);
                std::printf("round %d: broker 1 up again, %zu messages in flight\n", round,
                            producer.in_flight());
                break;
            default:
                break;
        }
        audit.wait_for_reports(static_cast<std::size_t>(round) * per_round, 60s);
    }

    const auto undelivered = producer.close(60s);
    std::printf("producer closed: %zu delivery reports, %zu failed, %zu handed back by close\n",
                audit.reports(), audit.failures().size(), undelivered.size());

    const auto result = audit.check(relkafka::testing::read_topic(cluster.bootstrap_servers(), topic));
    std::printf("%s\n", result.line().c_str());
    return result.clean() && result.failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
