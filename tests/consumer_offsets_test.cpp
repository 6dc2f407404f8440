// Offset control: seek (by offset, to either end, by time), position(),
// progress(), commits of explicit offsets and manual assignment. Each test
// checks where a later consumer of the group starts, so that what a seek or
// commit leaves committed is asserted, not assumed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/testing/stream_audit.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using relkafka::ConfigError;
using relkafka::Consumer;
using relkafka::ConsumerConfig;
using relkafka::PartitionOffset;
using relkafka::Record;
using relkafka::TopicPartition;
using relkafka::UsageError;
using relkafka::testing::StreamAudit;
using relkafka::test::TestCluster;
using relkafka::test::wait_until;
using Clock = std::chrono::steady_clock;

namespace Catch {
template <>
struct StringMaker<PartitionOffset> {
    static std::string convert(const PartitionOffset& p) {
        return p.topic + "[" + std::to_string(p.partition) + "]@" + std::to_string(p.offset);
    }
};
}  // namespace Catch

namespace {

// Offsets handed out, in order, of one partition.
using Offsets = std::vector<std::int64_t>;

Offsets range(std::int64_t from, std::int64_t to) {
    Offsets offsets;
    for (std::int64_t o = from; o < to; ++o) {
        offsets.push_back(o);
    }
    return offsets;
}

// Polls until `count` records were handed out (or 30 s passed), marking each
// processed; returns their offsets in order.
Offsets take(Consumer& consumer, std::size_t count) {
    Offsets seen;
    const auto until = Clock::now() + 30s;
    while (seen.size() < count && Clock::now() < until) {
        for (const Record& r : consumer.poll(100ms)) {
            if (seen.size() == count) {
                break;  // the rest of the batch is fetched again
            }
            seen.push_back(r.offset());
            consumer.mark_processed(r);
        }
    }
    return seen;
}

// The offset a new member of `group` starts `topic`[0] at: the committed one.
std::int64_t first_offset_for_group(TestCluster& cluster, const std::string& group,
                                    const std::string& topic) {
    Consumer next(cluster.consumer_config(group, topic));
    const auto until = Clock::now() + 30s;
    while (Clock::now() < until) {
        std::vector<Record> batch = next.poll(100ms);
        if (!batch.empty()) {
            return batch.front().offset();
        }
    }
    return -1;
}

// A one-partition topic holding `count` records of a stream.
std::string topic_with(TestCluster& cluster, const char* name, int count) {
    const auto topic = cluster.create_topic(name, 1, cluster.replication_factor());
    StreamAudit audit(topic);
    cluster.produce_stream(audit, count);
    return topic;
}

void wait_assigned(Consumer& consumer) {
    REQUIRE(wait_until(
        [&] {
            (void)consumer.poll(0ms);  // the first poll() joins the group
            return !consumer.assignment().empty();
        },
        30s));
}

}  // namespace

TEST_CASE("a seek back is committed: the group's next member starts at the offset sought") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "seek-back", 100);
    const auto group = cluster.group("seek-back");
    {
        Consumer consumer(cluster.consumer_config(group, topic));
        REQUIRE(take(consumer, 100) == range(0, 100));
        REQUIRE_FALSE(consumer.commit());
        REQUIRE_FALSE(consumer.seek({topic, 0, 40}));
        // Ten records read again, then a close: 50 is committed, though 100
        // was before the seek.
        CHECK(take(consumer, 10) == range(40, 50));
    }
    CHECK(first_offset_for_group(cluster, group, topic) == 50);
}

TEST_CASE("a seek back with async commits in flight still leaves the sought position committed") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "seek-async", 200);
    const auto group = cluster.group("seek-async");
    {
        auto config = cluster.consumer_config(group, topic);
        config.commit = relkafka::AsyncCommit{1};  // a commit per record: many in flight
        Consumer consumer(config);
        REQUIRE(take(consumer, 200) == range(0, 200));
        REQUIRE_FALSE(consumer.seek({topic, 0, 20}));
        CHECK(take(consumer, 5) == range(20, 25));
    }
    CHECK(first_offset_for_group(cluster, group, topic) == 25);
}

TEST_CASE("a seek from run()'s handler: records fetched before it are not handed out") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "seek-run", 200);
    auto config = cluster.consumer_config(cluster.group("seek-run"), topic);
    config.max_batch = 500;  // the batch holds records past the seek
    Consumer consumer(config);
    Offsets handled;
    bool sought = false;
    std::atomic<bool> stop{false};
    const auto until = Clock::now() + 30s;
    std::thread deadline([&] {
        while (!stop && Clock::now() < until) {
            std::this_thread::sleep_for(10ms);
        }
        stop = true;
        consumer.wakeup();
    });
    consumer.run(
        [&](const Record& r) {
            handled.push_back(r.offset());
            if (r.offset() == 150 && !sought) {
                sought = true;
                REQUIRE_FALSE(consumer.seek({topic, 0, 100}));
            }
            if (sought && r.offset() == 199) {
                stop = true;
            }
        },
        stop);
    deadline.join();
    Offsets expected = range(0, 151);
    const Offsets again = range(100, 200);
    expected.insert(expected.end(), again.begin(), again.end());
    CHECK(handled == expected);
}

TEST_CASE("seek to the beginning and to the end") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "seek-ends", 30);
    Consumer consumer(cluster.consumer_config(cluster.group("seek-ends"), topic));
    REQUIRE(take(consumer, 30) == range(0, 30));
    REQUIRE_FALSE(consumer.seek({topic, 0, relkafka::offset_beginning}));
    CHECK(take(consumer, 30) == range(0, 30));

    REQUIRE_FALSE(consumer.seek({topic, 0, relkafka::offset_end}));
    CHECK(consumer.poll(500ms).empty());
    relkafka::Producer producer(cluster.producer_config());
    relkafka::Message m;
    m.topic = topic;
    m.value = std::string("after the end");
    REQUIRE(producer.send_sync(m).ok());
    CHECK(take(consumer, 1) == Offsets{30});
}

TEST_CASE("seek_to_time past the last record goes to the end") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "seek-late", 10);
    Consumer consumer(cluster.consumer_config(cluster.group("seek-late"), topic));
    wait_assigned(consumer);
    const auto late = std::chrono::system_clock::now() + std::chrono::hours(1);
    REQUIRE_FALSE(consumer.seek_to_time({topic, 0}, late));
    CHECK(consumer.poll(300ms).empty());
    CHECK(consumer.position() == std::vector<PartitionOffset>{{topic, 0, 10}});
}

TEST_CASE("seek_to_time goes to the first record at or after the time") {
    TestCluster cluster;
    // librdkafka 2.0.2's mock answers every lookup by time with "none".
    RELKAFKA_REQUIRE_REAL(cluster, "the mock cluster cannot look offsets up by timestamp");
    const auto topic = cluster.create_topic("seek-time", 1, cluster.replication_factor());
    relkafka::Producer producer(cluster.producer_config());
    const relkafka::Timestamp start{std::chrono::milliseconds(1'700'000'000'000)};
    for (int i = 0; i < 10; ++i) {
        relkafka::Message m;
        m.topic = topic;
        m.value = std::to_string(i);
        m.timestamp = start + std::chrono::seconds(i);
        REQUIRE(producer.send_sync(m).ok());
    }
    Consumer consumer(cluster.consumer_config(cluster.group("seek-time"), topic));
    wait_assigned(consumer);
    REQUIRE_FALSE(consumer.seek_to_time({topic, 0}, start + 4500ms));
    CHECK(take(consumer, 5) == range(5, 10));
    // No record that late: the end.
    REQUIRE_FALSE(consumer.seek_to_time({topic, 0}, start + std::chrono::hours(1)));
    CHECK(consumer.poll(300ms).empty());
    REQUIRE_FALSE(consumer.seek_to_time({topic, 0}, start));
    CHECK(take(consumer, 10) == range(0, 10));
}

TEST_CASE("position and progress tell where each partition stands") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "progress", 50);
    auto config = cluster.consumer_config(cluster.group("progress"), topic);
    config.max_batch = 20;
    Consumer consumer(config);
    REQUIRE(take(consumer, 20) == range(0, 20));
    REQUIRE_FALSE(consumer.commit());
    REQUIRE(consumer.position() == std::vector<PartitionOffset>{{topic, 0, 20}});

    const auto progress = consumer.progress(10s);
    REQUIRE(progress.size() == 1);
    CHECK(progress[0].partition == TopicPartition{topic, 0});
    CHECK_FALSE(progress[0].error);
    CHECK(progress[0].position == 20);
    CHECK(progress[0].committed == 20);
    CHECK(progress[0].low == 0);
    CHECK(progress[0].high == 50);
    CHECK(progress[0].lag() == 30);
}

TEST_CASE("position() after run() stopped mid-batch is the first record not handed out") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "position-run", 100);
    auto config = cluster.consumer_config(cluster.group("position-run"), topic);
    config.max_batch = 100;
    Consumer consumer(config);
    std::atomic<bool> stop{false};
    int handled = 0;
    consumer.run(
        [&](const Record&) {
            if (++handled == 10) {
                stop = true;
            }
        },
        stop);
    REQUIRE(handled == 10);
    CHECK(consumer.position() == std::vector<PartitionOffset>{{topic, 0, 10}});
    CHECK(take(consumer, 1) == Offsets{10});
}

TEST_CASE("commit of explicit offsets: the group's next member starts there") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "explicit-commit", 60);
    const auto group = cluster.group("explicit-commit");
    {
        Consumer consumer(cluster.consumer_config(group, topic));
        REQUIRE(take(consumer, 10) == range(0, 10));
        REQUIRE_FALSE(consumer.commit({{topic, 0, 33}}));
        CHECK(consumer.progress(10s).at(0).committed == 33);
    }
    CHECK(first_offset_for_group(cluster, group, topic) == 33);
}

TEST_CASE("offset control refuses partitions not assigned and offsets that are not offsets") {
    TestCluster cluster;
    const auto topic = topic_with(cluster, "offset-misuse", 1);
    Consumer consumer(cluster.consumer_config(cluster.group("offset-misuse"), topic));
    wait_assigned(consumer);
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH((void)consumer.seek({topic, 7, 0}),
                      Contains(topic + "[7] is not assigned") && Contains("assignment()"));
    CHECK_THROWS_WITH((void)consumer.seek({topic, 0, -5}), Contains("offset -5"));
    CHECK_THROWS_WITH((void)consumer.commit({{"elsewhere", 0, 1}}),
                      Contains("elsewhere[0] is not assigned"));
    CHECK_THROWS_WITH((void)consumer.commit({{topic, 0, -1}}), Contains(">= 0"));
    consumer.close();
    CHECK_THROWS_AS((void)consumer.seek({topic, 0, 0}), UsageError);
    CHECK_THROWS_AS(consumer.position(), UsageError);
}

TEST_CASE("manual assignment reads exactly the partitions given from their offsets") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("manual", 3, cluster.replication_factor());
    relkafka::Producer producer(cluster.producer_config());
    for (int partition = 0; partition < 3; ++partition) {
        for (int i = 0; i < 20; ++i) {
            relkafka::Message m;
            m.topic = topic;
            m.partition = partition;
            m.value = std::to_string(i);
            REQUIRE(producer.send_sync(m).ok());
        }
    }
    const auto group = cluster.group("manual");
    ConsumerConfig config = cluster.consumer_config(group, topic);
    config.topics.clear();
    config.partitions = {{topic, 0, 5}, {topic, 2, relkafka::offset_beginning}};
    bool rebalanced = false;
    config.on_rebalance = [&](const relkafka::RebalanceEvent&) { rebalanced = true; };
    std::map<std::int32_t, Offsets> seen;
    {
        Consumer consumer(config);
        CHECK(consumer.assignment().size() == 2);
        const auto until = Clock::now() + 30s;
        while (seen[0].size() + seen[2].size() < 12 + 20 && Clock::now() < until) {
            for (const Record& r : consumer.poll(100ms)) {
                auto& offsets = seen[r.partition()];
                if (r.partition() == 0 && offsets.size() == 12) {
                    continue;  // left for the next consumer: 17 is committed
                }
                offsets.push_back(r.offset());
                consumer.mark_processed(r);
            }
        }
    }
    CHECK(seen[0] == range(5, 17));
    CHECK(seen[2] == range(0, 20));
    CHECK(seen.count(1) == 0);
    CHECK_FALSE(rebalanced);

    // The close committed what was processed: a consumer starting at the
    // committed offsets goes on from there.
    config.partitions = {{topic, 0, relkafka::offset_committed}};
    Consumer next(config);
    CHECK(take(next, 3) == range(17, 20));
}

TEST_CASE("manual assignment is checked with the rest of the configuration") {
    ConsumerConfig config;
    config.bootstrap_servers = "localhost:9092";
    config.group_id = "g";
    config.partitions = {{"t", 0, 0}};
    config.topics = {"t"};
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(Consumer(config), Contains("both set"));
    config.topics.clear();
    config.partitions = {{"t", 0, 0}, {"t", 0, 4}};
    CHECK_THROWS_WITH(Consumer(config), Contains("t[0] twice"));
    config.partitions = {{"t", -1, 0}};
    CHECK_THROWS_WITH(Consumer(config), Contains("numbered from 0"));
    config.partitions = {{"t", 0, -7}};
    CHECK_THROWS_AS(Consumer(config), ConfigError);
    config.partitions.clear();
    CHECK_THROWS_WITH(Consumer(config), Contains("both empty"));
}
