#pragma once

#include <cstddef>

#include "bench_support.hpp"

namespace relkafka::bench {

enum class LatencyVariant {
    Raw,       // rd_kafka_producev(), then rd_kafka_poll() until its delivery report
    SendSync,  // Producer::send_sync(), reports served by the producer's thread
    // Diagnostic: send_sync() with CallbackMode::ExplicitPoll, which polls on
    // the calling thread as raw does; tells the thread hop from the code.
    SendSyncExplicitPoll,
};

const char* latency_variant_name(LatencyVariant variant);

// Latency of one acknowledged message, one at a time, 100-byte values,
// linger.ms=0 on both sides (with the default 5 ms linger every sample would
// mostly measure the linger wait).
RunResult run_send_sync_latency(LatencyVariant variant, std::size_t samples);

}  // namespace relkafka::bench
