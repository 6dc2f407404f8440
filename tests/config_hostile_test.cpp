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

// --- the JSON reader: limits ---

namespace {

std::string nested_arrays(std::size_t levels) {
    return std::string(levels, '[') + std::string(levels, ']');
}

std::string error_of(const std::string& json) {
    try {
        (void)ProducerConfig::from_json(json);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

// 100 000 nested arrays used to overflow the stack (inside the JSON library,
// printing the value for the error message).
TEST_CASE("deeply nested JSON is refused before it is parsed") {
    const std::string deep = R"({"bootstrap_servers": )" + nested_arrays(100000) + "}";
    CHECK_THAT(error_of(deep), Contains("nests arrays and objects deeper than 32 levels"));

    // The outer object is the first level.
    CHECK_THAT(error_of(R"({"bootstrap_servers": )" + nested_arrays(32) + "}"), Contains("deeper than 32"));
    CHECK_THAT(error_of(R"({"bootstrap_servers": )" + nested_arrays(31) + "}"),
               Contains("$.bootstrap_servers must be a string, got an array of 1 element"));
    SECTION("brackets inside strings do not count") {
        const auto config =
            ProducerConfig::from_json(R"({"bootstrap_servers": "k:1", "overrides": {"client.id": ")" +
                                      std::string(40, '[') + R"(\"{{"}})");
        CHECK(config.overrides.at("client.id") == std::string(40, '[') + "\"{{");
    }
}

TEST_CASE("a config JSON over 1 MiB is refused") {
    const std::string padding(1024 * 1024, ' ');
    CHECK_THAT(error_of(R"({"bootstrap_servers": "k:1"})" + padding), Contains("more than the 1048576 bytes (1 MiB)"));
    CHECK_NOTHROW(ProducerConfig::from_json(R"({"bootstrap_servers": "k:1"})" + padding.substr(100)));
}

// A 200 001-element array used to be printed whole: a 400 066-byte message.
TEST_CASE("an error about a huge value stays short") {
    std::string array = "[0";
    for (int i = 0; i < 200000; ++i) {
        array += ",0";
    }
    array += "]";
    std::string message = error_of(R"({"bootstrap_servers": )" + array + "}");
    CHECK_THAT(message, Contains("got an array of 200001 elements"));
    CHECK(message.size() < 200);

    message = error_of(R"({"bootstrap_servers": "k:1", "acks": ")" + std::string(100000, 'x') + "\"}");
    CHECK_THAT(message, Contains("(100000 bytes)"));
    CHECK(message.size() < 300);

    message = error_of(R"({"bootstrap_servers": "k:1", ")" + std::string(100000, 'k') + "\": 1}");
    CHECK_THAT(message, Contains("unknown key") && Contains("(100000 bytes)"));
    CHECK(message.size() < 400);
}

// --- the JSON reader: secrets ---

// Parse errors used to quote the text around them: last read: '"Hunter2Secret'.
TEST_CASE("a JSON parse error does not quote the input") {
    std::string json;
    SECTION("an unterminated secret") {
        json = R"({"bootstrap_servers": "k:1", "overrides": {"sasl.password": "Hunter2Secret)";
    }
    SECTION("an unquoted secret") {
        json = R"({"bootstrap_servers": "k:1", "overrides": {"sasl.password": Hunter2Secret}})";
    }
    SECTION("a bad escape in a secret") {
        json = R"({"bootstrap_servers": "k:1", "overrides": {"sasl.password": "Hunter2Secret\q"}})";
    }
    SECTION("a number no double can hold") {
        json = R"({"bootstrap_servers": "k:1", "overrides": {"sasl.password": 4242E99999}})";
    }
    const std::string message = error_of(json);
    CHECK_THAT(message, Contains("ProducerConfig JSON is malformed") && !Contains("Hunter2") &&
                            !Contains("4242") && !Contains("last read"));
}

// "sasl.passwd" and "SASL.PASSWORD" used to pass from_json, and to_json
// printed their values.
TEST_CASE("any secret-looking override is redacted by to_json whatever its spelling") {
    const std::string key = GENERATE(as<std::string>{}, "sasl.password", "sasl.passwd", "SASL.PASSWORD",
                                     "Ssl.Key.Password", "ssl.keystore.password",
                                     "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config",
                                     "sasl.jaas.config", "my.auth.token", "ssl.key.pem", "ssl_key",
                                     "client.credentials", "vendor.private.key");
    CAPTURE(key);
    const auto config = ProducerConfig::from_json(R"({"bootstrap_servers": "k:1", "overrides": {")" + key +
                                                  R"(": "Hunter2Secret"}})");
    CHECK(config.overrides.at(key) == "Hunter2Secret");
    CHECK_THAT(config.to_json(), !Contains("Hunter2Secret") && Contains("[redacted]"));

    ConsumerConfig consumer = consumer_config();
    consumer.dead_letter = relkafka::DeadLetter{};
    consumer.dead_letter->producer_overrides[key] = "Hunter2Secret";
    CHECK_THAT(consumer.to_json(), !Contains("Hunter2Secret"));
}

TEST_CASE("a misspelt secret key is refused without showing its value") {
    auto config = producer_config();
    config.overrides["SASL.PASSWORD"] = "Hunter2Secret";
    CHECK_THROWS_WITH(Producer(config), Contains("SASL.PASSWORD") && !Contains("Hunter2Secret"));
}

TEST_CASE("a wrong-typed overrides is never printed") {
    std::string overrides, expected;
    SECTION("an array") {
        overrides = R"([{"sasl.password": "Hunter2Secret"}])", expected = "got an array of 1 element";
    }
    SECTION("a string") { overrides = R"("sasl.password=Hunter2Secret")", expected = "got a string of 27 bytes"; }
    SECTION("a secret of the wrong type") {
        overrides = R"({"sasl.password": ["Hunter2Secret"]})", expected = "got [redacted]";
    }
    const std::string message =
        error_of(R"({"bootstrap_servers": "k:1", "overrides": )" + overrides + "}");
    CHECK_THAT(message, Contains(expected) && !Contains("Hunter2Secret"));
}

// --- the JSON reader: no silent surprises ---

// "acks": "all", "acks": "none" used to be read as none.
TEST_CASE("a key given twice in one JSON object is refused") {
    std::string json, expected;
    SECTION("at the top") {
        json = R"({"bootstrap_servers": "k:1", "acks": "all", "acks": "none"})";
        expected = R"(gives the key "acks" twice in $:)";
    }
    SECTION("in a nested object") {
        json = R"({"bootstrap_servers": "k:1", "retry": {"retries": 1, "retries": 2}})";
        expected = R"(gives the key "retries" twice in $.retry:)";
    }
    SECTION("in overrides") {
        json = R"({"bootstrap_servers": "k:1", "overrides": {"linger.ms": 1, "linger.ms": 2}})";
        expected = R"("linger.ms" twice in $.overrides)";
    }
    SECTION("in an object inside an array") {
        json = R"({"bootstrap_servers": "k:1", "x": [1, {"a": 1}, {"a": 1, "a": 2}]})";
        expected = R"("a" twice in $.x[2])";
    }
    CHECK_THAT(error_of(json), Contains(expected));
}

TEST_CASE("the same key in different JSON objects is fine") {
    CHECK_NOTHROW(ConsumerConfig::from_json(
        R"({"bootstrap_servers": "k:1", "group_id": "g", "topics": ["t"], "retry": {"attempts": 2},
            "commit": {"policy": "sync", "attempts": 3}, "dead_letter": {"timeout_ms": 5}})"));
}

// 18446744073709551615 used to wrap: "ProducerConfig::retry.retries = -1".
TEST_CASE("integers of 2^63 and more are refused instead of wrapping") {
    std::string json, expected;
    SECTION("an int field") {
        json = R"({"bootstrap_servers": "k:1", "retry": {"retries": 18446744073709551615}})";
        expected = "$.retry.retries must be a whole number from -2147483648 to 2147483647, got "
                   "18446744073709551615";
    }
    SECTION("a count") {
        json = R"({"bootstrap_servers": "k:1", "backpressure": {"max_messages": 9223372036854775808}})";
        expected = "$.backpressure.max_messages must be a whole number from -2147483648";
    }
    SECTION("an override") {
        json = R"({"bootstrap_servers": "k:1", "overrides": {"linger.ms": 18446744073709551615}})";
        expected = R"($.overrides["linger.ms"] must be a string, boolean or number; a whole number below 2^63)";
    }
    CHECK_THAT(error_of(json), Contains(expected));
}

TEST_CASE("a count of 2^63 or more is refused in consumer JSON") {
    const std::string json =
        R"({"bootstrap_servers": "k:1", "group_id": "g", "topics": ["t"], "commit": {"policy": "async", "every": 9223372036854775808}})";
    CHECK_THROWS_WITH(ConsumerConfig::from_json(json),
                      Contains("$.commit.every must be a whole number from 0 to 9223372036854775807"));
}

TEST_CASE("a property librdkafka refuses is reported without a secret-looking value") {
    auto config = producer_config();
    config.overrides["oauthbearer_token_refresh_cb"] = "Hunter2Secret";
    CHECK_THROWS_WITH(Producer(config), Contains("oauthbearer_token_refresh_cb") &&
                                            Contains("[redacted]") && !Contains("Hunter2Secret"));
}

TEST_CASE("an unknown property with a huge name is reported briefly") {
    auto config = producer_config();
    config.overrides["topic." + std::string(100000, 'x')] = "1";
    try {
        Producer producer(config);
        FAIL("accepted");
    } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), Contains("unknown librdkafka property") && Contains("(100006 bytes)"));
        CHECK(std::string(e.what()).size() < 1000);
    }
}
