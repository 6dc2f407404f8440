#include "bench_support.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <stdexcept>

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace relkafka::bench {

RunResult failed_run(const std::string& why) {
    RunResult result;
    result.ok = false;
    std::snprintf(result.error, sizeof result.error, "%s", why.c_str());
    return result;
}

namespace {

bool run_child = false;

void write_all(int fd, const void* data, std::size_t size) {
    const char* at = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, at, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        at += n;
        size -= static_cast<std::size_t>(n);
    }
}

bool read_all(int fd, void* data, std::size_t size) {
    char* at = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, at, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        at += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

RunResult run_in_child(const std::function<RunResult()>& body) {
    int fds[2];
    if (::pipe(fds) != 0) {
        return failed_run(std::string("pipe: ") + std::strerror(errno));
    }
    std::fflush(nullptr);  // or the child would print the parent's buffered output again
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return failed_run(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        run_child = true;
        ::close(fds[0]);
        RunResult result;
        try {
            result = body();
        } catch (const std::exception& e) {
            result = failed_run(e.what());
        }
        write_all(fds[1], &result, sizeof result);
        ::close(fds[1]);
        std::fflush(nullptr);
        ::_exit(0);
    }
    ::close(fds[1]);
    RunResult result;
    const bool got = read_all(fds[0], &result, sizeof result);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!got) {
        return failed_run("the run process died without a result (status " +
                          std::to_string(status) + ")");
    }
    return result;
}

bool in_run_child() noexcept {
    return run_child;
}

ProcessUsage process_usage() {
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    ProcessUsage result;
    result.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    result.context_switches = static_cast<double>(usage.ru_nvcsw + usage.ru_nivcsw);
    return result;
}

RunResult Timed::finish(std::size_t messages, std::size_t value_size) const {
    const double seconds = seconds_since(start_);
    const ProcessUsage usage = process_usage();
    const auto count = static_cast<double>(messages);
    RunResult result;
    result.ok = true;
    result.cpu_us_per_msg = (usage.cpu_seconds - usage_.cpu_seconds) * 1e6 / count;
    result.switches_per_kmsg = (usage.context_switches - usage_.context_switches) * 1000 / count;
    result.msgs_per_s = count / seconds;
    result.mb_per_s = result.msgs_per_s * static_cast<double>(value_size) / 1e6;
    result.peak_rss_mb = peak_rss_mb();
    return result;
}

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) {
        return 0;
    }
    std::sort(samples.begin(), samples.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(samples.size())));
    return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

double peak_rss_mb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return std::stod(line.substr(6)) / 1024.0;  // the line is "VmHWM:   1234 kB"
        }
    }
    return 0;
}

std::size_t heap_in_use() {
    const struct mallinfo2 info = ::mallinfo2();
    return info.uordblks + info.hblkhd;
}

}  // namespace relkafka::bench
