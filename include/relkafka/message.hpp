#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relkafka {

/// Milliseconds since the Unix epoch, Kafka's timestamp unit.
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// One record header. Kafka allows repeated header names; order is kept.
struct Header {
    std::string name;
    std::string value;

    friend bool operator==(const Header& a, const Header& b) {
        return a.name == b.name && a.value == b.value;
    }
};

/// A record to produce. librdkafka copies it when it is queued (as it does for
/// any caller); if it cannot be delivered, it comes back inside the Delivery.
///
/// A key or value left empty (std::nullopt) is sent as null: a null key lets
/// the partitioner choose, a null value is a tombstone on compacted topics.
struct Message {
    std::string topic;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<Header> headers;
    /// A fixed partition, or std::nullopt to let the partitioner choose.
    std::optional<std::int32_t> partition;
    /// The record's CreateTime, or std::nullopt for "now".
    std::optional<Timestamp> timestamp;
};

}  // namespace relkafka
