#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "detail/handles.hpp"
#include "detail/kafka_conf.hpp"
#include "detail/parked_reports.hpp"
#include "producer/callback_scope.hpp"
#include "producer/delivery_state.hpp"
#include "producer/handle_gate.hpp"
#include "producer/slab_pool.hpp"
#include "relkafka/producer.hpp"

namespace relkafka {

// What stands behind a Producer. Sending and flushing are in producer.cpp,
// closing in close.cpp, the callback thread, delivery reports and the other
// callbacks in report_serving.cpp.
class Producer::Impl {
    using Clock = std::chrono::steady_clock;
    using milliseconds = std::chrono::milliseconds;

    // Where a message's outcome goes: all the facade keeps per message in
    // flight. librdkafka holds its own copy of the payload, as it would for any
    // caller, and a failed message is rebuilt from that copy to be handed back.
    struct PendingSend {
        explicit PendingSend(DeliveryCallback&& callback)
            : reply(std::in_place_type<DeliveryCallback>, std::move(callback)) {}
        explicit PendingSend(detail::DeliveryPromise&& promise)
            : reply(std::in_place_type<detail::DeliveryPromise>, std::move(promise)) {}

        std::variant<DeliveryCallback, detail::DeliveryPromise> reply;
        std::optional<std::int32_t> partition;  // as requested, to hand the message back as sent
    };

    // Created by senders, destroyed by the callback thread: pooled in slabs. A
    // slab of 256 is about 16 KB, which every sending thread keeps one of.
    using PendingPool = detail::SlabPool<PendingSend, 256>;
    struct ReleasePending {
        void operator()(PendingSend* pending) const noexcept { PendingPool::release(pending); }
    };
    using PendingPtr = std::unique_ptr<PendingSend, ReleasePending>;

public:
    // `extra`: properties applied after the policies and overrides.
    explicit Impl(ProducerConfig config, detail::Properties extra = {});
    ~Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // `owned` is the Message the caller handed over, if any, and `view` a
    // view of it; it is given back unchanged if it cannot be queued.
    void send(const MessageView& view, Message* owned, DeliveryCallback&& on_delivery);
    DeliveryFuture send_future(const MessageView& view, Message* owned);
    Delivery send_sync(const MessageView& view, Message* owned);
    Error flush(milliseconds timeout);
    std::vector<Delivery> close(milliseconds timeout);
    int poll(milliseconds timeout);
    Error wait_connected(milliseconds timeout);

    // For a Producer destroyed inside one of its own callbacks: the close
    // cannot happen under the callback, so it happens on a thread of its
    // own, which then destroys the Impl.
    static void close_later(std::unique_ptr<Impl> self) noexcept;
    // Whether the current thread is inside this producer's callbacks (see
    // CallbackScope).
    bool serving_callbacks() const noexcept { return detail::CallbackScope::inside(this); }

    std::size_t in_flight() const noexcept { return queued_.load() - completed_.load(); }
    ProducerCounters counters() const noexcept;
    std::optional<Error> fatal_error() const;
    bool closed() const noexcept { return state_.load() != State::Open; }
    // The handle while it exists, else nullptr; for native_handle().
    rd_kafka_t* handle() const noexcept;
    const ProducerConfig& config() const noexcept { return config_; }

    // Runs `wait`, a librdkafka call that waits for its message count to
    // reach zero (a flush, a transaction's commit or abort), with no report
    // parked meanwhile: parked messages count.
    template <class Wait>
    auto unparked(Wait&& wait) {
        struct Hold {
            explicit Hold(detail::ParkedReports& p) : parked(p) {
                parked.hold();
                parked.reclaim();
            }
            ~Hold() { parked.release(); }
            detail::ParkedReports& parked;
        } hold(parked_);
        return wait();
    }

private:
    enum class State { Open, Closing, Closed };

    static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
    // Fills `delivery` (reused: see serve_reports) with m's outcome and
    // reports it.
    void report(const rd_kafka_message_t* m, std::string_view topic, Delivery& delivery);
    void wake_blocked_senders();
    void serve_event(rd_kafka_event_t* event);
    void serve_reports(rd_kafka_event_t* event);
    static void on_client_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
    static int on_statistics(rd_kafka_t* rk, char* json, std::size_t json_len, void* opaque);
    static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text);

    // How a queued message failed, for counters().
    enum Failure { TimedOut, Purged, Fatal, OtherFailure, FailureKinds };
    static Failure failure_of(const Error& error) noexcept;

    // Throws UsageError when `call` is made inside this producer's callbacks.
    void refuse_inside_callbacks(const char* call) const;
    // Serves reports and purges until every call still inside the gate has
    // left and every message has its outcome (the latter within a bound).
    void drain_before_destroy(rd_kafka_queue_t* main_queue);
    std::optional<Error> fatal_error_of_handle() const;

    void send(const MessageView& view, Message* owned, PendingPtr pending);
    rd_kafka_resp_err_t produce(const MessageView& message, const char* topic,
                                PendingSend& pending);
    void wait_for_room(std::size_t completed_before, Clock::time_point deadline);
    Error send_error(rd_kafka_resp_err_t err, const MessageView& message, bool blocked) const;
    Error delivery_error(rd_kafka_resp_err_t err) const;
    Error fatal_error_or(rd_kafka_resp_err_t err, const std::string& what) const;
    // Hands `delivery` to its callback or future. A callback may take it; a
    // future takes it only if it failed.
    void finish(PendingSend& pending, Delivery& delivery);
    void poll_loop();

    ProducerConfig config_;
    std::shared_ptr<detail::FuturesShared> futures_ = std::make_shared<detail::FuturesShared>();
    detail::KafkaHandle rk_;
    // Declared after rk_: both are released before the handle is destroyed.
    detail::QueueHandle events_;  // the main queue, when reports come as events
    detail::ParkedReports parked_;
    std::size_t max_message_bytes_ = 0;

    std::atomic<State> state_{State::Open};
    // Every call that uses rk_ passes it; close() waits for them to leave
    // before destroying rk_.
    mutable detail::HandleGate gate_;
    // The fatal error, if any, as of the handle's destruction; written
    // before the gate is retired.
    std::optional<Error> final_fatal_;
    // Written by senders and by the callback thread: kept on separate lines.
    alignas(64) std::atomic<std::size_t> queued_{0};
    alignas(64) std::atomic<std::size_t> completed_{0};
    // Off the hot path: failures, refusals, waits.
    alignas(64) std::atomic<std::size_t> failures_[FailureKinds] = {};
    std::atomic<std::size_t> refused_{0};
    std::atomic<std::size_t> handed_back_count_{0};
    std::atomic<std::size_t> blocked_sends_{0};

    // Senders blocked on a full queue wait here for a completion.
    std::mutex room_mutex_;
    std::condition_variable room_;
    std::atomic<int> room_waiters_{0};

    // Failures reported while closing, copied for close()'s return value.
    std::atomic<bool> collecting_{false};
    std::mutex handed_back_mutex_;
    std::vector<Delivery> handed_back_;

    // How long the last send_sync() waited for its outcome, in nanoseconds.
    std::atomic<std::int64_t> last_sync_wait_{0};

    std::atomic<bool> stop_polling_{false};
    std::thread poller_;
};

}  // namespace relkafka
