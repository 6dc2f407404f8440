#include "detail/parked_reports.hpp"

namespace relkafka::detail {

bool ParkedReports::park(rd_kafka_event_t* event, std::size_t messages, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t count = parked_.load(std::memory_order_relaxed);
    if (holds_ != 0 || count == max_events || messages_ + messages > limits_.messages ||
        bytes_ + bytes > limits_.bytes) {
        return false;
    }
    events_[count] = event;
    messages_ += messages;
    bytes_ += bytes;
    parked_.store(count + 1);
    return true;
}

bool ParkedReports::destroy_parked(std::unique_lock<std::mutex>& lock) {
    std::array<rd_kafka_event_t*, max_events> taken;
    const std::size_t count = parked_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < count; ++i) {
        taken[i] = events_[i];
    }
    messages_ = 0;
    bytes_ = 0;
    parked_.store(0);
    lock.unlock();
    for (std::size_t i = 0; i < count; ++i) {
        rd_kafka_event_destroy(taken[i]);
    }
    return count != 0;
}

void ParkedReports::hold() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++holds_;
}

void ParkedReports::release() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    --holds_;
}

}  // namespace relkafka::detail
