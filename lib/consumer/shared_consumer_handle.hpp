#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "relkafka/consumer.hpp"
#include "relkafka/logging.hpp"

namespace relkafka::detail {

// A librdkafka consumer handle shared by its owner and the Records it handed
// out. A fetched message must be destroyed before its handle, so the handle
// is destroyed by whichever lets go last: the owner (after closing it) or the
// last Record.
//
// It is also the handle's opaque, so that librdkafka's callbacks find the
// Consumer only while it is open: log lines may come from librdkafka's
// threads until the handle is destroyed.
class SharedConsumerHandle {
public:
    // Starts with one reference, the creator's.
    SharedConsumerHandle() = default;
    SharedConsumerHandle(const SharedConsumerHandle&) = delete;
    SharedConsumerHandle& operator=(const SharedConsumerHandle&) = delete;

    void attach(rd_kafka_t* rk) noexcept { rk_ = rk; }
    rd_kafka_t* get() const noexcept { return rk_; }

    void acquire(std::size_t references) noexcept {
        refs_.fetch_add(references, std::memory_order_relaxed);
    }
    void release(std::size_t references = 1) noexcept {
        if (refs_.fetch_sub(references, std::memory_order_acq_rel) == references) {
            if (rk_ != nullptr) {
                // The owner has closed the consumer: librdkafka must not
                // close it again. If that close ran out of time with the
                // group coordinator unreachable, this waits for librdkafka
                // to give up on the commits queued for the coordinator
                // (session.timeout.ms after the close began).
                rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
            }
            delete this;
        }
    }

    // A broker failure librdkafka logs (facility "FAIL", on its threads) also
    // arrives as an error event with the same text. Without on_error the
    // event is logged only if its line was not: each error once.
    void remember_logged_failure(std::string_view text) {
        // With log.thread.name (the default) the line starts "[thrd:<name>]: ";
        // the error event carries the rest.
        if (text.substr(0, 6) == "[thrd:") {
            const std::size_t end = text.find("]: ");
            text.remove_prefix(end == std::string_view::npos ? 0 : end + 3);
        }
        std::lock_guard<std::mutex> lock(failures_mutex_);
        if (logged_failures_.size() == 16) {
            logged_failures_.pop_front();
        }
        logged_failures_.emplace_back(text);
    }
    bool take_logged_failure(std::string_view text) {
        std::lock_guard<std::mutex> lock(failures_mutex_);
        const auto it = std::find(logged_failures_.begin(), logged_failures_.end(), text);
        if (it == logged_failures_.end()) {
            return false;
        }
        logged_failures_.erase(it);
        return true;
    }

    // Set by the Consumer while it is open; read by callbacks on its thread.
    Consumer::Impl* owner = nullptr;
    // Written before the handle exists; read from librdkafka's threads.
    LogCallback on_log;

private:
    ~SharedConsumerHandle() = default;

    rd_kafka_t* rk_ = nullptr;
    std::atomic<std::size_t> refs_{1};
    std::mutex failures_mutex_;
    std::deque<std::string> logged_failures_;
};

struct ReleaseReference {
    void operator()(SharedConsumerHandle* handle) const noexcept { handle->release(); }
};

// The owner's reference.
using SharedConsumerPtr = std::unique_ptr<SharedConsumerHandle, ReleaseReference>;

// Takes references for up to `capacity` records at once, and gives back on
// destruction those that no record adopted: one atomic update per batch
// instead of one per record.
class RecordReferences {
public:
    RecordReferences(SharedConsumerHandle& handle, std::size_t capacity) noexcept
        : handle_(handle), unused_(capacity) {
        handle_.acquire(capacity);
    }
    RecordReferences(const RecordReferences&) = delete;
    RecordReferences& operator=(const RecordReferences&) = delete;
    ~RecordReferences() {
        if (unused_ != 0) {
            handle_.release(unused_);
        }
    }

    bool available() const noexcept { return unused_ != 0; }
    // Hands one reference to a Record being made.
    SharedConsumerHandle* take() noexcept {
        --unused_;
        return &handle_;
    }

private:
    SharedConsumerHandle& handle_;
    std::size_t unused_;
};

}  // namespace relkafka::detail
