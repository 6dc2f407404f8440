#pragma once

#include <memory>

#include <librdkafka/rdkafka.h>

namespace relkafka::detail {

// Owning pointers for librdkafka objects, each released by its own function.
struct KafkaDeleter {
    void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
    void operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
    void operator()(rd_kafka_headers_t* hdrs) const noexcept { rd_kafka_headers_destroy(hdrs); }
    void operator()(rd_kafka_error_t* error) const noexcept { rd_kafka_error_destroy(error); }
    void operator()(rd_kafka_queue_t* queue) const noexcept { rd_kafka_queue_destroy(queue); }
    void operator()(rd_kafka_message_t* message) const noexcept { rd_kafka_message_destroy(message); }
    void operator()(rd_kafka_event_t* event) const noexcept { rd_kafka_event_destroy(event); }
    void operator()(rd_kafka_topic_partition_list_t* list) const noexcept {
        rd_kafka_topic_partition_list_destroy(list);
    }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using HeadersHandle = std::unique_ptr<rd_kafka_headers_t, KafkaDeleter>;
using ErrorHandle = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using EventHandle = std::unique_ptr<rd_kafka_event_t, KafkaDeleter>;
using PartitionListHandle = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;

}  // namespace relkafka::detail
