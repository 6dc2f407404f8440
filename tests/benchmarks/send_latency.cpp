#include "send_latency.hpp"

#include <string>
#include <utility>
#include <vector>

#include "bench_clients.hpp"

namespace relkafka::bench {

namespace {

constexpr std::size_t value_size = 100;

const Overrides no_linger = {{"linger.ms", "0"}};

RunResult from_samples(const std::vector<double>& micros, std::size_t failed) {
    if (failed != 0) {
        return failed_run(std::to_string(failed) + " deliveries failed");
    }
    RunResult result;
    result.ok = true;
    result.p50_us = percentile(micros, 0.50);
    result.p99_us = percentile(micros, 0.99);
    result.p999_us = percentile(micros, 0.999);
    result.peak_rss_mb = peak_rss_mb();
    return result;
}

RunResult facade(const BenchCluster& cluster, const std::string& payload, std::size_t samples,
                 CallbackMode mode) {
    ProducerConfig config = facade_config(cluster.bootstrap_servers(), no_linger);
    config.callbacks = mode;
    Producer producer(std::move(config));
    warm_up(producer, cluster.topic());
    std::vector<double> micros;
    micros.reserve(samples);
    std::size_t failed = 0;
    for (std::size_t i = 0; i < samples; ++i) {
        const auto start = Clock::now();
        Message m;
        m.topic = cluster.topic();
        m.value = payload;
        const Delivery d = producer.send_sync(std::move(m));
        micros.push_back(seconds_since(start) * 1e6);
        failed += d.ok() ? 0 : 1;
    }
    return from_samples(micros, failed);
}

struct RawOutcome {
    bool reported = false;
    bool failed = false;
};

void record_outcome(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* outcome = static_cast<RawOutcome*>(opaque);
    outcome->reported = true;
    outcome->failed = m->err != RD_KAFKA_RESP_ERR_NO_ERROR;
}

RunResult raw(const BenchCluster& cluster, const std::string& payload, std::size_t samples) {
    // Delivery reports are served by rd_kafka_poll() on this thread only.
    RawOutcome outcome;
    RawProducer producer(cluster.bootstrap_servers(), no_linger, &record_outcome, &outcome);
    rd_kafka_t* rk = producer.get();
    warm_up(rk, cluster.topic());
    std::vector<double> micros;
    micros.reserve(samples);
    std::size_t failed = 0;
    for (std::size_t i = 0; i < samples; ++i) {
        const auto start = Clock::now();
        outcome.reported = false;
        raw_produce(rk, cluster.topic(), payload);
        while (!outcome.reported) {
            rd_kafka_poll(rk, 1000);
        }
        micros.push_back(seconds_since(start) * 1e6);
        failed += outcome.failed ? 1 : 0;
    }
    return from_samples(micros, failed);
}

}  // namespace

const char* latency_variant_name(LatencyVariant variant) {
    switch (variant) {
        case LatencyVariant::Raw: return "raw produce+poll";
        case LatencyVariant::SendSync: return "send_sync";
        case LatencyVariant::SendSyncExplicitPoll: return "send_sync ExplicitPoll";
    }
    return "?";
}

RunResult run_send_sync_latency(LatencyVariant variant, std::size_t samples) {
    const BenchCluster cluster;
    const std::string payload(value_size, 'x');
    switch (variant) {
        case LatencyVariant::Raw: return raw(cluster, payload, samples);
        case LatencyVariant::SendSync:
            return facade(cluster, payload, samples, CallbackMode::BackgroundThread);
        case LatencyVariant::SendSyncExplicitPoll:
            return facade(cluster, payload, samples, CallbackMode::ExplicitPoll);
    }
    return failed_run("unknown variant");
}

}  // namespace relkafka::bench
