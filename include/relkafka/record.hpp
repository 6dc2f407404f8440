#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relkafka/message.hpp"
#include "relkafka/topic_partition.hpp"

struct rd_kafka_message_s;

namespace relkafka {

namespace detail {
class SharedConsumerHandle;
struct RecordAccess;
}  // namespace detail

/// A record read from a topic: where it is in the log and what it holds.
///
/// A Record reads librdkafka's fetch buffer in place; nothing is copied. The
/// views it returns stay valid for as long as the Record lives, so copy out
/// (e.g. `std::string(*record.value())`) what must outlive it. A Record is
/// move-only, may be moved to another thread, and may outlive the Consumer
/// that returned it (the last Record releases the consumer's librdkafka
/// handle). Holding records keeps their fetch buffers in memory.
class Record {
public:
    Record(Record&& other) noexcept;
    Record& operator=(Record&& other) noexcept;
    Record(const Record&) = delete;
    Record& operator=(const Record&) = delete;
    ~Record();

    std::string_view topic() const noexcept;
    std::int32_t partition() const noexcept;
    std::int64_t offset() const noexcept;
    /// std::nullopt for a null key / a null value (tombstone).
    std::optional<std::string_view> key() const noexcept;
    std::optional<std::string_view> value() const noexcept;
    Timestamp timestamp() const noexcept;
    TopicPartition topic_partition() const { return {std::string(topic()), partition()}; }
    /// The record's own offset; commit() wants the next one (offset + 1).
    PartitionOffset position() const { return {std::string(topic()), partition(), offset()}; }

    /// Every header, in order, copied. Headers are parsed on first use:
    /// headers() and header() must not be called on the same Record from two
    /// threads at once.
    std::vector<Header> headers() const;
    /// The value of the last header named `name`, or std::nullopt.
    std::optional<std::string_view> header(std::string_view name) const;

private:
    friend struct detail::RecordAccess;
    Record(rd_kafka_message_s* message, detail::SharedConsumerHandle* handle) noexcept;

    rd_kafka_message_s* message_ = nullptr;
    detail::SharedConsumerHandle* handle_ = nullptr;
};

}  // namespace relkafka
