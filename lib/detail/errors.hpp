#pragma once

#include <string>

#include <librdkafka/rdkafka.h>

#include "relkafka/error.hpp"

namespace relkafka::detail {

inline ErrorCode to_code(rd_kafka_resp_err_t err) noexcept { return static_cast<ErrorCode>(err); }
inline rd_kafka_resp_err_t to_native(ErrorCode code) noexcept {
    return static_cast<rd_kafka_resp_err_t>(code);
}

// Whether sending the same message again may succeed, for errors librdkafka
// reports as plain codes (delivery reports, produce calls).
bool is_retriable(ErrorCode code) noexcept;

// An Error for `err`, with `context` saying what failed and librdkafka's own
// text after it.
Error make_error(rd_kafka_resp_err_t err, const std::string& context);

// An Error from librdkafka's rich error object (keeps its flags).
Error make_error(const rd_kafka_error_t* error, const std::string& context);

}  // namespace relkafka::detail
