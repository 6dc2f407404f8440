// relkafka demo: a reliable producer and an at-least-once consumer group
// through broker faults, followed by an audit of every message.
//
//   demo [--brokers host:port,...]
//
// Without --brokers it runs on an embedded 3-broker mock cluster. The stream
// is sent in rounds. Between rounds the demo moves partition leaders and adds
// a second consumer to the group (an eager rebalance) while messages are
// in flight, and takes a leader's broker down and back up while a round waits
// for it. Then it reads the topic back and accounts for every message:
//   audit: produced=N delivered=N lost=0 duplicated=0 reordered=0      (the log)
//   audit: produced=N delivered=N consumed_unique=N lost=0 duplicated_deliveries=D
//
// With --brokers it runs on that cluster, in a topic (4 partitions,
// replication factor 3, or the number of brokers if fewer) and a group of its
// own, made unique to the run. Leader moves and broker restarts are injected
// through the mock, so there they are skipped, and the demo says so; the
// rebalance and the audit are the same.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <librdkafka/rdkafka.h>

#include <relkafka/consumer.hpp>
#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>
#include <relkafka/testing/stream_audit.hpp>
#include <relkafka/testing/topic_reader.hpp>

#include "example_options.hpp"

using namespace std::chrono_literals;

namespace {

// One group member: Consumer::run() on its own thread until stopped.
class GroupMember {
public:
    GroupMember(relkafka::ConsumerConfig config, relkafka::testing::StreamAudit& audit)
        : consumer_(counting_partitions(std::move(config))), thread_([this, &audit] {
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

    // The partitions assigned to this member now.
    int partitions() const { return partitions_.load(); }

private:
    relkafka::ConsumerConfig counting_partitions(relkafka::ConsumerConfig config) {
        config.on_rebalance = [this](const relkafka::RebalanceEvent& e) {
            const int n = static_cast<int>(e.partitions.size());
            partitions_ += e.assigned ? n : -n;
        };
        return config;
    }

    std::atomic<bool> stop_{false};
    std::atomic<int> partitions_{0};
    relkafka::Consumer consumer_;
    std::thread thread_;
};

// Creates `topic` on a real cluster with librdkafka's admin API, through the
// producer's handle. Returns the replication factor it used (3, or the number
// of brokers if fewer), or 0 after printing why it could not.
int create_topic(const relkafka::Producer& producer, const std::string& topic, int partitions) {
    rd_kafka_t* const rk = producer.native_handle();
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, nullptr, &metadata, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "no metadata from the cluster: %s\n", rd_kafka_err2str(err));
        return 0;
    }
    const int replication = std::min(3, metadata->broker_cnt);
    rd_kafka_metadata_destroy(metadata);

    char errstr[512] = "";
    rd_kafka_NewTopic_t* new_topic =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, replication, errstr, sizeof errstr);
    if (new_topic == nullptr) {
        std::fprintf(stderr, "create topic %s: %s\n", topic.c_str(), errstr);
        return 0;
    }
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &new_topic, 1, nullptr, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
    std::string failure;
    if (event == nullptr) {
        failure = "no answer within 30 s";
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure = rd_kafka_event_error_string(event);
    } else {
        std::size_t count = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
        for (std::size_t i = 0; i < count; ++i) {
            if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                failure = rd_kafka_topic_result_error_string(results[i]);
            }
        }
    }
    if (event != nullptr) {
        rd_kafka_event_destroy(event);
    }
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(new_topic);
    if (!failure.empty()) {
        std::fprintf(stderr, "create topic %s: %s\n", topic.c_str(), failure.c_str());
        return 0;
    }
    return replication;
}

}  // namespace

int main(int argc, char** argv) {
    const example::Options options(argc, argv, {{"brokers", ""}});
    constexpr int partitions = 4, rounds = 10, per_round = 5000;

    // The embedded mock, through which the faults are injected; none when
    // --brokers names a real cluster.
    std::unique_ptr<relkafka::testing::MockCluster> mock;
    std::string bootstrap = options["brokers"];
    std::string topic = "demo.orders", group = "demo.billing";
    if (bootstrap.empty()) {
        constexpr int brokers = 3;
        mock = std::make_unique<relkafka::testing::MockCluster>(brokers);
        bootstrap = mock->bootstrap_servers();
        mock->create_topic(topic, partitions, brokers);
        for (int p = 0; p < partitions; ++p) {
            mock->set_partition_leader(topic, p, p % brokers + 1);
        }
        std::printf("mock cluster: %d brokers at %s; topic %s: %d partitions, replication factor %d\n",
                    brokers, bootstrap.c_str(), topic.c_str(), partitions, brokers);
    } else {
        // The audit reads the whole topic, and a member an earlier run left
        // behind would hold a fixed group for max.poll.interval.ms: both are
        // this run's own.
        const auto run = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        topic += "-" + std::to_string(run);
        group += "-" + std::to_string(run);
    }

    relkafka::ProducerConfig producer_config;  // acks=all, idempotence, retries: the defaults
    producer_config.bootstrap_servers = bootstrap;
    producer_config.overrides["reconnect.backoff.max.ms"] = "1000";
    producer_config.overrides["log_level"] = "2";  // forced disconnects are expected here
    relkafka::Producer producer(producer_config);
    if (!mock) {
        const int replication = create_topic(producer, topic, partitions);
        if (replication == 0) {
            return EXIT_FAILURE;
        }
        std::printf("cluster at %s; topic %s: %d partitions, replication factor %d\n", bootstrap.c_str(),
                    topic.c_str(), partitions, replication);
        std::printf("--brokers given: leader moves and the broker restart are injected through the "
                    "embedded mock only, so they are skipped here; the rebalance is not\n");
    }

    relkafka::ConsumerConfig consumer_config;  // AsyncThenSync, Eager: the defaults
    consumer_config.bootstrap_servers = bootstrap;
    consumer_config.group_id = group;
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

    for (int round = 0; round < rounds; ++round) {
        for (int i = 0; i < per_round; ++i) {
            producer.send(audit.message(round * per_round + i), audit.on_delivery(round * per_round + i));
        }
        switch (round) {
            case 2:
            case 7:
                if (!mock) {
                    std::printf("round %d: skipped moving the partition leaders (mock only)\n", round);
                    break;
                }
                for (int p = 0; p < partitions; ++p) {
                    mock->set_partition_leader(topic, p, (p + round) % mock->broker_count() + 1);
                }
                std::printf("round %d: moved the leader of every partition\n", round);
                break;
            case 3:
                second_member = std::make_unique<GroupMember>(consumer_config, audit);
                std::printf("round %d: a second consumer joins the group\n", round);
                break;
            case 4:
                if (!mock) {
                    std::printf("round %d: skipped taking broker 1 down (mock only)\n", round);
                    break;
                }
                // Down once everything sent is acknowledged: the mock cannot
                // deduplicate a produce whose response is lost with the
                // connection (a real broker does), so it is not killed under
                // requests in flight.
                audit.wait_for_reports(static_cast<std::size_t>(round + 1) * per_round, 60s);
                mock->broker_down(1);
                std::printf("round %d: broker 1 down\n", round);
                break;
            case 5:
                if (!mock) {
                    break;  // nothing was taken down
                }
                mock->broker_up(1);
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
    // Both hold partitions first: the group has really rebalanced.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while ((audit.processed_unique() < audit.reports() || first_member->partitions() == 0 ||
            second_member->partitions() == 0) &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    std::printf("consumer group %s: 2 members, holding %d and %d partitions\n", group.c_str(),
                first_member->partitions(), second_member->partitions());
    second_member.reset();
    first_member.reset();

    const auto result = audit.check(relkafka::testing::read_topic(bootstrap, topic));
    const std::size_t consumed_lost = result.delivered - std::min(result.delivered, result.consumed_unique);
    std::printf("%s\n", result.line().c_str());
    std::printf("audit: produced=%zu delivered=%zu consumed_unique=%zu lost=%zu duplicated_deliveries=%zu\n",
                result.produced, result.delivered, result.consumed_unique, result.lost + consumed_lost,
                result.duplicated_deliveries);
    const bool clean = result.clean() && result.failed == 0 && consumed_lost == 0;
    return clean ? EXIT_SUCCESS : EXIT_FAILURE;
}
