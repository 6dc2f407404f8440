// relkafka's producer facade against raw librdkafka code doing the same work
// with the same configuration, on the embedded mock cluster. See README.md.
//
//   producer_bench          full mode: 1M messages per run, 5 rounds
//   producer_bench --quick  smoke mode: 100k messages per run, 2 rounds
//   producer_bench --profile raw|cb|future|raw-thread|cb-poll [messages] [value bytes]
//   producer_bench --profile sync-raw|sync|sync-poll [samples]
//                           one throughput or latency run in this process,
//                           for valgrind --tool=callgrind or perf

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "bench_support.hpp"
#include "produce_throughput.hpp"
#include "report.hpp"
#include "send_latency.hpp"

namespace relkafka::bench {
namespace {

constexpr Plan full_plan{1000000, 5, 5000, 50000};
constexpr Plan quick_plan{100000, 2, 1000, 20000};

int run(const char* mode, const Plan& plan) {
    fmt::print(
        "producer_bench ({} mode): librdkafka {}, mock cluster 3 brokers, topic 4 partitions, "
        "{} rounds, each run in a fresh process with a fresh cluster and producer\n",
        mode, rd_kafka_version_str(), plan.rounds);
    Report report(plan);
    if (!report.same_config()) {
        return 1;
    }

    fmt::print(
        "\nasync produce throughput: {} messages per run, acks=all, idempotent, linger.ms "
        "default; medians of facade and raw (baseline);\n  ratio = facade/raw msgs/s; CPU "
        "and context switches are the whole process's, mock cluster included\n",
        plan.messages);
    const auto produce_ratio = report.throughput();

    fmt::print(
        "\nsend_sync latency: {} samples per run, 100 B values, linger.ms=0; medians over "
        "runs; ratio = facade/raw (lower is better)\n",
        plan.latency_samples);
    const double p50_ratio = report.latency();

    fmt::print("\nheap per queued message: {} x 100 B values held in the local queue; medians\n",
               plan.queued);
    report.heap();

    fmt::print(
        "\nconsume: not measured (relkafka has no consumer benchmark yet): consume_min=NA\n");
    if (!report.all_runs_ok()) {
        fmt::print("some runs failed; no ratio line\n");
        return 1;
    }
    fmt::print(
        "ratio produce_async={:.3f} produce_future={:.3f} send_sync_p50={:.3f} consume_min=NA\n",
        produce_ratio.at(SendVariant::FacadeCallback), produce_ratio.at(SendVariant::FacadeFuture),
        p50_ratio);
    return 0;
}

int usage() {
    std::fprintf(stderr,
                 "usage: producer_bench [--quick]\n"
                 "       producer_bench --profile raw|cb|future|raw-thread|cb-poll "
                 "[messages] [value bytes]\n"
                 "       producer_bench --profile sync-raw|sync|sync-poll [samples]\n");
    return 2;
}

int failed(const RunResult& result) {
    fmt::print("run failed: {}\n", result.error);
    return 1;
}

// One run in this process (no fork), so that callgrind or perf see it all.
int profile(const std::string& name, std::size_t count, std::size_t value_size) {
    const std::map<std::string, SendVariant> throughput_variants = {
        {"raw", SendVariant::Raw},
        {"cb", SendVariant::FacadeCallback},
        {"future", SendVariant::FacadeFuture},
        {"raw-thread", SendVariant::RawPollThread},
        {"cb-poll", SendVariant::FacadeExplicitPoll}};
    const std::map<std::string, LatencyVariant> latency_variants = {
        {"sync-raw", LatencyVariant::Raw},
        {"sync", LatencyVariant::SendSync},
        {"sync-poll", LatencyVariant::SendSyncExplicitPoll}};
    if (count == 0 || value_size == 0) {
        return usage();
    }
    if (const auto variant = throughput_variants.find(name); variant != throughput_variants.end()) {
        const RunResult result = run_throughput(variant->second, value_size, count);
        if (!result.ok) {
            return failed(result);
        }
        fmt::print("{} {} x {} B: {:.0f} msgs/s, process CPU {:.2f} us/msg\n",
                   variant_name(variant->second), count, value_size, result.msgs_per_s,
                   result.cpu_us_per_msg);
        return 0;
    }
    if (const auto variant = latency_variants.find(name); variant != latency_variants.end()) {
        const RunResult result = run_send_sync_latency(variant->second, count);
        if (!result.ok) {
            return failed(result);
        }
        fmt::print("{} {} samples: p50 {:.1f} us, p99 {:.1f} us, p999 {:.1f} us\n",
                   latency_variant_name(variant->second), count, result.p50_us, result.p99_us,
                   result.p999_us);
        return 0;
    }
    return usage();
}

}  // namespace
}  // namespace relkafka::bench

int main(int argc, char** argv) {
    using namespace relkafka::bench;
    const std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (args.empty()) {
            return run("full", full_plan);
        }
        if (args.size() == 1 && args[0] == "--quick") {
            return run("quick", quick_plan);
        }
        if (args.size() >= 2 && args.size() <= 4 && args[0] == "--profile") {
            const std::size_t messages = args.size() > 2 ? std::stoul(args[2]) : 200000;
            const std::size_t value_size = args.size() > 3 ? std::stoul(args[3]) : 100;
            return profile(args[1], messages, value_size);
        }
    } catch (const std::invalid_argument&) {
        // a count that is not a number: fall through to usage
    }
    return usage();
}
