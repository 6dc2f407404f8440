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

// An owning copy of a view, to hand a message back that was sent as one.
Message to_message(const MessageView& view);

inline MessageView view_of(const Message& m) noexcept {
    MessageView view;
    view.topic = m.topic;
    view.key = m.key ? std::optional<std::string_view>(*m.key) : std::nullopt;
    view.value = m.value ? std::optional<std::string_view>(*m.value) : std::nullopt;
    view.headers = m.headers;
    view.partition = m.partition;
    view.timestamp = m.timestamp;
    return view;
}

}  // namespace relkafka::detail
