#pragma once

#include "detail/kafka_conf.hpp"
#include "relkafka/config.hpp"
#include "relkafka/transactional_producer.hpp"

namespace relkafka::detail {

// Throws ConfigError for an invalid, contradictory or unsafe ProducerConfig.
// The one place producer policies are validated.
void validate(const ProducerConfig& config);

// The librdkafka properties a validated ProducerConfig stands for: policies
// first, then overrides. The one place policies map to properties.
Properties producer_properties(const ProducerConfig& config);

// Throws ConfigError for invalid transaction settings of a TransactionalConfig
// (its ProducerConfig is validated by validate()).
void validate_transactional(const TransactionalConfig& config);

}  // namespace relkafka::detail
