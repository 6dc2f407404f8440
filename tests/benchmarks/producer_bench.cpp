// relkafka's producer and consumer facades against raw librdkafka code doing
// the same work with the same configuration, on the embedded mock cluster.
// See README.md.
//
//   producer_bench          full mode: 1M messages per produce run, 400k per
//                           consume run; 9 rounds of the produce sections, 5
//                           of consume (each consume run waits ~3 s to join)
//   producer_bench --quick  smoke mode, under a minute: 100k / 20k messages,
//                           1 round
//   producer_bench [--quick] --only throughput|latency|heap|consume
//                           one section; the others are NA in the ratio line
//   producer_bench --profile raw|cb|future|raw-thread|cb-poll|cb-owned [messages] [value bytes]
//   producer_bench --profile sync-raw|sync|sync-poll [samples]
//   producer_bench --profile consume-raw|poll|run-<policy> [messages]
//                           one run in this process, for valgrind
//                           --tool=callgrind or perf; <policy> is
//                           async-then-sync, sync-commit, async-commit,
//                           auto-commit or at-most-once

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "bench_support.hpp"
#include "consume_throughput.hpp"
#include "produce_throughput.hpp"
#include "report.hpp"
#include "send_latency.hpp"

namespace relkafka::bench {
namespace {

constexpr Plan full_plan{1000000, 9, 5000, 50000, 400000, 5};
constexpr Plan quick_plan{100000, 1, 1000, 20000, 20000, 1};

const std::set<std::string> all_sections = {"throughput", "latency", "heap", "consume"};

// The final line's figures; a section not run leaves its own NA.
struct Ratios {
    std::optional<double> produce_async;
    std::optional<double> produce_future;
    std::optional<double> send_sync_p50;
    std::optional<double> consume_min;
};

std::string ratio_or_na(const std::optional<double>& ratio) {
    return ratio ? fmt::format("{:.3f}", *ratio) : "NA";
}

void throughput_section(Report& report, const Plan& plan, Ratios& ratios) {
    fmt::print(
        "\nasync produce throughput: {} messages per run, acks=all, idempotent, linger.ms "
        "default; medians of facade and raw (baseline);\n  ratio = facade/raw msgs/s; CPU "
        "and context switches are the whole process's, mock cluster included\n",
        plan.messages);
    const auto worst = report.throughput();
    ratios.produce_async = worst.at(SendVariant::FacadeCallback);
    ratios.produce_future = worst.at(SendVariant::FacadeFuture);
}

void latency_section(Report& report, const Plan& plan, Ratios& ratios) {
    fmt::print(
        "\nsend_sync latency: {} samples per run, 100 B values, linger.ms=0; medians over "
        "runs; ratio = facade/raw (lower is better)\n",
        plan.latency_samples);
    ratios.send_sync_p50 = report.latency();
}

void heap_section(Report& report, const Plan& plan, Ratios&) {
    fmt::print("\nheap per queued message: {} x 100 B values held in the local queue; medians\n",
               plan.queued);
    report.heap();
}

void consume_section(Report& report, const Plan& plan, Ratios& ratios) {
    fmt::print("\n");
    if (!report.same_consumer_config()) {
        return;
    }
    fmt::print(
        "\nconsume throughput: {} x {} B records per run ({} per partition), produced "
        "beforehand, read by a new group; timed from the first record to the last one "
        "processed;\n  medians of facade and raw with the same commit behaviour (baseline); "
        "ratio = facade/raw msgs/s; CPU and context switches are the whole process's\n",
        plan.consume_messages, consume_value_size,
        plan.consume_messages / BenchCluster::partitions);
    ratios.consume_min = report.consume();
}

int run(const char* mode, const Plan& plan, const std::set<std::string>& sections) {
    fmt::print(
        "producer_bench ({} mode): librdkafka {}, mock cluster 3 brokers, topic 4 partitions, "
        "{} rounds ({} for consume), each run in a fresh process with a fresh cluster and "
        "client\n",
        mode, rd_kafka_version_str(), plan.rounds, plan.consume_rounds);
    Report report(plan);
    const bool producing =
        sections.count("throughput") + sections.count("latency") + sections.count("heap") > 0;
    if (producing && !report.same_config()) {
        return 1;
    }
    using Section = void (*)(Report&, const Plan&, Ratios&);
    const std::pair<const char*, Section> in_order[] = {{"throughput", &throughput_section},
                                                        {"latency", &latency_section},
                                                        {"heap", &heap_section},
                                                        {"consume", &consume_section}};
    Ratios ratios;
    for (const auto& [name, section] : in_order) {
        if (sections.count(name) != 0) {
            section(report, plan, ratios);
        }
    }
    if (!report.all_runs_ok()) {
        fmt::print("some runs failed; no ratio line\n");
        return 1;
    }
    fmt::print("ratio produce_async={} produce_future={} send_sync_p50={} consume_min={}\n",
               ratio_or_na(ratios.produce_async), ratio_or_na(ratios.produce_future),
               ratio_or_na(ratios.send_sync_p50), ratio_or_na(ratios.consume_min));
    return 0;
}

int usage() {
    std::fprintf(stderr,
                 "usage: producer_bench [--quick] [--only throughput|latency|heap|consume]\n"
                 "       producer_bench --profile raw|cb|future|raw-thread|cb-poll|cb-owned "
                 "[messages] [value bytes]\n"
                 "       producer_bench --profile sync-raw|sync|sync-poll [samples]\n"
                 "       producer_bench --profile consume-raw|poll|run-<policy> [messages]\n"
                 "         <policy>: async-then-sync, sync-commit, async-commit, auto-commit, "
                 "at-most-once\n");
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
        {"cb-poll", SendVariant::FacadeExplicitPoll},
        {"cb-owned", SendVariant::FacadeOwned}};
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
    for (const ConsumeVariant& variant : all_consume_variants()) {
        if (consume_profile_name(variant) == name) {
            // Callgrind runs about 50 times slower than native.
            const RunResult result = run_consume(variant, count, std::chrono::seconds(3600));
            if (!result.ok) {
                return failed(result);
            }
            fmt::print("{} {} x {} B: {:.0f} msgs/s, process CPU {:.2f} us/msg, {:.0f} commits\n",
                       consume_variant_name(variant), count, consume_value_size, result.msgs_per_s,
                       result.cpu_us_per_msg, result.commits);
            return 0;
        }
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
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--profile") {
        if (args.size() < 2 || args.size() > 4) {
            return usage();
        }
        try {
            const std::size_t messages = args.size() > 2 ? std::stoul(args[2]) : 200000;
            const std::size_t value_size = args.size() > 3 ? std::stoul(args[3]) : 100;
            return profile(args[1], messages, value_size);
        } catch (const std::invalid_argument&) {
            return usage();  // a count that is not a number
        } catch (const std::exception& e) {
            fmt::print("run failed: {}\n", e.what());
            return 1;
        }
    }
    const bool quick = !args.empty() && args[0] == "--quick";
    if (quick) {
        args.erase(args.begin());
    }
    std::set<std::string> sections = all_sections;
    if (args.size() == 2 && args[0] == "--only" && all_sections.count(args[1]) != 0) {
        sections = {args[1]};
    } else if (!args.empty()) {
        return usage();
    }
    return run(quick ? "quick" : "full", quick ? quick_plan : full_plan, sections);
}
