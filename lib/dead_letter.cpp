#include "detail/dead_letter.hpp"

namespace relkafka::detail {

Message dead_letter_message(const Record& record, const DeadLetter& policy, const std::string& error,
                            int attempts) {
    Message m;
    m.topic = policy.topic.empty() ? record.topic + ".DLT" : policy.topic;
    m.key = record.key;
    m.value = record.value;
    m.headers = record.headers;
    m.headers.push_back({dlt_topic_header, record.topic});
    m.headers.push_back({dlt_partition_header, std::to_string(record.partition)});
    m.headers.push_back({dlt_offset_header, std::to_string(record.offset)});
    m.headers.push_back({dlt_error_header, error});
    m.headers.push_back({dlt_attempts_header, std::to_string(attempts)});
    m.timestamp = record.timestamp;
    return m;
}

}  // namespace relkafka::detail
