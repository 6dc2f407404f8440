// Typed statistics (librdkafka's stats JSON, parsed) and the producer's
// counters of its own decisions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "consume.hpp"
#include "handled_log.hpp"
#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/stats.hpp"
#include "relkafka/testing/stream_audit.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::ConfigError;
using relkafka::Consumer;
using relkafka::ConsumerConfig;
using relkafka::Delivery;
using relkafka::ErrorCode;
using relkafka::Producer;
using relkafka::ProducerConfig;
using relkafka::ProducerCounters;
using relkafka::Statistics;
using relkafka::testing::StreamAudit;
using relkafka::test::TestCluster;
using relkafka::test::wait_until;

namespace {

// Every statistics report a client delivered, and the threads it ran on.
class StatisticsLog {
public:
    relkafka::StatisticsCallback callback() {
        return [this](const Statistics& s) {
            std::lock_guard<std::mutex> lock(mutex_);
            reports_.push_back(s);
            threads_.insert(std::this_thread::get_id());
        };
    }

    // The first report that satisfies `wanted`, waiting up to `timeout` for
    // one to arrive; `pump` runs between looks (e.g. to poll the client that
    // delivers them). `wanted` must hold the whole state the test asserts:
    // reports keep coming, and an early one can show a state in passing.
    std::optional<Statistics> wait_for(const std::function<bool(const Statistics&)>& wanted,
                                       std::chrono::milliseconds timeout,
                                       const std::function<void()>& pump = {}) {
        std::optional<Statistics> found;
        wait_until(
            [&] {
                if (pump) {
                    pump();
                }
                std::lock_guard<std::mutex> lock(mutex_);
                const auto it = std::find_if(reports_.begin(), reports_.end(), wanted);
                if (it != reports_.end()) {
                    found = *it;
                }
                return found.has_value();
            },
            timeout);
        return found;
    }

    std::size_t count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return reports_.size();
    }
    // The latest report, to show what was seen when none satisfied a wait.
    std::optional<Statistics> last() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return reports_.empty() ? std::nullopt : std::optional<Statistics>(reports_.back());
    }
    std::set<std::thread::id> threads() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return threads_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Statistics> reports_;
    std::set<std::thread::id> threads_;
};

relkafka::Message to_partition(const std::string& topic, std::int32_t partition, int n) {
    relkafka::Message m;
    m.topic = topic;
    m.partition = partition;
    m.value = "message " + std::to_string(n);
    return m;
}

// Valid and never connected to: validation happens before any connection.
ProducerConfig unconnected_producer() {
    ProducerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.overrides["log_level"] = "0";
    return config;
}

ConsumerConfig unconnected_consumer() {
    ConsumerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.group_id = "g";
    config.topics = {"t"};
    config.overrides["log_level"] = "0";
    return config;
}

void take_down_every_broker(TestCluster& cluster) {
    for (std::int32_t broker = 1; broker <= cluster.mock()->broker_count(); ++broker) {
        cluster.mock()->broker_down(broker);
    }
}

}  // namespace

// ---- Statistics from live clients ----

TEST_CASE("a producer's statistics report its brokers, partitions and totals on its callback thread") {
    TestCluster cluster(3);
    const auto topic = cluster.create_topic("stats", 2, cluster.replication_factor());
    StatisticsLog stats;
    auto config = cluster.producer_config();
    config.statistics_interval = 100ms;
    config.on_statistics = stats.callback();
    Producer producer(std::move(config));

    constexpr int count = 100;
    std::mutex mutex;
    std::set<std::thread::id> delivery_threads;
    std::atomic<int> reported{0}, failed{0};
    for (int n = 0; n < count; ++n) {
        producer.send(to_partition(topic, n % 2, n), [&](Delivery&& d) {
            failed += d.ok() ? 0 : 1;
            std::lock_guard<std::mutex> lock(mutex);
            delivery_threads.insert(std::this_thread::get_id());
            ++reported;
        });
    }
    // Not flush(): it would serve callbacks on this thread.
    REQUIRE(wait_until([&] { return reported == count; }, 30s));
    REQUIRE(failed == 0);

    // Every message sent, acknowledged and its report served: nothing queued
    // or in flight. A report taken once the sent counts match can precede the
    // acknowledgements (with 3 replicas it usually does), so wait for one in
    // which all of it holds.
    const auto settled = [&](const Statistics& s) {
        if (s.totals.txmsgs < count || s.totals.msg_cnt != 0) {
            return false;
        }
        for (std::int32_t p = 0; p < 2; ++p) {
            const auto* partition = s.partition(topic, p);
            if (partition == nullptr || partition->txmsgs != count / 2 || partition->msgq_cnt != 0 ||
                partition->xmit_msgq_cnt != 0 || partition->msgs_inflight != 0) {
                return false;
            }
        }
        return true;
    };
    const auto report = stats.wait_for(settled, 30s);
    if (!report) {
        std::ostringstream seen;
        seen << stats.count() << " reports in 30 s, none with every message acknowledged";
        if (const auto last = stats.last()) {
            seen << "; the last: txmsgs " << last->totals.txmsgs << ", msg_cnt " << last->totals.msg_cnt;
            for (std::int32_t p = 0; p < 2; ++p) {
                if (const auto* partition = last->partition(topic, p)) {
                    seen << "; partition " << p << ": txmsgs " << partition->txmsgs << ", msgq_cnt "
                         << partition->msgq_cnt << ", xmit_msgq_cnt " << partition->xmit_msgq_cnt
                         << ", msgs_inflight " << partition->msgs_inflight;
                }
            }
        }
        FAIL(seen.str());
    }
    CHECK(report->type == "producer");
    CHECK_THAT(report->name, Contains("producer"));
    CHECK(report->age > 0us);
    CHECK(report->totals.msg_max == 100000);  // Backpressure::max_messages
    CHECK(report->totals.tx > 0);
    CHECK(report->totals.rx > 0);
    CHECK(report->totals.txmsg_bytes > 0);
    if (!cluster.is_real()) {
        CHECK(report->brokers.size() == 3);
        for (std::int32_t id = 1; id <= 3; ++id) {
            const auto* broker = report->broker(id);
            REQUIRE(broker != nullptr);
            CHECK_THAT(broker->name, Contains("/" + std::to_string(id)));
            CHECK_FALSE(broker->nodename.empty());
        }
    }
    CHECK(std::any_of(report->brokers.begin(), report->brokers.end(), [](const auto& b) {
        return b.state == "UP" && b.connects >= 1 && b.tx > 0;
    }));

    const auto* topic_stats = report->topic(topic);
    REQUIRE(topic_stats != nullptr);
    for (std::int32_t p = 0; p < 2; ++p) {
        const auto* partition = report->partition(topic, p);
        REQUIRE(partition != nullptr);
        CHECK(partition->topic == topic);
        CHECK(partition->msgs == count / 2);
        CHECK(partition->leader >= 0);
    }
    CHECK(report->partition(topic, 7) == nullptr);
    CHECK(report->partition("no-such-topic", 0) == nullptr);

    REQUIRE(report->eos);  // idempotence is on by default
    CHECK(report->eos->idemp_state == "Assigned");
    CHECK(report->eos->producer_id >= 0);
    CHECK_FALSE(report->cgrp);

    SECTION("the raw JSON comes along and parses to the same values") {
        const auto parsed = relkafka::parse_statistics(report->json);
        REQUIRE(parsed);
        CHECK(parsed.statistics.totals.txmsgs == report->totals.txmsgs);
        CHECK(parsed.statistics.brokers.size() == report->brokers.size());
    }
    SECTION("they run on the thread that runs delivery callbacks") {
        const auto threads = stats.threads();
        CHECK(threads.size() == 1);
        std::lock_guard<std::mutex> lock(mutex);
        CHECK(threads == delivery_threads);
        CHECK(threads.count(std::this_thread::get_id()) == 0);
    }
}

TEST_CASE("with ExplicitPoll, a producer's statistics are delivered inside poll()") {
    TestCluster cluster;
    StatisticsLog stats;
    auto config = cluster.producer_config();
    config.callbacks = relkafka::CallbackMode::ExplicitPoll;
    config.statistics_interval = 50ms;
    config.on_statistics = stats.callback();
    Producer producer(std::move(config));

    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (stats.count() < 3 && std::chrono::steady_clock::now() < deadline) {
        producer.poll(10ms);
    }
    REQUIRE(stats.count() >= 3);
    CHECK(stats.threads() == std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST_CASE("broker round-trip times are reported in microseconds") {
    TestCluster cluster(3);
    RELKAFKA_REQUIRE_MOCK(cluster);
    const auto topic = cluster.create_topic("rtt", 1, 3);
    for (std::int32_t broker = 1; broker <= 3; ++broker) {
        cluster.mock()->set_broker_rtt(broker, 50ms);
    }
    StatisticsLog stats;
    auto config = cluster.producer_config();
    config.statistics_interval = 100ms;
    config.on_statistics = stats.callback();
    Producer producer(std::move(config));

    // The window covers one interval: keep requests going until one shows.
    int n = 0;
    const auto report = stats.wait_for(
        [](const Statistics& s) {
            return std::any_of(s.brokers.begin(), s.brokers.end(),
                               [](const auto& b) { return b.rtt.cnt > 0; });
        },
        30s, [&] { CHECK(producer.send_sync(to_partition(topic, 0, n++)).ok()); });
    REQUIRE(report);
    for (const auto& broker : report->brokers) {
        if (broker.rtt.cnt > 0) {
            INFO(broker.name << " rtt avg " << broker.rtt.avg.count() << " us");
            CHECK(broker.rtt.avg >= 45ms);
            CHECK(broker.rtt.avg < 5s);
            CHECK(broker.rtt.max >= broker.rtt.min);
            CHECK(broker.rtt.p99 >= broker.rtt.p50);
        }
    }
}

TEST_CASE("a consumer's statistics show the committed offset and lag of what it processed") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("consumer-stats", 1, 1);
    StreamAudit audit(topic);
    constexpr int count = 50;
    cluster.produce_stream(audit, count);

    StatisticsLog stats;
    auto config = cluster.consumer_config(cluster.group("stats"), topic);
    config.statistics_interval = 100ms;
    config.on_statistics = stats.callback();
    Consumer consumer(std::move(config));
    relkafka::test::HandledLog handled;
    relkafka::test::consume(consumer, handled, [&] { return handled.total() >= count; });
    REQUIRE(handled.total() == count);
    REQUIRE(consumer.commit().code() == ErrorCode::NoError);

    const auto report = stats.wait_for(
        [&](const Statistics& s) {
            const auto* p = s.partition(topic, 0);
            return p != nullptr && p->committed_offset == count && p->consumer_lag == 0;
        },
        30s, [&] { CHECK(consumer.poll(20ms).empty()); });
    REQUIRE(report);
    CHECK(report->type == "consumer");
    const auto* partition = report->partition(topic, 0);
    CHECK(partition->hi_offset == count);
    CHECK(partition->app_offset == count);
    CHECK(partition->rxmsgs == count);
    CHECK(partition->fetch_state == "active");
    CHECK(partition->desired);
    CHECK(report->totals.rxmsgs == count);
    REQUIRE(report->cgrp);
    CHECK(report->cgrp->state == "up");
    CHECK(report->cgrp->join_state == "steady");
    CHECK(report->cgrp->assignment_size == 1);
    CHECK(report->cgrp->rebalance_cnt >= 1);
    CHECK_FALSE(report->eos);
    // Inside poll(), on the consumer's thread.
    CHECK(stats.threads() == std::set<std::thread::id>{std::this_thread::get_id()});
}

// ---- Parsing ----

TEST_CASE("parse_statistics turns malformed JSON into an Error, never an exception") {
    const std::string text = GENERATE(as<std::string>{}, "", "{", "not json", "{\"brokers\": ",
                                      "[1, 2, 3]", "42", "\"a string\"", "null");
    INFO("input: " << text);
    relkafka::ParsedStatistics parsed;
    REQUIRE_NOTHROW(parsed = relkafka::parse_statistics(text));
    CHECK_FALSE(parsed);
    CHECK(parsed.error.code() == ErrorCode::Fail);
    CHECK_THAT(parsed.error.message(), Contains("statistics") && Contains("JSON"));
    CHECK(parsed.statistics.brokers.empty());
    CHECK(parsed.statistics.json.empty());
}

TEST_CASE("parse_statistics keeps defaults for missing or mistyped fields") {
    SECTION("an empty object") {
        const auto parsed = relkafka::parse_statistics("{}");
        REQUIRE(parsed);
        CHECK(parsed.statistics.name.empty());
        CHECK(parsed.statistics.totals.txmsgs == 0);
        CHECK(parsed.statistics.brokers.empty());
        CHECK(parsed.statistics.topics.empty());
        CHECK_FALSE(parsed.statistics.cgrp);
        CHECK_FALSE(parsed.statistics.eos);
        CHECK(parsed.statistics.json == "{}");
    }
    SECTION("fields of the wrong type, unknown fields and partial objects") {
        const auto parsed = relkafka::parse_statistics(R"({
            "type": 7, "tx": "many", "txmsgs": 12, "rxmsgs": 3.0, "some_future_field": {"x": 1},
            "brokers": {"b": {"name": "h:9092/1", "nodeid": 1, "rtt": "fast"}, "junk": 5},
            "topics": {"orders": {"partitions": {
                "0": {"partition": 0, "msgq_cnt": "lots", "commited_offset": 7},
                "1": {"partition": 1, "committed_offset": 9, "commited_offset": 8, "desired": 1}
            }}},
            "cgrp": [], "eos": {"idemp_state": "Assigned"}
        })");
        REQUIRE(parsed);
        const Statistics& s = parsed.statistics;
        CHECK(s.type.empty());
        CHECK(s.totals.tx == 0);
        CHECK(s.totals.txmsgs == 12);
        CHECK(s.totals.rxmsgs == 3);
        REQUIRE(s.brokers.size() == 1);
        CHECK(s.brokers[0].nodeid == 1);
        CHECK(s.brokers[0].rtt.cnt == 0);
        CHECK(s.brokers[0].state.empty());
        const auto* p0 = s.partition("orders", 0);
        REQUIRE(p0 != nullptr);
        CHECK(p0->msgq_cnt == 0);
        CHECK(p0->committed_offset == 7);  // the old spelling, when it is the only one
        CHECK(p0->consumer_lag == -1);
        CHECK(p0->stored_offset == -1001);
        const auto* p1 = s.partition("orders", 1);
        REQUIRE(p1 != nullptr);
        CHECK(p1->committed_offset == 9);
        CHECK_FALSE(p1->desired);  // not a JSON boolean
        CHECK(s.topic("orders")->topic == "orders");  // named by its key
        CHECK_FALSE(s.cgrp);
        REQUIRE(s.eos);
        CHECK(s.eos->idemp_state == "Assigned");
        CHECK(s.eos->producer_id == -1);
    }
}

TEST_CASE("parse_statistics converts units and sums per-broker error counts into totals") {
    const auto parsed = relkafka::parse_statistics(R"({
        "name": "rdkafka#producer-1", "type": "producer", "ts": 5000000, "time": 1700000000,
        "age": 2500000, "msg_cnt": 4, "msg_size": 400,
        "brokers": {
            "a:9092/1": {"name": "a:9092/1", "nodeid": 1, "state": "UP", "stateage": 1500,
                         "txerrs": 1, "txretries": 2, "rxerrs": 3, "req_timeouts": 4,
                         "connects": 1, "disconnects": 0, "outbuf_cnt": 5, "waitresp_cnt": 6,
                         "rtt": {"min": 100, "max": 900, "avg": 400, "p50": 350, "p95": 800,
                                 "p99": 880, "cnt": 10},
                         "throttle": {"avg": 20, "max": 30, "cnt": 2}},
            "b:9092/2": {"name": "b:9092/2", "nodeid": 2, "txerrs": 10, "txretries": 20,
                         "rxerrs": 30, "req_timeouts": 40, "connects": 3, "disconnects": 2},
            "GroupCoordinator": {"name": "GroupCoordinator", "nodeid": 2, "source": "logical"}
        },
        "topics": {"t": {"topic": "t", "metadata_age": 250,
                         "batchcnt": {"avg": 7, "max": 9, "cnt": 3},
                         "partitions": {"10": {"partition": 10}, "2": {"partition": 2},
                                        "-1": {"partition": -1, "msgq_cnt": 4}}}}
    })");
    REQUIRE(parsed);
    const Statistics& s = parsed.statistics;
    CHECK(s.ts == 5s);
    CHECK(s.age == 2500ms);
    CHECK(s.time == std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
    CHECK(s.totals.msg_cnt == 4);
    CHECK(s.totals.msg_size == 400);
    CHECK(s.totals.txerrs == 11);
    CHECK(s.totals.txretries == 22);
    CHECK(s.totals.rxerrs == 33);
    CHECK(s.totals.req_timeouts == 44);
    CHECK(s.totals.connects == 4);
    CHECK(s.totals.disconnects == 2);

    const auto* a = s.broker(1);
    REQUIRE(a != nullptr);
    CHECK(a->stateage == 1500us);
    CHECK(a->outbuf_cnt == 5);
    CHECK(a->waitresp_cnt == 6);
    CHECK(a->rtt.avg == 400us);
    CHECK(a->rtt.p99 == 880us);
    CHECK(a->rtt.cnt == 10);
    CHECK(a->throttle.avg == 20ms);  // librdkafka reports throttling in milliseconds
    REQUIRE(s.broker(2) != nullptr);
    CHECK(s.broker(2)->name == "b:9092/2");  // not the logical GroupCoordinator
    CHECK(s.broker(3) == nullptr);

    const auto* t = s.topic("t");
    REQUIRE(t != nullptr);
    CHECK(t->metadata_age == 250ms);
    CHECK(t->batchcnt.avg == 7);
    REQUIRE(t->partitions.size() == 3);  // ordered by number, not by key text
    CHECK(t->partitions[0].partition == -1);
    CHECK(t->partitions[0].msgq_cnt == 4);
    CHECK(t->partitions[1].partition == 2);
    CHECK(t->partitions[2].partition == 10);
}

// ---- Configuration ----

TEST_CASE("statistics.interval.ms and the stats and log callbacks are owned by config fields") {
    SECTION("producer") {
        auto config = unconnected_producer();
        SECTION("statistics.interval.ms") {
            config.overrides["statistics.interval.ms"] = "1000";
            CHECK_THROWS_WITH(Producer(config), Contains("overrides[\"statistics.interval.ms\"]") &&
                                                    Contains("ProducerConfig::statistics_interval"));
        }
        SECTION("stats_cb") {
            config.overrides["stats_cb"] = "x";
            CHECK_THROWS_WITH(Producer(config), Contains("ProducerConfig::on_statistics"));
        }
        SECTION("log_cb and log.queue") {
            config.overrides[GENERATE(as<std::string>{}, "log_cb", "log.queue")] = "true";
            CHECK_THROWS_WITH(Producer(config), Contains("ProducerConfig::on_log"));
        }
    }
    SECTION("consumer") {
        auto config = unconnected_consumer();
        SECTION("statistics.interval.ms") {
            config.overrides["statistics.interval.ms"] = "1000";
            CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::statistics_interval"));
        }
        SECTION("stats_cb") {
            config.overrides["stats_cb"] = "x";
            CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::on_statistics"));
        }
        SECTION("log.queue") {
            config.overrides["log.queue"] = "true";
            CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::on_log"));
        }
    }
}

TEST_CASE("a statistics interval needs a callback and a range librdkafka accepts") {
    auto producer = unconnected_producer();
    auto consumer = unconnected_consumer();
    SECTION("statistics on with nobody to receive them") {
        producer.statistics_interval = 1s;
        CHECK_THROWS_WITH(Producer(producer), Contains("ProducerConfig::statistics_interval = 1000 ms") &&
                                                  Contains("on_statistics is unset"));
        consumer.statistics_interval = 1s;
        CHECK_THROWS_WITH(Consumer(consumer), Contains("ConsumerConfig::on_statistics is unset"));
    }
    SECTION("out of range") {
        producer.on_statistics = [](const Statistics&) {};
        producer.statistics_interval = GENERATE(-1ms, 86400001ms);
        CHECK_THROWS_WITH(Producer(producer), Contains("ProducerConfig::statistics_interval") &&
                                                  Contains("out of range"));
    }
    SECTION("a callback with statistics off is allowed") {
        producer.on_statistics = [](const Statistics&) {};
        CHECK_NOTHROW(Producer(producer));
        consumer.on_statistics = [](const Statistics&) {};
        CHECK_NOTHROW(Consumer(consumer));
    }
}

// ---- Producer counters ----

TEST_CASE("producer counters: delivered messages") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("counted", 2, 1);
    Producer producer(cluster.producer_config());
    CHECK(producer.counters().sent == 0);

    constexpr int count = 200;
    for (int n = 0; n < count; ++n) {
        producer.send(to_partition(topic, n % 2, n), [](Delivery&&) {});
    }
    REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);
    const ProducerCounters c = producer.counters();
    CHECK(c.sent == count);
    CHECK(c.delivered == count);
    CHECK(c.failed == 0);
    CHECK(c.refused == 0);
    CHECK(c.handed_back == 0);
    CHECK(c.blocked_sends == 0);
}

TEST_CASE("producer counters: close() with the brokers down hands back and counts every message") {
    TestCluster cluster(3);
    RELKAFKA_REQUIRE_MOCK(cluster);
    const auto topic = cluster.create_topic("counted-close", 2, 3);
    Producer producer(cluster.producer_config());
    REQUIRE(producer.send_sync(to_partition(topic, 0, 0)).ok());

    take_down_every_broker(cluster);
    constexpr int stranded = 30;
    for (int n = 1; n <= stranded; ++n) {
        producer.send(to_partition(topic, n % 2, n), [](Delivery&&) {});
    }
    const auto handed_back = producer.close(300ms);
    CHECK(handed_back.size() == stranded);

    const ProducerCounters c = producer.counters();  // still readable after close
    CHECK(c.sent == stranded + 1);
    CHECK(c.delivered == 1);
    CHECK(c.handed_back == stranded);
    CHECK(c.purged == stranded);
    CHECK(c.failed == stranded);
    CHECK(c.timed_out == 0);
    CHECK(c.fatal == 0);
    CHECK(c.refused == 0);
}

TEST_CASE("producer counters: messages past the delivery timeout count as timed out") {
    TestCluster cluster(3);
    RELKAFKA_REQUIRE_MOCK(cluster);
    const auto topic = cluster.create_topic("counted-timeout", 1, 3);
    auto config = cluster.producer_config();
    config.retry.delivery_timeout = 1000ms;
    Producer producer(std::move(config));
    REQUIRE(producer.send_sync(to_partition(topic, 0, 0)).ok());

    take_down_every_broker(cluster);
    constexpr int stranded = 20;
    for (int n = 1; n <= stranded; ++n) {
        producer.send(to_partition(topic, 0, n), [](Delivery&&) {});
    }
    REQUIRE(wait_until([&] { return producer.counters().timed_out == stranded; }, 30s));
    const ProducerCounters c = producer.counters();
    CHECK(c.failed == stranded);
    CHECK(c.delivered == 1);
    CHECK(c.purged == 0);
    CHECK(c.handed_back == 0);
}

TEST_CASE("producer counters: sends refused by a full queue, and sends that blocked first") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("counted-full", 1, 1);
    auto config = cluster.producer_config();
    config.backpressure.max_messages = 5;
    config.overrides["linger.ms"] = "60000";  // nothing leaves the queue until flushed
    const bool block = GENERATE(false, true);
    config.backpressure.on_full =
        block ? relkafka::QueueFullAction::Block : relkafka::QueueFullAction::FailFast;
    config.backpressure.max_block = 50ms;
    Producer producer(std::move(config));

    for (int n = 0; n < 8; ++n) {
        producer.send(to_partition(topic, 0, n), [](Delivery&&) {});
    }
    ProducerCounters c = producer.counters();
    CHECK(c.refused == 3);
    CHECK(c.failed == 3);
    CHECK(c.blocked_sends == (block ? 3 : 0));
    CHECK(c.sent == 5);

    CHECK(producer.close(30s).empty());
    c = producer.counters();
    CHECK(c.delivered == 5);
    CHECK(c.failed == 3);
}

TEST_CASE("producer counters: a fatal error counts queued messages as fatal, later sends as refused") {
    TestCluster cluster(1);
    RELKAFKA_REQUIRE_MOCK(cluster);
    const auto topic = cluster.create_topic("counted-fatal", 1, 1);
    auto config = cluster.producer_config();
    config.on_error = [](const relkafka::Error&) {};
    Producer producer(std::move(config));
    REQUIRE(producer.send_sync(to_partition(topic, 0, 0)).ok());

    cluster.mock()->broker_down(1);  // keep the next messages queued
    constexpr int queued = 10;
    for (int n = 1; n <= queued; ++n) {
        producer.send(to_partition(topic, 0, n), [](Delivery&&) {});
    }
    rd_kafka_test_fatal_error(producer.native_handle(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "injected by the test");
    REQUIRE(wait_until([&] { return producer.counters().fatal == queued; }, 30s));
    CHECK_FALSE(producer.send_sync(to_partition(topic, 0, queued + 1)).ok());

    const ProducerCounters c = producer.counters();
    CHECK(c.delivered == 1);
    CHECK(c.fatal == queued);
    CHECK(c.refused == 1);
    CHECK(c.failed == queued + 1);
    CHECK(c.sent == queued + 1);
}
