// Configuration from outside (a JSON file, overrides built from an
// environment) treated as hostile: nothing in it may bypass a policy, crash
// the reader, or bring a secret into an error message or a dump.

#include <catch2/catch.hpp>

#include <string>

#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"

using Catch::Contains;
using relkafka::ConfigError;
using relkafka::Consumer;
using relkafka::ConsumerConfig;
using relkafka::Producer;
using relkafka::ProducerConfig;

namespace {

// Valid without idempotence, so that acks=0 would be accepted if it got
// through: never connected to.
ProducerConfig producer_config() {
    ProducerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.idempotence = relkafka::Idempotence::Disabled;
    config.retry.retries = 0;
    config.overrides["log_level"] = "0";
    return config;
}

ConsumerConfig consumer_config() {
    ConsumerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.group_id = "billing";
    config.topics = {"orders"};
    config.overrides["log_level"] = "0";
    return config;
}

const std::string producer_json_prefix =
    R"({"bootstrap_servers": "k:1", "idempotence": "disabled", "retry": {"retries": 0}, )";

}  // namespace

// {"acks\u0000": "0"} used to pass: librdkafka read "acks" and the producer
// ran with acks=0 under Acks::All.
TEST_CASE("a NUL in an override key cannot get past the owned-property check") {
    SECTION("from JSON") {
        const std::string json = producer_json_prefix + R"("overrides": {"acks\u0000": "0"}})";
        CHECK_THROWS_AS(ProducerConfig::from_json(json), ConfigError);
        CHECK_THROWS_WITH(ProducerConfig::from_json(json),
                          Contains(R"(overrides key "acks\u0000")") && Contains("control character"));
    }
    SECTION("from code, on a producer") {
        auto config = producer_config();
        CHECK_NOTHROW(Producer(config));
        config.overrides[std::string("acks\0", 5)] = "0";
        CHECK_THROWS_WITH(Producer(config), Contains(R"("acks\u0000")"));
    }
    SECTION("from code, on a consumer") {
        auto config = consumer_config();
        config.overrides[std::string("enable.auto.offset.store\0", 25)] = "true";
        CHECK_THROWS_WITH(Consumer(config), Contains(R"("enable.auto.offset.store\u0000")"));
    }
}

TEST_CASE("control characters in override keys and values are refused") {
    auto config = producer_config();
    std::string key = "linger.ms", value = "5", expected;
    SECTION("a newline in a key") { key = "linger.ms\n", expected = R"("linger.ms\u000a")"; }
    SECTION("DEL in a key") { key = "linger\x7f.ms", expected = R"("linger\u007f.ms")"; }
    SECTION("a NUL in a value") { value = std::string("5\0" "0", 3), expected = "U+0000 at byte 1"; }
    SECTION("a tab in a value") { value = "5\t", expected = "U+0009 at byte 1"; }
    config.overrides[key] = value;
    CHECK_THROWS_AS(Producer(config), ConfigError);
    CHECK_THROWS_WITH(Producer(config), Contains(expected) && Contains("control character"));
}

TEST_CASE("a control character in a secret value is refused without showing the value") {
    auto config = producer_config();
    config.overrides["sasl.password"] = "Hunter2Secret\r\n";
    CHECK_THROWS_WITH(Producer(config), Contains(R"(overrides["sasl.password"])") &&
                                            !Contains("Hunter2Secret"));
}
