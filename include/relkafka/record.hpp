#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relkafka/message.hpp"

namespace relkafka {

/// A record read from a topic: where it is in the log and what it holds.
struct Record {
    std::string topic;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<Header> headers;
    Timestamp timestamp{};
};

}  // namespace relkafka
