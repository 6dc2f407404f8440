#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "relkafka/config.hpp"
#include "relkafka/error.hpp"
#include "relkafka/message.hpp"
#include "relkafka/record.hpp"
#include "relkafka/transactional_producer.hpp"

namespace relkafka {

class Consumer;

/// When the pipeline ends a transaction: whichever bound is reached first.
struct PipelineBatch {
    std::size_t max_records = 1000;     ///< input records per transaction
    std::size_t max_bytes = 1 << 20;    ///< input key + value bytes per transaction
    std::chrono::milliseconds max_time{100};  ///< from the transaction's first record
};

/// What the pipeline does when its producer hits a fatal error.
enum class OnFatalError {
    Stop,      ///< run() returns the error (default)
    Recreate,  ///< build a new producer with the same transactional_id and go on
};

/// The settings of an ExactlyOncePipeline.
struct PipelineConfig {
    /// The input: topics and group_id as for any Consumer. isolation must be
    /// Isolation::ReadCommitted (the default); `commit` is not used: the
    /// input offsets are committed by the transactions.
    ConsumerConfig consumer;
    /// The output producer. One transactional_id per pipeline instance,
    /// stable across its restarts.
    TransactionalConfig producer;
    PipelineBatch batch;
    OnFatalError on_fatal = OnFatalError::Stop;
    /// Bounds each commit and abort of a transaction, and each send of the
    /// input offsets.
    std::chrono::milliseconds transaction_call_timeout{30000};
    /// Optional: called once per output message when its transaction ended,
    /// committed (ok()) or not (e.g. TRANSACTION_ABORTED, then redone), on
    /// run()'s thread. For metrics and tests; it must not throw.
    DeliveryCallback on_output;
};

/// Called once per input record (again if its transaction is redone): appends
/// the records to produce for it, possibly none, to `out`. If it throws, the
/// transaction is aborted and run() returns an error naming the record.
using Transform = std::function<void(const Record& in, std::vector<Message>& out)>;

/// What a pipeline did so far. Thread-safe to read.
struct PipelineCounters {
    std::size_t records = 0;        ///< input records given to the transform (redone ones again)
    std::size_t redone = 0;         ///< of those, records of aborted transactions read again
    std::size_t outputs = 0;        ///< messages the transform produced
    std::size_t committed = 0;      ///< transactions committed
    std::size_t aborted = 0;        ///< transactions aborted (and redone)
    std::size_t recreated = 0;      ///< producers rebuilt after a fatal error
};

/// Consume, transform, produce, exactly once: each input record's outputs
/// and the input offset after it are committed in one transaction, so that a
/// read_committed reader of the outputs sees every input's outputs exactly
/// once, whatever fails, and the group's committed offsets move with them.
///
/// What it does for you:
/// - batches records into transactions bounded by PipelineBatch;
/// - on an abortable error aborts, seeks every partition of the batch back to
///   its first record, and redoes the batch;
/// - before partitions are revoked commits the open transaction (aborting it
///   and redoing the partitions kept if that fails), so that the next owner
///   starts exactly after what was committed;
/// - when the group drops this member (a lost assignment) aborts, instead of
///   committing, what was read from partitions that may already have a new
///   owner;
/// - on a fatal error (fenced by a newer instance) stops, or recreates the
///   producer per OnFatalError.
///
/// Limits. Exactly once holds for what the transactions write to Kafka; a
/// transform's side effects outside Kafka happen once per attempt. Brokers
/// older than 2.5 lack KIP-447: they do not check the consumer generation of
/// the offsets sent in a transaction, so a member that lost its partitions
/// without noticing (a stall longer than max.poll.interval.ms before it
/// polls again) could still commit one transaction of outputs their new
/// owner also writes. The pipeline aborts on every lost assignment it sees,
/// which closes all but that window; on such brokers run one pipeline
/// instance (with its own transactional_id) per input partition, with
/// ConsumerConfig::partitions, to close it entirely.
///
/// Thread safety: run() on one thread; wakeup() and counters() from any.
class ExactlyOncePipeline {
public:
    /// Validates both configurations and connects. Throws ConfigError.
    explicit ExactlyOncePipeline(PipelineConfig config);
    /// Aborts an open transaction and closes; never throws.
    ~ExactlyOncePipeline();

    ExactlyOncePipeline(ExactlyOncePipeline&&) noexcept;
    ExactlyOncePipeline& operator=(ExactlyOncePipeline&&) noexcept;
    ExactlyOncePipeline(const ExactlyOncePipeline&) = delete;
    ExactlyOncePipeline& operator=(const ExactlyOncePipeline&) = delete;

    /// Runs until `stop` is set, then commits the open transaction and
    /// returns no error. Returns the error that ended it otherwise: a fatal
    /// producer error (OnFatalError::Stop), a transform that threw, or an
    /// initialization that did not succeed within transaction_call_timeout.
    /// Callable again after it returned.
    [[nodiscard]] Error run(const Transform& transform, const std::atomic<bool>& stop);

    /// Makes a run() waiting for input return to check `stop` at once.
    void wakeup() noexcept;

    PipelineCounters counters() const;

    class Impl;

private:
    static void hand_commits(Consumer& consumer, std::function<void()> hook);

    std::unique_ptr<Impl> impl_;
};

}  // namespace relkafka
