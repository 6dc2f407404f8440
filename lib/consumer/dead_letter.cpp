#include "consumer/dead_letter.hpp"

#include "detail/records.hpp"

namespace relkafka::detail {

Message dead_letter_message(const Record& record, const DeadLetter& policy, const std::string& error,
                            int attempts) {
    Message m;
    const std::string topic(record.topic());
    m.topic = policy.topic.empty() ? topic + ".DLT" : policy.topic;
    m.key = copy_of(record.key());
    m.value = copy_of(record.value());
    m.headers = record.headers();
    m.headers.push_back({dlt_topic_header, topic});
    m.headers.push_back({dlt_partition_header, std::to_string(record.partition())});
    m.headers.push_back({dlt_offset_header, std::to_string(record.offset())});
    m.headers.push_back({dlt_error_header, error});
    m.headers.push_back({dlt_attempts_header, std::to_string(attempts)});
    m.timestamp = record.timestamp();
    return m;
}

}  // namespace relkafka::detail
