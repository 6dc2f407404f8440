// Rebalances: partitions given to this member and taken from it, with
// everything processed on them committed before they go.
#include <cstring>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/errors.hpp"

namespace relkafka {

namespace {

Error unassign(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions) {
    if (std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0) {
        detail::ErrorHandle error(rd_kafka_incremental_unassign(rk, partitions));
        if (error) {
            return detail::make_error(error.get(), "incremental unassign failed");
        }
    } else if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk, nullptr)) {
        return detail::make_error(err, "unassign failed");
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
    } else if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        self->assign(partitions);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        self->revoke(partitions);
    } else {
        self->report(detail::make_error(err, "rebalance failed"));
        self->partitions_.clear();
        self->last_state_ = nullptr;
        self->stopped_count_ = 0;
        rd_kafka_assign(rk, nullptr);
    }
}

void Consumer::Impl::assign(rd_kafka_topic_partition_list_t* partitions) {
    for (int i = 0; i < partitions->cnt; ++i) {
        partitions_.try_emplace({partitions->elems[i].topic, partitions->elems[i].partition});
    }
    if (std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0) {
        detail::ErrorHandle error(rd_kafka_incremental_assign(rk_, partitions));
        if (error) {
            report(detail::make_error(error.get(), "incremental assign failed"));
        }
    } else {
        rd_kafka_assign(rk_, partitions);
    }
    if (config_.on_rebalance) {
        config_.on_rebalance({true, to_offsets(partitions)});
    }
}

void Consumer::Impl::revoke(rd_kafka_topic_partition_list_t* partitions) {
    // Everything processed on these partitions is committed before another
    // member can be given them (AtMostOnce committed it already).
    if (std::holds_alternative<AutoCommit>(config_.commit)) {
        store_processed_offsets();
    }
    if (!std::holds_alternative<AtMostOnce>(config_.commit)) {
        commit_sync();
    }
    for (int i = 0; i < partitions->cnt; ++i) {
        const auto it = partitions_.find({partitions->elems[i].topic, partitions->elems[i].partition});
        if (it != partitions_.end()) {
            stopped_count_ -= it->second.stopped_at >= 0 ? 1 : 0;
            partitions_.erase(it);
        }
    }
    last_state_ = nullptr;
    if (const Error error = unassign(rk_, partitions)) {
        report(error);
    }
    if (config_.on_rebalance) {
        config_.on_rebalance({false, to_offsets(partitions)});
    }
}

}  // namespace relkafka
