#pragma once

#include <librdkafka/rdkafka.h>

#include "relkafka/record.hpp"

namespace relkafka::detail {

// Copies a fetched message (no error) out of librdkafka's buffers.
Record to_record(const rd_kafka_message_t* message);

}  // namespace relkafka::detail
