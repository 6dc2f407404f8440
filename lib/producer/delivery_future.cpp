#include "relkafka/delivery_future.hpp"

#include <new>

#include "producer/delivery_state.hpp"
#include "relkafka/error.hpp"

namespace relkafka {

namespace detail {

void DeliverySignal::notify() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    completed_.notify_all();
}

bool DeliverySignal::wait_until(DeliveryState& state,
                                std::optional<std::chrono::steady_clock::time_point> deadline) {
    // Sequentially consistent with complete(): either this sees `ready`, or
    // complete() sees `waited` and notifies under the mutex.
    state.waited.store(true);
    const auto is_ready = [&] { return state.ready.load(); };
    std::unique_lock<std::mutex> lock(mutex_);
    if (!deadline) {
        completed_.wait(lock, is_ready);
        return true;
    }
    return completed_.wait_until(lock, *deadline, is_ready);
}

void DeliveryState::keep(Delivery& delivery) noexcept {
    partition = delivery.partition;
    offset = delivery.offset;
    has_timestamp = delivery.timestamp.has_value();
    timestamp_ms = has_timestamp ? delivery.timestamp->time_since_epoch().count() : 0;
    persistence = static_cast<std::uint8_t>(delivery.persistence);
    try {
        if (delivery.ok()) {
            if (const std::string* name = shared->topics.find_or_add(delivery.topic)) {
                topic = name;
                kept = Kept::Acknowledgement;
                return;
            }
        }
        whole = new Delivery(std::move(delivery));
        kept = Kept::Whole;
    } catch (const std::bad_alloc&) {
        // The outcome still reaches the future: its code and fields, without
        // the topic's name or the message a failure hands back.
        code = delivery.error.code();
        kept = Kept::Unkept;
    }
}

Delivery DeliveryState::take() {
    const auto kept_timestamp = has_timestamp ? std::optional<Timestamp>(Timestamp(
                                                    std::chrono::milliseconds(timestamp_ms)))
                                              : std::nullopt;
    const auto kept_persistence = static_cast<Persistence>(persistence);
    switch (kept) {
        case Kept::Acknowledgement:
            return Delivery{*topic,  partition, offset, kept_timestamp, kept_persistence,
                            Error(), Message()};
        case Kept::Whole: return std::move(*whole);
        case Kept::Abandoned: break;
        case Kept::Unkept: {
            Delivery delivery{{},      partition, offset, kept_timestamp, kept_persistence,
                              Error(), Message()};
            if (code != ErrorCode::NoError) {
                delivery.error = Error(code, "the delivery failed, and memory ran out keeping its "
                                             "details: its message could not be handed back");
            }
            return delivery;
        }
    }
    Delivery abandoned;
    abandoned.error = Error(ErrorCode::Fail, "the send was abandoned before it was queued");
    return abandoned;
}

DeliveryPromise::~DeliveryPromise() {
    if (state_ != nullptr) {
        publish();  // as Kept::Abandoned
    }
}

void DeliveryPromise::complete(Delivery& delivery) noexcept {
    state_->keep(delivery);
    publish();
}

void DeliveryPromise::publish() noexcept {
    DeliveryState* state = std::exchange(state_, nullptr);
    state->ready.store(true);
    if (state->waited.load()) {
        state->shared->signal.notify();  // alive: the state holds it until released below
    }
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

void DeliveryFuture::require_state(const char* call) const {
    if (state_ == nullptr) {
        throw UsageError(std::string("DeliveryFuture::") + call +
                         " on a future with no state (moved from, default-constructed, or get() "
                         "already returned its Delivery)");
    }
}

bool DeliveryFuture::ready() const {
    require_state("ready()");
    return state_->ready.load();
}

void DeliveryFuture::wait() const {
    require_state("wait()");
    if (!state_->ready.load()) {
        state_->shared->signal.wait_until(*state_, std::nullopt);
    }
}

std::future_status DeliveryFuture::wait_until(std::chrono::steady_clock::time_point deadline) const {
    require_state("wait_until()");
    if (state_->ready.load() || state_->shared->signal.wait_until(*state_, deadline)) {
        return std::future_status::ready;
    }
    return std::future_status::timeout;
}

Delivery DeliveryFuture::get() {
    require_state("get()");
    if (!state_->ready.load()) {
        state_->shared->signal.wait_until(*state_, std::nullopt);
    }
    Delivery delivery = state_->take();
    detail::release(std::exchange(state_, nullptr));
    return delivery;
}

}  // namespace relkafka
