#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "relkafka/config.hpp"
#include "relkafka/error.hpp"
#include "relkafka/record.hpp"

struct rd_kafka_s;

namespace relkafka {

/// Processes one record. Returning means success; throwing means failure
/// (retried, then dead-lettered or stopped per the ProcessingRetry and
/// DeadLetter policies) — an exception is never taken for success.
using RecordHandler = std::function<void(const Record&)>;

/// What a Consumer has done, for metrics and tests.
struct ConsumerCounters {
    std::size_t processed = 0;        ///< records marked processed
    std::size_t handler_failures = 0; ///< handler attempts that threw
    std::size_t dead_lettered = 0;    ///< records written to a dead-letter topic
    std::size_t commits = 0;          ///< commits that succeeded
    std::size_t commits_failed = 0;   ///< commits that failed (async: reported to on_commit)
    std::size_t commit_retries = 0;   ///< sync commit attempts repeated after a failure
};

/// A group consumer with at-least-once delivery by default: a record's offset
/// is committed only after its handler returned, with the commit policy a
/// typed object (see CommitPolicy). Before partitions are revoked, everything
/// processed is committed synchronously; records of revoked partitions still
/// in hand are never committed.
///
/// Two ways to use it: run(handler, stop) loops, retries and dead-letters for
/// you; or poll() for a batch and mark_processed() each record you finished.
///
/// Thread safety: a Consumer is used from one thread at a time; commit,
/// rebalance and error callbacks run inside poll()/run()/close() on that
/// thread. Two calls are safe from any thread: wakeup() and counters().
/// close() (and the destructor) from another thread while poll() or run() is
/// active stops that call first: it returns (the records it had not handed
/// out are fetched again) and the close goes on. It can be moved, not copied.
///
/// Callbacks must not throw. If one does, the exception is caught at the
/// boundary (it never unwinds through librdkafka), logged at error and
/// reported to on_error naming the callback, and the consumer carries on.
class Consumer {
public:
    /// Validates the configuration and subscribes. Throws ConfigError naming
    /// the offending setting(s).
    explicit Consumer(ConsumerConfig config);

    /// Commits per the policy and leaves the group, as close() does, within
    /// ConsumerConfig::close_timeout (see there for the one librdkafka wait
    /// that can add to it). Never throws.
    ~Consumer();

    Consumer(Consumer&&) noexcept;
    Consumer& operator=(Consumer&&) noexcept;
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;

    /// Waits up to `timeout` for records and returns at most max_batch of
    /// them (none on timeout). With the batch-wise commit policies, the
    /// previous batch's processed records are committed first.
    std::vector<Record> poll(std::chrono::milliseconds timeout);

    /// Marks a record processed: its offset becomes committable and the
    /// commit policy may commit it. Ignored for partitions no longer assigned.
    void mark_processed(const Record& record);

    /// Synchronously commits everything processed, with the policy's retries
    /// (SyncCommit/AsyncThenSync attempts, backoff and timeout; one attempt
    /// of 10 s otherwise). Errors: RebalanceInProgress / IllegalGeneration
    /// (the partitions moved: their records are redelivered, nothing to
    /// do), TimedOut or a retriable code (the next commit covers it).
    [[nodiscard]] Error commit();

    /// Polls and hands each record to `handler` until `stop` is set, applying
    /// ProcessingRetry, DeadLetter and the commit policy. `stop` is checked
    /// before each record; the records of the batch not handed out are
    /// fetched again, so a later run() or poll() starts with them. Set `stop`
    /// and call wakeup() to end a run() waiting for records at once.
    void run(const RecordHandler& handler, const std::atomic<bool>& stop);

    /// One metadata round trip to the cluster, for a service to fail fast at
    /// start. Returns no error once a broker answered; otherwise a retriable
    /// error (TimedOut, Transport, AllBrokersDown) naming bootstrap_servers:
    /// check the address, the network and the security overrides.
    [[nodiscard]] Error wait_connected(std::chrono::milliseconds timeout);

    /// Makes a poll() or run() waiting for records on another thread return
    /// at once (run() then checks its stop flag). Safe from any thread, also
    /// after close(). If no call is waiting, the next poll returns early.
    void wakeup() noexcept;

    /// Stops fetching a partition / starts again. A partition stopped at a
    /// failing record resumes at that record.
    void pause(const std::string& topic, std::int32_t partition);
    void resume(const std::string& topic, std::int32_t partition);

    /// Partitions currently assigned to this member.
    std::vector<PartitionOffset> assignment() const;

    /// Partitions stopped at a record whose handler failed (no DeadLetter),
    /// each with the offset of that record.
    std::vector<PartitionOffset> stopped() const;

    /// A snapshot; safe from any thread.
    ConsumerCounters counters() const;

    /// Commits per the policy, leaves the group and releases the handle,
    /// within ConsumerConfig::close_timeout whatever the cluster does; what
    /// could not be committed in time is reported to on_commit with its
    /// offsets. Further calls throw UsageError. Closing twice is harmless.
    /// Throws UsageError when called from inside run()'s handler or a
    /// callback (set the stop flag instead).
    void close();

    bool closed() const noexcept;

    /// The underlying librdkafka handle. Owned by the Consumer.
    rd_kafka_s* native_handle() const noexcept;

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace relkafka
