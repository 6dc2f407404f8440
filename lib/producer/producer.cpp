#include "relkafka/producer.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "detail/errors.hpp"
#include "detail/handles.hpp"
#include "detail/kafka_conf.hpp"
#include "detail/logging.hpp"
#include "detail/parked_reports.hpp"
#include "detail/readiness.hpp"
#include "detail/producer_errors.hpp"
#include "detail/producer_properties.hpp"
#include "detail/records.hpp"
#include "detail/topic_rule.hpp"
#include "detail/yield_wait.hpp"
#include "observability/statistics.hpp"
#include "producer/delivery_state.hpp"
#include "producer/producer_impl.hpp"
#include "producer/slab_pool.hpp"
#include "producer/topic_cstring.hpp"

namespace relkafka {

namespace {

// How long send_sync() yields the CPU waiting for its outcome before it
// sleeps, when the previous wait was no longer than this.
constexpr std::chrono::microseconds sync_spin{200};

// How much finished delivery-report memory may wait for a sender to free it:
// at most a quarter of the queue's room, and 16 MiB of keys and values.
detail::ParkedReports::Limits parked_limits(const Backpressure& backpressure) {
    constexpr std::size_t most_bytes = std::size_t{16} << 20;
    const auto messages = static_cast<std::size_t>(std::max(backpressure.max_messages, 0));
    const auto kbytes = static_cast<std::size_t>(std::max(backpressure.max_kbytes, 0));
    return {messages / 4, std::min(most_bytes, kbytes * 1024 / 4)};
}

// Whether the callback thread can take delivery reports as events. Served as
// events, every op on the main queue comes back as one; OAUTHBEARER token
// refreshes would then need the application to set the token itself.
bool reports_as_events(const ProducerConfig& config, rd_kafka_conf_t* conf) {
    if (config.callbacks != CallbackMode::BackgroundThread) {
        return false;
    }
    char mechanisms[128];
    std::size_t size = sizeof mechanisms;
    return rd_kafka_conf_get(conf, "sasl.mechanisms", mechanisms, &size) != RD_KAFKA_CONF_OK ||
           std::string_view(mechanisms).find("OAUTHBEARER") == std::string_view::npos;
}

}  // namespace

Producer::Impl::Impl(ProducerConfig config, detail::Properties extra)
    : config_(std::move(config)), parked_(parked_limits(config_.backpressure)) {
    detail::Properties properties = detail::producer_properties(config_);
    properties.insert(properties.end(), extra.begin(), extra.end());
    detail::ConfHandle conf = detail::make_conf(properties);

    char buf[64];
    std::size_t size = sizeof buf;
    if (rd_kafka_conf_get(conf.get(), "message.max.bytes", buf, &size) == RD_KAFKA_CONF_OK) {
        max_message_bytes_ = std::stoul(buf);
    }

    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Impl::on_delivery);
    if (config_.on_error) {
        rd_kafka_conf_set_error_cb(conf.get(), &Impl::on_client_error);
    }
    if (config_.on_statistics) {
        rd_kafka_conf_set_stats_cb(conf.get(), &Impl::on_statistics);
    }
    // librdkafka's lines go through on_log (or relkafka's stderr format), on
    // librdkafka's own threads.
    rd_kafka_conf_set_log_cb(conf.get(), &Impl::on_log);
    const bool as_events = reports_as_events(config_, conf.get());
    if (as_events) {
        // dr_msg_cb stays set: flush(), poll() and close() still serve
        // reports as callbacks.
        rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_DR);
    }

    char errstr[512] = "";
    rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
    if (!rk_) {
        throw ConfigError(fmt::format("librdkafka refused the producer configuration: {}", errstr));
    }
    conf.release();  // rd_kafka_new took ownership
    if (as_events) {
        events_.reset(rd_kafka_queue_get_main(rk_.get()));
    }

    if (config_.callbacks == CallbackMode::BackgroundThread) {
        poller_ = std::thread([this] { poll_loop(); });
    }
}

rd_kafka_resp_err_t Producer::Impl::produce(const MessageView& m, const char* topic,
                                            PendingSend& pending) {
    if (detail::topic_name_problem(m.topic) != nullptr) {
        return RD_KAFKA_RESP_ERR__INVALID_ARG;  // send_error() names the problem
    }
    // Only what the message sets: librdkafka's defaults cover the rest.
    rd_kafka_vu_t fields[8];
    std::size_t count = 0;
    auto add = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
        fields[count].vtype = type;
        return fields[count++];
    };
    add(RD_KAFKA_VTYPE_TOPIC).u.cstr = topic;
    add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
    add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = &pending;
    if (m.value) {
        auto& value = add(RD_KAFKA_VTYPE_VALUE);
        value.u.mem.ptr = const_cast<char*>(m.value->data());
        value.u.mem.size = m.value->size();
    }
    if (m.key) {
        auto& key = add(RD_KAFKA_VTYPE_KEY);
        key.u.mem.ptr = const_cast<char*>(m.key->data());
        key.u.mem.size = m.key->size();
    }
    if (m.partition) {
        add(RD_KAFKA_VTYPE_PARTITION).u.i32 = *m.partition;
    }
    if (m.timestamp) {
        add(RD_KAFKA_VTYPE_TIMESTAMP).u.i64 = m.timestamp->time_since_epoch().count();
    }
    detail::HeadersHandle headers;
    if (!m.headers.empty()) {
        headers.reset(rd_kafka_headers_new(m.headers.size()));
        for (const auto& h : m.headers) {
            rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                                h.value.data(), static_cast<ssize_t>(h.value.size()));
        }
        add(RD_KAFKA_VTYPE_HEADERS).u.headers = headers.get();
    }
    const detail::ErrorHandle error(rd_kafka_produceva(rk_.get(), fields, count));
    if (error) {
        return rd_kafka_error_code(error.get());
    }
    (void)headers.release();  // librdkafka owns them now
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void Producer::Impl::send(const MessageView& view, Message* owned,
                          DeliveryCallback&& on_delivery) {
    send(view, owned, PendingPtr(PendingPool::make(std::move(on_delivery))));
}

void Producer::Impl::send(const MessageView& view, Message* owned, PendingPtr pending) {
    const detail::GatePass pass(gate_, gate_.enter());
    if (!pass) {
        throw UsageError("send() on a closed Producer: create a new Producer to send more messages");
    }
    pending->partition = view.partition;
    // An owned Message's topic is NUL-terminated already.
    const detail::TopicCString view_topic(owned != nullptr ? std::string_view() : view.topic);
    const char* topic = owned != nullptr ? owned->topic.c_str() : view_topic.c_str();

    Clock::time_point deadline{};
    bool blocked = false;
    // Completions counted before the latest attempt, taken only once the
    // queue is full: every delivery report writes the counter.
    std::size_t completed_before = 0;
    bool counted = false;
    for (;;) {
        // Counted before it is queued so that a delivery report can never
        // make in_flight() negative.
        queued_.fetch_add(1);
        const rd_kafka_resp_err_t err = produce(view, topic, *pending);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            (void)pending.release();  // on_delivery takes it back
            parked_.reclaim_some();
            return;
        }
        queued_.fetch_sub(1);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && parked_.reclaim()) {
            continue;  // parked reports held the room
        }

        const bool may_wait = err == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
                              config_.backpressure.on_full == QueueFullAction::Block &&
                              state_.load() == State::Open;
        if (may_wait && !blocked) {
            blocked = true;
            deadline = Clock::now() + config_.backpressure.max_block;
            blocked_sends_.fetch_add(1, std::memory_order_relaxed);
        }
        if (!may_wait || Clock::now() >= deadline) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            Delivery failed;
            failed.topic = view.topic;
            failed.error = send_error(err, view, blocked);
            // Handed back as it came.
            failed.message = owned != nullptr ? std::move(*owned) : detail::to_message(view);
            finish(*pending, failed);
            return;
        }
        if (!counted) {
            // One more attempt after the count: room freed before it is seen
            // by that attempt, room freed after it ends the wait.
            completed_before = completed_.load();
            counted = true;
            continue;
        }
        wait_for_room(completed_before, deadline);
        counted = false;
    }
}

void Producer::Impl::wait_for_room(std::size_t completed_before, Clock::time_point deadline) {
    if (config_.callbacks == CallbackMode::ExplicitPoll) {
        // Nobody else serves delivery reports: serve them here.
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        rd_kafka_poll(rk_.get(), static_cast<int>(std::clamp<milliseconds::rep>(left.count(), 0, 10)));
        return;
    }
    room_waiters_.fetch_add(1);
    {
        std::unique_lock<std::mutex> lock(room_mutex_);
        room_.wait_until(lock, deadline, [&] {
            return completed_.load() != completed_before || !parked_.empty() ||
                   state_.load() != State::Open;
        });
    }
    room_waiters_.fetch_sub(1);
}

DeliveryFuture Producer::Impl::send_future(const MessageView& view, Message* owned) {
    auto [future, promise] = detail::DeliveryFutureAccess::make(futures_);
    send(view, owned, PendingPtr(PendingPool::make(std::move(promise))));
    return std::move(future);
}

Delivery Producer::Impl::send_sync(const MessageView& view, Message* owned) {
    refuse_inside_callbacks("send_sync()");
    if (config_.callbacks == CallbackMode::ExplicitPoll) {
        // Polls the handle until the outcome is there: inside the gate.
        const detail::GatePass pass(gate_, gate_.enter());
        if (!pass) {
            throw UsageError("send_sync() on a closed Producer: create a new Producer to send "
                             "more messages");
        }
        DeliveryFuture outcome = send_future(view, owned);
        while (!outcome.ready()) {
            rd_kafka_poll(rk_.get(), 50);
        }
        return outcome.get();
    }
    // The wait needs no handle: close() completes every future.
    DeliveryFuture outcome = send_future(view, owned);
    const auto ready = [&] { return outcome.ready(); };
    // Sleeping until the callback thread sets the outcome adds a second
    // wake-up to librdkafka's. Outcomes that come back within microseconds
    // (linger.ms=0, a near broker) are cheaper to wait for awake; slower ones
    // are not worth the CPU, so the last wait decides.
    const Clock::time_point start = Clock::now();
    if (std::chrono::nanoseconds(last_sync_wait_.load(std::memory_order_relaxed)) <= sync_spin) {
        detail::yield_until(ready, sync_spin);
    }
    Delivery delivery = outcome.get();
    last_sync_wait_.store(std::chrono::nanoseconds(Clock::now() - start).count(),
                          std::memory_order_relaxed);
    return delivery;
}

void Producer::Impl::refuse_inside_callbacks(const char* call) const {
    if (serving_callbacks()) {
        throw UsageError(fmt::format(
            "{} called inside one of this Producer's callbacks would wait for the callbacks, "
            "its own included (or destroy the handle librdkafka is running them from): use "
            "send() with a callback there, and flush or close the Producer from another thread",
            call));
    }
}

Producer::Impl::Failure Producer::Impl::failure_of(const Error& error) noexcept {
    if (error.fatal()) {
        return Fatal;
    }
    switch (error.code()) {
        case ErrorCode::MsgTimedOut: return TimedOut;
        case ErrorCode::PurgeQueue:
        case ErrorCode::PurgeInflight: return Purged;
        default: return OtherFailure;
    }
}

ProducerCounters Producer::Impl::counters() const noexcept {
    // Read while messages are in flight, the counters may be a moment apart
    // from each other; `sent` may include a send that is still being queued.
    constexpr auto relaxed = std::memory_order_relaxed;
    ProducerCounters c;
    c.sent = queued_.load(relaxed);
    const std::size_t completed = completed_.load();  // after the failures it counts
    c.timed_out = failures_[TimedOut].load(relaxed);
    c.purged = failures_[Purged].load(relaxed);
    c.fatal = failures_[Fatal].load(relaxed);
    c.other_failures = failures_[OtherFailure].load(relaxed);
    c.refused = refused_.load(relaxed);
    const std::size_t queued_failures = c.timed_out + c.purged + c.fatal + c.other_failures;
    c.delivered = completed - std::min(completed, queued_failures);
    c.failed = queued_failures + c.refused;
    c.handed_back = handed_back_count_.load(relaxed);
    c.blocked_sends = blocked_sends_.load(relaxed);
    return c;
}

std::optional<Error> Producer::Impl::fatal_error() const {
    const detail::GatePass pass(gate_, gate_.enter_to_read());
    return pass ? fatal_error_of_handle() : final_fatal_;
}

std::optional<Error> Producer::Impl::fatal_error_of_handle() const {
    char reason[512];
    const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_.get(), reason, sizeof reason);
    if (fatal == RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::nullopt;
    }
    return Error(detail::to_code(fatal),
                 fmt::format("the producer hit a fatal error and cannot send any more: {}; "
                             "create a new Producer",
                             reason),
                 false, true);
}

rd_kafka_t* Producer::Impl::handle() const noexcept {
    const detail::GatePass pass(gate_, gate_.enter_to_read());
    return pass ? rk_.get() : nullptr;
}

// The fatal error if there is one (it is the real cause of `err`), or else
// `err` as a plain error about `what`.
Error Producer::Impl::fatal_error_or(rd_kafka_resp_err_t err, const std::string& what) const {
    if (auto fatal = fatal_error()) {
        return std::move(*fatal);
    }
    return detail::make_error(err, what);
}

Error Producer::Impl::delivery_error(rd_kafka_resp_err_t err) const {
    if (auto fatal = fatal_error()) {
        return detail::caused_by_fatal(*fatal, err);
    }
    return detail::delivery_failure(err, config_);
}

Error Producer::Impl::send_error(rd_kafka_resp_err_t err, const MessageView& message,
                                 bool blocked) const {
    // After a fatal error librdkafka refuses sends with the underlying code.
    if (auto fatal = fatal_error()) {
        return detail::caused_by_fatal(*fatal, err);
    }
    const detail::QueueWait wait = state_.load() != State::Open ? detail::QueueWait::Closed
                                   : blocked                    ? detail::QueueWait::TimedOut
                                                                : detail::QueueWait::None;
    return detail::send_failure(err, message, config_, max_message_bytes_, wait);
}

Error Producer::Impl::flush(milliseconds timeout) {
    refuse_inside_callbacks("flush()");
    const detail::GatePass pass(gate_, gate_.enter());
    if (!pass) {
        throw UsageError("flush() on a closed Producer");
    }
    const rd_kafka_resp_err_t flushed =
        unparked([&] { return rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count())); });
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Error(ErrorCode::TimedOut,
                     fmt::format("flush: {} messages still without an outcome after {} ms",
                                 in_flight(), timeout.count()),
                     true);
    }
    return {};
}

int Producer::Impl::poll(milliseconds timeout) {
    const detail::GatePass pass(gate_, gate_.enter());
    if (!pass) {
        throw UsageError("poll() on a closed Producer");
    }
    return rd_kafka_poll(rk_.get(), static_cast<int>(timeout.count()));
}

Error Producer::Impl::wait_connected(milliseconds timeout) {
    const detail::GatePass pass(gate_, gate_.enter());
    if (!pass) {
        throw UsageError("wait_connected() on a closed Producer");
    }
    return detail::wait_connected(rk_.get(), timeout, config_.bootstrap_servers);
}

}  // namespace relkafka
