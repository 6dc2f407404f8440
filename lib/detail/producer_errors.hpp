#pragma once

#include <cstddef>

#include <librdkafka/rdkafka.h>

#include "relkafka/config.hpp"
#include "relkafka/error.hpp"
#include "relkafka/message.hpp"

namespace relkafka::detail {

// Whether, and how, a send waited for room in a full queue.
enum class QueueWait { None, TimedOut, Closed };

// Why a message could not even be queued, naming the setting involved.
Error send_failure(rd_kafka_resp_err_t err, const MessageView& message, const ProducerConfig& config,
                   std::size_t max_message_bytes, QueueWait wait);

// Why librdkafka gave up a queued message.
Error delivery_failure(rd_kafka_resp_err_t err, const ProducerConfig& config);

// A message given up because the producer hit `fatal`.
Error caused_by_fatal(const Error& fatal, rd_kafka_resp_err_t err);

}  // namespace relkafka::detail
