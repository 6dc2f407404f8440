#pragma once

#include <cstddef>

#include "bench_clients.hpp"

namespace relkafka::bench {

// Produces `messages` values of `value_size` bytes to the cluster's topic
// with a raw producer, the same number to every partition, and checks that
// the mock kept them all: it silently drops a partition's oldest data beyond
// about 5 MB or 100k batches. Throws std::runtime_error otherwise.
void produce_backlog(const BenchCluster& cluster, std::size_t messages, std::size_t value_size);

}  // namespace relkafka::bench
