#pragma once

#include <chrono>
#include <thread>

namespace relkafka::detail {

// Waits up to `budget` for `ready()` to become true, giving the CPU to any
// other runnable thread between checks instead of sleeping. For a result
// expected within microseconds: being woken from a sleep costs about as much.
// Returns whether `ready()` became true.
template <class Ready>
bool yield_until(Ready ready, std::chrono::nanoseconds budget) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point end = Clock::now() + budget;
    while (!ready()) {
        if (Clock::now() >= end) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

}  // namespace relkafka::detail
