#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

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
                rd_kafka_destroy(rk_);
            }
            delete this;
        }
    }

    // Set by the Consumer while it is open; read by callbacks on its thread.
    Consumer::Impl* owner = nullptr;
    // Written before the handle exists; read from librdkafka's threads.
    LogCallback on_log;

private:
    ~SharedConsumerHandle() = default;

    rd_kafka_t* rk_ = nullptr;
    std::atomic<std::size_t> refs_{1};
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
