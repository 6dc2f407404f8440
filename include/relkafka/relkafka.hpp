#pragma once

// The whole public API. The test tools are in relkafka/testing/, not here.

#include "relkafka/config.hpp"
#include "relkafka/consumer.hpp"
#include "relkafka/delivery.hpp"
#include "relkafka/delivery_future.hpp"
#include "relkafka/error.hpp"
#include "relkafka/exactly_once_pipeline.hpp"
#include "relkafka/logging.hpp"
#include "relkafka/message.hpp"
#include "relkafka/policies.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/record.hpp"
#include "relkafka/stats.hpp"
#include "relkafka/topic_partition.hpp"
#include "relkafka/transactional_producer.hpp"
#include "relkafka/version.hpp"
