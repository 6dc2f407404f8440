#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "relkafka/config.hpp"
#include "relkafka/delivery.hpp"
#include "relkafka/delivery_future.hpp"
#include "relkafka/error.hpp"
#include "relkafka/message.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/topic_partition.hpp"

struct rd_kafka_s;

namespace relkafka {

class Consumer;

/// The settings of a TransactionalProducer: the same policies as a Producer,
/// plus the identity its transactions are fenced by.
struct TransactionalConfig {
    /// Every policy of a Producer. Idempotence must stay Enabled (with
    /// Acks::All): transactions are built on it. `callbacks` is not used:
    /// librdkafka's reports and callbacks (on_error, on_statistics) are
    /// served inside send(), poll(), commit() and abort(), on the threads
    /// that call them.
    ProducerConfig producer;
    /// Stable across restarts of the same logical producer and unique among
    /// the producers that run at once: a new producer with the same id fences
    /// the old one, whose next call then reports TxnNext::Recreate.
    std::string transactional_id;
    /// How long the broker keeps a transaction open without a commit or an
    /// abort before it aborts it itself. It also bounds how long a crashed
    /// producer's open transaction holds back read_committed readers. Must be
    /// at least producer.retry.delivery_timeout, and within the broker's
    /// transaction.max.timeout.ms (900 s by default).
    std::chrono::milliseconds transaction_timeout{120000};
};

/// What the caller should do after a transactional call.
enum class TxnNext {
    Done,          ///< the call succeeded
    CallAgain,     ///< it may succeed if called again (e.g. it timed out)
    AbortAndRedo,  ///< the transaction cannot commit: abort() it, then redo its work
    Recreate,      ///< the producer is unusable (e.g. fenced): destroy it and build a new one
};

/// The outcome of a transactional call: what to do next and why. The
/// classification is librdkafka's (rd_kafka_error_t), not guessed from codes.
struct [[nodiscard]] TxnResult {
    TxnNext next = TxnNext::Done;
    Error error;  ///< no error when next == Done

    bool ok() const noexcept { return next == TxnNext::Done; }
    explicit operator bool() const noexcept { return ok(); }
};

/// A producer whose messages are written in transactions (KIP-98): every
/// message of a committed transaction becomes visible to read_committed
/// readers at once, with the consumer offsets sent in it, and none of an
/// aborted one ever does.
///
/// Usage, on one thread:
///
///     TransactionalProducer p(config);
///     p.init(30s);                       // once: fences older instances
///     p.begin();
///     p.send(message, callback);         // any number of sends
///     p.send_offsets(consumer, offsets, 10s);
///     TxnResult r = p.commit(30s);       // then the callbacks run
///
/// Delivery reports are held until the transaction ends: a message's callback
/// or future reports success only once its transaction committed, and every
/// message of an aborted transaction is reported failed with
/// ErrorCode::TransactionAborted and handed back whole, so that it can be sent
/// again in the next transaction. The reports of a transaction run on the
/// thread that calls commit() or abort(), after the broker answered and
/// before that call returns. A message sent outside a transaction is reported
/// at once, failed (ErrorCode::State). One the producer could not queue (a bad
/// topic name, a full queue) keeps its own error and is reported with the
/// others when the transaction ends; the transaction may still commit
/// without it.
///
/// There is no send_sync(): a send's outcome is known only when its
/// transaction ends, so waiting for it on the thread that must end the
/// transaction would never return. Send with futures and get() them after
/// commit().
///
/// Thread safety: send() may be called from any number of threads during a
/// transaction. init(), begin(), send_offsets(), commit() and abort() are
/// called from one thread at a time.
class TransactionalProducer {
public:
    /// Validates the configuration (as a Producer would, and the transaction
    /// settings) and connects. Throws ConfigError naming what is wrong.
    explicit TransactionalProducer(TransactionalConfig config);

    /// Aborts an open transaction (within producer.close_timeout), reports
    /// its messages as aborted, then closes. Never throws.
    ~TransactionalProducer();

    TransactionalProducer(TransactionalProducer&&) noexcept;
    TransactionalProducer& operator=(TransactionalProducer&&) noexcept;
    TransactionalProducer(const TransactionalProducer&) = delete;
    TransactionalProducer& operator=(const TransactionalProducer&) = delete;

    /// Registers transactional_id with its coordinator, fencing any older
    /// producer with the same id and finishing what it left open. Once,
    /// before the first begin(); call again after CallAgain.
    TxnResult init(std::chrono::milliseconds timeout);

    /// Starts a transaction. Local: it does not wait for the cluster.
    TxnResult begin();

    /// Sends within the open transaction; `on_delivery` runs exactly once,
    /// when the transaction ends (see above).
    void send(Message message, DeliveryCallback on_delivery);
    /// Sends within the open transaction; the future is ready once the
    /// transaction ended.
    [[nodiscard]] DeliveryFuture send(Message message);
    /// The same for bytes the caller keeps; they are copied, because an
    /// aborted message is handed back whole.
    void send(const MessageView& message, DeliveryCallback on_delivery);
    [[nodiscard]] DeliveryFuture send(const MessageView& message);

    /// Commits `offsets` (each the next offset to read, as Consumer::commit
    /// takes them) for `consumer`'s group as part of this transaction: they
    /// take effect if and only if the transaction commits. The consumer
    /// should use Isolation::ReadCommitted and not commit these partitions
    /// itself.
    TxnResult send_offsets(const Consumer& consumer, const std::vector<PartitionOffset>& offsets,
                           std::chrono::milliseconds timeout);

    /// Flushes every message of the transaction and commits it, then reports
    /// each message. After CallAgain the transaction is still open: call
    /// commit() (or abort()) again; after AbortAndRedo call abort().
    TxnResult commit(std::chrono::milliseconds timeout);

    /// Aborts the transaction, then reports each of its messages as aborted.
    TxnResult abort(std::chrono::milliseconds timeout);

    /// Serves the broker's acknowledgements (counted in counters()) and
    /// on_error/on_statistics for up to `timeout`; send(), commit() and
    /// abort() do so too. Not needed for correctness: for an idle producer
    /// that should still report errors. Returns how many reports it served.
    int poll(std::chrono::milliseconds timeout);

    /// Whether begin() started a transaction that has not ended yet.
    bool in_transaction() const;

    /// Messages sent in the open transaction whose reports are held.
    std::size_t held() const;

    /// What the underlying producer did; a held report counts as delivered
    /// or failed when the broker answered, not when the transaction ended.
    ProducerCounters counters() const;

    /// The fatal error that made this producer unusable, if any.
    std::optional<Error> fatal_error() const;

    /// The underlying librdkafka handle. Owned; do not destroy or poll it.
    rd_kafka_s* native_handle() const noexcept;

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace relkafka
