#include "relkafka/logging.hpp"

#include <cstdio>
#include <exception>
#include <string>

#include <fmt/format.h>

#include "detail/logging.hpp"

namespace relkafka {

std::string_view log_level_name(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::Debug: return "debug";
        case LogLevel::Info: return "info";
        case LogLevel::Warning: return "warning";
        case LogLevel::Error: return "error";
    }
    return "error";
}

void log_to_stderr(LogLevel level, std::string_view message) {
    // One formatted buffer, one write: lines from several threads do not mix.
    const std::string line = fmt::format("relkafka: {}: {}\n", log_level_name(level), message);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

namespace detail {

namespace {

// The last resort: stdio only, nothing that may throw.
void write_raw(std::string_view text) noexcept {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

}  // namespace

void log(const LogCallback& hook, LogLevel level, std::string_view message) noexcept {
    try {
        if (hook) {
            try {
                hook(level, message);
                return;
            } catch (const std::exception& e) {
                log_to_stderr(LogLevel::Error,
                              fmt::format("the on_log hook threw ({}); the line was:", e.what()));
            } catch (...) {
                log_to_stderr(LogLevel::Error, "the on_log hook threw; the line was:");
            }
        }
        log_to_stderr(level, message);
    } catch (...) {
        write_raw("relkafka: error: a log line was lost (out of memory?)\n");
    }
}

LogLevel from_syslog(int level) noexcept {
    if (level <= 3) {
        return LogLevel::Error;  // emergency, alert, critical, error
    }
    if (level == 4) {
        return LogLevel::Warning;
    }
    if (level <= 6) {
        return LogLevel::Info;  // notice, info
    }
    return LogLevel::Debug;
}

void log_librdkafka(const LogCallback& hook, const rd_kafka_t* rk, int level, const char* facility,
                    const char* text) noexcept {
    try {
        const char* name = rk != nullptr ? rd_kafka_name(rk) : "rdkafka";
        log(hook, from_syslog(level),
            fmt::format("{}: {}: {}", name, facility != nullptr ? facility : "",
                        text != nullptr ? text : ""));
    } catch (...) {
        write_raw("relkafka: error: a librdkafka log line was lost (out of memory?)\n");
    }
}

std::string explain_client_error(std::string_view reason) {
    // librdkafka says this of any connection that drops within 2 s of being
    // set up, which is what a broker being stopped or restarted looks like.
    constexpr std::string_view sasl_hint = "verify that security.protocol is correctly configured";
    if (reason.find(sasl_hint) == std::string_view::npos) {
        return std::string(reason);
    }
    return fmt::format("{} (librdkafka's hint: the connection closed within 2 s of being set up; "
                       "right after a broker was stopped or restarted that is expected and not a "
                       "security setting)",
                       reason);
}

std::string callback_threw(const LogCallback& hook, std::string_view callback) noexcept {
    try {
        std::string what = "not a std::exception";
        try {
            throw;
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        std::string line = fmt::format(
            "{} threw ({}); the exception was caught and the client carries on: callbacks "
            "must not throw",
            callback, what);
        log(hook, LogLevel::Error, line);
        return line;
    } catch (...) {
        write_raw("relkafka: error: a callback threw, and reporting it failed (out of memory?)\n");
        return {};
    }
}

}  // namespace detail

}  // namespace relkafka
