#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace relkafka::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// What one benchmark run reports back to the parent process. Plain data: it
// crosses a pipe as raw bytes. Fields a benchmark does not measure stay 0.
struct RunResult {
    bool ok = false;
    char error[240] = "";

    double msgs_per_s = 0;
    double mb_per_s = 0;  // value bytes only, MB = 10^6 bytes

    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;

    double heap_bytes_per_msg = 0;

    double commits = 0;  // offset commits that succeeded, for the consume runs

    // Whole process (every thread, mock cluster included) over the timed part.
    double cpu_us_per_msg = 0;
    double switches_per_kmsg = 0;  // voluntary + involuntary context switches

    double peak_rss_mb = 0;  // VmHWM of the whole run process, mock cluster included
};

RunResult failed_run(const std::string& why);

// Runs `body` in a forked child and returns what it reported. Each run gets a
// fresh process: its own mock cluster, heap and peak-RSS mark, so no run
// inherits allocator state or broker log from another. The caller must not
// have started any thread (librdkafka's included) before forking.
RunResult run_in_child(const std::function<RunResult()>& body);

// True in a process run_in_child() forked, which ends with _exit() once its
// body returns.
bool in_run_child() noexcept;

// CPU time and context switches of the whole process so far.
struct ProcessUsage {
    double cpu_seconds = 0;
    double context_switches = 0;
};
ProcessUsage process_usage();

// The timed part of a throughput run: wall time, and the whole process's CPU
// time and context switches, from construction to finish().
class Timed {
public:
    Timed() : usage_(process_usage()), start_(Clock::now()) {}

    // msgs/s, MB/s of values, CPU us/msg, context switches per 1k messages
    // and peak RSS, for `messages` values of `value_size` bytes.
    RunResult finish(std::size_t messages, std::size_t value_size) const;

private:
    ProcessUsage usage_;
    Clock::time_point start_;
};

double median(std::vector<double> values);

// Nearest-rank percentile (0 < p <= 1) of unsorted samples.
double percentile(std::vector<double> samples, double p);

// Peak resident set size of this process so far, in MB (VmHWM).
double peak_rss_mb();

// Bytes the heap has handed out and not taken back (glibc mallinfo2: all
// arenas plus mmapped chunks).
std::size_t heap_in_use();

}  // namespace relkafka::bench
