#include <catch2/catch.hpp>

#include "relkafka/producer.hpp"

#include <string>

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::Acks;
using relkafka::ConfigError;
using relkafka::Idempotence;
using relkafka::Producer;
using relkafka::ProducerConfig;

namespace {

// Valid and never connected to: validation happens before any connection.
ProducerConfig valid_config() {
    ProducerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.overrides["log_level"] = "0";
    return config;
}

}  // namespace

TEST_CASE("the default producer config is the safe one") {
    const ProducerConfig config;
    CHECK(config.acks == Acks::All);
    CHECK(config.idempotence == Idempotence::Enabled);
    CHECK(config.retry.retries > 0);
    CHECK(config.retry.max_in_flight <= 5);
    CHECK(config.backpressure.on_full == relkafka::QueueFullAction::Block);
    CHECK_NOTHROW(Producer(valid_config()));
}

TEST_CASE("a producer needs bootstrap servers") {
    auto config = valid_config();
    config.bootstrap_servers.clear();
    CHECK_THROWS_AS(Producer(config), ConfigError);
    CHECK_THROWS_WITH(Producer(config), Contains("bootstrap_servers is empty"));
}

TEST_CASE("idempotence requires acks=all") {
    auto config = valid_config();
    SECTION("leader only") { config.acks = Acks::Leader; }
    SECTION("none") { config.acks = Acks::None; }
    CHECK_THROWS_WITH(Producer(config), Contains("ProducerConfig::idempotence") &&
                                            Contains("ProducerConfig::acks") &&
                                            Contains("set acks to Acks::All"));
}

TEST_CASE("idempotence allows at most 5 requests in flight") {
    auto config = valid_config();
    config.retry.max_in_flight = 6;
    CHECK_THROWS_WITH(Producer(config), Contains("ProducerConfig::idempotence") &&
                                            Contains("max_in_flight = 6") &&
                                            Contains("5 or less"));
    config.retry.max_in_flight = 5;
    CHECK_NOTHROW(Producer(config));
}

TEST_CASE("idempotence needs retries") {
    auto config = valid_config();
    config.retry.retries = 0;
    CHECK_THROWS_WITH(Producer(config), Contains("ProducerConfig::idempotence") &&
                                            Contains("ProducerConfig::retry.retries = 0"));
}

TEST_CASE("retries without idempotence must not reorder") {
    auto config = valid_config();
    config.idempotence = Idempotence::Disabled;
    config.retry.retries = 3;
    config.retry.max_in_flight = 5;
    CHECK_THROWS_WITH(Producer(config), Contains("Idempotence = Disabled") ||
                                            Contains("idempotence = Disabled"));
    CHECK_THROWS_WITH(Producer(config), Contains("max_in_flight to 1"));

    SECTION("one request in flight keeps order") {
        config.retry.max_in_flight = 1;
        CHECK_NOTHROW(Producer(config));
    }
    SECTION("no retries cannot reorder") {
        config.retry.retries = 0;
        CHECK_NOTHROW(Producer(config));
    }
}

TEST_CASE("out-of-range policy values are rejected") {
    auto config = valid_config();
    std::string expected;
    SECTION("negative retries") {
        config.retry.retries = -1;
        expected = "retry.retries = -1";
    }
    SECTION("zero backoff") {
        config.retry.backoff = 0ms;
        expected = "retry.backoff = 0 ms";
    }
    SECTION("zero delivery timeout") {
        config.retry.delivery_timeout = 0ms;
        expected = "retry.delivery_timeout = 0 ms";
    }
    SECTION("zero requests in flight") {
        config.retry.max_in_flight = 0;
        expected = "retry.max_in_flight = 0";
    }
    SECTION("empty queue") {
        config.backpressure.max_messages = 0;
        expected = "backpressure.max_messages = 0";
    }
    SECTION("negative block time") {
        config.backpressure.max_block = -1ms;
        expected = "backpressure.max_block = -1 ms";
    }
    CHECK_THROWS_WITH(Producer(config), Contains(expected));
}

TEST_CASE("an unknown librdkafka property is an error, not a warning") {
    auto config = valid_config();
    config.overrides["linger.msec"] = "5";
    CHECK_THROWS_AS(Producer(config), ConfigError);
    CHECK_THROWS_WITH(Producer(config), Contains("unknown librdkafka property \"linger.msec\"") &&
                                            Contains("No such configuration property"));
}

TEST_CASE("a bad librdkafka value names the property and librdkafka's reason") {
    auto config = valid_config();
    config.overrides["linger.ms"] = "soon";
    CHECK_THROWS_WITH(Producer(config), Contains("invalid value \"soon\"") && Contains("linger.ms") &&
                                            Contains("Invalid value"));
}

TEST_CASE("overrides may not set a property a policy owns") {
    auto config = valid_config();
    std::string key, owner;
    SECTION("acks") { key = "acks", owner = "ProducerConfig::acks"; }
    SECTION("acks by its alias") { key = "request.required.acks", owner = "ProducerConfig::acks"; }
    SECTION("idempotence") { key = "enable.idempotence", owner = "ProducerConfig::idempotence"; }
    SECTION("delivery timeout by its alias") {
        key = "message.timeout.ms", owner = "ProducerConfig::retry.delivery_timeout";
    }
    SECTION("in-flight requests") {
        key = "max.in.flight.requests.per.connection", owner = "ProducerConfig::retry.max_in_flight";
    }
    config.overrides[key] = "1";
    CHECK_THROWS_WITH(Producer(config), Contains("overrides[\"" + key + "\"]") && Contains(owner));
}

// delivery.report.only.error=true used to be accepted: 0 of 100 callbacks
// fired, send_sync() never returned and close(1 s) took 10 s.
TEST_CASE("overrides may not change how deliveries are reported or ordered") {
    auto config = valid_config();
    std::string key, value = "true", reason;
    SECTION("success reports turned off") {
        key = "delivery.report.only.error", reason = "report successful deliveries too";
    }
    SECTION("LIFO queuing") { key = "queuing.strategy", value = "lifo", reason = "out of the order"; }
    SECTION("gapless guarantee") { key = "enable.gapless.guarantee", reason = "fatal error"; }
    SECTION("transactions") {
        key = "transactional.id", value = "tx-1", reason = "TransactionalConfig::transactional_id";
    }
    SECTION("the opaque pointer") { key = "opaque", value = "0", reason = "opaque pointer"; }
    SECTION("the event mask") { key = "enabled_events", value = "0", reason = "delivery reports"; }
    SECTION("a background event callback") {
        key = "background_event_cb", value = "0", reason = "delivery reports";
    }
    SECTION("librdkafka's unit-test hook") {
        key = "ut_handle_ProduceResponse", value = "x", reason = "call as a function";
    }
    SECTION("librdkafka's internal mock") {
        key = "test.mock.num.brokers", value = "1", reason = "MockCluster";
    }
    config.overrides[key] = value;
    CHECK_THROWS_AS(Producer(config), ConfigError);
    CHECK_THROWS_WITH(Producer(config), Contains("overrides[\"" + key + "\"]") && Contains(reason) &&
                                            Contains("remove it from overrides"));
}

TEST_CASE("transaction settings belong to a TransactionalProducer") {
    auto config = valid_config();
    config.overrides["transaction.timeout.ms"] = "60000";
    CHECK_THROWS_WITH(Producer(config), Contains(R"(overrides["transaction.timeout.ms"])") &&
                                            Contains("TransactionalConfig::transaction_timeout"));
}

// librdkafka strips "topic." and sets the topic-level property: "topic.acks"
// used to give acks=0 under Acks::All.
TEST_CASE("an owned property is refused under librdkafka's topic prefix too") {
    auto config = valid_config();
    config.idempotence = Idempotence::Disabled;
    config.retry.retries = 0;
    CHECK_NOTHROW(Producer(config));
    std::string key, owner;
    SECTION("acks") { key = "topic.acks", owner = "ProducerConfig::acks"; }
    SECTION("acks by its alias") { key = "topic.request.required.acks", owner = "ProducerConfig::acks"; }
    SECTION("delivery timeout") {
        key = "topic.message.timeout.ms", owner = "ProducerConfig::retry.delivery_timeout";
    }
    SECTION("queuing strategy") { key = "topic.queuing.strategy", owner = "Producer"; }
    config.overrides[key] = "0";
    CHECK_THROWS_WITH(Producer(config), Contains("overrides[\"" + key + "\"]") && Contains(owner));
}

TEST_CASE("librdkafka's own refusals are passed through") {
    auto config = valid_config();
    config.retry.delivery_timeout = 100ms;
    config.overrides["linger.ms"] = "500";  // must be below the delivery timeout
    CHECK_THROWS_WITH(Producer(config), Contains("librdkafka refused") && Contains("linger.ms"));
}

// "" and "bad topic!" used to be queued (a cluster that auto-creates topics
// took them).
TEST_CASE("a send to an invalid topic name is handed back at once naming the problem") {
    Producer producer(valid_config());
    std::string topic, problem;
    SECTION("empty") { topic = "", problem = "it is empty"; }
    SECTION("a space and a bang") { topic = "bad topic!", problem = "only ASCII letters, digits"; }
    SECTION("a NUL") { topic = std::string("orders\0x", 8), problem = "only ASCII letters, digits"; }
    SECTION("non-ASCII") { topic = "ordres-\xc3\xa9t\xc3\xa9", problem = "only ASCII letters, digits"; }
    SECTION("a single dot") { topic = ".", problem = "are not topic names"; }
    SECTION("two dots") { topic = "..", problem = "are not topic names"; }
    SECTION("250 characters") { topic = std::string(250, 'a'), problem = "longer than 249"; }

    int calls = 0;
    relkafka::Delivery outcome;
    relkafka::Message message;
    message.topic = topic;
    message.value = "payload";
    producer.send(std::move(message), [&](relkafka::Delivery&& d) {
        ++calls;
        outcome = std::move(d);
    });
    CHECK(calls == 1);  // before send() returned
    CHECK(outcome.error.code() == relkafka::ErrorCode::InvalidArg);
    CHECK_THAT(outcome.error.message(), Contains("not a valid topic name") && Contains(problem));
    CHECK(outcome.message.value == "payload");  // handed back, not lost
    CHECK(producer.counters().refused == 1);

    relkafka::Message again;
    again.topic = topic;
    relkafka::DeliveryFuture future = producer.send(std::move(again));
    REQUIRE(future.ready());
    CHECK(future.get().error.code() == relkafka::ErrorCode::InvalidArg);
}

TEST_CASE("a topic name of 249 legal characters is sent") {
    Producer producer(valid_config());
    relkafka::Message message;
    message.topic = std::string(240, 'a') + "._-Z9.x_y";
    REQUIRE(message.topic.size() == 249);
    int calls = 0;
    producer.send(std::move(message), [&](relkafka::Delivery&&) { ++calls; });
    CHECK(calls == 0);  // queued: its outcome comes later
    CHECK(producer.counters().refused == 0);
    (void)producer.close(0ms);
}
