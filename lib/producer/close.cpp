// Closing a Producer: flush, give up what is left, hand it back, and destroy
// the handle only once no other call is inside it.
#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "detail/handles.hpp"
#include "detail/logging.hpp"
#include "producer/producer_impl.hpp"

namespace relkafka {

std::vector<Delivery> Producer::Impl::close(milliseconds timeout) {
    refuse_inside_callbacks("close()");
    State expected = State::Open;
    if (!state_.compare_exchange_strong(expected, State::Closing)) {
        return {};
    }
    gate_.start_closing();  // sends, flushes and polls from now on throw
    collecting_.store(true);
    {
        // Wake senders blocked on a full queue: they fail their message.
        std::lock_guard<std::mutex> lock(room_mutex_);
        room_.notify_all();
    }

    // A send still queueing when close() started is flushed with the rest:
    // calls inside are given the flush's time to leave first.
    const Clock::time_point flush_deadline = Clock::now() + timeout;
    while (gate_.busy() && Clock::now() < flush_deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    parked_.hold();  // for good: from here on nothing is parked
    parked_.reclaim();
    const auto flush_left =
        std::max(std::chrono::duration_cast<milliseconds>(flush_deadline - Clock::now()), milliseconds(0));
    rd_kafka_flush(rk_.get(), static_cast<int>(flush_left.count()));
    if (in_flight() != 0) {
        rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    }
    {
        const detail::QueueHandle main_queue(rd_kafka_queue_get_main(rk_.get()));
        stop_polling_.store(true);
        if (poller_.joinable()) {
            rd_kafka_queue_yield(main_queue.get());  // rather than wait out the poll's timeout
            poller_.join();
        }
        drain_before_destroy(main_queue.get());
    }
    if (in_flight() != 0 && config_.on_error) {
        config_.on_error(Error(ErrorCode::Fail,
                               fmt::format("close: librdkafka reported no outcome for {} messages "
                                           "after purging them",
                                           in_flight())));
    }
    parked_.reclaim();

    final_fatal_ = fatal_error_of_handle();
    gate_.retire();
    gate_.wait_until_idle();  // readers of the handle: fatal_error(), native_handle()
    events_.reset();
    rk_.reset();
    collecting_.store(false);
    std::vector<Delivery> handed_back;
    {
        std::lock_guard<std::mutex> lock(handed_back_mutex_);
        handed_back = std::move(handed_back_);
    }
    // The last touch of *this: close_later() may destroy it from here on.
    state_.store(State::Closed);
    return handed_back;
}

void Producer::Impl::drain_before_destroy(rd_kafka_queue_t* main_queue) {
    // Calls that entered before close() started may still be inside: a send
    // queueing its message, a flush, and with ExplicitPoll a poll or a
    // send_sync polling for its outcome. What they queue is purged here and
    // its report served, so that they return; a poll waiting for reports
    // that will not come is woken.
    // Purged messages are reported at once; the bound only guards against a
    // librdkafka that never reports them. A call inside the gate is waited
    // for in any case: the handle is not destroyed under it.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (gate_.busy() || (in_flight() != 0 && Clock::now() < deadline)) {
        if (in_flight() != 0) {
            rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        }
        rd_kafka_poll(rk_.get(), gate_.busy() ? 1 : 10);
        if (gate_.busy()) {
            rd_kafka_queue_yield(main_queue);
        }
    }
}

void Producer::Impl::close_later(std::unique_ptr<Impl> self) noexcept {
    const LogCallback& on_log = self->config_.on_log;
    detail::log(on_log, LogLevel::Error,
                fmt::format("a Producer was destroyed inside one of its own callbacks, where it "
                            "cannot be closed: it closes on a thread of its own once the callback "
                            "has returned, within close_timeout ({} ms), and reports every "
                            "undelivered message to its callback or future. Destroy or close() "
                            "a Producer from outside its callbacks",
                            self->config_.close_timeout.count()));
    Impl* impl = self.release();
    try {
        std::thread([impl] {
            std::unique_ptr<Impl> owned(impl);
            try {
                (void)owned->close(owned->config_.close_timeout);
            } catch (...) {
                (void)detail::callback_threw(owned->config_.on_log,
                                             "the close of a Producer destroyed in its callback");
            }
            // Another close() may be under way (the callback ran inside it):
            // the Impl lives until that one is done with it.
            while (owned->state_.load() != State::Closed) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            detail::log(owned->config_.on_log, LogLevel::Info,
                        "the Producer destroyed inside its own callback is closed");
        }).detach();
    } catch (const std::exception& e) {
        // Destroying it here would pull the handle from under the callback:
        // it is left as it is.
        detail::log(on_log, LogLevel::Error,
                    fmt::format("no thread to close the Producer destroyed inside its callback "
                                "({}): it is left open, its undelivered messages unreported",
                                e.what()));
    }
}

}  // namespace relkafka
