#pragma once

#include <chrono>
#include <string_view>

#include "relkafka/config.hpp"
#include "relkafka/logging.hpp"
#include "relkafka/stats.hpp"

namespace relkafka::detail {

// Parses one statistics report from librdkafka's stats_cb and hands it to
// `on_statistics`. A report that cannot be parsed goes to `on_error` (or, if
// that is unset, to the log at Warning). `config_type` ("ProducerConfig")
// names the callbacks in messages. A callback that throws terminates, as
// callbacks must not throw.
void deliver_statistics(std::string_view json, const StatisticsCallback& on_statistics,
                        const ErrorCallback& on_error, const LogCallback& on_log,
                        const char* config_type);

// Throws ConfigError unless `interval` is within librdkafka's range for
// statistics.interval.ms (0 = off).
void require_statistics_interval(std::chrono::milliseconds interval, const char* config_type);

// Throws ConfigError when statistics are on but nothing receives them.
// Checked when a client is built, not by validate(): a config read from JSON
// gets its callbacks in code afterwards.
void require_statistics_callback(std::chrono::milliseconds interval, bool has_callback,
                                 const char* config_type);

}  // namespace relkafka::detail
