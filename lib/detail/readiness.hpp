#pragma once

#include <chrono>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "relkafka/error.hpp"

namespace relkafka::detail {

// One metadata round trip to the cluster behind `rk`, waited for at most
// `timeout`: no error once a broker answered. `bootstrap_servers` only
// names the cluster in the error.
Error wait_connected(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                     std::string_view bootstrap_servers);

}  // namespace relkafka::detail
