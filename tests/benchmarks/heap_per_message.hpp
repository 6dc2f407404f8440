#pragma once

#include <cstddef>

#include "bench_support.hpp"
#include "produce_throughput.hpp"

namespace relkafka::bench {

// Heap bytes per message held in the producer: queues `queued` 100-byte
// values with linger.ms and batch limits so high that none leaves the local
// queue, and divides the heap growth by `queued`. The future variant's
// std::future objects live in a vector reserved before the baseline is taken,
// so only the shared state behind each future is counted.
RunResult run_heap_per_message(SendVariant variant, std::size_t queued);

}  // namespace relkafka::bench
