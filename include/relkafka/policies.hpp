#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <variant>

namespace relkafka {

/// How many replicas must have a record before the broker acknowledges it.
enum class Acks {
    /// No acknowledgement: the producer never learns of a loss. Unsafe.
    None,
    /// The leader only: lost if the leader dies before followers copy it.
    Leader,
    /// Every in-sync replica (with the topic's min.insync.replicas). Default.
    All,
};

/// Whether the producer is idempotent: the broker drops retried batches it
/// already has and keeps per-partition order across retries. On by default;
/// requires Acks::All, retries > 0 and at most 5 requests in flight.
enum class Idempotence {
    Enabled,
    Disabled,
};

/// How librdkafka retries a failed produce request, and how long a message
/// may take in all before it is given up and reported as failed.
struct RetryPolicy {
    /// Retries of one batch; the delivery timeout usually ends retrying first.
    int retries = 2147483647;
    /// Wait before a failed request is retried.
    std::chrono::milliseconds backoff{100};
    /// Time from send() to a final outcome, retries included.
    std::chrono::milliseconds delivery_timeout{120000};
    /// Produce requests in flight per broker connection; at most 5 with
    /// idempotence, 1 without it if order must hold across retries.
    int max_in_flight = 5;
};

/// What send() does when librdkafka's local queue is full.
enum class QueueFullAction {
    /// Wait for room, up to Backpressure::max_block, then fail the message.
    Block,
    /// Fail the message at once with ErrorCode::QueueFull.
    FailFast,
};

/// Bounds of the local send queue and what happens when it is full.
struct Backpressure {
    QueueFullAction on_full = QueueFullAction::Block;
    std::chrono::milliseconds max_block{30000};
    /// queue.buffering.max.messages
    int max_messages = 100000;
    /// queue.buffering.max.kbytes
    int max_kbytes = 1048576;
};

/// Batch compression codec.
enum class Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
};

/// Which thread runs delivery callbacks.
enum class CallbackMode {
    /// A thread owned by the producer serves callbacks; nothing to do.
    BackgroundThread,
    /// The application calls Producer::poll() regularly; callbacks run there.
    ExplicitPoll,
};

// ---- Consumer policies ----

/// librdkafka commits on a timer, but only offsets of records whose handler
/// returned (enable.auto.offset.store=false): never unprocessed records.
/// A crash redelivers up to `interval` of processed records.
struct AutoCommit {
    std::chrono::milliseconds interval{5000};
};

/// Commit synchronously every `every` processed records, or after each poll
/// batch when `every` is 0. A failed commit is retried `attempts` times,
/// `backoff` apart, then reported. Each attempt waits at most `timeout` for
/// the broker's answer (a coordinator that is down does not block the
/// polling thread for longer); one that times out counts as failed.
struct SyncCommit {
    std::size_t every = 0;
    int attempts = 5;
    std::chrono::milliseconds backoff{200};
    std::chrono::milliseconds timeout{10000};
};

/// Commit asynchronously every `every` processed records (after each poll
/// batch when 0). Results go to ConsumerConfig::on_commit; a failed commit is
/// superseded by the next one, which covers everything processed by then.
struct AsyncCommit {
    std::size_t every = 0;
};

/// Async commits on the hot path, and one synchronous commit of everything
/// processed when partitions are revoked and on close: the default. The
/// synchronous commit's attempts, backoff and timeout are as SyncCommit's.
struct AsyncThenSync {
    std::size_t every = 0;
    int attempts = 5;
    std::chrono::milliseconds backoff{200};
    std::chrono::milliseconds timeout{10000};
};

/// Commit each poll batch before handing it out; a batch whose commit fails
/// is not handed out (it is fetched again). A crash loses the records of the
/// batch not yet processed: use only where loss beats repetition.
struct AtMostOnce {};

/// When processed offsets are committed.
using CommitPolicy = std::variant<AsyncThenSync, SyncCommit, AsyncCommit, AutoCommit, AtMostOnce>;

/// How partitions move between group members on a rebalance.
enum class GroupProtocol {
    /// Every partition is revoked, committed and reassigned
    /// (range,roundrobin). The default: on Kafka, a revoking member's
    /// commit is accepted, so nothing processed is processed again.
    Eager,
    /// Incremental: only moved partitions are revoked (cooperative-sticky).
    /// Refused with librdkafka older than 2.10.0 (the version linked at run
    /// time counts): there a commit sent while a rebalance waits for other
    /// members fails with ILLEGAL_GENERATION, which librdkafka takes for a
    /// lost assignment, so everything processed since the last commit is
    /// processed again, rebalance after rebalance (librdkafka #4059, fixed
    /// in 2.10.0); and a member closed before its first assignment aborts
    /// the process (#4312, fixed in 2.3.0).
    CooperativeSticky,
};

/// Whether records of open or aborted transactions are returned.
enum class Isolation {
    ReadCommitted,
    ReadUncommitted,
};

/// How often a failing handler is retried on the same record before the
/// record is dead-lettered or its partition stopped. The backoffs are slept
/// on the polling thread, so (attempts - 1) x backoff must stay below
/// librdkafka's "max.poll.interval.ms" (5 min unless overridden).
struct ProcessingRetry {
    int attempts = 3;
    std::chrono::milliseconds backoff{100};
};

/// Where records go whose handler failed every attempt. An empty topic
/// means "<original topic>.DLT". Without a DeadLetter policy, the consumer
/// pauses the partition at the failing record instead, never skipping it.
///
/// A dead-lettered record carries its key, value, headers and timestamp, and
/// the headers relkafka.dlt.original.topic, .original.partition,
/// .original.offset, relkafka.dlt.error and relkafka.dlt.attempts. The topic
/// must exist or be auto-created by the cluster. The write goes through a
/// Producer of its own, with the consumer's connection and security settings
/// (bootstrap servers; the overrides security.*, sasl.*, ssl.*, client.id,
/// socket.*, reconnect.*, broker.address.*, api.version.*,
/// broker.version.fallback, debug, log_level) and `producer_overrides` on
/// top, validated as any ProducerConfig when the Consumer is built. A write
/// that fails within `timeout` pauses the partition at the record (see
/// Consumer::stopped()); run() keeps polling meanwhile (the member stays in
/// the group), writes it again every `timeout`, and once it is written the
/// partition resumes after it by itself. A record written is committed at
/// once.
struct DeadLetter {
    std::string topic;
    /// The longest one write may take (its delivery timeout).
    std::chrono::milliseconds timeout{10000};
    /// librdkafka producer properties for the dead-letter producer only.
    std::map<std::string, std::string> producer_overrides;
};

}  // namespace relkafka
