#pragma once

#include <string>

#include "relkafka/config.hpp"
#include "relkafka/message.hpp"
#include "relkafka/policies.hpp"
#include "relkafka/record.hpp"

namespace relkafka::detail {

// Header names a dead-lettered record carries, besides its own headers.
inline constexpr const char* dlt_topic_header = "relkafka.dlt.original.topic";
inline constexpr const char* dlt_partition_header = "relkafka.dlt.original.partition";
inline constexpr const char* dlt_offset_header = "relkafka.dlt.original.offset";
inline constexpr const char* dlt_error_header = "relkafka.dlt.error";
inline constexpr const char* dlt_attempts_header = "relkafka.dlt.attempts";

// The message that carries a failed record to its dead-letter topic: same
// key, value, headers and timestamp, plus where it came from and why it failed.
Message dead_letter_message(const Record& record, const DeadLetter& policy, const std::string& error,
                            int attempts);

// The dead-letter producer's settings: the consumer's connection and
// security settings, then DeadLetter::producer_overrides. Not validated.
ProducerConfig dead_letter_producer_config(const ConsumerConfig& consumer);

}  // namespace relkafka::detail
