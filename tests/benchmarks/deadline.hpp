#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bench_support.hpp"

namespace relkafka::bench {

// The time after which a run still waiting for records gives up.
class Deadline {
public:
    explicit Deadline(std::chrono::seconds after) : at_(Clock::now() + after) {}
    bool passed() const { return Clock::now() >= at_; }

private:
    Clock::time_point at_;
};

// Sets `stop` when `after` has passed, unless destroyed first: run() returns
// only once its stop flag is set, even if records stop coming.
class Watchdog {
public:
    Watchdog(std::atomic<bool>& stop, std::chrono::seconds after)
        : thread_([this, &stop, after] {
              std::unique_lock<std::mutex> lock(mutex_);
              if (!dismissed_changed_.wait_for(lock, after, [this] { return dismissed_; })) {
                  stop.store(true);
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            dismissed_ = true;
        }
        dismissed_changed_.notify_one();
        thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable dismissed_changed_;
    bool dismissed_ = false;
    std::thread thread_;  // last: it starts once the members it uses exist
};

}  // namespace relkafka::bench
