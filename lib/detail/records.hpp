#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relkafka/message.hpp"
#include "relkafka/record.hpp"

namespace relkafka::detail {

class SharedConsumerHandle;

// Makes Records and looks inside them.
struct RecordAccess {
    // A Record owning `message` (fetched, no error) and one reference to
    // `handle`, which the caller has taken for it.
    static Record adopt(rd_kafka_message_t* message, SharedConsumerHandle* handle) noexcept {
        return Record(message, handle);
    }
    static const rd_kafka_message_t* message(const Record& record) noexcept {
        return record.message_;
    }
};

// Every header of a message, copied, in order.
std::vector<Header> headers_of(const rd_kafka_message_t* message);

inline std::optional<std::string> copy_of(std::optional<std::string_view> bytes) {
    return bytes ? std::optional<std::string>(std::in_place, *bytes) : std::nullopt;
}

// Rebuilds the Message a produced message was sent as, from librdkafka's
// copy, to hand it back after a failure. `partition` is the one requested.
Message to_message(const rd_kafka_message_t* message, std::optional<std::int32_t> partition);

}  // namespace relkafka::detail
