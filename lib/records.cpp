#include "detail/records.hpp"

namespace relkafka::detail {

Record to_record(const rd_kafka_message_t* m) {
    Record r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key != nullptr) {
        r.key.emplace(static_cast<const char*>(m->key), m->key_len);
    }
    if (m->payload != nullptr) {
        r.value.emplace(static_cast<const char*>(m->payload), m->len);
    }
    rd_kafka_headers_t* headers = nullptr;
    // Detached from the message would let us take them without copying, but
    // the message is const here; headers are small.
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            r.headers.push_back(
                {name, value != nullptr ? std::string(static_cast<const char*>(value), size) : ""});
        }
    }
    r.timestamp = Timestamp(std::chrono::milliseconds(rd_kafka_message_timestamp(m, nullptr)));
    return r;
}

}  // namespace relkafka::detail
