#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "bench_clients.hpp"
#include "bench_support.hpp"

namespace relkafka::bench {

// The per-record work of every consume run, the same for raw and facade: sum
// the value sizes and note each partition's last offset, which is enough to
// prove afterwards that every produced record was read exactly once. The
// clock starts at the first record, after the group join (about 3 s on the
// mock) and the first fetch.
class ConsumeTally {
public:
    ConsumeTally(std::size_t expected, std::size_t value_size)
        : expected_(expected), value_size_(value_size) {
        last_offset_.fill(-1);
    }

    void add(std::int32_t partition, std::int64_t offset, std::size_t value_size) {
        if (!timed_) {
            timed_.emplace();
        }
        ++count_;
        bytes_ += value_size;
        if (partition >= 0 && partition < BenchCluster::partitions) {
            last_offset_[static_cast<std::size_t>(partition)] = offset;
        }
    }

    bool done() const noexcept { return count_ >= expected_; }
    std::size_t count() const noexcept { return count_; }

    // Stops the clock. Fails the run unless every record was read once.
    RunResult finish() const;

private:
    std::size_t expected_;
    std::size_t value_size_;
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;
    std::array<std::int64_t, BenchCluster::partitions> last_offset_{};
    std::optional<Timed> timed_;
};

}  // namespace relkafka::bench
