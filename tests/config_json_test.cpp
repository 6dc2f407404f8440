#include <catch2/catch.hpp>

#include <fstream>

#include "relkafka/config.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::ConfigError;
using relkafka::ConsumerConfig;
using relkafka::ProducerConfig;

TEST_CASE("a producer config round-trips through JSON") {
    ProducerConfig config;
    config.bootstrap_servers = "a:1,b:2";
    config.idempotence = relkafka::Idempotence::Disabled;
    config.acks = relkafka::Acks::Leader;
    config.retry = {7, 250ms, 60000ms, 1};
    config.backpressure = {relkafka::QueueFullAction::FailFast, 10ms, 500, 2048};
    config.compression = relkafka::Compression::Zstd;
    config.callbacks = relkafka::CallbackMode::ExplicitPoll;
    config.close_timeout = 1234ms;
    config.statistics_interval = 5000ms;
    config.overrides = {{"linger.ms", "20"}, {"client.id", "svc"}};

    const ProducerConfig back = ProducerConfig::from_json(config.to_json());
    CHECK(back.bootstrap_servers == config.bootstrap_servers);
    CHECK(back.acks == relkafka::Acks::Leader);
    CHECK(back.idempotence == relkafka::Idempotence::Disabled);
    CHECK(back.retry.retries == 7);
    CHECK(back.retry.backoff == 250ms);
    CHECK(back.retry.delivery_timeout == 60000ms);
    CHECK(back.retry.max_in_flight == 1);
    CHECK(back.backpressure.on_full == relkafka::QueueFullAction::FailFast);
    CHECK(back.backpressure.max_block == 10ms);
    CHECK(back.backpressure.max_messages == 500);
    CHECK(back.backpressure.max_kbytes == 2048);
    CHECK(back.compression == relkafka::Compression::Zstd);
    CHECK(back.callbacks == relkafka::CallbackMode::ExplicitPoll);
    CHECK(back.close_timeout == 1234ms);
    CHECK(back.statistics_interval == 5000ms);
    CHECK(back.overrides == config.overrides);
    CHECK(back.to_json() == config.to_json());
}

TEST_CASE("a consumer config round-trips through JSON, for every commit policy") {
    ConsumerConfig config;
    config.bootstrap_servers = "a:1";
    config.group_id = "g";
    config.topics = {"t1", "t2"};
    config.protocol = relkafka::GroupProtocol::Eager;
    config.isolation = relkafka::Isolation::ReadUncommitted;
    config.retry = {5, 30ms};
    config.max_batch = 64;
    config.overrides = {{"session.timeout.ms", "6000"}};
    SECTION("async then sync") { config.commit = relkafka::AsyncThenSync{10, 3, 50ms}; }
    SECTION("sync") { config.commit = relkafka::SyncCommit{20, 2, 70ms}; }
    SECTION("async") { config.commit = relkafka::AsyncCommit{30}; }
    SECTION("auto") { config.commit = relkafka::AutoCommit{900ms}; }
    SECTION("at most once") { config.commit = relkafka::AtMostOnce{}; }
    SECTION("with a dead-letter topic") {
        relkafka::DeadLetter poison;
        poison.topic = "poison";
        poison.timeout = 2500ms;
        poison.producer_overrides["linger.ms"] = "2";
        config.dead_letter = poison;
    }

    const ConsumerConfig back = ConsumerConfig::from_json(config.to_json());
    CHECK(back.commit.index() == config.commit.index());
    CHECK(back.topics == config.topics);
    CHECK(back.protocol == config.protocol);
    CHECK(back.isolation == config.isolation);
    CHECK(back.retry.attempts == 5);
    CHECK(back.max_batch == 64);
    CHECK(back.dead_letter.has_value() == config.dead_letter.has_value());
    CHECK(back.to_json() == config.to_json());
}

TEST_CASE("keys left out of the JSON keep their safe defaults") {
    const auto config = ProducerConfig::from_json(R"({"bootstrap_servers": "k:9092"})");
    const ProducerConfig defaults;
    CHECK(config.acks == defaults.acks);
    CHECK(config.idempotence == defaults.idempotence);
    CHECK(config.retry.delivery_timeout == defaults.retry.delivery_timeout);
    CHECK(config.backpressure.on_full == defaults.backpressure.on_full);
}

TEST_CASE("the example config files are complete and valid") {
    const auto producer = ProducerConfig::from_json_file(RELKAFKA_EXAMPLES_DIR "/producer.json");
    CHECK(producer.compression == relkafka::Compression::Lz4);
    CHECK(producer.overrides.at("linger.ms") == "5");  // numbers are taken as librdkafka strings
    const auto consumer = ConsumerConfig::from_json_file(RELKAFKA_EXAMPLES_DIR "/consumer.json");
    CHECK(consumer.group_id == "billing");
    CHECK(consumer.dead_letter.has_value());
}

TEST_CASE("bad JSON is refused with the path, the value and what is allowed") {
    std::string json, expected;
    SECTION("malformed") {
        json = R"({"bootstrap_servers": "k:9092",})";
        expected = "ProducerConfig JSON is malformed";
    }
    SECTION("a number no double can hold (found by fuzzing)") {
        json = R"({"bootstrap_servers": "k:1", "backpressure": {"max_kbytes": 104E576}})";
        expected = "ProducerConfig JSON is malformed";
    }
    SECTION("not an object") {
        json = "[1, 2]";
        expected = "$ must be a JSON object, got an array of 2 elements";
    }
    SECTION("wrong type") {
        json = R"({"bootstrap_servers": "k:1", "retry": {"backoff_ms": "soon"}})";
        expected = R"($.retry.backoff_ms must be a whole number of milliseconds, 0 to 2147483647, got "soon")";
    }
    SECTION("negative duration") {
        json = R"({"bootstrap_servers": "k:1", "close_timeout_ms": -5})";
        expected = "$.close_timeout_ms must be a whole number of milliseconds";
    }
    SECTION("out of range number") {
        json = R"({"bootstrap_servers": "k:1", "retry": {"retries": 99999999999}})";
        expected = "$.retry.retries must be a whole number from -2147483648 to 2147483647, got 99999999999";
    }
    SECTION("unknown key") {
        json = R"({"bootstrap_servers": "k:1", "retry": {"backof_ms": 5}})";
        expected = "unknown key $.retry.backof_ms; allowed here: retries, backoff_ms";
    }
    SECTION("unknown enum name") {
        json = R"({"bootstrap_servers": "k:1", "acks": "most"})";
        expected = R"($.acks must be one of "all", "leader", "none", got "most")";
    }
    SECTION("an override that is not a scalar") {
        json = R"({"bootstrap_servers": "k:1", "overrides": {"linger.ms": [5]}})";
        expected = R"($.overrides["linger.ms"] must be a string, number or boolean, got an array of 1 element)";
    }
    SECTION("a contradiction caught by the same validation as code") {
        json = R"({"bootstrap_servers": "k:1", "acks": "leader"})";
        expected = "requires ProducerConfig::acks = Acks::All";
    }
    CHECK_THROWS_AS(ProducerConfig::from_json(json), ConfigError);
    CHECK_THROWS_WITH(ProducerConfig::from_json(json), Contains(expected));
}

TEST_CASE("bad consumer JSON names the path") {
    std::string json, expected;
    SECTION("unknown commit policy") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "topics": ["t"], "commit": {"policy": "sometimes"}})";
        expected = R"($.commit.policy must be one of "async_then_sync", "sync", "async", "auto", "at_most_once")";
    }
    SECTION("a key of another policy") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "topics": ["t"], "commit": {"policy": "async", "attempts": 3}})";
        expected = "unknown key $.commit.attempts; allowed here: policy, every";
    }
    SECTION("topics not strings") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "topics": ["t", 7]})";
        expected = "$.topics[1] must be a string, got 7";
    }
    SECTION("missing group") {
        json = R"({"bootstrap_servers": "k:1", "topics": ["t"]})";
        expected = "ConsumerConfig::group_id is empty";
    }
    CHECK_THROWS_WITH(ConsumerConfig::from_json(json), Contains(expected));
}

TEST_CASE("secrets never appear in JSON output or JSON errors") {
    auto config = ProducerConfig::from_json(
        R"({"bootstrap_servers": "k:1", "overrides": {"sasl.password": "hunter2", "ssl.key.password": "swordfish"}})");
    CHECK(config.overrides.at("sasl.password") == "hunter2");  // used, not printed
    const std::string printed = config.to_json();
    CHECK_THAT(printed, !Contains("hunter2") && !Contains("swordfish") && Contains("[redacted]"));

    CHECK_THROWS_WITH(
        ProducerConfig::from_json(R"({"bootstrap_servers": "k:1", "overrides": {"sasl.password": {"v": "hunter2"}}})"),
        !Contains("hunter2") && Contains("[redacted]"));
}

TEST_CASE("a missing config file is a clear error") {
    CHECK_THROWS_WITH(ProducerConfig::from_json_file("/nonexistent/producer.json"),
                      Contains("cannot read ProducerConfig JSON file \"/nonexistent/producer.json\""));
}

TEST_CASE("manually assigned partitions round-trip through JSON with named and numeric offsets") {
    const ConsumerConfig config = ConsumerConfig::from_json(R"({"bootstrap_servers": "k:1", "group_id": "g", "partitions": [
        {"topic": "orders", "partition": 0, "offset": 42},
        {"topic": "orders", "partition": 1, "offset": "beginning"},
        {"topic": "orders", "partition": 2, "offset": "end"},
        {"topic": "audit", "partition": 0}]})");
    REQUIRE(config.partitions.size() == 4);
    CHECK(config.partitions[0].offset == 42);
    CHECK(config.partitions[1].offset == relkafka::offset_beginning);
    CHECK(config.partitions[2].offset == relkafka::offset_end);
    CHECK(config.partitions[3].offset == relkafka::offset_committed);
    CHECK(config.partitions[3].topic == "audit");

    const ConsumerConfig back = ConsumerConfig::from_json(config.to_json());
    REQUIRE(back.partitions.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(back.partitions[i].topic == config.partitions[i].topic);
        CHECK(back.partitions[i].partition == config.partitions[i].partition);
        CHECK(back.partitions[i].offset == config.partitions[i].offset);
    }
    CHECK_THAT(config.to_json(), Contains(R"("offset":"beginning")") || Contains(R"("offset": "beginning")"));
}

TEST_CASE("a bad manually assigned partition is refused with its path") {
    std::string json, expected;
    SECTION("a negative offset that is not a name") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "partitions": [{"topic": "t", "partition": 0, "offset": -5}]})";
        expected = R"($.partitions[0].offset must be one of "beginning", "end", "committed")";
    }
    SECTION("an unknown offset name") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "partitions": [{"topic": "t", "partition": 0, "offset": "latest"}]})";
        expected = "$.partitions[0].offset";
    }
    SECTION("not an object") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "partitions": ["t:0"]})";
        expected = "$.partitions[0] must be an object";
    }
    SECTION("an unknown key") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "partitions": [{"topic": "t", "partition": 0, "start": 1}]})";
        expected = "unknown key $.partitions[0].start";
    }
    SECTION("topics and partitions together") {
        json = R"({"bootstrap_servers": "k:1", "group_id": "g", "topics": ["t"], "partitions": [{"topic": "t", "partition": 0}]})";
        expected = "topics";
    }
    CHECK_THROWS_AS(ConsumerConfig::from_json(json), ConfigError);
    CHECK_THROWS_WITH(ConsumerConfig::from_json(json), Contains(expected));
}
