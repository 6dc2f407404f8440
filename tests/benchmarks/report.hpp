#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "produce_throughput.hpp"

namespace relkafka::bench {

// How much work each section of the report does.
struct Plan {
    std::size_t messages;          // per throughput run
    int rounds;                    // runs of each variant, interleaved
    std::size_t latency_samples;   // per latency run
    std::size_t queued;            // messages held per heap run
    std::size_t consume_messages;  // produced, then read, per consume run
    int consume_rounds;            // each consume run costs a ~3 s group join
};

// The sections of producer_bench's output. Each runs every variant once per
// round, the order rotated by one each round, each run in a fresh process, and
// prints medians over the rounds beside the raw baseline.
class Report {
public:
    explicit Report(const Plan& plan) : plan_(plan) {}

    // Prints whether the facade's and the raw producer's effective librdkafka
    // configurations are identical; false if they are not.
    bool same_config();

    // Returns, per facade variant, the lowest over value sizes of
    // median(facade msgs/s) / median(raw msgs/s).
    std::map<SendVariant, double> throughput();

    // Returns median(send_sync p50) / median(raw p50).
    double latency();

    void heap();

    // As same_config(), for the consumers of every commit policy.
    bool same_consumer_config();

    // Returns the lowest over the facade's consume variants of
    // median(facade msgs/s) / median(raw msgs/s with the same commit policy).
    double consume();

    bool all_runs_ok() const noexcept { return all_ok_; }

private:
    // Runs `check` in a child process; false (and a failed run) if it threw
    // or returned false.
    bool config_check_in_child(const std::function<bool()>& check);
    void keep(std::vector<RunResult>& runs, const RunResult& result, const std::string& what);

    Plan plan_;
    bool all_ok_ = true;
};

}  // namespace relkafka::bench
