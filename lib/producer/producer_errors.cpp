#include "detail/producer_errors.hpp"

#include <fmt/format.h>

#include "detail/errors.hpp"
#include "detail/printable.hpp"
#include "detail/topic_rule.hpp"

namespace relkafka::detail {

namespace {

std::size_t wire_size(const MessageView& m) {
    std::size_t size = (m.key ? m.key->size() : 0) + (m.value ? m.value->size() : 0);
    for (const auto& h : m.headers) {
        size += h.name.size() + h.value.size();
    }
    return size;
}

Error queue_full(const ProducerConfig& config, QueueWait wait) {
    switch (wait) {
        case QueueWait::Closed:
            return Error(ErrorCode::QueueFull,
                         "the producer was closed while this send waited for queue room", true);
        case QueueWait::TimedOut:
            return Error(ErrorCode::QueueFull,
                         fmt::format("the local queue stayed full for "
                                     "ProducerConfig::backpressure.max_block = {} ms: brokers are "
                                     "slower than the sender, or down",
                                     config.backpressure.max_block.count()),
                         true);
        case QueueWait::None:
            break;
    }
    return Error(ErrorCode::QueueFull,
                 fmt::format("the local queue is full (ProducerConfig::backpressure max_messages = "
                             "{}, max_kbytes = {}) and on_full = FailFast: retry later, or use "
                             "QueueFullAction::Block",
                             config.backpressure.max_messages, config.backpressure.max_kbytes),
                 true);
}

}  // namespace

Error send_failure(rd_kafka_resp_err_t err, const MessageView& m, const ProducerConfig& config,
                   std::size_t max_message_bytes, QueueWait wait) {
    const ErrorCode code = to_code(err);
    switch (code) {
        case ErrorCode::MsgSizeTooLarge:
            return Error(code, fmt::format("message of {} bytes (key + value + headers) to topic "
                                           "\"{}\" exceeds message.max.bytes = {}: split the "
                                           "payload, or raise overrides[\"message.max.bytes\"] "
                                           "together with the topic's max.message.bytes",
                                           wire_size(m), m.topic, max_message_bytes));
        case ErrorCode::QueueFull:
            return queue_full(config, wait);
        case ErrorCode::UnknownPartition:
            return Error(code, fmt::format("partition {} of topic \"{}\" does not exist",
                                           m.partition.value_or(-1), m.topic));
        case ErrorCode::InvalidArg:
            if (const char* problem = topic_name_problem(m.topic)) {
                return Error(code, fmt::format("topic \"{}\" ({} characters) is not a valid topic "
                                               "name: {}; the message was not sent",
                                               printable_text(m.topic), m.topic.size(), problem));
            }
            return make_error(err, fmt::format("send to topic \"{}\" failed", m.topic));
        case ErrorCode::UnknownTopic:
            return Error(code, fmt::format("topic \"{}\" does not exist", m.topic));
        default:
            return make_error(err, fmt::format("send to topic \"{}\" failed", m.topic));
    }
}

Error delivery_failure(rd_kafka_resp_err_t err, const ProducerConfig& config) {
    const ErrorCode code = to_code(err);
    switch (code) {
        case ErrorCode::MsgTimedOut:
            return Error(code,
                         fmt::format("not acknowledged within ProducerConfig::retry.delivery_timeout "
                                     "= {} ms (brokers down or unreachable?); the message may be "
                                     "sent again",
                                     config.retry.delivery_timeout.count()),
                         true);
        case ErrorCode::PurgeQueue:
            return Error(code, "given up unsent when the producer was closed", true);
        case ErrorCode::PurgeInflight:
            return Error(code,
                         "given up while awaiting the broker's acknowledgement when the producer "
                         "was closed; it may have been written",
                         true);
        default:
            return make_error(err, "delivery failed");
    }
}

Error caused_by_fatal(const Error& fatal, rd_kafka_resp_err_t err) {
    return Error(fatal.code(),
                 fmt::format("not delivered: {} (this message: {})", fatal.message(),
                             rd_kafka_err2str(err)),
                 false, true);
}

}  // namespace relkafka::detail
