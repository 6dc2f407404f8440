// Rebalances: partitions given to this member and taken from it, with
// everything processed on them committed before they go.
#include <cstring>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/errors.hpp"
#include "detail/logging.hpp"

namespace relkafka {

namespace {

bool cooperative(rd_kafka_t* rk) {
    return std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
}

Error unassign(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions) {
    if (cooperative(rk)) {
        detail::ErrorHandle error(rd_kafka_incremental_unassign(rk, partitions));
        if (error) {
            return detail::make_error(error.get(), "incremental unassign failed");
        }
    } else if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk, nullptr)) {
        return detail::make_error(err, "unassign failed");
    }
    return {};
}

Error assign_in_librdkafka(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions) {
    if (cooperative(rk)) {
        detail::ErrorHandle error(rd_kafka_incremental_assign(rk, partitions));
        if (error) {
            return detail::make_error(error.get(), "incremental assign failed");
        }
    } else if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk, partitions)) {
        return detail::make_error(err, "assign failed");
    }
    return {};
}

}  // namespace

using detail::to_offsets;

void Consumer::Impl::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    Impl* self = owner_of(opaque);
    if (self == nullptr) {
        unassign(rk, partitions);  // closed: nothing left to commit
        return;
    }
    try {
        self->rebalance(err, partitions);
    } catch (...) {
        // Our own bookkeeping failed (out of memory): librdkafka must still
        // see the assignment change, or the group waits for this member.
        self->report(Error(ErrorCode::Fail,
                           detail::callback_threw(self->config_.on_log, "the rebalance handling")));
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            assign_in_librdkafka(rk, partitions);
        } else {
            self->forget(partitions);
            unassign(rk, partitions);
        }
    }
}

void Consumer::Impl::rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(partitions);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        revoke(partitions);
    } else {
        report(detail::make_error(err, "rebalance failed"));
        partitions_.clear();
        last_state_ = nullptr;
        stopped_count_ = 0;
        moved_count_ = 0;
        rd_kafka_assign(rk_, nullptr);
    }
}

void Consumer::Impl::assign(rd_kafka_topic_partition_list_t* partitions) {
    for (int i = 0; i < partitions->cnt; ++i) {
        partitions_.try_emplace(TopicPartition{partitions->elems[i].topic, partitions->elems[i].partition});
    }
    if (const Error error = assign_in_librdkafka(rk_, partitions)) {
        report(error);
    }
    notify(config_.on_rebalance, "ConsumerConfig::on_rebalance",
           RebalanceEvent{true, false, to_offsets(partitions)});
}

void Consumer::Impl::revoke(rd_kafka_topic_partition_list_t* partitions) {
    // Lost partitions already belong to another member: a commit would be
    // refused (and librdkafka 2.0.2 takes a refused commit for yet another
    // lost assignment). What they processed since the last commit repeats.
    const bool lost = rd_kafka_assignment_lost(rk_) != 0;
    if (lost) {
        std::vector<PartitionOffset> uncommitted_ranges;
        for (int i = 0; i < partitions->cnt; ++i) {
            const PartitionState* state =
                state_of(partitions->elems[i].topic, partitions->elems[i].partition);
            if (state != nullptr && state->processed > state->committed) {
                uncommitted_ranges.push_back(
                    {partitions->elems[i].topic, partitions->elems[i].partition, state->committed});
            }
        }
        report(Error(ErrorCode::AssignmentLost,
                     fmt::format("consumer {} lost {} partition(s) without a revocation (dropped "
                                 "from the group, e.g. session.timeout.ms or max.poll.interval.ms "
                                 "exceeded, or a commit of a stale generation); {}",
                                 config_.group_id, partitions->cnt,
                                 uncommitted_ranges.empty()
                                     ? std::string("nothing processed was left uncommitted")
                                     : "records processed after these committed offsets are "
                                       "processed again by their next owner: " +
                                           detail::describe(uncommitted_ranges)),
                     true));
    } else {
        commit_processed();  // before another member can be given these partitions
    }
    forget(partitions);
    if (const Error error = unassign(rk_, partitions)) {
        report(error);
    }
    notify(config_.on_rebalance, "ConsumerConfig::on_rebalance",
           RebalanceEvent{false, lost, to_offsets(partitions)});
}

void Consumer::Impl::commit_processed() {
    if (transaction_commits_) {
        transaction_commits_();
        return;
    }
    if (std::holds_alternative<AtMostOnce>(config_.commit)) {
        return;  // committed before it was handed out
    }
    if (std::holds_alternative<AutoCommit>(config_.commit)) {
        store_processed_offsets();
    }
    // A failure is reported to on_commit and the log.
    (void)commit_sync();
}

void Consumer::Impl::assign_manually() {
    detail::PartitionListHandle list(
        rd_kafka_topic_partition_list_new(static_cast<int>(config_.partitions.size())));
    for (const PartitionOffset& p : config_.partitions) {
        // offset_beginning, offset_end and offset_committed are librdkafka's
        // logical offsets.
        rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = p.offset;
        partitions_.try_emplace(p.topic_partition());
    }
    if (const Error error = assign_in_librdkafka(rk_, list.get())) {
        partitions_.clear();
        throw ConfigError(fmt::format("cannot assign ConsumerConfig::partitions ({}): {}",
                                      detail::describe(config_.partitions), error.message()));
    }
}

void Consumer::Impl::forget(rd_kafka_topic_partition_list_t* partitions) {
    for (int i = 0; i < partitions->cnt; ++i) {
        const auto it = partitions_.find(TopicPartition{partitions->elems[i].topic, partitions->elems[i].partition});
        if (it != partitions_.end()) {
            stopped_count_ -= it->second.stopped_at >= 0 ? 1 : 0;
            handed_out(it->second);  // keeps moved_count_ right
            partitions_.erase(it);
        }
    }
    last_state_ = nullptr;
}

}  // namespace relkafka
