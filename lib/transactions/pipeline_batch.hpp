#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "relkafka/exactly_once_pipeline.hpp"
#include "relkafka/record.hpp"
#include "relkafka/topic_partition.hpp"

namespace relkafka::detail {

// The input records of the pipeline's open transaction: where each partition
// started (to seek back to on abort) and where it goes on (to commit).
class PipelineBatchState {
public:
    using Clock = std::chrono::steady_clock;

    bool empty() const noexcept { return records_ == 0; }
    std::size_t records() const noexcept { return records_; }

    void add(const Record& record) {
        if (records_ == 0) {
            started_ = Clock::now();
        }
        const TopicPartition tp = record.topic_partition();
        first_.try_emplace(tp, record.offset());
        next_[tp] = record.offset() + 1;
        ++records_;
        bytes_ += (record.key() ? record.key()->size() : 0) + (record.value() ? record.value()->size() : 0);
    }

    bool full(const PipelineBatch& bounds) const noexcept {
        return records_ >= bounds.max_records || bytes_ >= bounds.max_bytes;
    }

    // Time left until the transaction reaches max_time (zero when empty).
    std::chrono::milliseconds time_left(const PipelineBatch& bounds) const {
        if (records_ == 0) {
            return bounds.max_time;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(started_ + bounds.max_time -
                                                                       Clock::now());
        return left.count() > 0 ? left : std::chrono::milliseconds(0);
    }

    // The offsets to commit: the next record to read of each partition.
    std::vector<PartitionOffset> next_offsets() const {
        std::vector<PartitionOffset> offsets;
        for (const auto& [tp, next] : next_) {
            offsets.push_back({tp.topic, tp.partition, next});
        }
        return offsets;
    }

    // Where each partition of the transaction started.
    const std::map<TopicPartition, std::int64_t>& starts() const noexcept { return first_; }

    void clear() {
        first_.clear();
        next_.clear();
        records_ = 0;
        bytes_ = 0;
    }

private:
    std::map<TopicPartition, std::int64_t> first_;
    std::map<TopicPartition, std::int64_t> next_;
    std::size_t records_ = 0;
    std::size_t bytes_ = 0;
    Clock::time_point started_;
};

}  // namespace relkafka::detail
