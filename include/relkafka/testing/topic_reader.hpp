#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relkafka/message.hpp"

namespace relkafka::testing {

/// A record as read back from a topic's log.
struct Record {
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<Header> headers;
    Timestamp timestamp{};
};

/// Reads every partition of `topic` from the beginning up to the high
/// watermark it had when the call started, without a consumer group and in
/// offset order per partition: what a test compares with what it sent.
/// Throws std::runtime_error if that takes longer than `timeout`.
std::vector<Record> read_topic(const std::string& bootstrap_servers, const std::string& topic,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace relkafka::testing
