#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "relkafka/record.hpp"

namespace relkafka::testing {

/// Reads every partition of `topic` from the beginning up to the high
/// watermark it had when the call started, without a consumer group and in
/// offset order per partition: what a test compares with what it sent.
/// Throws std::runtime_error if that takes longer than `timeout`.
std::vector<Record> read_topic(const std::string& bootstrap_servers, const std::string& topic,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace relkafka::testing
