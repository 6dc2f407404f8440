// The run loop: records handed to the handler with ProcessingRetry, then
// dead-lettered or their partition stopped.
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/errors.hpp"
#include "consumer/dead_letter.hpp"
#include "detail/records.hpp"

namespace relkafka {

namespace detail {

std::string describe(std::string_view topic, std::int32_t partition) {
    return fmt::format("{}[{}]", topic, partition);
}

}  // namespace detail

using detail::describe;
using std::chrono::milliseconds;

void Consumer::Impl::run(const RecordHandler& handler, const std::atomic<bool>& stop) {
    require_open("run()");
    if (!handler) {
        throw UsageError("run() needs a handler");
    }
    while (!stop.load()) {
        for (const Record& record : poll(milliseconds(100))) {
            if (stop.load()) {
                break;  // the rest is redelivered
            }
            if (stopped_count_ != 0) {
                const PartitionState* state = state_of(detail::RecordAccess::message(record));
                if (state != nullptr && state->stopped_at >= 0) {
                    continue;  // stopped earlier in this batch
                }
            }
            if (process(record, handler)) {
                mark_processed(record);
            }
        }
    }
}

// Runs the handler with the ProcessingRetry policy; on final failure the
// record is dead-lettered (then it counts as processed) or its partition
// stopped at it.
bool Consumer::Impl::process(const Record& record, const RecordHandler& handler) {
    std::string why;
    for (int attempt = 1; attempt <= config_.retry.attempts; ++attempt) {
        try {
            handler(record);
            return true;
        } catch (const std::exception& e) {
            why = e.what();
        } catch (...) {
            why = "the handler threw a non-std::exception";
        }
        ++counters_.handler_failures;
        if (attempt < config_.retry.attempts) {
            std::this_thread::sleep_for(config_.retry.backoff);
        }
    }
    if (config_.dead_letter && dead_letter(record, why)) {
        return true;
    }
    stop_at(record, why);
    return false;
}

bool Consumer::Impl::dead_letter(const Record& record, const std::string& why) {
    if (!dead_letters_) {
        ProducerConfig producer;
        producer.bootstrap_servers = config_.bootstrap_servers;
        producer.on_log = config_.on_log;
        dead_letters_ = std::make_unique<Producer>(std::move(producer));
    }
    const Delivery d = dead_letters_->send_sync(
        detail::dead_letter_message(record, *config_.dead_letter, why, config_.retry.attempts));
    if (!d.ok()) {
        report(Error(d.error.code(),
                     fmt::format("could not dead-letter {} offset {}: {}",
                                 describe(record.topic(), record.partition()), record.offset(),
                                 d.error.message()),
                     d.error.retriable()));
        return false;
    }
    ++counters_.dead_lettered;
    return true;
}

void Consumer::Impl::stop_at(const Record& record, const std::string& why) {
    const std::string topic(record.topic());
    if (PartitionState* state = state_of(topic, record.partition())) {
        stopped_count_ += state->stopped_at < 0 ? 1 : 0;
        state->stopped_at = record.offset();
    }
    pause(topic, record.partition(), true);
    // Fetching resumes at the failing record, whenever it resumes.
    detail::PartitionListHandle position(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(position.get(), topic.c_str(), record.partition())->offset =
        record.offset();
    detail::ErrorHandle error(rd_kafka_seek_partitions(rk_, position.get(), -1));
    report(Error(ErrorCode::Fail,
                 fmt::format("handler failed on {} offset {} after {} attempts ({}); the partition "
                             "is paused at that record and nothing past it is committed: fix the "
                             "cause and resume() or restart, or set ConsumerConfig::dead_letter",
                             describe(topic, record.partition()), record.offset(),
                             config_.retry.attempts, why)));
}

}  // namespace relkafka
