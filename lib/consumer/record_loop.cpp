// The run loop: records handed to the handler with ProcessingRetry, then
// dead-lettered or their partition stopped.
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/errors.hpp"
#include "detail/logging.hpp"
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
    const ActiveCall active(*this, "run()");
    if (!handler) {
        throw UsageError("run() needs a handler");
    }
    while (!stop.load() && !closing()) {
        if (stopped_count_ != 0 && config_.dead_letter) {
            retry_dead_letters();
        }
        const std::vector<Record> batch = poll(milliseconds(100));
        RewindGuard rest(*this, batch);
        for (std::size_t next = 0; next < batch.size(); rest.handed_out(++next)) {
            if (stop.load() || closing()) {
                break;
            }
            const Record& record = batch[next];
            if (rest.sought_since(record)) {
                continue;  // fetched before the handler sought its partition
            }
            if (stopped_count_ != 0) {
                const PartitionState* state = state_of(detail::RecordAccess::message(record));
                if (state != nullptr && state->stopped_at >= 0) {
                    continue;  // stopped earlier in this batch
                }
            }
            const std::size_t dead_lettered = counters_.dead_lettered.load(std::memory_order_relaxed);
            if (process(record, handler)) {
                mark_processed(record);
                if (counters_.dead_lettered.load(std::memory_order_relaxed) != dead_lettered) {
                    // At once: a rebalance right after must not hand the
                    // record to a member that dead-letters it again.
                    commit_processed();
                }
            }
        }
    }
}

bool Consumer::Impl::RewindGuard::sought_since(const Record& record) {
    if (impl_.seeks_ == fetched_at_) {
        return false;  // no seek at all: the common case

    }
    const PartitionState* state = impl_.state_of(detail::RecordAccess::message(record));
    return state != nullptr && state->sought > fetched_at_;
}

void Consumer::Impl::rewind(const std::vector<Record>& batch, std::size_t from,
                            std::uint64_t fetched_at) noexcept {
    try {
        detail::PartitionListHandle positions(rd_kafka_topic_partition_list_new(0));
        for (std::size_t i = from; i < batch.size(); ++i) {
            const rd_kafka_message_t* m = detail::RecordAccess::message(batch[i]);
            PartitionState* state = m != nullptr ? state_of(m) : nullptr;
            if (state == nullptr || state->stopped_at >= 0 || state->sought > fetched_at) {
                continue;  // revoked (its next owner reads it) / already sought
            }
            const char* topic = rd_kafka_topic_name(m->rkt);
            if (rd_kafka_topic_partition_list_find(positions.get(), topic, m->partition) == nullptr) {
                rd_kafka_topic_partition_list_add(positions.get(), topic, m->partition)->offset =
                    m->offset;
                moved(*state, m->offset);
            }
        }
        if (positions->cnt == 0) {
            return;
        }
        // Asynchronous: the seek's barrier drops what was fetched before it
        // at once, so the next poll() cannot see past these offsets.
        detail::ErrorHandle error(rd_kafka_seek_partitions(rk_, positions.get(), 0));
        if (error) {
            report(detail::make_error(error.get(), "seeking back to records not handed out failed"));
        }
    } catch (...) {
        report(Error(ErrorCode::Fail, detail::callback_threw(config_.on_log, "rewinding a batch")));
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
        bump(counters_.handler_failures);
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
    auto letter = std::make_unique<Message>(
        detail::dead_letter_message(record, *config_.dead_letter, why, config_.retry.attempts));
    if (write_dead_letter(*letter, record.topic(), record.partition(), record.offset())) {
        return true;
    }
    // stop_at() pauses the partition at the record; run() writes the letter
    // again every DeadLetter::timeout and resumes the partition once it is in.
    if (PartitionState* state = state_of(record.topic(), record.partition())) {
        state->dead_letter = std::move(letter);
        state->retry_at = Clock::now() + config_.dead_letter->timeout;
    }
    return false;
}

bool Consumer::Impl::write_dead_letter(const Message& letter, std::string_view topic,
                                       std::int32_t partition, std::int64_t offset) {
    if (!dead_letters_) {
        dead_letters_ = std::make_unique<Producer>(detail::dead_letter_producer_config(config_));
    }
    const Delivery d = dead_letters_->send_sync(letter);
    if (!d.ok()) {
        report(Error(d.error.code(),
                     fmt::format("could not dead-letter {} offset {} to \"{}\" within "
                                 "DeadLetter::timeout ({} ms): {}; the partition stays paused and "
                                 "the write is tried again every {} ms",
                                 describe(topic, partition), offset, letter.topic,
                                 config_.dead_letter->timeout.count(), d.error.message(),
                                 config_.dead_letter->timeout.count()),
                     d.error.retriable()));
        return false;
    }
    bump(counters_.dead_lettered);
    return true;
}

void Consumer::Impl::retry_dead_letters() {
    const Clock::time_point now = Clock::now();
    for (auto& [tp, state] : partitions_) {
        if (!state.dead_letter || state.stopped_at < 0 || now < state.retry_at) {
            continue;
        }
        if (!write_dead_letter(*state.dead_letter, tp.topic, tp.partition, state.stopped_at)) {
            state.retry_at = Clock::now() + config_.dead_letter->timeout;
            continue;
        }
        // Written: the record counts as processed, is committed, and the
        // partition goes on after it.
        const std::int64_t next = state.stopped_at + 1;
        state.dead_letter.reset();
        state.processed = std::max(state.processed, next);
        bump(counters_.processed);
        detail::PartitionListHandle position(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(position.get(), tp.topic.c_str(), tp.partition)->offset = next;
        detail::ErrorHandle error(rd_kafka_seek_partitions(rk_, position.get(), 0));
        moved(state, next);
        const std::string topic = tp.topic;
        const std::int32_t partition = tp.partition;
        pause(topic, partition, false);  // clears stopped_at; partitions_ is not changed
        commit_processed();
        detail::log(config_.on_log, LogLevel::Info,
                    fmt::format("consumer {}: dead letter of {} offset {} written; the partition "
                                "resumes at offset {}",
                                config_.group_id, describe(topic, partition), next - 1, next));
        return;  // commit_processed() may have served a rebalance: look again next time
    }
}

void Consumer::Impl::stop_at(const Record& record, const std::string& why) {
    const std::string topic(record.topic());
    if (PartitionState* state = state_of(topic, record.partition())) {
        stopped_count_ += state->stopped_at < 0 ? 1 : 0;
        state->stopped_at = record.offset();
        moved(*state, record.offset());
    }
    pause(topic, record.partition(), true);
    // Fetching resumes at the failing record, whenever it resumes.
    detail::PartitionListHandle position(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(position.get(), topic.c_str(), record.partition())->offset =
        record.offset();
    detail::ErrorHandle error(rd_kafka_seek_partitions(rk_, position.get(), -1));
    report(Error(ErrorCode::Fail,
                 fmt::format("handler failed on {} offset {} after {} attempts ({}); the partition "
                             "is paused at that record and nothing past it is committed: {}",
                             describe(topic, record.partition()), record.offset(),
                             config_.retry.attempts, why,
                             config_.dead_letter
                                 ? "the dead-letter write failed too (reported before this); "
                                   "resume() once the dead-letter topic can be written, or restart"
                                 : "fix the cause and resume() or restart, or set "
                                   "ConsumerConfig::dead_letter")));
}

}  // namespace relkafka
