#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "detail/slab_pool.hpp"
#include "relkafka/delivery.hpp"
#include "relkafka/delivery_future.hpp"

namespace relkafka::detail {

struct DeliveryState;

// Wakes the futures that wait for their Delivery. One per producer, shared
// with every state, so that a future can still wait after its Producer is
// gone. A completion touches it only if its own future is waiting.
class DeliverySignal {
public:
    // Call after a state whose future waits became ready.
    void notify() noexcept;
    // Waits until the state is ready or `deadline` (if any) passes; returns
    // whether it is ready.
    bool wait_until(DeliveryState& state, std::optional<std::chrono::steady_clock::time_point> deadline);

private:
    std::mutex mutex_;
    std::condition_variable completed_;
};

// What a DeliveryFuture and its producer share: the outcome once ready.
struct DeliveryState {
    explicit DeliveryState(std::shared_ptr<DeliverySignal> s) noexcept : signal(std::move(s)) {}

    std::atomic<int> references{2};  // the future's and the producer's
    std::atomic<bool> ready{false};
    std::atomic<bool> waited{false};  // set before the future first sleeps
    Delivery delivery;                // written once, before `ready`
    std::shared_ptr<DeliverySignal> signal;
};

// Small slabs: every thread that sends with futures keeps one partly used.
using DeliveryStatePool = SlabPool<DeliveryState, 64>;

inline void release(DeliveryState* state) noexcept {
    if (state->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        DeliveryStatePool::release(state);
    }
}

// The producer's side of a DeliveryState: completes it exactly once. Dropped
// uncompleted (a send abandoned by an exception), it completes the state with
// an error rather than leave a future waiting forever.
class DeliveryPromise {
public:
    explicit DeliveryPromise(DeliveryState* state) noexcept : state_(state) {}
    DeliveryPromise(DeliveryPromise&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    DeliveryPromise& operator=(DeliveryPromise&&) = delete;
    DeliveryPromise(const DeliveryPromise&) = delete;
    DeliveryPromise& operator=(const DeliveryPromise&) = delete;
    ~DeliveryPromise();

    void complete(Delivery&& delivery) noexcept;

private:
    DeliveryState* state_;
};

struct DeliveryFutureAccess {
    // A future and the promise that completes it, sharing a pooled state.
    static std::pair<DeliveryFuture, DeliveryPromise> make(const std::shared_ptr<DeliverySignal>& signal) {
        DeliveryState* state = DeliveryStatePool::make(signal);
        return {DeliveryFuture(state), DeliveryPromise(state)};
    }
};

}  // namespace relkafka::detail
