#pragma once

#include <chrono>
#include <future>

#include "relkafka/delivery.hpp"

namespace relkafka {

namespace detail {
struct DeliveryState;
struct DeliveryFutureAccess;
}  // namespace detail

/// The outcome of Producer::send(message), ready once the broker acknowledged
/// the message or the producer gave it up. Used like std::future<Delivery>:
/// get() once, after which the future is no longer valid. Its state comes from
/// the producer's pool, so a send with a future costs no extra allocation. It
/// may outlive the Producer: closing a producer completes every future.
///
/// Thread safety: one DeliveryFuture is used by one thread at a time.
class DeliveryFuture {
public:
    /// A future with no state: valid() is false.
    DeliveryFuture() noexcept = default;
    DeliveryFuture(DeliveryFuture&& other) noexcept;
    DeliveryFuture& operator=(DeliveryFuture&& other) noexcept;
    DeliveryFuture(const DeliveryFuture&) = delete;
    DeliveryFuture& operator=(const DeliveryFuture&) = delete;
    ~DeliveryFuture();

    /// False once get() returned, when moved from, or default-constructed.
    bool valid() const noexcept { return state_ != nullptr; }

    /// Whether the outcome is there, without waiting. Throws UsageError if
    /// !valid(), as do the other members below.
    bool ready() const;

    /// Waits for the outcome.
    void wait() const;

    /// Waits for the outcome at most `timeout`.
    template <class Rep, class Period>
    std::future_status wait_for(const std::chrono::duration<Rep, Period>& timeout) const {
        // Anything beyond what the clock can add is a wait without limit.
        constexpr std::chrono::hours forever(24 * 365 * 100);
        if (timeout >= forever) {
            wait();
            return std::future_status::ready;
        }
        return wait_until(std::chrono::steady_clock::now() +
                          std::chrono::ceil<std::chrono::steady_clock::duration>(timeout));
    }

    std::future_status wait_until(std::chrono::steady_clock::time_point deadline) const;

    /// Waits for the outcome and returns it; the future is then not valid().
    Delivery get();

private:
    friend struct detail::DeliveryFutureAccess;
    explicit DeliveryFuture(detail::DeliveryState* state) noexcept : state_(state) {}

    void require_state(const char* call) const;

    detail::DeliveryState* state_ = nullptr;
};

}  // namespace relkafka
