// The consumer at the edges of its life: run() left and entered again,
// close() with the cluster gone, callbacks that throw, a close from another
// thread, wakeup(). Every record of each stream is accounted for.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "consume.hpp"
#include "handled_log.hpp"
#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/testing/stream_audit.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using relkafka::Consumer;
using relkafka::ErrorCode;
using relkafka::Record;
using relkafka::testing::StreamAudit;
using relkafka::test::consume;
using relkafka::test::HandledLog;
using relkafka::test::TestCluster;
using Clock = std::chrono::steady_clock;

namespace {

// Log lines at warning and above, for assertions on what was reported.
class LogLines {
public:
    relkafka::LogCallback hook() {
        return [this](relkafka::LogLevel level, std::string_view line) {
            if (level >= relkafka::LogLevel::Warning) {
                std::lock_guard<std::mutex> lock(mutex_);
                lines_.emplace_back(line);
            }
        };
    }
    bool contains(std::string_view text) const {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& line : lines_) {
            if (line.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

}  // namespace

TEST_CASE("run() stopped mid-batch and called again processes every record exactly once") {
    TestCluster cluster;
    constexpr int count = 3000;
    constexpr std::size_t per_run = 50;
    const auto topic = cluster.create_topic("restarted-run", 4, cluster.replication_factor());
    StreamAudit audit(topic);
    cluster.produce_stream(audit, count);

    auto config = cluster.consumer_config(cluster.group("restarted-run"), topic);
    config.max_batch = 500;  // each run() stops well inside a batch
    Consumer consumer(config);
    HandledLog handled;
    int runs = 0;
    // Records skipped by a run() are never fetched again: then run() waits
    // for records that never come, and only the deadline ends it.
    std::atomic<bool> stop{false};
    std::atomic<bool> gave_up{false};
    std::atomic<bool> done{false};
    std::thread deadline([&] {
        if (!relkafka::test::wait_until([&] { return done.load(); }, 90s)) {
            gave_up = true;
            while (!done) {  // until the loop has seen it
                stop = true;
                consumer.wakeup();
                relkafka::test::wait_until([&] { return done.load(); }, 100ms);
            }
        }
    });
    while (handled.unique() < static_cast<std::size_t>(count) && !gave_up) {
        std::size_t in_this_run = 0;
        stop = false;
        consumer.run(
            [&](const Record& r) {
                handled.add(r);
                if (++in_this_run == per_run) {
                    stop = true;
                }
            },
            stop);
        ++runs;
    }
    done = true;
    deadline.join();
    std::cout << runs << " runs of " << per_run << " records: processed " << handled.unique()
              << ", " << handled.duplicates() << " twice" << std::endl;
    CHECK(handled.missing(count) == 0);
    CHECK(handled.duplicates() == 0);
    CHECK(runs >= count / static_cast<int>(per_run));
}

TEST_CASE("close() with every broker down ends within close_timeout and reports what it could not "
          "commit") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const auto topic = cluster.create_topic("close-brokers-down", 2, 1);
    StreamAudit audit(topic);
    cluster.produce_stream(audit, 400);

    auto config = cluster.consumer_config(cluster.group("close-brokers-down"), topic);
    config.close_timeout = 2s;
    std::mutex mutex;
    std::vector<relkafka::CommitResult> failed;
    config.on_commit = [&](const relkafka::CommitResult& r) {
        if (r.error) {
            std::lock_guard<std::mutex> lock(mutex);
            failed.push_back(r);
        }
    };
    HandledLog handled;
    auto consumer = std::make_unique<Consumer>(config);
    // Stops mid-batch: the last records marked are not committed yet.
    consume(*consumer, handled, [&] { return handled.total() >= 100; });
    for (int broker = 1; broker <= 3; ++broker) {
        cluster.mock()->broker_down(broker);
    }
    // Bounded by close_timeout, or by librdkafka's wait for the commits it
    // queued for the unreachable coordinator (session.timeout.ms from the
    // start of the close; 6 s in these tests), whichever is larger.
    const auto session_timeout = std::chrono::milliseconds(
        std::stoi(config.overrides.at("session.timeout.ms")));
    const auto start = Clock::now();
    std::chrono::milliseconds close_took{0};
    SECTION("close(), then the destructor") {
        consumer->close();
        close_took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        CHECK(close_took < std::max(config.close_timeout, session_timeout) + 2000ms);
    }
    SECTION("the destructor alone") {}
    consumer.reset();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    std::cout << "close() returned after " << close_took.count() << " ms, the consumer was gone "
              << took.count() << " ms after the close began (close_timeout 2000 ms, "
              << "session.timeout.ms " << session_timeout.count() << ")" << std::endl;
    CHECK(took < std::max(config.close_timeout, session_timeout) + 2000ms);
    std::lock_guard<std::mutex> lock(mutex);
    REQUIRE_FALSE(failed.empty());
    CHECK(failed.front().synchronous);
    CHECK_FALSE(failed.front().offsets.empty());
    for (const auto& o : failed.front().offsets) {
        CHECK(o.topic == topic);
        CHECK(o.offset > 0);
    }
}

TEST_CASE("a callback that throws is caught, logged and reported, and the consumer carries on") {
    TestCluster cluster;
    constexpr int count = 300;
    const auto topic = cluster.create_topic("throwing-callbacks", 2, cluster.replication_factor());
    StreamAudit audit(topic);
    cluster.produce_stream(audit, count);

    auto config = cluster.consumer_config(cluster.group("throwing-callbacks"), topic);
    LogLines log;
    config.on_log = log.hook();
    std::atomic<int> errors_seen{0};
    std::string callback;
    SECTION("on_rebalance, and on_error on the report of it") {
        callback = "ConsumerConfig::on_rebalance";
        config.on_rebalance = [](const relkafka::RebalanceEvent&) {
            throw std::runtime_error("rebalance listener broke");
        };
        config.on_error = [&](const relkafka::Error&) {
            ++errors_seen;
            throw std::runtime_error("error listener broke");
        };
    }
    SECTION("on_commit, also during close()") {
        callback = "ConsumerConfig::on_commit";
        config.on_commit = [](const relkafka::CommitResult&) {
            throw std::logic_error("commit listener broke");
        };
        config.on_error = [&](const relkafka::Error&) { ++errors_seen; };
    }
    HandledLog handled;
    relkafka::ConsumerCounters counters;
    {
        Consumer consumer(config);
        std::atomic<bool> stop{false};
        consumer.run(
            [&](const Record& r) {
                handled.add(r);
                stop = handled.unique() == static_cast<std::size_t>(count);
            },
            stop);
        consumer.close();
        counters = consumer.counters();
    }
    CHECK(handled.missing(count) == 0);
    CHECK(handled.duplicates() == 0);
    CHECK(counters.commits >= 1);
    CHECK(log.contains(callback + " threw"));
    CHECK(errors_seen.load() >= 1);
    if (callback == "ConsumerConfig::on_rebalance") {
        CHECK(log.contains("ConsumerConfig::on_error threw (error listener broke)"));
    }
}

TEST_CASE("close() from another thread while run() is active stops run() and loses nothing") {
    TestCluster cluster;
    constexpr int count = 2000;
    const auto topic = cluster.create_topic("close-elsewhere", 4, cluster.replication_factor());
    StreamAudit audit(topic);
    cluster.produce_stream(audit, count);
    auto config = cluster.consumer_config(cluster.group("close-elsewhere"), topic);
    config.max_batch = 100;

    HandledLog first;
    {
        Consumer consumer(config);
        std::atomic<bool> never{false};
        std::thread runner([&] {
            consumer.run(
                [&](const Record& r) {
                    first.add(r);
                    std::this_thread::sleep_for(100us);  // keeps records in hand when close() comes
                },
                never);
        });
        REQUIRE(relkafka::test::wait_until([&] { return first.total() >= 300; }, 60s));
        consumer.close();  // run() returns first; what it processed is committed
        runner.join();
        CHECK(consumer.closed());
        CHECK_THROWS_AS(consumer.poll(1ms), relkafka::UsageError);
    }
    // The group goes on exactly after what the first member processed.
    HandledLog second;
    {
        Consumer consumer(config);
        consume(consumer, second, [&] { return first.unique() + second.unique() >= count; });
    }
    std::cout << "first member processed " << first.unique() << ", the second "
              << second.unique() << std::endl;
    CHECK(first.duplicates() == 0);
    CHECK(second.duplicates() == 0);
    CHECK(first.unique() + second.unique() == static_cast<std::size_t>(count));
}

TEST_CASE("wakeup() from another thread makes a waiting poll() return at once") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("wakeup", 1, cluster.replication_factor());
    Consumer consumer(cluster.consumer_config(cluster.group("wakeup"), topic));
    std::atomic<bool> returned{false};
    std::size_t records = 1;
    std::thread poller([&] {
        records = consumer.poll(60s).size();
        returned = true;
    });
    const auto start = Clock::now();
    // A wakeup() before poll() waits is kept for it: either way it returns.
    consumer.wakeup();
    const bool woke = relkafka::test::wait_until([&] { return returned.load(); }, 20s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (!woke) {
        consumer.wakeup();  // let the thread end before failing
    }
    poller.join();
    std::cout << "poll(60 s) returned " << took.count() << " ms after wakeup()" << std::endl;
    CHECK(woke);
    CHECK(records == 0);
    CHECK_NOTHROW(consumer.counters());
}

TEST_CASE("close() inside run()'s handler is refused with a clear error") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("close-inside", 1, cluster.replication_factor());
    StreamAudit audit(topic);
    cluster.produce_stream(audit, 10);
    auto config = cluster.consumer_config(cluster.group("close-inside"), topic);
    config.retry = relkafka::ProcessingRetry{1, 0ms};
    std::string refusal;
    config.on_error = [&](const relkafka::Error& e) { refusal = e.message(); };
    Consumer consumer(config);
    std::atomic<bool> stop{false};
    consumer.run(
        [&](const Record&) {
            stop = true;
            consumer.close();
        },
        stop);
    CHECK_FALSE(consumer.closed());
    CHECK_THAT(refusal, Catch::Contains("close() inside poll()/run()"));
    consumer.close();
    CHECK(consumer.closed());
}

TEST_CASE("wait_connected() answers at once from a reachable cluster and names an unreachable one") {
    SECTION("reachable") {
        TestCluster cluster;
        const auto topic = cluster.create_topic("ready", 1, cluster.replication_factor());
        Consumer consumer(cluster.consumer_config(cluster.group("ready"), topic));
        CHECK_FALSE(consumer.wait_connected(10s));
        relkafka::Producer producer(cluster.producer_config());
        CHECK_FALSE(producer.wait_connected(10s));
    }
    SECTION("nothing listens there") {
        relkafka::ConsumerConfig config;
        config.bootstrap_servers = "127.0.0.1:1";
        config.group_id = "never-joins";
        config.topics = {"t"};
        config.overrides["log_level"] = "0";
        config.on_error = [](const relkafka::Error&) {};
        config.close_timeout = 1s;
        Consumer consumer(config);
        const auto start = Clock::now();
        const relkafka::Error error = consumer.wait_connected(500ms);
        CHECK(Clock::now() - start < 5s);
        REQUIRE(error);
        CHECK(error.retriable());
        CHECK_THAT(error.message(), Catch::Contains("127.0.0.1:1") &&
                                        Catch::Contains("check bootstrap_servers"));
        relkafka::ProducerConfig producer_config;
        producer_config.bootstrap_servers = "127.0.0.1:1";
        producer_config.overrides["log_level"] = "0";
        relkafka::Producer producer(producer_config);
        const relkafka::Error producer_error = producer.wait_connected(500ms);
        REQUIRE(producer_error);
        CHECK_THAT(producer_error.message(), Catch::Contains("127.0.0.1:1"));
        (void)producer.close(0ms);
    }
}
