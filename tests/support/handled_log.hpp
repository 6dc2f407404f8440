#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "relkafka/record.hpp"
#include "relkafka/testing/stream_audit.hpp"

namespace relkafka::test {

// What consumers' handlers processed, by stream sequence number; thread-safe.
class HandledLog {
public:
    void add(const Record& r) {
        std::lock_guard<std::mutex> lock(mutex_);
        ++times_[testing::StreamAudit::sequence_of(r.value())];
        ++total_;
        auto [it, first] = first_offset_.emplace(r.partition(), r.offset());
        if (!first && r.offset() < it->second) {
            it->second = r.offset();
        }
        auto [last, none] = last_offset_.emplace(r.partition(), r.offset());
        if (!none && r.offset() > last->second) {
            last->second = r.offset();
        }
    }
    std::size_t unique() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return times_.size();
    }
    std::size_t total() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return total_;
    }
    // Handler calls beyond the first per record.
    std::size_t duplicates() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return total_ - times_.size();
    }
    // Sequence numbers 0..count-1 never processed.
    std::size_t missing(std::int64_t count) const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::size_t missing = 0;
        for (std::int64_t n = 0; n < count; ++n) {
            missing += times_.count(n) == 0 ? 1 : 0;
        }
        return missing;
    }
    bool contains(std::int64_t seq) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return times_.count(seq) != 0;
    }
    std::map<std::int32_t, std::int64_t> first_offsets() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return first_offset_;
    }
    std::map<std::int32_t, std::int64_t> last_offsets() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return last_offset_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::int64_t, int> times_;
    std::size_t total_ = 0;
    std::map<std::int32_t, std::int64_t> first_offset_;
    std::map<std::int32_t, std::int64_t> last_offset_;
};

}  // namespace relkafka::test
