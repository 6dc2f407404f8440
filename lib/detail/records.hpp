#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <optional>

#include "relkafka/message.hpp"
#include "relkafka/record.hpp"

namespace relkafka::detail {

// Copies a fetched message (no error) out of librdkafka's buffers.
Record to_record(const rd_kafka_message_t* message);

// Rebuilds the Message a produced message was sent as, from librdkafka's
// copy, to hand it back after a failure. `partition` is the one requested.
Message to_message(const rd_kafka_message_t* message, std::optional<std::int32_t> partition);

}  // namespace relkafka::detail
