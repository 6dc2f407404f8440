#include <catch2/catch.hpp>

#include <functional>

#include <librdkafka/rdkafka.h>

#include "consumer/dead_letter.hpp"
#include "relkafka/consumer.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::ConfigError;
using relkafka::Consumer;
using relkafka::ConsumerConfig;

namespace {

ConsumerConfig valid_config() {
    ConsumerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.group_id = "billing";
    config.topics = {"orders"};
    config.overrides["log_level"] = "0";
    return config;
}

}  // namespace

TEST_CASE("the default consumer config is at-least-once") {
    const ConsumerConfig config;
    CHECK(std::holds_alternative<relkafka::AsyncThenSync>(config.commit));
    CHECK(config.protocol == relkafka::GroupProtocol::Eager);
    CHECK(config.isolation == relkafka::Isolation::ReadCommitted);
    CHECK_FALSE(config.dead_letter.has_value());
    CHECK(config.close_timeout == std::chrono::seconds(30));
    CHECK_NOTHROW(Consumer(valid_config()));
}

// librdkafka #4059 (commits during a cooperative rebalance cost the whole
// assignment; fixed in 2.10.0) and #4312 (closing before the first
// assignment aborts; fixed in 2.3.0). The linked version decides.
TEST_CASE("cooperative-sticky is refused on a librdkafka with the cooperative rebalance bugs") {
    auto config = valid_config();
    config.protocol = relkafka::GroupProtocol::CooperativeSticky;
    std::string json = R"({"bootstrap_servers": "127.0.0.1:1", "group_id": "g", "topics": ["t"],
                           "protocol": "cooperative_sticky"})";
    if (rd_kafka_version() >= 0x020a0000) {
        CHECK_NOTHROW(Consumer(config));
        CHECK_NOTHROW(ConsumerConfig::from_json(json));
        return;
    }
    for (const auto& refused : {std::function<void()>([&] { Consumer consumer(config); }),
                                std::function<void()>([&] { (void)ConsumerConfig::from_json(json); })}) {
        CHECK_THROWS_AS(refused(), relkafka::ConfigError);
        CHECK_THROWS_WITH(refused(), Contains("ConsumerConfig::protocol") && Contains("#4059") &&
                                         Contains("#4312") && Contains(rd_kafka_version_str()) &&
                                         Contains("GroupProtocol::Eager"));
    }
}

TEST_CASE("consumer timeouts out of range are refused, naming the setting") {
    auto config = valid_config();
    std::string expected;
    SECTION("close timeout") {
        config.close_timeout = std::chrono::milliseconds(-1);
        expected = "ConsumerConfig::close_timeout = -1 ms";
    }
    SECTION("sync commit timeout") {
        config.commit = relkafka::SyncCommit{0, 5, std::chrono::milliseconds(200), std::chrono::milliseconds(0)};
        expected = "SyncCommit.timeout = 0 ms";
    }
    SECTION("async-then-sync commit timeout") {
        config.commit = relkafka::AsyncThenSync{0, 5, std::chrono::milliseconds(200), std::chrono::hours(2)};
        expected = "AsyncThenSync.timeout = 7200000 ms";
    }
    CHECK_THROWS_WITH(Consumer(config), Contains(expected));
}

TEST_CASE("a consumer needs a group id") {
    auto config = valid_config();
    config.group_id.clear();
    CHECK_THROWS_AS(Consumer(config), ConfigError);
    CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::group_id is empty"));
}

TEST_CASE("a consumer needs topics or partitions") {
    auto config = valid_config();
    SECTION("none") {
        config.topics.clear();
        CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::topics and ConsumerConfig::partitions are both empty"));
    }
    SECTION("an empty name") {
        config.topics.push_back("");
        CHECK_THROWS_WITH(Consumer(config), Contains("not a valid topic name: it is empty"));
    }
}

TEST_CASE("a consumer needs bootstrap servers") {
    auto config = valid_config();
    config.bootstrap_servers = " , ";
    CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::bootstrap_servers is empty"));
}

TEST_CASE("a dead-letter topic the consumer reads itself is refused") {
    auto config = valid_config();
    config.topics = {"orders", "orders.DLT"};
    config.dead_letter = relkafka::DeadLetter{};
    CHECK_THROWS_WITH(Consumer(config), Contains("\"orders.DLT\"") && Contains("loop"));
}

TEST_CASE("out-of-range consumer policy values are rejected") {
    auto config = valid_config();
    std::string expected;
    SECTION("no processing attempt") {
        config.retry.attempts = 0;
        expected = "ConsumerConfig::retry.attempts = 0";
    }
    SECTION("negative processing backoff") {
        config.retry.backoff = -5ms;
        expected = "ConsumerConfig::retry.backoff = -5 ms";
    }
    SECTION("no sync commit attempt") {
        config.commit = relkafka::SyncCommit{0, 0, 100ms};
        expected = "SyncCommit.attempts = 0";
    }
    SECTION("zero auto commit interval") {
        config.commit = relkafka::AutoCommit{0ms};
        expected = "AutoCommit::interval = 0 ms";
    }
    SECTION("empty batches") {
        config.max_batch = 0;
        expected = "max_batch = 0";
    }
    CHECK_THROWS_WITH(Consumer(config), Contains(expected));
}

TEST_CASE("a processing retry that outlasts max.poll.interval.ms is refused") {
    auto config = valid_config();
    config.retry.attempts = 4;
    config.retry.backoff = 100s;  // 3 sleeps: 300 s, librdkafka's default interval

    SECTION("against the default interval") {
        CHECK_THROWS_AS(Consumer(config), ConfigError);
        CHECK_THROWS_WITH(Consumer(config),
                          Contains("ConsumerConfig::retry sleeps 300000 ms") &&
                              Contains("max.poll.interval.ms = 300000") &&
                              Contains("raise \"max.poll.interval.ms\" in overrides"));
    }
    SECTION("against an interval set in overrides") {
        config.overrides["max.poll.interval.ms"] = "300001";
        CHECK_NOTHROW(Consumer(config));
        config.retry.attempts = 5;
        CHECK_THROWS_WITH(Consumer(config), Contains("max.poll.interval.ms = 300001"));
    }
    SECTION("one attempt never sleeps") {
        config.retry.attempts = 1;
        config.retry.backoff = 1000h;
        CHECK_NOTHROW(Consumer(config));
    }
}

TEST_CASE("consumer overrides may not set a property a policy owns") {
    auto config = valid_config();
    std::string key, owner;
    SECTION("auto commit") { key = "enable.auto.commit", owner = "ConsumerConfig::commit"; }
    SECTION("offset store") { key = "enable.auto.offset.store", owner = "stored once processed"; }
    SECTION("protocol") { key = "partition.assignment.strategy", owner = "ConsumerConfig::protocol"; }
    SECTION("isolation") { key = "isolation.level", owner = "ConsumerConfig::isolation"; }
    config.overrides[key] = "true";
    CHECK_THROWS_WITH(Consumer(config), Contains("overrides[\"" + key + "\"]") && Contains(owner));
}

TEST_CASE("consumer overrides may not change offset storing commits or assignment") {
    auto config = valid_config();
    std::string key, value = "true", reason;
    SECTION("legacy auto commit") { key = "auto.commit.enable", reason = "ConsumerConfig::commit"; }
    SECTION("auto commit under the topic prefix") {
        key = "topic.enable.auto.commit", reason = "ConsumerConfig::commit";
    }
    SECTION("commit interval under the topic prefix") {
        key = "topic.auto.commit.interval.ms", value = "10", reason = "ConsumerConfig::commit";
    }
    SECTION("offsets in a file") { key = "offset.store.method", value = "file", reason = "local file"; }
    SECTION("group protocol type") { key = "group.protocol.type", value = "x", reason = "consumer protocol"; }
    SECTION("partition end events") { key = "enable.partition.eof", reason = "poll()'s wait"; }
    SECTION("a consume callback") { key = "consume_cb", value = "0", reason = "poll() and run()"; }
    SECTION("the error callback") { key = "error_cb", value = "0", reason = "ConsumerConfig::on_error"; }
    SECTION("the event mask") { key = "enabled_events", value = "0", reason = "rebalances"; }
    SECTION("the default topic config") { key = "default_topic_conf", value = "0", reason = "topic-level"; }
    config.overrides[key] = value;
    CHECK_THROWS_AS(Consumer(config), ConfigError);
    CHECK_THROWS_WITH(Consumer(config), Contains("overrides[\"" + key + "\"]") && Contains(reason));
}

TEST_CASE("the dead-letter producer may not turn off its success reports") {
    auto config = valid_config();
    config.dead_letter = relkafka::DeadLetter{};
    config.dead_letter->producer_overrides["delivery.report.only.error"] = "true";
    CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::dead_letter") &&
                                            Contains("delivery.report.only.error"));
}

TEST_CASE("invalid topic names are refused wherever a consumer names a topic") {
    auto config = valid_config();
    std::string expected;
    SECTION("a subscription") {
        config.topics = {"orders", "bad topic!"};
        expected = R"(ConsumerConfig::topics names the topic "bad topic!")";
    }
    SECTION("an empty subscription topic") {
        config.topics = {""};
        expected = "ConsumerConfig::topics names the topic \"\" (0 characters), which is not a valid "
                   "topic name: it is empty";
    }
    SECTION("an assignment") {
        config.topics.clear();
        config.partitions = {{"..", 0, relkafka::offset_beginning}};
        expected = R"(ConsumerConfig::partitions names the topic "..")";
    }
    SECTION("a dead-letter topic") {
        config.dead_letter = relkafka::DeadLetter{};
        config.dead_letter->topic = "orders/dlt";
        expected = R"(DeadLetter::topic names the topic "orders/dlt")";
    }
    SECTION("a default dead-letter name that is too long") {
        config.topics = {std::string(246, 'o')};
        config.dead_letter = relkafka::DeadLetter{};
        expected = "(DeadLetter::topic is empty), which is not a valid topic name: it is longer than 249";
    }
    CHECK_THROWS_AS(Consumer(config), ConfigError);
    CHECK_THROWS_WITH(Consumer(config), Contains(expected));
}

TEST_CASE("a default dead-letter name of 249 characters is accepted") {
    auto config = valid_config();
    config.topics = {std::string(245, 'o')};
    config.dead_letter = relkafka::DeadLetter{};
    CHECK_NOTHROW(Consumer(config));
}

// max_batch = 2^40 used to be accepted and throw bad_alloc from poll().
TEST_CASE("max_batch is bounded to a million records") {
    auto config = valid_config();
    config.max_batch = std::size_t(1) << 40;
    CHECK_THROWS_AS(Consumer(config), ConfigError);
    CHECK_THROWS_WITH(Consumer(config),
                      Contains("ConsumerConfig::max_batch = 1099511627776 is out of range") &&
                          Contains("1 .. 1000000"));
    config.max_batch = 1000001;
    CHECK_THROWS_WITH(Consumer(config), Contains("max_batch = 1000001"));
    CHECK_THROWS_WITH(ConsumerConfig::from_json(
                          R"({"bootstrap_servers": "k:1", "group_id": "g", "topics": ["t"], "max_batch": 1099511627776})"),
                      Contains("max_batch = 1099511627776"));
    config.max_batch = 1000000;
    CHECK_NOTHROW(Consumer(config));
}

TEST_CASE("an unknown consumer property is an error") {
    auto config = valid_config();
    config.overrides["session.timeout"] = "6000";
    CHECK_THROWS_WITH(Consumer(config), Contains("unknown librdkafka property \"session.timeout\""));
}

TEST_CASE("a closed consumer refuses calls with a clear error") {
    Consumer consumer(valid_config());
    consumer.close();
    CHECK(consumer.closed());
    CHECK_THROWS_AS(consumer.commit(), relkafka::UsageError);
    CHECK_THROWS_WITH(consumer.commit(), Contains("commit() on a closed Consumer"));
    CHECK_THROWS_WITH(consumer.poll(10ms), Contains("poll() on a closed Consumer"));
    consumer.close();  // closing twice is harmless
}

// The dead-letter producer used to get bootstrap_servers and on_log only: on
// a SASL/SSL cluster it could not connect.
TEST_CASE("the dead-letter producer takes the consumer's connection settings, then its own") {
    auto config = valid_config();
    config.overrides["security.protocol"] = "SASL_SSL";
    config.overrides["sasl.mechanisms"] = "PLAIN";
    config.overrides["sasl.username"] = "billing";
    config.overrides["sasl.password"] = "s3cret-value";
    config.overrides["client.id"] = "billing-7";
    config.overrides["session.timeout.ms"] = "6000";  // a consumer's own
    relkafka::DeadLetter dlt;
    dlt.timeout = 4s;
    dlt.producer_overrides["linger.ms"] = "1";
    dlt.producer_overrides["client.id"] = "billing-7-dlt";
    config.dead_letter = dlt;

    const relkafka::ProducerConfig producer = relkafka::detail::dead_letter_producer_config(config);
    CHECK(producer.bootstrap_servers == config.bootstrap_servers);
    CHECK(producer.overrides.at("security.protocol") == "SASL_SSL");
    CHECK(producer.overrides.at("sasl.password") == "s3cret-value");
    CHECK(producer.overrides.at("client.id") == "billing-7-dlt");
    CHECK(producer.overrides.at("linger.ms") == "1");
    CHECK(producer.overrides.count("session.timeout.ms") == 0);
    CHECK(producer.retry.delivery_timeout == 4s);

    SECTION("a dead-letter override a producer policy owns is refused, naming both") {
        config.dead_letter->producer_overrides["acks"] = "1";
        CHECK_THROWS_WITH(Consumer(config), Contains("ConsumerConfig::dead_letter") &&
                                                Contains("acks") &&
                                                !Contains("s3cret-value"));
    }
    SECTION("a dead-letter timeout out of range is refused") {
        config.dead_letter->timeout = 0ms;
        CHECK_THROWS_WITH(Consumer(config), Contains("DeadLetter::timeout = 0 ms"));
    }
}
