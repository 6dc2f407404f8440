#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

/// Headers of a MessageView: a view of headers the caller owns, in order.
class HeaderSpan {
public:
    HeaderSpan() = default;
    HeaderSpan(const Header* data, std::size_t size) noexcept : data_(data), size_(size) {}
    // Implicit, so that `view.headers = my_headers;` reads naturally.
    HeaderSpan(const std::vector<Header>& headers) noexcept  // NOLINT(google-explicit-constructor)
        : data_(headers.data()), size_(headers.size()) {}

    const Header* begin() const noexcept { return data_; }
    const Header* end() const noexcept { return data_ + size_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

private:
    const Header* data_ = nullptr;
    std::size_t size_ = 0;
};

/// A record to produce that refers to the caller's bytes instead of owning
/// them: send() copies them into librdkafka before it returns, so they need to
/// stay valid only for the call. It saves the copy into a Message when the
/// bytes already live elsewhere (a serializer's buffer, a memory-mapped file).
/// If the message cannot be delivered it comes back as an owning Message
/// inside the Delivery, exactly as a Message would.
struct MessageView {
    std::string_view topic;
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    HeaderSpan headers;
    /// A fixed partition, or std::nullopt to let the partitioner choose.
    std::optional<std::int32_t> partition;
    /// The record's CreateTime, or std::nullopt for "now".
    std::optional<Timestamp> timestamp;
};

}  // namespace relkafka
