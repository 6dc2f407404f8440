#include "detail/records.hpp"

namespace relkafka::detail {

namespace {

std::optional<std::string> bytes(const void* data, std::size_t size) {
    if (data == nullptr) {
        return std::nullopt;
    }
    return std::string(static_cast<const char*>(data), size);
}

}  // namespace

std::vector<Header> headers_of(const rd_kafka_message_t* m) {
    std::vector<Header> result;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return result;
    }
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        result.push_back({name, bytes(value, size).value_or(std::string())});
    }
    return result;
}

Message to_message(const rd_kafka_message_t* m, std::optional<std::int32_t> partition) {
    Message message;
    message.topic = rd_kafka_topic_name(m->rkt);
    message.key = bytes(m->key, m->key_len);
    message.value = bytes(m->payload, m->len);
    message.headers = headers_of(m);
    message.partition = partition;
    message.timestamp = Timestamp(std::chrono::milliseconds(rd_kafka_message_timestamp(m, nullptr)));
    return message;
}

Message to_message(const MessageView& view) {
    Message message;
    message.topic = view.topic;
    message.key = copy_of(view.key);
    message.value = copy_of(view.value);
    message.headers.assign(view.headers.begin(), view.headers.end());
    message.partition = view.partition;
    message.timestamp = view.timestamp;
    return message;
}

}  // namespace relkafka::detail
