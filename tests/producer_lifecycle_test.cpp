// The producer's lifecycle under misuse and races: calls racing close(),
// calls from inside its own callbacks, destruction inside a callback, empty
// callbacks, moved-from producers. Every message produced gets exactly one
// outcome in each of them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "relkafka/logging.hpp"
#include "relkafka/producer.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::CallbackMode;
using relkafka::Delivery;
using relkafka::Message;
using relkafka::Producer;
using relkafka::UsageError;
using relkafka::test::TestCluster;
using relkafka::test::wait_until;

namespace {

Message text(const std::string& topic, int n) {
    Message m;
    m.topic = topic;
    m.value = "seq=" + std::to_string(n);
    m.partition = 0;
    return m;
}

// How many outcomes each message got, whichever thread reports them.
class Outcomes {
public:
    explicit Outcomes(int count) : times_(static_cast<std::size_t>(count), 0) {}

    relkafka::DeliveryCallback callback(int n) {
        return [this, n](Delivery&& d) { record(n, d); };
    }
    void record(int n, const Delivery& d) {
        std::lock_guard<std::mutex> lock(mutex_);
        ++times_.at(static_cast<std::size_t>(n));
        ++reports_;
        failed_ += d.ok() ? 0 : 1;
        changed_.notify_all();
    }
    bool wait_for(int reports, std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return reports_ >= reports; });
    }
    int reports() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return reports_;
    }
    int failed() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return failed_;
    }
    // Messages among the first `count` without exactly one outcome.
    int not_once(int count) const {
        std::lock_guard<std::mutex> lock(mutex_);
        int wrong = 0;
        for (int n = 0; n < count; ++n) {
            wrong += times_.at(static_cast<std::size_t>(n)) == 1 ? 0 : 1;
        }
        return wrong;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<int> times_;
    int reports_ = 0;
    int failed_ = 0;
};

// The log lines a producer wrote at `level` or above.
class LogLines {
public:
    relkafka::LogCallback hook(relkafka::LogLevel level = relkafka::LogLevel::Info) {
        return [this, level](relkafka::LogLevel at, std::string_view line) {
            if (at >= level) {
                std::lock_guard<std::mutex> lock(mutex_);
                lines_.push_back({at, std::string(line)});
            }
        };
    }
    bool contains(relkafka::LogLevel level, std::string_view text) const {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [at, line] : lines_) {
            if (at == level && line.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

private:
    struct Line {
        relkafka::LogLevel level;
        std::string text;
    };
    mutable std::mutex mutex_;
    std::vector<Line> lines_;
};

// What one thread calling the producer in a loop saw (Catch2's assertions
// are for the test's own thread).
struct Tally {
    std::atomic<int> started{0};        // calls made
    std::atomic<int> calls{0};          // calls that returned or threw
    std::atomic<int> refused{0};        // UsageError naming the closed Producer
    std::atomic<int> sync_outcomes{0};  // send_sync() that returned a Delivery
    std::atomic<int> other_errors{0};   // anything else thrown
};

}  // namespace

// close() used to destroy librdkafka's handle while flush() or send_sync()
// on another thread was still inside it (use of a destroyed mutex under
// ThreadSanitizer, a crash at times). Now close() waits for them.
TEST_CASE("flush and send_sync on other threads during close complete or are refused") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const auto topic = cluster.create_topic("close-race", 1, 1);
    // Slow acknowledgements keep flushes and send_syncs inside the handle.
    cluster.mock()->set_broker_rtt(1, 20ms);
    cluster.mock()->set_broker_rtt(2, 20ms);
    cluster.mock()->set_broker_rtt(3, 20ms);
    const auto mode = GENERATE(CallbackMode::BackgroundThread, CallbackMode::ExplicitPoll);
    auto config = cluster.producer_config();
    config.callbacks = mode;

    constexpr int iterations = 10;
    constexpr int per_iteration = 200;
    for (int iteration = 0; iteration < iterations; ++iteration) {
        INFO("iteration " << iteration);
        Producer producer(config);
        Outcomes outcomes(per_iteration);
        for (int n = 0; n < per_iteration; ++n) {
            producer.send(text(topic, n), outcomes.callback(n));
        }
        Tally flushes, syncs, polls;
        const auto repeat = [&](Tally& tally, const std::function<void()>& call) {
            for (;;) {
                try {
                    ++tally.started;
                    call();
                    ++tally.calls;
                } catch (const UsageError& e) {
                    ++tally.calls;
                    if (std::string_view(e.what()).find("closed Producer") != std::string_view::npos) {
                        ++tally.refused;
                    } else {
                        ++tally.other_errors;
                    }
                    return;
                } catch (...) {
                    ++tally.other_errors;
                    return;
                }
            }
        };
        std::vector<std::thread> threads;
        threads.emplace_back(repeat, std::ref(flushes), [&] { (void)producer.flush(10s); });
        threads.emplace_back(repeat, std::ref(syncs), [&] {
            (void)producer.send_sync(text(topic, -1));
            ++syncs.sync_outcomes;  // ok or failed: either is its one outcome
        });
        if (mode == CallbackMode::ExplicitPoll) {
            threads.emplace_back(repeat, std::ref(polls), [&] { (void)producer.poll(100ms); });
        }
        // Closes once a send_sync came back (the producer is connected), with
        // a flush most likely under way.
        REQUIRE(wait_until([&] { return flushes.started.load() >= 1 && syncs.calls.load() >= 1; },
                           30s));
        const auto handed_back = producer.close(iteration % 2 == 0 ? 0ms : 50ms);
        for (auto& thread : threads) {
            thread.join();
        }

        CHECK(flushes.other_errors == 0);
        CHECK(syncs.other_errors == 0);
        CHECK(polls.other_errors == 0);
        CHECK(flushes.refused == 1);
        CHECK(syncs.refused == 1);
        // Every message sent with a callback has exactly one outcome, and
        // every send_sync that did not throw returned its own.
        CHECK(outcomes.reports() == per_iteration);
        CHECK(outcomes.not_once(per_iteration) == 0);
        const auto c = producer.counters();
        CHECK(c.sent + c.refused ==
              static_cast<std::size_t>(per_iteration + syncs.sync_outcomes.load()));
        CHECK(c.sent == c.delivered + c.timed_out + c.purged + c.fatal + c.other_failures);
        CHECK(producer.in_flight() == 0);
        CHECK(handed_back.size() == c.handed_back);
        CHECK(producer.native_handle() == nullptr);
    }
}

TEST_CASE("a call made after close started is refused and what keeps answering still answers") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("after-close", 1, 1);
    Producer producer(cluster.producer_config());
    REQUIRE(producer.send_sync(text(topic, 0)).ok());
    REQUIRE(producer.close(5s).empty());
    CHECK_THROWS_WITH(producer.flush(1s), Contains("flush() on a closed Producer"));
    CHECK_THROWS_WITH(producer.send_sync(text(topic, 1)), Contains("closed Producer"));
    CHECK_THROWS_WITH(producer.poll(1ms), Contains("poll() on a closed Producer"));
    CHECK_THROWS_WITH(producer.wait_connected(1s), Contains("closed Producer"));
    CHECK(producer.in_flight() == 0);
    CHECK(producer.counters().delivered == 1);
    CHECK_FALSE(producer.fatal_error().has_value());
    CHECK(producer.native_handle() == nullptr);
}

// With ExplicitPoll, close() inside a delivery callback used to free the
// handle while rd_kafka_poll was still running it; flush() and send_sync()
// there waited for themselves. Now all three are refused, in both modes.
TEST_CASE("close flush and send_sync inside a delivery callback throw UsageError") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("inside-callback", 1, 1);
    const auto mode = GENERATE(CallbackMode::BackgroundThread, CallbackMode::ExplicitPoll);
    auto config = cluster.producer_config();
    config.callbacks = mode;
    Producer producer(config);

    std::mutex mutex;
    std::vector<std::string> refusals;
    std::atomic<int> callbacks{0};
    std::atomic<bool> delivered{false};
    const auto refused = [&](const std::function<void()>& call) {
        try {
            call();
            std::lock_guard<std::mutex> lock(mutex);
            refusals.emplace_back("not refused");
        } catch (const UsageError& e) {
            std::lock_guard<std::mutex> lock(mutex);
            refusals.emplace_back(e.what());
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(mutex);
            refusals.emplace_back(std::string("other exception: ") + e.what());
        }
    };
    producer.send(text(topic, 0), [&](Delivery&& d) {
        delivered.store(d.ok());
        refused([&] { (void)producer.close(1s); });
        refused([&] { (void)producer.flush(100ms); });
        refused([&] { (void)producer.send_sync(text(topic, 1)); });
        ++callbacks;
    });
    if (mode == CallbackMode::ExplicitPoll) {
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (callbacks.load() == 0 && std::chrono::steady_clock::now() < until) {
            (void)producer.poll(10ms);
        }
    }
    REQUIRE(wait_until([&] { return callbacks.load() == 1; }, 30s));
    CHECK(delivered.load());
    {
        std::lock_guard<std::mutex> lock(mutex);
        REQUIRE(refusals.size() == 3);
        const char* calls[] = {"close()", "flush()", "send_sync()"};
        for (std::size_t i = 0; i < refusals.size(); ++i) {
            INFO(refusals[i]);
            CHECK_THAT(refusals[i], Contains(calls[i]) &&
                                        Contains("inside one of this Producer's callbacks") &&
                                        Contains("from another thread"));
        }
    }
    // The producer is still whole: it sends and closes as usual.
    CHECK_FALSE(producer.closed());
    const Delivery after = producer.send_sync(text(topic, 2));
    CHECK(after.ok());
    CHECK(producer.close(10s).empty());
    CHECK(producer.counters().sent == 2);
    CHECK(producer.counters().delivered == 2);
}

// Destroying a Producer inside its own delivery callback used to end in
// std::terminate (the callback thread destroyed its own std::thread), or,
// with ExplicitPoll, free the handle under rd_kafka_poll.
TEST_CASE("a Producer destroyed inside its own delivery callback closes once the callback returns") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("destroyed-inside", 1, 1);
    const auto mode = GENERATE(CallbackMode::BackgroundThread, CallbackMode::ExplicitPoll);
    LogLines log;
    auto config = cluster.producer_config();
    config.callbacks = mode;
    config.on_log = log.hook();
    auto producer = std::make_unique<Producer>(config);

    constexpr int count = 200;
    constexpr int destroyer = 50;
    Outcomes outcomes(count);
    std::atomic<bool> all_sent{false};
    std::atomic<bool> destroyed{false};
    std::atomic<bool> waited_for_sender{false};
    for (int n = 0; n < count; ++n) {
        if (n != destroyer) {
            producer->send(text(topic, n), outcomes.callback(n));
            continue;
        }
        producer->send(text(topic, n), [&, n](Delivery&& d) {
            outcomes.record(n, d);
            // The sender must be done with the producer before it goes.
            waited_for_sender.store(wait_until([&] { return all_sent.load(); }, 30s));
            producer.reset();
            destroyed.store(true);
        });
    }
    all_sent.store(true);
    if (mode == CallbackMode::ExplicitPoll) {
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (!destroyed.load() && std::chrono::steady_clock::now() < until) {
            (void)producer->poll(10ms);  // the callback destroys it inside this call
        }
    }
    REQUIRE(wait_until([&] { return destroyed.load(); }, 30s));
    CHECK(waited_for_sender.load());
    // The rest is delivered, or given up by the deferred close: each
    // message once, the callback that destroyed the producer included.
    REQUIRE(outcomes.wait_for(count, 60s));
    CHECK(outcomes.not_once(count) == 0);
    CHECK(log.contains(relkafka::LogLevel::Error, "destroyed inside one of its own callbacks"));
    CHECK(wait_until(
        [&] { return log.contains(relkafka::LogLevel::Info, "destroyed inside its own callback is closed"); },
        60s));
    CHECK(outcomes.reports() == count);
}

// An empty callback used to be accepted, and a failed message then dropped
// silently.
TEST_CASE("an empty delivery callback is refused at the call") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("empty-callback", 1, 1);
    Producer producer(cluster.producer_config());
    CHECK_THROWS_WITH(producer.send(text(topic, 0), relkafka::DeliveryCallback()),
                      Contains("delivery callback is empty"));
    relkafka::MessageView view;
    view.topic = topic;
    view.value = std::string_view("seq=1");
    CHECK_THROWS_AS(producer.send(view, relkafka::DeliveryCallback()), UsageError);
    CHECK(producer.counters().sent == 0);
    CHECK(producer.counters().refused == 0);
    CHECK(producer.in_flight() == 0);
    CHECK(producer.close(5s).empty());
}

// A moved-from Producer used to be half closed: some calls threw, while
// in_flight() said 0 and close() returned nothing.
TEST_CASE("a moved-from Producer refuses every call but destruction and assignment") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("moved-from", 1, 1);
    Producer moved_from(cluster.producer_config());
    Producer owner(std::move(moved_from));

    const auto moved = Contains("on a moved-from Producer");
    CHECK_THROWS_WITH(moved_from.send(text(topic, 0), [](Delivery&&) {}), moved);
    CHECK_THROWS_WITH(moved_from.send(text(topic, 0)), moved);
    CHECK_THROWS_WITH(moved_from.send_sync(text(topic, 0)), moved);
    CHECK_THROWS_WITH(moved_from.flush(1s), moved);
    CHECK_THROWS_WITH(moved_from.close(1s), moved);
    CHECK_THROWS_WITH(moved_from.poll(1ms), moved);
    CHECK_THROWS_WITH(moved_from.in_flight(), moved);
    CHECK_THROWS_WITH(moved_from.counters(), moved);
    CHECK_THROWS_WITH(moved_from.fatal_error(), moved);
    CHECK_THROWS_WITH(moved_from.wait_connected(1s), moved);
    // The two that cannot throw say there is nothing there.
    CHECK(moved_from.closed());
    CHECK(moved_from.native_handle() == nullptr);

    // Assigned to, it is a producer again.
    moved_from = Producer(cluster.producer_config());
    CHECK_FALSE(moved_from.closed());
    CHECK(moved_from.send_sync(text(topic, 1)).ok());
    CHECK(owner.send_sync(text(topic, 2)).ok());
    CHECK(moved_from.in_flight() == 0);
    CHECK(moved_from.close(5s).empty());
    CHECK(owner.close(5s).empty());
}
