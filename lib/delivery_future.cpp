#include "relkafka/delivery_future.hpp"

#include "detail/delivery_state.hpp"
#include "relkafka/error.hpp"

namespace relkafka {

namespace detail {

void DeliverySignal::notify() noexcept {
    // Sequentially consistent with the waiter's increment and its check of
    // `ready`: either it sees `ready`, or this sees it waiting.
    if (waiters_.load() > 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        completed_.notify_all();
    }
}

bool DeliverySignal::wait_until(const std::atomic<bool>& ready,
                                std::chrono::steady_clock::time_point deadline) {
    waiters_.fetch_add(1);
    bool done = false;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        done = completed_.wait_until(lock, deadline, [&] { return ready.load(); });
    }
    waiters_.fetch_sub(1);
    return done;
}

void DeliverySignal::wait(const std::atomic<bool>& ready) {
    waiters_.fetch_add(1);
    {
        std::unique_lock<std::mutex> lock(mutex_);
        completed_.wait(lock, [&] { return ready.load(); });
    }
    waiters_.fetch_sub(1);
}

DeliveryPromise::~DeliveryPromise() {
    if (state_ != nullptr) {
        Delivery abandoned;
        abandoned.error = Error(ErrorCode::Fail, "the send was abandoned before it was queued");
        complete(std::move(abandoned));
    }
}

void DeliveryPromise::complete(Delivery&& delivery) noexcept {
    DeliveryState* state = std::exchange(state_, nullptr);
    state->delivery = std::move(delivery);
    state->ready.store(true);
    // The signal outlives this call: the state holds it until released.
    state->signal->notify();
    release(state);
}

}  // namespace detail

DeliveryFuture::DeliveryFuture(DeliveryFuture&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)) {}

DeliveryFuture& DeliveryFuture::operator=(DeliveryFuture&& other) noexcept {
    if (this != &other) {
        DeliveryFuture released(std::move(*this));
        state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
}

DeliveryFuture::~DeliveryFuture() {
    if (state_ != nullptr) {
        detail::release(state_);
    }
}

const detail::DeliveryState& DeliveryFuture::state(const char* call) const {
    if (state_ == nullptr) {
        throw UsageError(std::string("DeliveryFuture::") + call +
                         " on a future with no state (moved from, default-constructed, or get() "
                         "already returned its Delivery)");
    }
    return *state_;
}

bool DeliveryFuture::ready() const { return state("ready()").ready.load(); }

void DeliveryFuture::wait() const {
    const detail::DeliveryState& s = state("wait()");
    if (!s.ready.load()) {
        s.signal->wait(s.ready);
    }
}

std::future_status DeliveryFuture::wait_until(std::chrono::steady_clock::time_point deadline) const {
    const detail::DeliveryState& s = state("wait_until()");
    if (s.ready.load() || s.signal->wait_until(s.ready, deadline)) {
        return std::future_status::ready;
    }
    return std::future_status::timeout;
}

Delivery DeliveryFuture::get() {
    wait();
    Delivery delivery = std::move(state_->delivery);
    detail::release(std::exchange(state_, nullptr));
    return delivery;
}

}  // namespace relkafka
