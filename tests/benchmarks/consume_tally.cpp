#include "consume_tally.hpp"

#include <fmt/format.h>

namespace relkafka::bench {

RunResult ConsumeTally::finish() const {
    if (!timed_ || count_ != expected_) {
        return failed_run(fmt::format("read {} of {} records", count_, expected_));
    }
    const RunResult result = timed_->finish(count_, value_size_);
    // A single member's offsets only rise within a partition: expected_
    // records that end at every partition's last offset are each record once.
    const auto last = static_cast<std::int64_t>(expected_ / BenchCluster::partitions) - 1;
    for (std::size_t p = 0; p < last_offset_.size(); ++p) {
        if (last_offset_[p] != last) {
            return failed_run(
                fmt::format("partition {} ended at offset {}, not {}", p, last_offset_[p], last));
        }
    }
    if (bytes_ != expected_ * value_size_) {
        return failed_run(
            fmt::format("read {} value bytes, not {}", bytes_, expected_ * value_size_));
    }
    return result;
}

}  // namespace relkafka::bench
