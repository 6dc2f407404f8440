#pragma once

#include <string_view>

#include <librdkafka/rdkafka.h>

#include "relkafka/transactional_producer.hpp"

namespace relkafka::detail {

// What the caller should do after a transactional call that returned
// `error` (nullptr: success), as librdkafka classifies it; destroys `error`.
// Errors of call order (no transaction, a call already in progress) throw
// UsageError, naming `owner` and `call`.
TxnResult txn_result(rd_kafka_error_t* error, std::string_view owner, std::string_view call);

}  // namespace relkafka::detail
