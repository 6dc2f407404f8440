#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "relkafka/producer.hpp"
#include "relkafka/testing/mock_cluster.hpp"
#include "relkafka/testing/stream_audit.hpp"

using namespace std::chrono_literals;
using relkafka::ErrorCode;
using relkafka::testing::ApiKey;
using relkafka::testing::MockCluster;
using relkafka::testing::StreamAudit;

namespace {

relkafka::ProducerConfig config_for(const MockCluster& cluster) {
    relkafka::ProducerConfig config;
    config.bootstrap_servers = cluster.bootstrap_servers();
    config.overrides["reconnect.backoff.max.ms"] = "1000";
    config.overrides["log_level"] = "2";
    return config;
}

relkafka::Message to_partition_0(const std::string& topic, const std::string& value) {
    relkafka::Message m;
    m.topic = topic;
    m.value = value;
    m.partition = 0;
    return m;
}

}  // namespace

TEST_CASE("MockCluster lists one bootstrap address per broker") {
    MockCluster cluster(3);
    const std::string& servers = cluster.bootstrap_servers();
    CHECK(cluster.broker_count() == 3);
    CHECK(std::count(servers.begin(), servers.end(), ',') == 2);
    CHECK(servers.find("127.0.0.1:") != std::string::npos);
}

TEST_CASE("MockCluster rejects bad arguments naming what is wrong") {
    CHECK_THROWS_WITH(MockCluster(0), Catch::Contains("broker_count = 0"));
    MockCluster cluster(3);
    CHECK_THROWS_WITH(cluster.broker_down(4), Catch::Contains("broker 4 does not exist"));
    CHECK_THROWS_WITH(cluster.broker_up(0), Catch::Contains("brokers are numbered 1..3"));
    CHECK_THROWS_WITH(cluster.create_topic("t", 3, 4), Catch::Contains("replication factor"));
    CHECK_THROWS_WITH(cluster.create_topic("t", 0, 1), Catch::Contains("partitions >= 1"));
    CHECK_THROWS_WITH(cluster.set_coordinator("broker", "g", 1), Catch::Contains("\"group\""));
}

TEST_CASE("MockCluster delivers what a producer sends") {
    MockCluster cluster(1);
    cluster.create_topic("greetings", 2, 1);
    relkafka::Producer producer(config_for(cluster));
    const auto delivery = producer.send_sync(to_partition_0("greetings", "hello"));
    REQUIRE(delivery.ok());
    CHECK(delivery.partition == 0);
    CHECK(delivery.offset == 0);
}

TEST_CASE("MockCluster injects request errors that the client sees") {
    MockCluster cluster(1);
    cluster.create_topic("faults", 1, 1);
    auto config = config_for(cluster);
    // Without retries the injected error surfaces as the delivery's error.
    config.idempotence = relkafka::Idempotence::Disabled;
    config.retry.retries = 0;
    relkafka::Producer producer(std::move(config));
    REQUIRE(producer.send_sync(to_partition_0("faults", "warm-up")).ok());

    SECTION("cluster-wide") {
        cluster.push_request_errors(ApiKey::Produce, {ErrorCode::NotEnoughReplicas});
    }
    SECTION("on one broker, counted until consumed") {
        cluster.push_broker_request_errors(1, ApiKey::Produce, {{ErrorCode::NotEnoughReplicas, 0ms}});
        CHECK(cluster.pending_broker_request_errors(1, ApiKey::Produce) == 1);
    }
    const auto failed = producer.send_sync(to_partition_0("faults", "refused"));
    CHECK(failed.error.code() == ErrorCode::NotEnoughReplicas);
    CHECK(cluster.pending_broker_request_errors(1, ApiKey::Produce) == 0);
    CHECK(producer.send_sync(to_partition_0("faults", "accepted")).ok());
}

TEST_CASE("MockCluster takes brokers down and up") {
    MockCluster cluster(1);
    cluster.create_topic("outage", 1, 1);
    auto config = config_for(cluster);
    config.retry.delivery_timeout = 1500ms;
    relkafka::Producer producer(std::move(config));
    REQUIRE(producer.send_sync(to_partition_0("outage", "before")).ok());

    cluster.broker_down(1);
    CHECK(producer.send_sync(to_partition_0("outage", "during")).error.code() == ErrorCode::MsgTimedOut);

    cluster.broker_up(1);
    CHECK(producer.send_sync(to_partition_0("outage", "after")).ok());
}

// The report thread must be done with the audit once the wait has seen its
// report. Under ThreadSanitizer a notification sent after the lock is released
// shows as a race with the destruction of the condition variable.
TEST_CASE("StreamAudit can be destroyed as soon as a wait for its reports returns") {
    for (int i = 0; i < 20; ++i) {
        auto audit = std::make_unique<StreamAudit>("audited");
        StreamAudit* const reported_to = audit.get();
        std::thread reporter([reported_to, i] {
            relkafka::Delivery delivery;
            delivery.topic = "audited";
            delivery.partition = 0;
            delivery.offset = i;
            reported_to->record(0, delivery);
        });
        const bool reported = audit->wait_for_reports(1, 10s);
        audit.reset();
        reporter.join();
        REQUIRE(reported);
    }
}
