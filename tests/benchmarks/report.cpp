#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <utility>

#include <fmt/format.h>

#include "bench_clients.hpp"
#include "consume_clients.hpp"
#include "consume_throughput.hpp"
#include "heap_per_message.hpp"
#include "relkafka/consumer.hpp"
#include "send_latency.hpp"

namespace relkafka::bench {

namespace {

constexpr std::size_t value_sizes[] = {100, 1024};

template <class Field>
double median_of(const std::vector<RunResult>& runs, Field field) {
    std::vector<double> values;
    for (const auto& run : runs) {
        values.push_back(run.*field);
    }
    return median(values);
}

// Every run's figure, to show the spread behind a median.
template <class Field>
std::string each(const std::vector<RunResult>& runs, Field field, int decimals) {
    std::string out;
    for (const auto& run : runs) {
        out += fmt::format("{}{:.{}f}", out.empty() ? "" : " ", run.*field, decimals);
    }
    return out;
}

double ratio(double facade, double raw) {
    return raw > 0 ? facade / raw : 0;
}

// Each round's facade/raw msgs/s: a run and its baseline from the same
// round were measured a few seconds apart, so these show how far the host's
// drift moves a single comparison.
std::string round_ratios(const std::vector<RunResult>& facade, const std::vector<RunResult>& raw) {
    std::string out;
    for (std::size_t round = 0; round < facade.size() && round < raw.size(); ++round) {
        out += fmt::format("{}{:.2f}", out.empty() ? "" : " ",
                           ratio(facade[round].msgs_per_s, raw[round].msgs_per_s));
    }
    return out;
}

// The variants of one round in the order they run: rotated by one each round,
// so that no variant always runs first, or always after the same one.
template <class Variant, std::size_t N>
std::vector<Variant> rotated(const Variant (&variants)[N], int round) {
    std::vector<Variant> order(std::begin(variants), std::end(variants));
    const auto first = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(round) % N);
    std::rotate(order.begin(), order.begin() + first, order.end());
    return order;
}

std::string size_name(std::size_t size) {
    return size % 1024 == 0 ? fmt::format("{} KiB", size / 1024) : fmt::format("{} B", size);
}

std::string label(bool diagnostic, const char* name) {
    return fmt::format("{}{}", diagnostic ? "(diag) " : "", name);
}

void print_throughput_header() {
    fmt::print("  {:<34} {:>9} {:>9} {:>7} {:>7} {:>6} {:>11} {:>13} {:>11}\n", "", "msgs/s", "raw",
               "MB/s", "raw", "ratio", "CPU us/msg", "ctx sw/1k msg", "peak RSS MB");
}

void print_throughput_row(const std::string& name, const std::vector<RunResult>& facade,
                          const std::vector<RunResult>& raw) {
    const auto both = [&](double RunResult::*field) {
        return std::pair(median_of(facade, field), median_of(raw, field));
    };
    const auto [rate, raw_rate] = both(&RunResult::msgs_per_s);
    const auto [mb, raw_mb] = both(&RunResult::mb_per_s);
    const auto [cpu, raw_cpu] = both(&RunResult::cpu_us_per_msg);
    const auto [switches, raw_switches] = both(&RunResult::switches_per_kmsg);
    const auto [rss, raw_rss] = both(&RunResult::peak_rss_mb);
    fmt::print(
        "  {:<34} {:>9.0f} {:>9.0f} {:>7.1f} {:>7.1f} {:>6.3f} {:>5.2f} {:>5.2f} {:>6.1f} "
        "{:>6.1f} {:>5.0f} {:>5.0f}\n",
        name, rate, raw_rate, mb, raw_mb, ratio(rate, raw_rate), cpu, raw_cpu, switches,
        raw_switches, rss, raw_rss);
}

// Prints how two clients' effective librdkafka configurations differ, or
// that they do not; true if they do not.
bool print_config_check(const std::string& what, rd_kafka_t* facade, rd_kafka_t* raw) {
    std::size_t compared = 0;
    const auto differences = config_differences(facade, raw, compared);
    for (const auto& difference : differences) {
        fmt::print("config differs ({}): {}\n", what, difference);
    }
    if (differences.empty()) {
        fmt::print(
            "config check ({}): facade and raw effective librdkafka configurations are "
            "identical ({} properties; callbacks and opaque excluded)\n",
            what, compared);
    }
    return differences.empty();
}

// The facade rows of the consume section: every policy with poll(), and the
// default policy with run() as well.
std::vector<ConsumeVariant> facade_consume_variants() {
    std::vector<ConsumeVariant> variants;
    for (const CommitKind kind : commit_kinds) {
        variants.push_back({kind, ConsumeApi::Poll});
        if (kind == CommitKind::AsyncThenSync) {
            variants.push_back({kind, ConsumeApi::Run});
        }
    }
    return variants;
}

}  // namespace

void Report::keep(std::vector<RunResult>& runs, const RunResult& result, const std::string& what) {
    if (!result.ok) {
        all_ok_ = false;
        fmt::print("run failed: {}: {}\n", what, result.error);
    }
    runs.push_back(result);
}

bool Report::same_config() {
    return config_check_in_child([] {
        const BenchCluster cluster;
        Producer facade(facade_config(cluster.bootstrap_servers()));
        RawProducer raw(
            cluster.bootstrap_servers(), {}, [](rd_kafka_t*, const rd_kafka_message_t*, void*) {},
            nullptr);
        return print_config_check("producer", facade.native_handle(), raw.get());
    });
}

bool Report::same_consumer_config() {
    return config_check_in_child([] {
        const BenchCluster cluster;
        bool same = true;
        for (const CommitKind kind : commit_kinds) {
            Consumer facade(facade_consumer_config(cluster, kind));
            RawConsumer raw(cluster, kind);
            same = print_config_check(fmt::format("consumer, {}", commit_kind_name(kind)),
                                      facade.native_handle(), raw.get()) &&
                   same;
        }
        return same;
    });
}

bool Report::config_check_in_child(const std::function<bool()>& check) {
    const RunResult result = run_in_child([&] {
        RunResult outcome;
        outcome.ok = check();
        std::fflush(stdout);  // the child leaves with _exit()
        return outcome;
    });
    if (!result.ok) {
        all_ok_ = false;
        fmt::print("run failed: config check: {}\n",
                   result.error[0] != '\0' ? result.error : "configurations differ");
    }
    return result.ok;
}

std::map<SendVariant, double> Report::throughput() {
    constexpr SendVariant compared[] = {SendVariant::FacadeCallback, SendVariant::FacadeFuture,
                                        SendVariant::RawPollThread,
                                        SendVariant::FacadeExplicitPoll, SendVariant::FacadeOwned};
    constexpr SendVariant all[] = {SendVariant::Raw, compared[0], compared[1],
                                   compared[2], compared[3], compared[4]};
    std::map<SendVariant, double> worst = {{SendVariant::FacadeCallback, 1e9},
                                           {SendVariant::FacadeFuture, 1e9}};
    print_throughput_header();
    for (const std::size_t size : value_sizes) {
        std::map<SendVariant, std::vector<RunResult>> runs;
        for (int round = 0; round < plan_.rounds; ++round) {
            for (const SendVariant variant : rotated(all, round)) {
                keep(runs[variant],
                     run_in_child([&] { return run_throughput(variant, size, plan_.messages); }),
                     fmt::format("{} {}", variant_name(variant), size_name(size)));
            }
        }
        const auto& raw = runs[SendVariant::Raw];
        fmt::print("  {} values\n", size_name(size));
        std::string spread = "raw " + each(raw, &RunResult::msgs_per_s, 0);
        std::string per_round;
        for (const SendVariant variant : compared) {
            const bool diagnostic = worst.count(variant) == 0;
            print_throughput_row(label(diagnostic, variant_name(variant)), runs[variant], raw);
            if (!diagnostic) {
                worst[variant] =
                    std::min(worst[variant], ratio(median_of(runs[variant], &RunResult::msgs_per_s),
                                                   median_of(raw, &RunResult::msgs_per_s)));
            }
            spread += fmt::format(" | {} {}", variant_name(variant),
                                  each(runs[variant], &RunResult::msgs_per_s, 0));
            per_round += fmt::format("{}{} {}", per_round.empty() ? "" : " | ",
                                     variant_name(variant), round_ratios(runs[variant], raw));
        }
        fmt::print("  runs, msgs/s: {}\n", spread);
        fmt::print("  ratio in each round: {}\n", per_round);
    }
    return worst;
}

double Report::latency() {
    constexpr LatencyVariant compared[] = {LatencyVariant::SendSync,
                                           LatencyVariant::SendSyncExplicitPoll};
    std::map<LatencyVariant, std::vector<RunResult>> runs;
    for (int round = 0; round < plan_.rounds; ++round) {
        constexpr LatencyVariant all[] = {LatencyVariant::Raw, compared[0], compared[1]};
        for (const LatencyVariant variant : rotated(all, round)) {
            keep(runs[variant], run_in_child([&] {
                     return run_send_sync_latency(variant, plan_.latency_samples);
                 }),
                 latency_variant_name(variant));
        }
    }
    const auto& raw = runs[LatencyVariant::Raw];
    const std::pair<const char*, double RunResult::*> percentiles[] = {
        {"p50", &RunResult::p50_us}, {"p99", &RunResult::p99_us}, {"p999", &RunResult::p999_us}};
    for (const LatencyVariant variant : compared) {
        const std::string name =
            label(variant == LatencyVariant::SendSyncExplicitPoll, latency_variant_name(variant));
        for (const auto& [percentile_name, field] : percentiles) {
            const double f = median_of(runs[variant], field);
            const double r = median_of(raw, field);
            fmt::print(
                "  {:<30} {:<4} {:>7.1f} us | raw {:>7.1f} us | ratio {:.3f} | runs: {} | "
                "raw: {}\n",
                name, percentile_name, f, r, ratio(f, r), each(runs[variant], field, 1),
                each(raw, field, 1));
        }
    }
    return ratio(median_of(runs[LatencyVariant::SendSync], &RunResult::p50_us),
                 median_of(raw, &RunResult::p50_us));
}

void Report::heap() {
    constexpr SendVariant variants[] = {SendVariant::Raw, SendVariant::FacadeCallback,
                                        SendVariant::FacadeFuture};
    std::map<SendVariant, std::vector<RunResult>> runs;
    bool measurable = true;
    for (int round = 0; round < plan_.rounds; ++round) {
        for (const SendVariant variant : rotated(variants, round)) {
            const RunResult result =
                run_in_child([&] { return run_heap_per_message(variant, plan_.queued); });
            measurable = measurable && !std::isnan(result.heap_bytes_per_msg);
            keep(runs[variant], result, fmt::format("heap {}", variant_name(variant)));
        }
    }
    if (!measurable) {
        fmt::print(
            "  NA: mallinfo2() does not see this process's malloc (sanitizer or preloaded "
            "allocator)\n");
        return;
    }
    const auto& raw = runs[SendVariant::Raw];
    const double raw_bytes = median_of(raw, &RunResult::heap_bytes_per_msg);
    for (const SendVariant variant : {SendVariant::FacadeCallback, SendVariant::FacadeFuture}) {
        const double bytes = median_of(runs[variant], &RunResult::heap_bytes_per_msg);
        fmt::print(
            "  {:<17} {:>6.1f} B/msg | raw {:>6.1f} B/msg | facade-raw {:+.1f} B/msg | "
            "ratio {:.3f} | peak RSS {:.0f} MB (raw {:.0f} MB)\n",
            variant_name(variant), bytes, raw_bytes, bytes - raw_bytes, ratio(bytes, raw_bytes),
            median_of(runs[variant], &RunResult::peak_rss_mb),
            median_of(raw, &RunResult::peak_rss_mb));
    }
}

double Report::consume() {
    const std::vector<ConsumeVariant> compared = facade_consume_variants();
    std::map<CommitKind, std::vector<RunResult>> raw;
    std::vector<std::vector<RunResult>> facade(compared.size());
    const auto run = [&](std::vector<RunResult>& runs, const ConsumeVariant& variant) {
        keep(runs, run_in_child([&] { return run_consume(variant, plan_.consume_messages); }),
             consume_variant_name(variant));
    };
    for (int round = 0; round < plan_.consume_rounds; ++round) {
        for (const CommitKind kind : commit_kinds) {
            // This policy's raw baseline and facade variants, rotated as
            // rotated() does.
            std::vector<std::pair<std::vector<RunResult>*, ConsumeVariant>> group = {
                {&raw[kind], {kind, ConsumeApi::Raw}}};
            for (std::size_t i = 0; i < compared.size(); ++i) {
                if (compared[i].commit == kind) {
                    group.emplace_back(&facade[i], compared[i]);
                }
            }
            std::rotate(group.begin(),
                        group.begin() + static_cast<std::ptrdiff_t>(
                                            static_cast<std::size_t>(round) % group.size()),
                        group.end());
            for (const auto& [runs, variant] : group) {
                run(*runs, variant);
            }
        }
    }

    double lowest = 1e9;
    std::string spread;
    std::string commits;
    print_throughput_header();
    for (std::size_t i = 0; i < compared.size(); ++i) {
        const std::string name = consume_variant_name(compared[i]);
        const auto& baseline = raw[compared[i].commit];
        print_throughput_row(name, facade[i], baseline);
        lowest = std::min(lowest, ratio(median_of(facade[i], &RunResult::msgs_per_s),
                                        median_of(baseline, &RunResult::msgs_per_s)));
        spread += fmt::format("\n    {:<24} {} | raw {}", name,
                              each(facade[i], &RunResult::msgs_per_s, 0),
                              each(baseline, &RunResult::msgs_per_s, 0));
        commits += fmt::format("{}{} {:.0f}/{:.0f}", commits.empty() ? "" : " | ", name,
                               median_of(facade[i], &RunResult::commits),
                               median_of(baseline, &RunResult::commits));
    }
    fmt::print("  commits per run, facade/raw (medians): {}\n", commits);
    fmt::print("  runs, msgs/s:{}\n", spread);
    return lowest;
}

}  // namespace relkafka::bench
