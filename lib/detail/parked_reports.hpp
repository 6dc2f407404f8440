#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>

#include <librdkafka/rdkafka.h>

namespace relkafka::detail {

// Delivery-report events whose callbacks have run, kept until a sending thread
// destroys them. Destroying an event frees its messages, which librdkafka
// allocated on the thread that sent them; freeing them there rather than on
// the callback thread keeps glibc's arena lock from bouncing between the two.
//
// Parked messages still count in librdkafka's queue (queue.buffering.max.*),
// so the amount parked is bounded, and a sender that finds the queue full
// reclaims them first. Everything parked must be destroyed before the
// rd_kafka_t: messages hold references to their topics.
class ParkedReports {
public:
    struct Limits {
        std::size_t messages;
        std::size_t bytes;
    };

    explicit ParkedReports(Limits limits) noexcept : limits_(limits) {}
    ~ParkedReports() { reclaim(); }
    ParkedReports(const ParkedReports&) = delete;
    ParkedReports& operator=(const ParkedReports&) = delete;

    // Keeps `event` (a finished RD_KAFKA_EVENT_DR with `messages` messages
    // and `bytes` of keys and values). Returns false, and the caller destroys
    // it, when that would exceed the limits or while parking is held off.
    bool park(rd_kafka_event_t* event, std::size_t messages, std::size_t bytes);

    // For the send path: destroys what is parked unless another thread is
    // already at it. Costs one relaxed load when nothing is parked.
    void reclaim_some() {
        if (parked_.load(std::memory_order_relaxed) != 0) {
            std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
            if (lock.owns_lock()) {
                destroy_parked(lock);
            }
        }
    }

    // Destroys everything parked; returns whether there was anything.
    bool reclaim() {
        std::unique_lock<std::mutex> lock(mutex_);
        return destroy_parked(lock);
    }

    bool empty() const noexcept { return parked_.load() == 0; }

    // While held (by flush and close, which wait for librdkafka's message
    // count to reach zero), park() refuses and nothing stays parked.
    void hold();
    void release() noexcept;

private:
    static constexpr std::size_t max_events = 64;

    // Takes the parked events, unlocks, destroys them.
    bool destroy_parked(std::unique_lock<std::mutex>& lock);

    const Limits limits_;
    std::mutex mutex_;
    std::array<rd_kafka_event_t*, max_events> events_{};
    std::atomic<std::size_t> parked_{0};  // events, written under mutex_
    std::size_t messages_ = 0;
    std::size_t bytes_ = 0;
    int holds_ = 0;
};

}  // namespace relkafka::detail
