// relkafka demo: a reliable producer and an at-least-once consumer group
// through broker faults, on an embedded 3-broker mock cluster, followed by an
// audit of every message.
//
// The stream is sent in rounds. Between rounds the demo moves partition
// leaders and adds a second consumer to the group (a cooperative rebalance)
// while messages are in flight, and takes a leader's broker down and back up
// while a round waits for it. Then it reads the topic back and accounts for
// every message:
//   audit: produced=N delivered=N lost=0 duplicated=0 reordered=0      (the log)
//   audit: produced=N delivered=N consumed_unique=N lost=0 duplicated_deliveries=D
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <relkafka/consumer.hpp>
#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>
#include <relkafka/testing/stream_audit.hpp>
#include <relkafka/testing/topic_reader.hpp>

using namespace std::chrono_literals;

namespace {

// One group member: Consumer::run() on its own thread until stopped.
class GroupMember {
public:
    GroupMember(const relkafka::ConsumerConfig& config, relkafka::testing::StreamAudit& audit)
        : consumer_(config), thread_([this, &audit] {
              consumer_.run([&audit](const relkafka::Record& r) { audit.record_processed(r); },
                            stop_);
          }) {}
    ~GroupMember() {
        stop_ = true;
        thread_.join();
        consumer_.close();  // commits everything processed, leaves the group
    }
    GroupMember(const GroupMember&) = delete;
    GroupMember& operator=(const GroupMember&) = delete;

private:
    std::atomic<bool> stop_{false};
    relkafka::Consumer consumer_;
    std::thread thread_;
};

}  // namespace

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

    relkafka::ProducerConfig producer_config;  // acks=all, idempotence, retries: the defaults
    producer_config.bootstrap_servers = cluster.bootstrap_servers();
    producer_config.overrides["reconnect.backoff.max.ms"] = "1000";
    producer_config.overrides["log_level"] = "2";  // forced disconnects are expected here

    relkafka::ConsumerConfig consumer_config;  // AsyncThenSync, cooperative-sticky: the defaults
    consumer_config.bootstrap_servers = cluster.bootstrap_servers();
    consumer_config.group_id = "demo.billing";
    consumer_config.topics = {topic};
    consumer_config.overrides["session.timeout.ms"] = "6000";
    consumer_config.overrides["heartbeat.interval.ms"] = "500";
    consumer_config.overrides["fetch.wait.max.ms"] = "20";
    consumer_config.overrides["reconnect.backoff.max.ms"] = "1000";
    consumer_config.overrides["log_level"] = "2";

    relkafka::testing::StreamAudit audit(topic);
    auto first_member = std::make_unique<GroupMember>(consumer_config, audit);
    std::unique_ptr<GroupMember> second_member;
    std::printf("consumer group %s: 1 member\n", consumer_config.group_id.c_str());

    relkafka::Producer producer(producer_config);
    for (int round = 0; round < rounds; ++round) {
        for (int i = 0; i < per_round; ++i) {
            producer.send(audit.message(round * per_round + i), audit.on_delivery(round * per_round + i));
        }
        switch (round) {
            case 2:
            case 7:
                for (int p = 0; p < partitions; ++p) {
                    cluster.set_partition_leader(topic, p, (p + round) % brokers + 1);
                }
                std::printf("round %d: moved the leader of every partition\n", round);
                break;
            case 3:
                second_member = std::make_unique<GroupMember>(consumer_config, audit);
                std::printf("round %d: a second consumer joins the group\n", round);
                break;
            case 4:
                // Down once everything sent is acknowledged: the mock cannot
                // deduplicate a produce whose response is lost with the
                // connection (a real broker does), so it is not killed under
                // requests in flight.
                audit.wait_for_reports(static_cast<std::size_t>(round + 1) * per_round, 60s);
                cluster.broker_down(1);
                std::printf("round %d: broker 1 down\n", round);
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

    // Consumers finish what is in the log, then close (commit and leave).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (audit.processed_unique() < audit.reports() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    second_member.reset();
    first_member.reset();

    const auto result = audit.check(relkafka::testing::read_topic(cluster.bootstrap_servers(), topic));
    const std::size_t consumed_lost = result.delivered - std::min(result.delivered, result.consumed_unique);
    std::printf("%s\n", result.line().c_str());
    std::printf("audit: produced=%zu delivered=%zu consumed_unique=%zu lost=%zu duplicated_deliveries=%zu\n",
                result.produced, result.delivered, result.consumed_unique, result.lost + consumed_lost,
                result.duplicated_deliveries);
    const bool clean = result.clean() && result.failed == 0 && consumed_lost == 0;
    return clean ? EXIT_SUCCESS : EXIT_FAILURE;
}
