#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "detail/topic_names.hpp"
#include "producer/slab_pool.hpp"
#include "relkafka/delivery.hpp"
#include "relkafka/delivery_future.hpp"
#include "relkafka/error.hpp"

namespace relkafka::detail {

struct DeliveryState;

// Wakes the futures that wait for their Delivery. A completion touches it
// only if its own future is waiting.
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

// What the futures of one producer share. Every state holds a reference, so
// that a future can still wait, and name its topic, after its Producer is gone.
struct FuturesShared {
    DeliverySignal signal;
    TopicNames topics;
};

// What a DeliveryFuture and its producer share: the outcome once ready.
//
// An acknowledgement is kept as its few fields, its topic a name in
// `shared->topics`, and becomes a Delivery only in get(), on the thread that
// asks for it. Anything else (a failure, a topic beyond TopicNames' limit) is
// kept whole. Completing a state never allocates more than that, and never
// throws: what get() returns is built on the caller's thread.
//
// With its pool slot's header it fits in one 64-byte cache line: 64 bytes
// per future in flight, and one line to move each time the state passes
// between the sender and the callback thread.
struct DeliveryState {
    explicit DeliveryState(std::shared_ptr<FuturesShared> s) noexcept : shared(std::move(s)) {}
    ~DeliveryState() {
        if (kept == Kept::Whole) {
            delete whole;
        }
    }
    DeliveryState(const DeliveryState&) = delete;
    DeliveryState& operator=(const DeliveryState&) = delete;

    // How the outcome is kept.
    enum class Kept : std::uint8_t {
        Abandoned,        // never completed: the send was dropped before it was queued
        Acknowledgement,  // in the fields below, the topic in `topic`
        Whole,            // in `whole`
        Unkept,           // no memory to keep it whole: `code` and the fields only
    };

    std::atomic<int> references{2};  // the future's and the producer's
    std::atomic<bool> ready{false};
    std::atomic<bool> waited{false};  // set before the future first sleeps

    // The outcome, written once, before `ready`.
    Kept kept = Kept::Abandoned;
    bool has_timestamp = false;
    std::uint8_t persistence = 0;  // a Persistence
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::int64_t timestamp_ms = 0;
    union {
        const std::string* topic = nullptr;  // Acknowledgement
        Delivery* whole;                     // Whole, owned
        ErrorCode code;                      // Unkept
    };

    std::shared_ptr<FuturesShared> shared;

    // Keeps `delivery`'s outcome, moving from it only if it must be kept whole.
    void keep(Delivery& delivery) noexcept;
    // The outcome kept, as a Delivery. Once. Throws only std::bad_alloc.
    Delivery take();
};
static_assert(sizeof(DeliveryState) + sizeof(void*) <= 64,
              "a DeliveryState and its pool slot's header fit in one cache line");

// Small slabs: every thread that sends with futures keeps one partly used.
using DeliveryStatePool = SlabPool<DeliveryState, 64>;

inline void release(DeliveryState* state) noexcept {
    if (state->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        DeliveryStatePool::release(state);
    }
}

// The producer's side of a DeliveryState: completes it exactly once. Dropped
// uncompleted (a send abandoned by an exception), it completes the state as
// abandoned, which get() reports as an error, rather than leave a future
// waiting forever.
class DeliveryPromise {
public:
    explicit DeliveryPromise(DeliveryState* state) noexcept : state_(state) {}
    DeliveryPromise(DeliveryPromise&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    DeliveryPromise& operator=(DeliveryPromise&&) = delete;
    DeliveryPromise(const DeliveryPromise&) = delete;
    DeliveryPromise& operator=(const DeliveryPromise&) = delete;
    ~DeliveryPromise();

    // Makes the future ready with `delivery`'s outcome. An acknowledgement is
    // copied, leaving `delivery` as it was (its buffers can serve the next
    // one); anything else is moved from it.
    void complete(Delivery& delivery) noexcept;

private:
    void publish() noexcept;

    DeliveryState* state_;
};

struct DeliveryFutureAccess {
    // A future and the promise that completes it, sharing a pooled state.
    static std::pair<DeliveryFuture, DeliveryPromise> make(const std::shared_ptr<FuturesShared>& shared) {
        DeliveryState* state = DeliveryStatePool::make(shared);
        return {DeliveryFuture(state), DeliveryPromise(state)};
    }
};

}  // namespace relkafka::detail
