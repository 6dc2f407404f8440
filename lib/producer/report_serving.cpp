#include "producer/producer_impl.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <librdkafka/rdkafka.h>

#include "detail/errors.hpp"
#include "detail/logging.hpp"
#include "detail/records.hpp"
#include "producer/callback_scope.hpp"
#include "observability/statistics.hpp"

namespace relkafka {

namespace {

// Whether `m` is as default-constructed, as far as a Delivery can tell.
bool is_blank(const Message& m) noexcept {
    return m.topic.empty() && !m.key && !m.value && m.headers.empty() && !m.partition &&
           !m.timestamp;
}

Persistence to_persistence(rd_kafka_msg_status_t status) {
    switch (status) {
        case RD_KAFKA_MSG_STATUS_PERSISTED: return Persistence::Persisted;
        case RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED: return Persistence::PossiblyPersisted;
        case RD_KAFKA_MSG_STATUS_NOT_PERSISTED: return Persistence::NotPersisted;
    }
    return Persistence::PossiblyPersisted;
}

}  // namespace

void Producer::Impl::poll_loop() {
    const detail::CallbackScope scope(this);
    if (!events_) {
        while (!stop_polling_.load()) {
            rd_kafka_poll(rk_.get(), 100);
        }
        return;
    }
    while (!stop_polling_.load()) {
        // While reports are parked, wake up sooner to free them if the
        // senders have gone quiet.
        const int timeout_ms = parked_.empty() ? 100 : 10;
        if (rd_kafka_event_t* event = rd_kafka_queue_poll(events_.get(), timeout_ms)) {
            serve_event(event);
        } else {
            parked_.reclaim();
        }
    }
}

// The main queue's ops as events: what rd_kafka_poll() would pass to the
// callbacks set in the constructor.
void Producer::Impl::serve_event(rd_kafka_event_t* event) {
    switch (rd_kafka_event_type(event)) {
        case RD_KAFKA_EVENT_DR: serve_reports(event); return;  // takes the event
        case RD_KAFKA_EVENT_ERROR:
            if (config_.on_error) {
                // librdkafka has already swapped ERR__FATAL for the underlying code.
                const int err = rd_kafka_event_error_is_fatal(event) ? RD_KAFKA_RESP_ERR__FATAL
                                                                      : rd_kafka_event_error(event);
                on_client_error(rk_.get(), err, rd_kafka_event_error_string(event), this);
            }
            break;
        case RD_KAFKA_EVENT_STATS:
            if (config_.on_statistics) {
                const char* json = rd_kafka_event_stats(event);
                detail::deliver_statistics(json, config_.on_statistics, config_.on_error,
                                           config_.on_log, "ProducerConfig");
            }
            break;
        case RD_KAFKA_EVENT_LOG: {
            const char* facility = "";
            const char* text = "";
            int level = 0;
            if (rd_kafka_event_log(event, &facility, &text, &level) == 0) {
                on_log(rk_.get(), level, facility, text);
            }
            break;
        }
        default: break;
    }
    rd_kafka_event_destroy(event);
}

void Producer::Impl::serve_reports(rd_kafka_event_t* event) {
    std::size_t messages = 0;
    std::size_t bytes = 0;
    // One event's messages share a topic. Its name is read once: the topic
    // object's cache line is written by every send (its lock, its refcount).
    const rd_kafka_topic_t* rkt = nullptr;
    std::string_view topic;
    // One Delivery for the whole event: a callback that only reads it, and a
    // future's acknowledgement, leave its topic's buffer to the next, so a
    // name too long for std::string's inline buffer is not allocated and
    // freed once per message.
    Delivery delivery;
    while (const rd_kafka_message_t* m = rd_kafka_event_message_next(event)) {
        if (m->rkt != rkt) {
            rkt = m->rkt;
            topic = rd_kafka_topic_name(rkt);
        }
        report(m, topic, delivery);
        ++messages;
        bytes += m->len + m->key_len;
    }
    // Once per event: senders read the count.
    completed_.fetch_add(messages);
    // Blocked senders need the room now, not when they next send.
    if (room_waiters_.load() != 0 || !parked_.park(event, messages, bytes)) {
        rd_kafka_event_destroy(event);
    }
    wake_blocked_senders();
}

void Producer::Impl::wake_blocked_senders() {
    if (room_waiters_.load() > 0) {
        std::lock_guard<std::mutex> lock(room_mutex_);
        room_.notify_all();
    }
}

void Producer::Impl::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    Delivery delivery;
    self->report(m, rd_kafka_topic_name(m->rkt), delivery);
    self->completed_.fetch_add(1);
    self->wake_blocked_senders();
}

void Producer::Impl::report(const rd_kafka_message_t* m, std::string_view topic,
                            Delivery& delivery) {
    PendingPtr pending(static_cast<PendingSend*>(m->_private));

    // Every field is set: the previous callback may have read or moved it.
    if (delivery.topic != topic) {
        delivery.topic.assign(topic);
    }
    delivery.partition = m->partition;
    delivery.offset = m->offset;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const std::int64_t timestamp = rd_kafka_message_timestamp(m, &type);
    delivery.timestamp = type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                             ? std::optional<Timestamp>(Timestamp(milliseconds(timestamp)))
                             : std::nullopt;
    delivery.persistence = to_persistence(rd_kafka_message_status(m));
    const bool failed = m->err != RD_KAFKA_RESP_ERR_NO_ERROR;
    Failure failure = FailureKinds;
    if (failed) {
        delivery.error = delivery_error(m->err);
        delivery.message = detail::to_message(m, pending->partition);
        failure = failure_of(delivery.error);
    } else {
        delivery.error = Error();
        if (!is_blank(delivery.message)) {
            delivery.message = Message();
        }
    }
    finish(*pending, delivery);

    // Counted before the caller adds to completed_, from which counters()
    // derives `delivered`: successes cost no counter of their own.
    if (failed) {
        failures_[failure].fetch_add(1, std::memory_order_relaxed);
    }
}

void Producer::Impl::finish(PendingSend& pending, Delivery& delivery) {
    if (delivery.error && collecting_.load()) {
        std::lock_guard<std::mutex> lock(handed_back_mutex_);
        handed_back_.push_back(delivery);
        handed_back_count_.fetch_add(1, std::memory_order_relaxed);
    }
    try {
        if (auto* callback = std::get_if<DeliveryCallback>(&pending.reply)) {
            const detail::CallbackScope scope(this);
            (*callback)(std::move(delivery));
        } else {
            std::get<detail::DeliveryPromise>(pending.reply).complete(delivery);
        }
    } catch (...) {
        // The message was reported (exactly once); the exception is not the
        // producer's to act on, and must not end the service.
        const std::string line =
            detail::callback_threw(config_.on_log, "a delivery callback (send(message, callback))");
        if (config_.on_error) {
            try {
                config_.on_error(Error(ErrorCode::Fail, line));
            } catch (...) {
                (void)detail::callback_threw(config_.on_log, "ProducerConfig::on_error");
            }
        }
    }
}

void Producer::Impl::on_client_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    const detail::CallbackScope scope(self);
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    Error error = code == RD_KAFKA_RESP_ERR__FATAL
                      ? self->fatal_error_or(code, "producer")
                      : Error(detail::to_code(code), detail::explain_client_error(reason),
                              detail::is_retriable(detail::to_code(code)));
    try {
        self->config_.on_error(error);
    } catch (...) {
        (void)detail::callback_threw(self->config_.on_log, "ProducerConfig::on_error");
    }
}

int Producer::Impl::on_statistics(rd_kafka_t*, char* json, std::size_t json_len, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    const detail::CallbackScope scope(self);
    detail::deliver_statistics(std::string_view(json, json_len), self->config_.on_statistics,
                               self->config_.on_error, self->config_.on_log, "ProducerConfig");
    return 0;  // librdkafka frees the JSON
}

void Producer::Impl::on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    const auto* self = static_cast<const Impl*>(rd_kafka_opaque(rk));
    detail::log_librdkafka(self != nullptr ? self->config_.on_log : LogCallback(), rk, level,
                           facility, text);
}

}  // namespace relkafka
