// Offset tracking and commits: what each assigned partition has processed
// and committed, and the commit policies that move the two together.
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/errors.hpp"
#include "detail/records.hpp"

namespace relkafka {

namespace detail {

using std::chrono::milliseconds;

Cadence cadence_of(const CommitPolicy& policy) {
    struct Visitor {
        Cadence operator()(const SyncCommit& p) const {
            return {p.every, p.every == 0, false, p.attempts, p.backoff};
        }
        Cadence operator()(const AsyncCommit& p) const {
            return {p.every, p.every == 0, true, 1, milliseconds(0)};
        }
        Cadence operator()(const AsyncThenSync& p) const {
            return {p.every, p.every == 0, true, p.attempts, p.backoff};
        }
        // librdkafka commits these on its timer / they are committed in poll().
        Cadence operator()(const AutoCommit&) const { return {0, false, false, 1, milliseconds(0)}; }
        Cadence operator()(const AtMostOnce&) const { return {0, false, false, 5, milliseconds(200)}; }
    };
    return std::visit(Visitor{}, policy);
}

std::vector<PartitionOffset> to_offsets(const rd_kafka_topic_partition_list_t* list) {
    std::vector<PartitionOffset> offsets;
    if (list != nullptr) {
        for (int i = 0; i < list->cnt; ++i) {
            offsets.push_back({list->elems[i].topic, list->elems[i].partition, list->elems[i].offset});
        }
    }
    return offsets;
}

}  // namespace detail

using std::chrono::milliseconds;
using detail::to_offsets;
using detail::TopicPartition;

// AtMostOnce: the batch is handed out only once its offsets are committed.
// If the commit fails, the batch is not handed out: fetching goes back to
// its first records and the commit is tried again with the next poll().
std::vector<Record> Consumer::Impl::commit_before_handing_out(std::vector<Record> batch) {
    std::map<TopicPartition, std::int64_t> first_offsets;
    PartitionState* run = nullptr;  // of the previous record
    for (const Record& r : batch) {
        const rd_kafka_message_t* m = detail::RecordAccess::message(r);
        PartitionState* state = state_of(m);
        if (state != run || state == nullptr) {
            first_offsets.try_emplace({std::string(r.topic()), m->partition}, m->offset);
            run = state;
        }
        if (state != nullptr) {
            state->processed = m->offset + 1;
        }
    }
    if (!commit_sync()) {
        return batch;
    }
    detail::PartitionListHandle rewind(rd_kafka_topic_partition_list_new(0));
    for (const auto& [tp, offset] : first_offsets) {
        if (PartitionState* state = state_of(tp.first, tp.second)) {
            state->processed = state->committed;
        }
        rd_kafka_topic_partition_list_add(rewind.get(), tp.first.c_str(), tp.second)->offset = offset;
    }
    detail::ErrorHandle error(rd_kafka_seek_partitions(rk_, rewind.get(), -1));
    return {};
}

// AutoCommit: librdkafka's timer commits what is stored; store once per batch.
void Consumer::Impl::store_processed_offsets() {
    detail::PartitionListHandle offsets(rd_kafka_topic_partition_list_new(0));
    for (auto& [tp, state] : partitions_) {
        if (state.processed > state.stored) {
            rd_kafka_topic_partition_list_add(offsets.get(), tp.first.c_str(), tp.second)->offset =
                state.processed;
            state.stored = state.processed;
        }
    }
    if (offsets->cnt > 0) {
        rd_kafka_offsets_store(rk_, offsets.get());
    }
}

void Consumer::Impl::commit_per_policy() {
    if (cadence_.asynchronous) {
        commit_async();
    } else {
        commit_sync();
    }
}

detail::PartitionListHandle Consumer::Impl::uncommitted() const {
    detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(0));
    for (const auto& [tp, state] : partitions_) {
        if (state.processed > state.committed) {
            rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset =
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
    if (offsets->cnt == 0) {
        return {};
    }
    Error error;
    for (int attempt = 1; attempt <= cadence_.attempts; ++attempt) {
        const rd_kafka_resp_err_t err = rd_kafka_commit(rk_, offsets.get(), 0);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (const auto& o : to_offsets(offsets.get())) {
                if (PartitionState* state = state_of(o.topic, o.partition)) {
                    state->committed = std::max(state->committed, o.offset);
                }
            }
            report_commit({true, {}, to_offsets(offsets.get())});
            return {};
        }
        const ErrorCode code = detail::to_code(err);
        error = detail::make_error(err, fmt::format("sync commit failed (attempt {} of {})", attempt,
                                                    cadence_.attempts));
        // During a rebalance the group waits for this member: retrying here
        // would only delay it. The records are redelivered, not lost.
        if (!detail::is_retriable(code) || code == ErrorCode::RebalanceInProgress ||
            attempt == cadence_.attempts) {
            break;
        }
        ++counters_.commit_retries;
        std::this_thread::sleep_for(cadence_.backoff);
    }
    report_commit({true, error, to_offsets(offsets.get())});
    return error;
}

void Consumer::Impl::report_commit(CommitResult&& result) {
    if (result.error) {
        ++counters_.commits_failed;
    } else {
        ++counters_.commits;
    }
    if (config_.on_commit) {
        config_.on_commit(result);
    }
}

void Consumer::Impl::on_offset_commit(rd_kafka_t*, rd_kafka_resp_err_t err,
                                      rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    Impl* self = owner_of(opaque);
    if (self == nullptr || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
        return;  // closed / nothing was due
    }
    CommitResult result{false, {}, to_offsets(offsets)};
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result.error = detail::make_error(err, "async commit failed; the next commit covers it");
    } else {
        for (const auto& o : result.offsets) {
            if (PartitionState* state = self->state_of(o.topic, o.partition)) {
                state->committed = std::max(state->committed, o.offset);
            }
        }
    }
    self->report_commit(std::move(result));
}

}  // namespace relkafka
