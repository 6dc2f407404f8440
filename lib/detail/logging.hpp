#pragma once

#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "relkafka/logging.hpp"

namespace relkafka::detail {

// Sends a line to `hook`, or to stderr when it is unset. Never throws: if
// the hook throws, the line goes to stderr with a note saying so.
void log(const LogCallback& hook, LogLevel level, std::string_view message) noexcept;

// The LogLevel of a syslog level as librdkafka reports it (0..7).
LogLevel from_syslog(int level) noexcept;

// Forwards one of librdkafka's log lines ("<instance>: <facility>: <text>").
void log_librdkafka(const LogCallback& hook, const rd_kafka_t* rk, int level, const char* facility,
                    const char* text) noexcept;

// librdkafka's text for a client error, with its misleading hints explained.
std::string explain_client_error(std::string_view reason);

// Logs at Error that the user callback `callback` (e.g.
// "ProducerConfig::on_error") threw, with what() of the exception being
// handled, and returns that line for on_error. The client carries on: a
// callback's exception never reaches librdkafka and never ends the process.
// Call it only from a catch block.
std::string callback_threw(const LogCallback& hook, std::string_view callback) noexcept;

}  // namespace relkafka::detail
