#pragma once

#include <functional>
#include <string_view>

namespace relkafka {

/// How severe a log line is. librdkafka's syslog levels map onto it:
/// 0-3 (emergency..error) are Error, 4 Warning, 5-6 (notice, info) Info,
/// 7 Debug. Which librdkafka lines are emitted at all is librdkafka's
/// "log_level" property (default 6) and its "debug" contexts, both settable
/// through `overrides`.
enum class LogLevel {
    Debug,
    Info,
    Warning,
    Error,
};

/// Receives the log lines of a client and of the librdkafka instance under
/// it (ProducerConfig::on_log, ConsumerConfig::on_log).
///
/// Threading: it may run on any thread — librdkafka's internal broker and
/// main threads, the producer's callback thread, the thread that calls
/// close() — and concurrently with itself, so it must be thread-safe. It must
/// not call back into the client that logs. An exception thrown from it is
/// caught and the line is written to stderr instead.
///
/// When unset, log_to_stderr() is used. Secrets (passwords, keys) never
/// appear in relkafka's own lines.
using LogCallback = std::function<void(LogLevel level, std::string_view message)>;

/// "debug", "info", "warning" or "error".
std::string_view log_level_name(LogLevel level) noexcept;

/// The hook used when on_log is unset: writes
/// "relkafka: <level>: <message>" and a newline to stderr as one write.
void log_to_stderr(LogLevel level, std::string_view message);

}  // namespace relkafka
