// Offset tracking and commits: what each assigned partition has processed
// and committed, and the commit policies that move the two together.
#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/deadline.hpp"
#include "detail/errors.hpp"
#include "detail/logging.hpp"
#include "detail/records.hpp"

namespace relkafka {

namespace detail {

using std::chrono::milliseconds;

// commit() under the policies without a synchronous cadence of their own.
constexpr milliseconds one_attempt{10000};

Cadence cadence_of(const CommitPolicy& policy) {
    struct Visitor {
        Cadence operator()(const SyncCommit& p) const {
            return {p.every, p.every == 0, false, p.attempts, p.backoff, p.timeout};
        }
        Cadence operator()(const AsyncCommit& p) const {
            return {p.every, p.every == 0, true, 1, milliseconds(0), one_attempt};
        }
        Cadence operator()(const AsyncThenSync& p) const {
            return {p.every, p.every == 0, true, p.attempts, p.backoff, p.timeout};
        }
        // librdkafka commits these on its timer / they are committed in poll().
        Cadence operator()(const AutoCommit&) const {
            return {0, false, false, 1, milliseconds(0), one_attempt};
        }
        Cadence operator()(const AtMostOnce&) const {
            return {0, false, false, 5, milliseconds(200), one_attempt};
        }
    };
    return std::visit(Visitor{}, policy);
}

std::vector<PartitionOffset> to_offsets(const rd_kafka_topic_partition_list_t* list) {
    std::vector<PartitionOffset> offsets;
    if (list != nullptr) {
        offsets.reserve(static_cast<std::size_t>(list->cnt));
        for (int i = 0; i < list->cnt; ++i) {
            offsets.push_back({list->elems[i].topic, list->elems[i].partition, list->elems[i].offset});
        }
    }
    return offsets;
}

std::string describe(const std::vector<PartitionOffset>& offsets) {
    std::string text;
    for (const auto& o : offsets) {
        text += fmt::format("{}{}@{}", text.empty() ? "" : ", ", describe(o.topic, o.partition),
                            o.offset);
    }
    return text;
}

}  // namespace detail

using std::chrono::milliseconds;
using detail::to_offsets;

// AtMostOnce: the batch is handed out only once its offsets are committed.
// If the commit fails, the batch is not handed out: fetching goes back to
// its first records and the commit is tried again with the next poll().
std::vector<Record> Consumer::Impl::commit_before_handing_out(std::vector<Record> batch) {
    for (const Record& r : batch) {
        const rd_kafka_message_t* m = detail::RecordAccess::message(r);
        if (PartitionState* state = state_of(m)) {
            state->processed = m->offset + 1;
        }
    }
    if (!commit_sync()) {
        return batch;
    }
    for (auto& [tp, state] : partitions_) {
        state.processed = state.committed;
    }
    rewind(batch, 0, seeks_);
    return {};
}

// AutoCommit: librdkafka's timer commits what is stored; store once per batch.
void Consumer::Impl::store_processed_offsets() {
    detail::PartitionListHandle offsets(rd_kafka_topic_partition_list_new(0));
    for (auto& [tp, state] : partitions_) {
        // Not `>`: a seek back lowers what is processed (see seek()).
        if (state.processed >= 0 && state.processed != state.stored) {
            rd_kafka_topic_partition_list_add(offsets.get(), tp.topic.c_str(), tp.partition)->offset =
                state.processed;
            state.stored = state.processed;
        }
    }
    if (offsets->cnt > 0) {
        rd_kafka_offsets_store(rk_, offsets.get());
    }
}

void Consumer::Impl::commit_per_policy() {
    if (transaction_commits_) {
        return;  // the transactions commit
    }
    if (cadence_.asynchronous) {
        commit_async();
    } else {
        (void)commit_sync();  // reported to on_commit and the log
    }
}

detail::PartitionListHandle Consumer::Impl::uncommitted() const {
    detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(0));
    for (const auto& [tp, state] : partitions_) {
        // Not `>`: a seek back lowers what is processed (see seek()).
        if (state.processed >= 0 && state.processed != state.committed) {
            rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
                state.processed;
        }
    }
    return list;
}

void Consumer::Impl::commit_async() {
    since_commit_ = 0;
    detail::PartitionListHandle offsets = uncommitted();
    if (offsets->cnt == 0) {
        return;
    }
    // Async commits go out in order on the coordinator connection; a failed
    // one is covered by the next, which carries every offset processed since.
    const rd_kafka_resp_err_t err = rd_kafka_commit_queue(
        rk_, offsets.get(), consumer_queue_.get(), &Impl::on_offset_commit, handle_.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        report_commit({false, detail::make_error(err, "async commit not sent"), to_offsets(offsets.get())});
    }
}

Error Consumer::Impl::commit_sync() {
    since_commit_ = 0;
    detail::PartitionListHandle offsets = uncommitted();
    return offsets->cnt == 0 ? Error() : commit_sync(offsets.get());
}

Error Consumer::Impl::commit_sync(rd_kafka_topic_partition_list_t* offsets) {
    if (close_deadline_ && Clock::now() >= *close_deadline_) {
        // Sending it would only leave librdkafka one more commit to wait for.
        const Error late(ErrorCode::TimedOut,
                         fmt::format("sync commit not sent: ConsumerConfig::close_timeout ({} ms) "
                                     "has run out",
                                     config_.close_timeout.count()),
                         true);
        report_commit({true, late, to_offsets(offsets)});
        return late;
    }
    Error error;
    for (int attempt = 1; attempt <= cadence_.attempts; ++attempt) {
        Clock::time_point deadline = Clock::now() + cadence_.timeout;
        if (close_deadline_) {
            deadline = std::min(deadline, *close_deadline_);
        }
        const Error failure = commit_once(offsets, deadline);
        if (!failure) {
            report_commit({true, {}, to_offsets(offsets)});
            return {};
        }
        error = Error(failure.code(),
                      fmt::format("sync commit failed (attempt {} of {}): {}", attempt,
                                  cadence_.attempts, failure.message()),
                      failure.retriable());
        // During a rebalance the group waits for this member: retrying here
        // would only delay it. The records are redelivered, not lost.
        const bool out_of_time =
            close_deadline_ && Clock::now() + cadence_.backoff >= *close_deadline_;
        if (!failure.retriable() || failure.code() == ErrorCode::RebalanceInProgress ||
            attempt == cadence_.attempts || out_of_time) {
            break;
        }
        bump(counters_.commit_retries);
        std::this_thread::sleep_for(cadence_.backoff);
    }
    report_commit({true, error, to_offsets(offsets)});
    return error;
}

Error Consumer::Impl::commit_once(rd_kafka_topic_partition_list_t* offsets,
                                  Clock::time_point deadline) {
    // rd_kafka_commit() waits for the coordinator without a bound; a commit
    // answered on a queue of our own is waited for only until the deadline.
    detail::QueueHandle reply(rd_kafka_queue_new(rk_));
    if (const rd_kafka_resp_err_t err =
            rd_kafka_commit_queue(rk_, offsets, reply.get(), nullptr, nullptr)) {
        return detail::make_error(err, "commit not sent");
    }
    for (;;) {
        const int left_ms = detail::ms_until(deadline);
        if (left_ms <= 0) {
            return Error(ErrorCode::TimedOut,
                         fmt::format("no answer from the group coordinator in time (commit "
                                     "timeout {} ms{})",
                                     cadence_.timeout.count(),
                                     close_deadline_ ? ", within close_timeout" : ""),
                         true);
        }
        detail::EventHandle event(rd_kafka_queue_poll(reply.get(), left_ms));
        if (!event || rd_kafka_event_type(event.get()) != RD_KAFKA_EVENT_OFFSET_COMMIT) {
            continue;
        }
        rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
        const rd_kafka_topic_partition_list_t* result =
            rd_kafka_event_topic_partition_list(event.get());
        for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && result != nullptr && i < result->cnt;
             ++i) {
            err = result->elems[i].err;
        }
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            confirm_committed(offsets);
            return {};
        }
        return detail::make_error(err, "the group coordinator refused the commit");
    }
}

void Consumer::Impl::confirm_committed(const rd_kafka_topic_partition_list_t* offsets) {
    for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
        const rd_kafka_topic_partition_t& o = offsets->elems[i];
        if (o.err != RD_KAFKA_RESP_ERR_NO_ERROR || o.offset < 0) {
            continue;
        }
        if (PartitionState* state = state_of(o.topic, o.partition)) {
            state->committed = std::max(state->committed, o.offset);
        }
    }
}

void Consumer::Impl::report_commit(CommitResult&& result) {
    if (result.error) {
        bump(counters_.commits_failed);
        // Logged whether or not on_commit is set: a failed commit means
        // these records will be processed again.
        detail::log(config_.on_log, LogLevel::Warning,
                    fmt::format("consumer {}: {} commit of {} failed: {}; what was processed "
                                "after the last good commit is delivered again",
                                config_.group_id, result.synchronous ? "sync" : "async",
                                detail::describe(result.offsets), result.error.to_string()));
    } else {
        bump(counters_.commits);
    }
    notify(config_.on_commit, "ConsumerConfig::on_commit", result);
}

void Consumer::Impl::commit_result(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets) {
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
        return;  // nothing was due
    }
    CommitResult result{false, {}, to_offsets(offsets)};
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result.error = detail::make_error(err, "async commit failed; the next commit covers it");
    } else {
        confirm_committed(offsets);
    }
    report_commit(std::move(result));
}

void Consumer::Impl::on_offset_commit(rd_kafka_t*, rd_kafka_resp_err_t err,
                                      rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    Impl* self = owner_of(opaque);
    if (self == nullptr) {
        return;  // closed
    }
    try {
        self->commit_result(err, offsets);
    } catch (...) {
        self->report(Error(ErrorCode::Fail,
                           detail::callback_threw(self->config_.on_log, "a commit report")));
    }
}

}  // namespace relkafka
