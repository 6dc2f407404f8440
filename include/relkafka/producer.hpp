#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "relkafka/config.hpp"
#include "relkafka/delivery.hpp"
#include "relkafka/delivery_future.hpp"
#include "relkafka/error.hpp"
#include "relkafka/message.hpp"

struct rd_kafka_s;

namespace relkafka {

/// What a Producer did with the messages it was given, for metrics and
/// tests. A message send() queued ends up in exactly one of delivered,
/// timed_out, purged, fatal and other_failures, or is still in flight; one
/// send() could not queue counts in `refused`. The counters are read without
/// a lock: while messages are in flight, one may be a moment ahead of another,
/// and `sent` may include a send that is still being queued.
struct ProducerCounters {
    std::size_t sent = 0;            ///< messages send() queued
    std::size_t delivered = 0;       ///< acknowledged by the broker
    std::size_t failed = 0;          ///< reported failed: the sum of the five below
    std::size_t timed_out = 0;       ///< not acknowledged within retry.delivery_timeout
    std::size_t purged = 0;          ///< given up by close(), unsent or awaiting acknowledgement
    std::size_t fatal = 0;           ///< queued, then given up because of a fatal error
    std::size_t other_failures = 0;  ///< failed otherwise, e.g. the broker refused them
    std::size_t refused = 0;         ///< not queued by send(): queue full, too large, unknown
                                     ///< topic, after a fatal error, or closed while waiting
    std::size_t handed_back = 0;     ///< failures reported during close() (and returned by it)
    std::size_t blocked_sends = 0;   ///< sends that waited for room in a full queue
};

/// A producer that never loses a message silently.
///
/// Every message sent is reported exactly once, through its callback or its
/// future: acknowledged by the broker, or failed with an Error and handed
/// back whole. That includes messages still queued when the producer is
/// closed or destroyed, and messages caught by a fatal error.
///
/// Thread safety: send(), send_sync(), flush(), in_flight(), counters(),
/// fatal_error() and wait_connected() may be called from any number of
/// threads at once, also while another thread closes the producer: a call
/// that started before close() completes (close() waits for it before it
/// destroys librdkafka's handle, and gives up its messages as it gives up
/// the others); a call that arrives once close() has started throws
/// UsageError, except counters(), in_flight() and fatal_error(), which keep
/// answering. close() and poll() may be called from any thread, but not
/// concurrently with themselves.
///
/// Callbacks (deliveries, on_error, on_statistics) run on the producer's own
/// thread (CallbackMode::BackgroundThread, the default) or inside poll()
/// (CallbackMode::ExplicitPoll); during close() they may also run on the
/// closing thread, and a delivery callback runs on the sending thread when
/// send() cannot queue its message. on_log may run on any thread,
/// librdkafka's included. Inside these callbacks send() may be called;
/// close(), flush() and send_sync() throw UsageError, since they would wait
/// for the callbacks, the running one included. A Producer destroyed inside
/// one of its own callbacks is closed once that callback has returned, on a
/// thread of its own (with close_timeout, every undelivered message
/// reported), and the event is logged at error: destroy it from elsewhere.
///
/// A Producer can be moved, not copied. A moved-from Producer may only be
/// destroyed or assigned to: every other call throws UsageError
/// ("... on a moved-from Producer"), except closed() (true) and
/// native_handle() (nullptr), which cannot throw.
class Producer {
public:
    /// Validates the configuration and connects. Throws ConfigError naming
    /// the offending setting(s) when it is invalid, contradictory or unsafe.
    explicit Producer(ProducerConfig config);

    /// Closes with the configured close_timeout: flushes, then reports every
    /// undelivered message to its callback as failed. Never throws.
    ~Producer();

    Producer(Producer&&) noexcept;
    Producer& operator=(Producer&&) noexcept;
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;

    /// Sends and waits for the outcome (at most the delivery timeout).
    [[nodiscard]] Delivery send_sync(Message message);

    /// Sends; the future becomes ready with the outcome.
    [[nodiscard]] DeliveryFuture send(Message message);

    /// Sends; `on_delivery` is called exactly once with the outcome. If the
    /// message cannot even be queued (too large, queue full, fatal error) the
    /// callback runs before send() returns, on the calling thread. An empty
    /// `on_delivery` throws UsageError: the outcome would go nowhere.
    void send(Message message, DeliveryCallback on_delivery);

    /// The same three sends for bytes the caller keeps: librdkafka copies them
    /// before the call returns, and a failed message is handed back as an
    /// owning Message. No allocation of the caller's is needed per message.
    [[nodiscard]] Delivery send_sync(const MessageView& message);
    [[nodiscard]] DeliveryFuture send(const MessageView& message);
    void send(const MessageView& message, DeliveryCallback on_delivery);

    /// Waits until every message sent so far has its outcome. Returns an
    /// Error with ErrorCode::TimedOut if some are still outstanding.
    [[nodiscard]] Error flush(std::chrono::milliseconds timeout);

    /// Flushes for up to `timeout`, then gives up what is still undelivered.
    /// Every message that failed during close is reported to its callback or
    /// future and also returned here (a copy), so a shutdown path can store
    /// or re-send them in one place. Further sends throw UsageError.
    /// Returns nothing when already closed.
    [[nodiscard]] std::vector<Delivery> close(std::chrono::milliseconds timeout);

    /// Serves delivery callbacks for up to `timeout`; returns how many ran.
    /// Required with CallbackMode::ExplicitPoll, harmless otherwise.
    int poll(std::chrono::milliseconds timeout);

    /// Messages sent whose outcome has not been reported yet.
    std::size_t in_flight() const;

    /// One metadata round trip to the cluster, for a service to fail fast at
    /// start instead of through a delivery timeout. Returns no error once a
    /// broker answered; otherwise a retriable error (TimedOut, Transport,
    /// AllBrokersDown) naming bootstrap_servers: check the address, the
    /// network and the security overrides. Throws UsageError once closed.
    [[nodiscard]] Error wait_connected(std::chrono::milliseconds timeout);

    /// What the producer did so far; also after close(). Thread-safe.
    ProducerCounters counters() const;

    /// The fatal error that made this producer unusable, if any. Once set,
    /// every outstanding and later message fails with an Error whose fatal()
    /// is true; create a new Producer to continue.
    std::optional<Error> fatal_error() const;

    bool closed() const noexcept;

    /// The underlying librdkafka handle, for what the facade does not cover.
    /// Owned by the Producer; do not destroy it or poll it. Valid until
    /// close() returns; nullptr after.
    rd_kafka_s* native_handle() const noexcept;

    class Impl;

private:
    friend class TransactionalProducer;
    // A producer whose librdkafka client also gets `extra` properties, after
    // the policies and overrides (the transactional ones).
    Producer(ProducerConfig config, std::vector<std::pair<std::string, std::string>> extra);

    std::unique_ptr<Impl> impl_;
};

}  // namespace relkafka
