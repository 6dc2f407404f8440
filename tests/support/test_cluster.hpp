#pragma once

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "relkafka/config.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/testing/mock_cluster.hpp"
#include "relkafka/testing/stream_audit.hpp"

namespace relkafka::test {

// The cluster integration tests run against: an embedded MockCluster, or the
// real cluster named by the environment variable RELKAFKA_TEST_BROKERS.
class TestCluster {
public:
    explicit TestCluster(int mock_brokers = 3);

    const std::string& bootstrap_servers() const noexcept { return bootstrap_; }
    // The mock, for fault injection; nullptr against a real cluster.
    testing::MockCluster* mock() noexcept { return mock_.get(); }
    bool is_real() const noexcept { return !mock_; }

    // The mock's broker count, or RELKAFKA_TEST_REPLICATION_FACTOR (default 1)
    // on a real cluster.
    int replication_factor() const;

    // Creates a topic with a name unique to this run and returns the name.
    std::string create_topic(std::string_view prefix, int partitions, int replication_factor);

    // A consumer group id unique to this run: `prefix` and the suffix
    // create_topic uses. On a real cluster a fixed group id is stalled for
    // max.poll.interval.ms (300 s) by a member a crashed run left behind.
    std::string group(std::string_view prefix);

    // The library's defaults plus what the mock's timing needs (MOCK_CLUSTER.md).
    ProducerConfig producer_config() const;
    // `group` must come from group(): any other name throws std::invalid_argument.
    ConsumerConfig consumer_config(const std::string& group, const std::string& topic) const;

    // Sends messages 0..count-1 of `audit`'s stream and waits for every report.
    void produce_stream(testing::StreamAudit& audit, int count) const;

private:
    std::unique_ptr<testing::MockCluster> mock_;
    std::string bootstrap_;
    std::set<std::string> groups_;  // the names group() made
};

// Waits until `done` holds or `timeout` passes; returns the last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

}  // namespace relkafka::test

// Ends the current test as skipped, with its reason in the output; ctest
// reports tests that print this marker as skipped.
#define RELKAFKA_SKIP(reason)                                          \
    do {                                                               \
        std::cout << "RELKAFKA-SKIPPED: " << (reason) << std::endl;    \
        return;                                                        \
    } while (false)

#define RELKAFKA_REQUIRE_MOCK(cluster)                                                        \
    if ((cluster).mock() == nullptr)                                                          \
    RELKAFKA_SKIP("this fault is injected through the embedded mock cluster; "               \
                  "RELKAFKA_TEST_BROKERS names a real cluster")

#define RELKAFKA_REQUIRE_REAL(cluster, why)                                                   \
    if ((cluster).mock() != nullptr)                                                          \
    RELKAFKA_SKIP(std::string("needs a real cluster (set RELKAFKA_TEST_BROKERS): ") + (why))
