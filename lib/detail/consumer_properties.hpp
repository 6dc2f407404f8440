#pragma once

#include "detail/kafka_conf.hpp"
#include "relkafka/config.hpp"

namespace relkafka::detail {

// Throws ConfigError for an invalid or contradictory ConsumerConfig. The one
// place consumer policies are validated.
void validate(const ConsumerConfig& config);

// The librdkafka properties a validated ConsumerConfig stands for.
Properties consumer_properties(const ConsumerConfig& config);

}  // namespace relkafka::detail
