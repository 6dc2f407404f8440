#include "consumer/dead_letter.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

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

namespace {

// Consumer overrides that say how to reach and talk to the cluster, and so
// apply to the dead-letter producer too.
bool is_connection_property(std::string_view name) {
    constexpr std::string_view prefixes[] = {"security.", "sasl.", "ssl.", "ssl_", "socket.",
                                             "reconnect.", "broker.address.", "api.version."};
    constexpr std::string_view names[] = {"client.id", "broker.version.fallback", "debug",
                                          "log_level", "enable.ssl.certificate.verification"};
    for (const std::string_view prefix : prefixes) {
        if (name.substr(0, prefix.size()) == prefix) {
            return true;
        }
    }
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

}  // namespace

ProducerConfig dead_letter_producer_config(const ConsumerConfig& consumer) {
    ProducerConfig producer;
    producer.bootstrap_servers = consumer.bootstrap_servers;
    producer.on_log = consumer.on_log;
    for (const auto& [name, value] : consumer.overrides) {
        if (is_connection_property(name)) {
            producer.overrides[name] = value;
        }
    }
    if (consumer.dead_letter) {
        producer.retry.delivery_timeout = consumer.dead_letter->timeout;
        for (const auto& [name, value] : consumer.dead_letter->producer_overrides) {
            producer.overrides[name] = value;
        }
    }
    producer.close_timeout = consumer.close_timeout;
    return producer;
}

}  // namespace relkafka::detail
