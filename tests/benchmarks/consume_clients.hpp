#pragma once

#include <cstddef>

#include <librdkafka/rdkafka.h>

#include "bench_clients.hpp"
#include "relkafka/config.hpp"

namespace relkafka::bench {

// relkafka's commit policies, each with its default settings.
enum class CommitKind { AsyncThenSync, Sync, Async, Auto, AtMostOnce };

constexpr CommitKind commit_kinds[] = {CommitKind::AsyncThenSync, CommitKind::Sync,
                                       CommitKind::Async, CommitKind::Auto, CommitKind::AtMostOnce};

// The facade's type name: "AsyncThenSync", "SyncCommit", ...
const char* commit_kind_name(CommitKind kind);

// A default ConsumerConfig with this commit policy, subscribed to the
// cluster's topic in a new group, with the mock's group timing.
ConsumerConfig facade_consumer_config(const BenchCluster& cluster, CommitKind kind);

// A raw librdkafka consumer, subscribed like facade_consumer_config() with
// the properties relkafka derives from it written out by hand, and the
// facade's commits outside the hot path: synchronously on revoke (not
// AtMostOnce) and on close per policy. The caller stores offsets
// (enable.auto.offset.store=false) and calls commit_batch().
class RawConsumer {
public:
    RawConsumer(const BenchCluster& cluster, CommitKind kind);
    ~RawConsumer();
    RawConsumer(const RawConsumer&) = delete;
    RawConsumer& operator=(const RawConsumer&) = delete;

    rd_kafka_t* get() const noexcept { return rk_; }

    // The policy's commit of the stored offsets after a batch (before it, for
    // AtMostOnce): async for AsyncThenSync and AsyncCommit, sync for
    // SyncCommit and AtMostOnce, none for AutoCommit (librdkafka's timer).
    void commit_batch();

    // Commits per the policy and leaves the group.
    void close();

    // Commits that succeeded, async ones once a poll served them; commits
    // and (un)assignments that failed, which make a run incomparable.
    std::size_t commits() const noexcept { return commits_; }
    std::size_t failures() const noexcept { return failures_; }

private:
    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    static void on_commit(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* offsets, void* opaque);
    void count(rd_kafka_resp_err_t err);
    void commit(bool asynchronous);

    CommitKind kind_;
    rd_kafka_t* rk_ = nullptr;
    rd_kafka_queue_t* queue_ = nullptr;  // async commit results are served here
    bool closed_ = false;
    std::size_t commits_ = 0;
    std::size_t failures_ = 0;
};

}  // namespace relkafka::bench
