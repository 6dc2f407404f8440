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
#include "relkafka/topic_partition.hpp"

struct rd_kafka_s;

namespace relkafka {

/// Processes one record. Returning means success; throwing means failure
/// (retried, then dead-lettered or stopped per the ProcessingRetry and
/// DeadLetter policies) — an exception is never taken for success.
using RecordHandler = std::function<void(const Record&)>;

/// Where an assigned partition stands: see Consumer::progress().
struct PartitionProgress {
    TopicPartition partition;
    std::int64_t position = -1;   ///< next offset handed out by this consumer; -1: unknown
    std::int64_t committed = -1;  ///< the group's committed offset; -1: none or unknown
    std::int64_t low = -1;        ///< first offset in the log; -1: unknown
    std::int64_t high = -1;       ///< offset of the next record written; -1: unknown
    /// Why some of the above are unknown (e.g. TimedOut); none otherwise.
    Error error;

    /// Records in the log after this consumer's position (or after the
    /// committed offset before the first fetch); -1 when unknown.
    std::int64_t lag() const noexcept {
        const std::int64_t from = position >= 0 ? position : committed >= 0 ? committed : low;
        return high < 0 || from < 0 ? -1 : (high > from ? high - from : 0);
    }
};

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
    void pause(const TopicPartition& partition);
    void resume(const TopicPartition& partition);

    // ---- Offset control. Each keeps the commit policy's promise: nothing
    // is committed past a record that was not processed. Errors name the
    // partition; a partition not assigned to this member is a UsageError.

    /// Fetching of the partition goes on at `to.offset` (an offset,
    /// offset_beginning or offset_end), from the next poll(). Records of the
    /// partition fetched before the seek are not handed out by run(), and
    /// poll() returns only records read after it. Seeking back makes the
    /// partition's committable position `to.offset`: what follows it is
    /// processed again, also after a restart. Seeking forward skips records;
    /// they become committed once a record after them is processed. On a
    /// partition stopped at a failing record the stop is given up: the
    /// partition resumes at the new offset. Callable from run()'s handler.
    [[nodiscard]] Error seek(const PartitionOffset& to,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Seeks to the first record whose timestamp is at or after `when`, or
    /// to the end if there is none. (librdkafka 2.0.2's mock cluster cannot
    /// look up by time: there it always seeks to the end.)
    [[nodiscard]] Error seek_to_time(const TopicPartition& partition,
                                     std::chrono::system_clock::time_point when,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

    /// For each assigned partition, the offset of the next record this
    /// consumer hands out (after a seek, or records fetched again, the
    /// offset fetching goes on at); -1 before the first record. Local: no
    /// round trip.
    std::vector<PartitionOffset> position() const;

    /// Where each assigned partition stands, for lag metrics and decisions:
    /// the group's committed offset and the watermarks are asked of the
    /// cluster (one round trip for the commits, one per partition for the
    /// watermarks), all within `timeout`.
    std::vector<PartitionProgress> progress(std::chrono::milliseconds timeout);

    /// Synchronously commits exactly `offsets` (each the offset of the next
    /// record to read, of an assigned partition), with the policy's retries,
    /// and makes them the partitions' committable positions: records marked
    /// processed later move on from there. Use it to commit a position the
    /// handler tracks itself; commit() commits what was marked processed.
    [[nodiscard]] Error commit(const std::vector<PartitionOffset>& offsets);

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
    friend class ExactlyOncePipeline;  // hands the consumer's commits to transactions

    std::unique_ptr<Impl> impl_;
};

}  // namespace relkafka
