#pragma once

#include <chrono>
#include <cstddef>

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

}  // namespace relkafka
