#include "relkafka/record.hpp"

#include <string>
#include <utility>

#include <librdkafka/rdkafka.h>

#include "detail/records.hpp"
#include "consumer/shared_consumer_handle.hpp"

namespace relkafka {

namespace {

std::optional<std::string_view> view(const void* data, std::size_t size) noexcept {
    if (data == nullptr) {
        return std::nullopt;
    }
    return std::string_view(static_cast<const char*>(data), size);
}

}  // namespace

Record::Record(rd_kafka_message_s* message, detail::SharedConsumerHandle* handle) noexcept
    : message_(message), handle_(handle) {}

Record::Record(Record&& other) noexcept
    : message_(std::exchange(other.message_, nullptr)), handle_(std::exchange(other.handle_, nullptr)) {}

Record& Record::operator=(Record&& other) noexcept {
    if (this != &other) {
        Record released(std::move(*this));
        message_ = std::exchange(other.message_, nullptr);
        handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
}

Record::~Record() {
    if (message_ != nullptr) {
        rd_kafka_message_destroy(message_);
    }
    if (handle_ != nullptr) {
        handle_->release();
    }
}

std::string_view Record::topic() const noexcept { return rd_kafka_topic_name(message_->rkt); }

std::int32_t Record::partition() const noexcept { return message_->partition; }

std::int64_t Record::offset() const noexcept { return message_->offset; }

std::optional<std::string_view> Record::key() const noexcept {
    return view(message_->key, message_->key_len);
}

std::optional<std::string_view> Record::value() const noexcept {
    return view(message_->payload, message_->len);
}

Timestamp Record::timestamp() const noexcept {
    return Timestamp(std::chrono::milliseconds(rd_kafka_message_timestamp(message_, nullptr)));
}

std::vector<Header> Record::headers() const { return detail::headers_of(message_); }

std::optional<std::string_view> Record::header(std::string_view name) const {
    rd_kafka_headers_t* headers = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_message_headers(message_, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(headers, std::string(name).c_str(), &value, &size) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::nullopt;
    }
    return view(value, size).value_or(std::string_view());
}

}  // namespace relkafka
