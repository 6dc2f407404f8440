#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "relkafka/producer.hpp"
#include "relkafka/testing/stream_audit.hpp"
#include "relkafka/testing/topic_reader.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::Delivery;
using relkafka::ErrorCode;
using relkafka::Message;
using relkafka::Producer;
using relkafka::testing::read_topic;
using relkafka::testing::StreamAudit;
using relkafka::test::TestCluster;

namespace {

Message text(const std::string& topic, std::string value, std::int32_t partition = 0) {
    Message m;
    m.topic = topic;
    m.value = std::move(value);
    m.partition = partition;
    return m;
}

}  // namespace

TEST_CASE("send_sync returns the offset the record was written at") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("sync", 1, 1);
    Producer producer(cluster.producer_config());

    for (std::int64_t expected = 0; expected < 3; ++expected) {
        const Delivery d = producer.send_sync(text(topic, "v" + std::to_string(expected)));
        REQUIRE(d.ok());
        CHECK(d.partition == 0);
        CHECK(d.offset == expected);
        CHECK(d.timestamp.has_value());
        CHECK(d.persistence == relkafka::Persistence::Persisted);
        CHECK(d.topic == topic);
        CHECK_FALSE(d.message.value.has_value());  // no copy is kept once delivered
    }
    const auto log = read_topic(cluster.bootstrap_servers(), topic);
    REQUIRE(log.size() == 3);
    for (const auto& r : log) {
        CHECK(r.value() == "v" + std::to_string(r.offset()));
    }
}

TEST_CASE("send with a future reports the delivery") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("future", 2, 1);
    Producer producer(cluster.producer_config());

    auto first = producer.send(text(topic, "a", 1));
    auto second = producer.send(text(topic, "b", 1));
    const Delivery a = first.get();
    const Delivery b = second.get();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a.partition == 1);
    CHECK(b.offset == a.offset + 1);
}

TEST_CASE("a delivery future waits, times out, and is read once") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("future-api", 1, 1);
    auto config = cluster.producer_config();
    config.callbacks = relkafka::CallbackMode::ExplicitPoll;  // nothing completes until poll()
    Producer producer(std::move(config));

    relkafka::DeliveryFuture future = producer.send(text(topic, "x"));
    REQUIRE(future.valid());
    CHECK_FALSE(future.ready());
    CHECK(future.wait_for(20ms) == std::future_status::timeout);
    CHECK(future.wait_until(std::chrono::steady_clock::now()) == std::future_status::timeout);

    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!future.ready() && std::chrono::steady_clock::now() < deadline) {
        producer.poll(10ms);
    }
    CHECK(future.wait_for(std::chrono::hours::max()) == std::future_status::ready);
    const Delivery d = future.get();
    CHECK(d.ok());
    CHECK(d.offset == 0);
    CHECK_FALSE(future.valid());
    CHECK_THROWS_WITH(future.get(), Contains("DeliveryFuture::get() on a future with no state"));
    CHECK_THROWS_AS(relkafka::DeliveryFuture().wait(), relkafka::UsageError);
}

TEST_CASE("threads waiting on their futures each get their own delivery") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("future-threads", 4, 1);
    Producer producer(cluster.producer_config());
    constexpr int threads = 4;
    constexpr int per_thread = 250;
    std::atomic<int> wrong{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < threads; ++t) {
        senders.emplace_back([&, t] {
            for (int n = 0; n < per_thread; ++n) {
                // Every thread blocks in get() while the others complete.
                const Delivery d = producer.send(text(topic, std::to_string(n), t)).get();
                wrong += (d.ok() && d.partition == t && d.offset == n) ? 0 : 1;
            }
        });
    }
    for (auto& s : senders) {
        s.join();
    }
    CHECK(wrong == 0);
}

TEST_CASE("delivered messages are released even when nothing more is sent") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("released", 4, 1);
    Producer producer(cluster.producer_config());
    std::atomic<int> reported{0};
    for (int n = 0; n < 2000; ++n) {
        producer.send(text(topic, std::to_string(n), n % 4), [&](Delivery&& d) {
            CHECK(d.ok());
            ++reported;
        });
    }
    REQUIRE(relkafka::test::wait_until([&] { return reported == 2000; }, 30s));
    // Reported messages may wait for a sender to free them; with no sender,
    // the callback thread frees them itself: librdkafka holds none of them.
    CHECK(relkafka::test::wait_until(
        [&] { return rd_kafka_outq_len(producer.native_handle()) == 0; }, 5s));
    CHECK(producer.in_flight() == 0);
}

TEST_CASE("send with a callback reports each message exactly once") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("callbacks", 4, 1);
    Producer producer(cluster.producer_config());
    StreamAudit audit(topic);

    constexpr int count = 5000;
    for (int n = 0; n < count; ++n) {
        producer.send(audit.message(n), audit.on_delivery(n));
    }
    REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);
    CHECK(producer.in_flight() == 0);
    CHECK(audit.reports() == count);

    const auto result = audit.check(read_topic(cluster.bootstrap_servers(), topic));
    INFO(result.line());
    CHECK(result.clean());
    CHECK(result.delivered == count);
}

TEST_CASE("key, value, headers, partition and timestamp arrive as sent") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("fields", 3, 1);
    Producer producer(cluster.producer_config());

    const relkafka::Timestamp when{std::chrono::milliseconds(1700000000123)};
    Message full;
    full.topic = topic;
    full.key = "order-17";
    full.value = std::string("bin\0ary", 7);
    full.headers = {{"trace", "abc"}, {"trace", "def"}, {"empty", ""}};
    full.partition = 2;
    full.timestamp = when;
    REQUIRE(producer.send_sync(full).ok());

    Message tombstone;
    tombstone.topic = topic;
    tombstone.key = "order-17";
    tombstone.partition = 2;
    REQUIRE(producer.send_sync(tombstone).ok());

    const auto log = read_topic(cluster.bootstrap_servers(), topic);
    REQUIRE(log.size() == 2);
    CHECK(log[0].partition() == 2);
    CHECK(log[0].key() == full.key);
    CHECK(log[0].value() == full.value);
    CHECK(log[0].headers() == full.headers);
    CHECK(log[0].header("trace") == "def");  // the last of a repeated name
    CHECK(log[0].header("empty") == "");
    CHECK_FALSE(log[0].header("missing").has_value());
    CHECK(log[0].timestamp() == when);
    CHECK(log[1].key() == "order-17");
    CHECK_FALSE(log[1].value().has_value());
}

TEST_CASE("a message larger than message.max.bytes is rejected and nothing else is affected") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("oversized", 4, 1);
    auto config = cluster.producer_config();
    config.overrides["message.max.bytes"] = "10000";
    Producer producer(std::move(config));
    StreamAudit audit(topic);

    constexpr int count = 200, oversized = 100;
    std::optional<Delivery> rejected;
    for (int n = 0; n < count; ++n) {
        Message m = audit.message(n);
        if (n != oversized) {
            producer.send(std::move(m), audit.on_delivery(n));
            continue;
        }
        m.headers.push_back({"padding", std::string(20000, 'x')});
        producer.send(std::move(m), [&](Delivery&& d) {
            audit.record(n, d);
            rejected = std::move(d);
        });
        // Rejected before it was queued: reported before send() returned.
        REQUIRE(rejected.has_value());
    }
    REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);

    CHECK(rejected->error.code() == ErrorCode::MsgSizeTooLarge);
    CHECK_THAT(rejected->error.message(), Contains("message.max.bytes = 10000") &&
                                              Contains("exceeds") && Contains(topic));
    CHECK_FALSE(rejected->error.retriable());
    CHECK(rejected->message.headers.back().value.size() == 20000);  // handed back whole

    const auto result = audit.check(read_topic(cluster.bootstrap_servers(), topic));
    INFO(result.line());
    CHECK(result.clean());
    CHECK(result.failed == 1);
    CHECK(result.delivered == count - 1);
}

TEST_CASE("a full queue with FailFast fails the message at once naming the policy") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("failfast", 1, 1);
    auto config = cluster.producer_config();
    config.backpressure.on_full = relkafka::QueueFullAction::FailFast;
    config.backpressure.max_messages = 10;
    config.overrides["linger.ms"] = "60000";  // nothing leaves the queue until flushed
    Producer producer(std::move(config));
    StreamAudit audit(topic);

    for (int n = 0; n < 11; ++n) {
        producer.send(audit.message(n), audit.on_delivery(n));
    }
    REQUIRE(audit.failures().size() == 1);
    const Delivery full = audit.failures().front();
    CHECK(full.error.code() == ErrorCode::QueueFull);
    CHECK(full.error.retriable());
    CHECK_THAT(full.error.message(), Contains("max_messages = 10") && Contains("FailFast"));
    CHECK(StreamAudit::sequence_of(full.message.value) == 10);

    REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);
    const auto result = audit.check(read_topic(cluster.bootstrap_servers(), topic));
    INFO(result.line());
    CHECK(result.clean());
    CHECK(result.delivered == 10);
}

TEST_CASE("a full queue with Block waits for room") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("block", 2, 1);
    auto config = cluster.producer_config();
    config.backpressure.on_full = relkafka::QueueFullAction::Block;
    config.backpressure.max_messages = 5;

    SECTION("and sends everything once room frees") {
        config.backpressure.max_block = 30s;
        Producer producer(std::move(config));
        StreamAudit audit(topic);
        for (int n = 0; n < 300; ++n) {
            producer.send(audit.message(n), audit.on_delivery(n));
        }
        REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);
        const auto result = audit.check(read_topic(cluster.bootstrap_servers(), topic));
        INFO(result.line());
        CHECK(result.clean());
        CHECK(result.delivered == 300);
    }
    SECTION("and gives up after max_block") {
        config.backpressure.max_block = 300ms;
        config.overrides["linger.ms"] = "60000";
        Producer producer(std::move(config));
        StreamAudit audit(topic);
        for (int n = 0; n < 5; ++n) {
            producer.send(audit.message(n), audit.on_delivery(n));
        }
        const auto started = std::chrono::steady_clock::now();
        const Delivery d = producer.send_sync(audit.message(5));
        CHECK(std::chrono::steady_clock::now() - started >= 300ms);
        CHECK(d.error.code() == ErrorCode::QueueFull);
        CHECK_THAT(d.error.message(), Contains("max_block = 300 ms"));
        CHECK(producer.close(30s).empty());  // the five queued ones are delivered
        CHECK(audit.reports() == 5);
        CHECK(audit.failures().empty());
    }
}

TEST_CASE("with ExplicitPoll callbacks run only inside poll() on the polling thread") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("explicit", 1, 1);
    auto config = cluster.producer_config();
    config.callbacks = relkafka::CallbackMode::ExplicitPoll;
    Producer producer(std::move(config));

    std::vector<std::thread::id> callback_threads;
    for (int n = 0; n < 10; ++n) {
        producer.send(text(topic, std::to_string(n)),
                      [&](Delivery&& d) {
                          CHECK(d.ok());
                          callback_threads.push_back(std::this_thread::get_id());
                      });
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (callback_threads.size() < 10 && std::chrono::steady_clock::now() < deadline) {
        producer.poll(10ms);
    }
    CHECK(callback_threads.size() == 10);
    for (const auto& id : callback_threads) {
        CHECK(id == std::this_thread::get_id());
    }
    SECTION("send_sync polls for itself") {
        const Delivery d = producer.send_sync(text(topic, "sync"));
        CHECK(d.ok());
        CHECK(d.offset == 10);
    }
}

TEST_CASE("a closed producer refuses sends with a clear error") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("closed", 1, 1);
    Producer producer(cluster.producer_config());
    REQUIRE(producer.send_sync(text(topic, "before")).ok());
    CHECK(producer.close(10s).empty());
    CHECK(producer.closed());
    CHECK_THROWS_AS(producer.send(text(topic, "after")), relkafka::UsageError);
    CHECK_THROWS_WITH(producer.send_sync(text(topic, "after")), Contains("closed Producer"));
    CHECK_THROWS_WITH(producer.flush(1s), Contains("closed Producer"));
    CHECK(producer.close(1s).empty());  // closing twice is harmless

    SECTION("as does a moved-from one") {
        Producer moved_from(cluster.producer_config());
        Producer owner(std::move(moved_from));
        CHECK(moved_from.closed());
        CHECK_THROWS_WITH(moved_from.send(text(topic, "x")), Contains("moved-from Producer"));
        CHECK(owner.send_sync(text(topic, "through the new owner")).ok());
    }
}

TEST_CASE("close while other threads send: every accepted message is reported once") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("close-race", 4, 1);
    Producer producer(cluster.producer_config());
    StreamAudit audit(topic);

    constexpr int senders = 4, per_sender = 20000;
    std::atomic<int> accepted{0}, refused{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < senders; ++t) {
        threads.emplace_back([&, t] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            for (int i = 0; i < per_sender; ++i) {
                try {
                    producer.send(audit.message(t * per_sender + i), audit.on_delivery(t * per_sender + i));
                    ++accepted;
                } catch (const relkafka::UsageError&) {
                    ++refused;
                }
            }
        });
    }
    go.store(true);
    REQUIRE(relkafka::test::wait_until([&] { return accepted.load() > 1000; }, 30s));
    const auto handed_back = producer.close(0ms);  // give up at once on what is queued
    for (auto& thread : threads) {
        thread.join();
    }

    INFO("accepted " << accepted << ", refused after close " << refused << ", handed back "
                     << handed_back.size());
    CHECK(accepted + refused == senders * per_sender);
    CHECK(audit.reports() == static_cast<std::size_t>(accepted.load()));
    CHECK(handed_back.size() == audit.failures().size());
    // Refused sends threw to their caller: they are the only messages with
    // no report, and none of them reached the log. (Order is not checked:
    // the threads' streams interleave.)
    const auto result = audit.check(read_topic(cluster.bootstrap_servers(), topic));
    INFO(result.line());
    CHECK(result.delivered + result.failed == static_cast<std::size_t>(accepted.load()));
    CHECK(result.unreported == static_cast<std::size_t>(refused.load()));
    CHECK(result.lost == static_cast<std::size_t>(refused.load()));
    CHECK(result.reported_twice == 0);
    CHECK(result.duplicated == 0);
    CHECK(result.misplaced == 0);
}

namespace {

// A view of `m` whose bytes live in `scratch`, which the caller overwrites
// once the send has returned.
relkafka::MessageView view_in(const Message& m, std::string& scratch) {
    scratch = m.topic + m.key.value_or("") + m.value.value_or("");
    const std::string_view bytes(scratch);
    relkafka::MessageView view;
    view.topic = bytes.substr(0, m.topic.size());
    if (m.key) {
        view.key = bytes.substr(m.topic.size(), m.key->size());
    }
    if (m.value) {
        view.value = bytes.substr(m.topic.size() + m.key.value_or("").size());
    }
    view.headers = m.headers;
    view.partition = m.partition;
    view.timestamp = m.timestamp;
    return view;
}

}  // namespace

TEST_CASE("a message view's bytes are copied before send returns, with every kind of send") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("views", 4, 1);
    Producer producer(cluster.producer_config());
    StreamAudit audit(topic);

    constexpr int count = 300;
    std::string scratch;
    std::vector<relkafka::DeliveryFuture> futures;
    for (int n = 0; n < count; ++n) {
        Message m = audit.message(n);
        m.headers = {{"n", std::to_string(n)}};
        const relkafka::MessageView view = view_in(m, scratch);
        switch (n % 3) {
            case 0: producer.send(view, audit.on_delivery(n)); break;
            case 1: futures.push_back(producer.send(view)); break;
            default: audit.record(n, producer.send_sync(view)); break;
        }
        scratch.assign(scratch.size(), '#');  // the caller reuses its buffer
        m.headers.front().value = "overwritten";
    }
    for (std::size_t i = 0; i < futures.size(); ++i) {
        audit.record(static_cast<std::int64_t>(3 * i + 1), futures[i].get());
    }
    REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);

    const auto log = read_topic(cluster.bootstrap_servers(), topic);
    const auto result = audit.check(log);
    INFO(result.line());
    CHECK(result.clean());
    CHECK(result.delivered == count);
    for (const auto& record : log) {
        const auto n = StreamAudit::sequence_of(record.value());
        CHECK(record.header("n") == std::to_string(n));
    }
}

TEST_CASE("a message view that cannot be queued comes back as an owning message") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("view-refused", 2, 1);
    auto config = cluster.producer_config();
    config.overrides["message.max.bytes"] = "10000";
    Producer producer(std::move(config));

    const std::string key = "order-17";
    const std::string value(20000, 'v');
    const std::vector<relkafka::Header> headers = {{"trace", "abc"}, {"trace", "def"}};
    relkafka::MessageView view;
    view.topic = topic;
    view.key = key;
    view.value = value;
    view.headers = headers;
    view.partition = 1;
    view.timestamp = relkafka::Timestamp(std::chrono::milliseconds(1700000000123));

    std::optional<Delivery> rejected;
    producer.send(view, [&](Delivery&& d) { rejected = std::move(d); });
    REQUIRE(rejected.has_value());
    CHECK(rejected->error.code() == ErrorCode::MsgSizeTooLarge);
    CHECK_THAT(rejected->error.message(), Contains("20024 bytes") && Contains(topic));
    CHECK(rejected->topic == topic);
    const Message& back = rejected->message;
    CHECK(back.topic == topic);
    CHECK(back.key == key);
    CHECK(back.value == value);
    CHECK(back.headers == headers);
    CHECK(back.partition == 1);
    CHECK(back.timestamp == view.timestamp);

    const Delivery sync = producer.send_sync(view);
    CHECK(sync.error.code() == ErrorCode::MsgSizeTooLarge);
    CHECK(sync.message.value == value);
    CHECK(producer.counters().refused == 2);
}

TEST_CASE("each callback gets a whole Delivery, whatever the previous callback did with its own") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("reused-delivery-with-a-long-topic-name", 2, 1);
    Producer producer(cluster.producer_config());

    constexpr int count = 2000;
    std::mutex mutex;
    std::vector<Delivery> kept;
    for (int n = 0; n < count; ++n) {
        producer.send(text(topic, "v" + std::to_string(n), n % 2), [&, n](Delivery&& d) {
            std::lock_guard<std::mutex> lock(mutex);
            if (n % 3 == 0) {
                kept.push_back(std::move(d));  // leaves d moved-from
            } else {
                kept.push_back(d);
                d.topic.clear();  // a callback may also scribble on it
                d.error = relkafka::Error(ErrorCode::Fail, "scribbled");
                d.message.value = "scribbled";
            }
        });
    }
    REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);

    REQUIRE(kept.size() == count);
    std::set<std::pair<std::int32_t, std::int64_t>> positions;
    for (const Delivery& d : kept) {
        CHECK(d.ok());
        CHECK(d.topic == topic);
        CHECK((d.partition == 0 || d.partition == 1));
        CHECK(d.timestamp.has_value());
        CHECK_FALSE(d.message.value.has_value());
        positions.emplace(d.partition, d.offset);
    }
    CHECK(positions.size() == count);  // every report its own record
}

TEST_CASE("futures name their own topic, among several long names, after their producer is gone") {
    TestCluster cluster;
    // Longer than std::string's inline buffer: the names futures refer to.
    const std::vector<std::string> topics = {
        cluster.create_topic("futures-orders-settled-v1", 2, 1),
        cluster.create_topic("futures-payments-refunded-v2", 2, 1),
        cluster.create_topic("futures-x", 1, 1),  // a short one among them
    };
    constexpr int count = 900;
    std::vector<relkafka::DeliveryFuture> futures;
    std::vector<Delivery> from_callbacks(count);
    relkafka::DeliveryFuture refused;
    {
        Producer producer(cluster.producer_config());
        for (int n = 0; n < count; ++n) {
            const std::string& topic = topics[static_cast<std::size_t>(n) % topics.size()];
            if (n % 5 == 4) {
                // Callbacks that take their Delivery share the callback thread's
                // reused one with the futures' outcomes.
                producer.send(text(topic, std::to_string(n), 0),
                              [&from_callbacks, n](Delivery&& d) { from_callbacks[n] = std::move(d); });
            } else {
                futures.push_back(producer.send(text(topic, std::to_string(n), 0)));
            }
        }
        Message too_large = text(topics[0], std::string(2 * 1024 * 1024, 'x'));
        refused = producer.send(std::move(too_large));
    }  // the producer is closed and destroyed before any get()

    std::map<std::string, std::set<std::int64_t>> offsets;
    int next = 0;
    for (auto& future : futures) {
        while (next % 5 == 4) {
            ++next;
        }
        const Delivery d = future.get();
        const std::string& expected = topics[static_cast<std::size_t>(next) % topics.size()];
        REQUIRE(d.ok());
        CHECK(d.topic == expected);
        CHECK(d.partition == 0);
        CHECK(d.timestamp.has_value());
        CHECK(d.persistence == relkafka::Persistence::Persisted);
        CHECK_FALSE(d.message.value.has_value());
        offsets[d.topic].insert(d.offset);
        ++next;
    }
    for (int n = 4; n < count; n += 5) {
        const Delivery& d = from_callbacks[static_cast<std::size_t>(n)];
        CHECK(d.ok());
        CHECK(d.topic == topics[static_cast<std::size_t>(n) % topics.size()]);
        offsets[d.topic].insert(d.offset);
    }
    // Every message its own record: offsets 0..n-1 in each topic.
    for (const auto& topic : topics) {
        const auto& seen = offsets[topic];
        CHECK(seen.size() == count / topics.size());
        CHECK(*seen.rbegin() == static_cast<std::int64_t>(seen.size()) - 1);
    }

    const Delivery failed = refused.get();
    CHECK(failed.error.code() == ErrorCode::MsgSizeTooLarge);
    CHECK(failed.topic == topics[0]);
    REQUIRE(failed.message.value.has_value());
    CHECK(failed.message.value->size() == 2 * 1024 * 1024);  // handed back whole
}

// A delivery callback that throws used to end the process (std::terminate),
// losing every report still queued. Now it is the callback's one report.
TEST_CASE("a delivery callback that throws is logged and reported, and every message is still "
          "reported") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("throwing-delivery", 4, 1);
    auto config = cluster.producer_config();
    std::mutex mutex;
    std::vector<std::string> error_lines;
    config.on_log = [&](relkafka::LogLevel level, std::string_view line) {
        if (level == relkafka::LogLevel::Error) {
            std::lock_guard<std::mutex> lock(mutex);
            error_lines.emplace_back(line);
        }
    };
    std::atomic<int> reported_to_on_error{0};
    config.on_error = [&](const relkafka::Error& e) {
        if (e.message().find("a delivery callback") != std::string::npos) {
            ++reported_to_on_error;
        }
    };
    const auto mode = GENERATE(relkafka::CallbackMode::BackgroundThread,
                               relkafka::CallbackMode::ExplicitPoll);
    config.callbacks = mode;
    Producer producer(config);
    StreamAudit audit(topic);

    constexpr int count = 1000;
    std::atomic<int> calls{0};
    for (int n = 0; n < count; ++n) {
        auto on_delivery = audit.on_delivery(n);
        producer.send(audit.message(n), [&calls, n, on_delivery](Delivery&& d) {
            ++calls;
            on_delivery(std::move(d));
            if (n % 10 == 0) {
                throw std::runtime_error("listener broke on message " + std::to_string(n));
            }
        });
    }
    if (mode == relkafka::CallbackMode::ExplicitPoll) {
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (calls.load() < count && std::chrono::steady_clock::now() < until) {
            producer.poll(100ms);
        }
    }
    REQUIRE(producer.flush(30s).code() == ErrorCode::NoError);
    CHECK(calls.load() == count);
    CHECK(audit.reports() == count);
    CHECK(reported_to_on_error.load() == count / 10);
    {
        std::lock_guard<std::mutex> lock(mutex);
        REQUIRE(error_lines.size() == static_cast<std::size_t>(count / 10));
        CHECK_THAT(error_lines.front(), Contains("a delivery callback") &&
                                            Contains("threw (listener broke on message"));
    }
    const auto result = audit.check(read_topic(cluster.bootstrap_servers(), topic));
    INFO(result.line());
    CHECK(result.clean());
    CHECK(result.delivered == count);
}
