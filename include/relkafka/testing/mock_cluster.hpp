#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "relkafka/error.hpp"

namespace relkafka::testing {

/// Kafka protocol request types, for injecting request errors.
enum class ApiKey : std::int16_t {
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
    InitProducerId = 22,
    AddPartitionsToTxn = 24,
    AddOffsetsToTxn = 25,
    EndTxn = 26,
    TxnOffsetCommit = 28,
};

/// An error a broker returns for one request, after an optional delay.
struct InjectedError {
    ErrorCode code;
    std::chrono::milliseconds rtt{0};
};

/// An in-process Kafka cluster on loopback for tests, built on librdkafka's
/// mock cluster, with fault injection. Brokers are numbered 1..broker_count().
///
/// Produce, fetch, consumer groups and the idempotent and transactional
/// producer protocols work. It does not replicate (acks are ignored, a leader
/// change never loses data), does not deduplicate retried idempotent batches
/// broker-side, and writes no transaction markers: guarantees that depend on
/// those need a real cluster.
///
/// All methods are thread-safe. Errors throw std::runtime_error naming the
/// call and librdkafka's reason. Destroying the cluster disconnects clients.
class MockCluster {
public:
    explicit MockCluster(int broker_count = 3);
    ~MockCluster();
    MockCluster(MockCluster&&) noexcept;
    MockCluster& operator=(MockCluster&&) noexcept;
    MockCluster(const MockCluster&) = delete;
    MockCluster& operator=(const MockCluster&) = delete;

    /// "host:port,host:port,..." for bootstrap.servers.
    const std::string& bootstrap_servers() const noexcept;
    int broker_count() const noexcept;

    /// Creates a topic. A topic a client uses without creating it first is
    /// auto-created with 4 partitions.
    void create_topic(const std::string& topic, int partitions, int replication_factor);

    /// Takes a broker down (connections refused and closed) or back up.
    void broker_down(std::int32_t broker_id);
    void broker_up(std::int32_t broker_id);

    /// Delays every response of a broker by `rtt`.
    void set_broker_rtt(std::int32_t broker_id, std::chrono::milliseconds rtt);

    /// Moves a partition's leadership to another broker.
    void set_partition_leader(const std::string& topic, std::int32_t partition,
                              std::int32_t broker_id);

    /// Places the group or transaction coordinator for `key` on a broker.
    /// `key_type` is "group" or "transaction".
    void set_coordinator(const std::string& key_type, const std::string& key,
                         std::int32_t broker_id);

    /// The next requests of type `api`, to any broker and from any client,
    /// fail with these errors in order; ErrorCode::NoError lets one pass.
    void push_request_errors(ApiKey api, const std::vector<ErrorCode>& errors);

    /// Like push_request_errors, for one broker only, each with a delay.
    /// Per-broker errors are served before cluster-wide ones.
    void push_broker_request_errors(std::int32_t broker_id, ApiKey api,
                                    const std::vector<InjectedError>& errors);

    /// How many of a broker's injected errors for `api` are not consumed yet:
    /// lets a test prove its faults were actually hit.
    std::size_t pending_broker_request_errors(std::int32_t broker_id, ApiKey api) const;

    /// Drops the cluster-wide errors not yet consumed for `api`.
    void clear_request_errors(ApiKey api);

    /// Makes every request about `topic` fail with `code` (NoError clears).
    void set_topic_error(const std::string& topic, ErrorCode code);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace relkafka::testing
