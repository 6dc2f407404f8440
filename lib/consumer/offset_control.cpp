// Offset control: seeking, positions, progress (committed offsets,
// watermarks, lag) and commits of explicit offsets, each keeping the commit
// policy's promise that nothing is committed past an unprocessed record.
#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/deadline.hpp"
#include "detail/errors.hpp"

namespace relkafka {

using detail::describe;
using std::chrono::milliseconds;

namespace {

// librdkafka's "no offset" in positions and committed offsets.
std::int64_t known_or_unset(std::int64_t offset) { return offset >= 0 ? offset : -1; }

}  // namespace

Consumer::Impl::PartitionState& Consumer::Impl::assigned(const std::string& topic,
                                                         std::int32_t partition, const char* call) {
    require_open(call);
    PartitionState* state = state_of(topic, partition);
    if (state == nullptr) {
        throw UsageError(fmt::format(
            "{}: {} is not assigned to this consumer (assignment() lists the partitions it "
            "has{})",
            call, describe(topic, partition),
            config_.partitions.empty() ? "; with a subscription they come with the first poll()"
                                       : ""));
    }
    return *state;
}

Error Consumer::Impl::seek(const PartitionOffset& to, milliseconds timeout) {
    const ActiveCall active(*this, "seek()");
    PartitionState& state = assigned(to.topic, to.partition, "seek()");
    if (to.offset < 0 && to.offset != offset_beginning && to.offset != offset_end) {
        throw UsageError(fmt::format("seek(): offset {} for {}: use an offset >= 0, "
                                     "offset_beginning or offset_end",
                                     to.offset, describe(to.topic, to.partition)));
    }
    const Clock::time_point deadline = Clock::now() + timeout;
    std::int64_t offset = to.offset;
    if (offset < 0) {
        // A number, not a logical offset: the committable position needs one.
        std::int64_t low = -1;
        std::int64_t high = -1;
        if (const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                rk_, to.topic.c_str(), to.partition, &low, &high, detail::ms_until(deadline))) {
            return detail::make_error(
                err, fmt::format("seek(): cannot read the watermarks of {} within {} ms",
                                 describe(to.topic, to.partition), timeout.count()));
        }
        offset = to.offset == offset_beginning ? low : high;
    }

    detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), to.topic.c_str(), to.partition)->offset = offset;
    // The seek's version barrier is set at once: nothing fetched before it
    // reaches a later poll(), whether or not the wait below ends in time.
    detail::ErrorHandle error(rd_kafka_seek_partitions(rk_, list.get(), detail::ms_until(deadline)));
    rd_kafka_resp_err_t err = error ? rd_kafka_error_code(error.get()) : list->elems[0].err;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return detail::make_error(err, fmt::format("seek() of {} to offset {} failed",
                                                   describe(to.topic, to.partition), offset));
    }

    state.sought = ++seeks_;
    moved(state, offset);
    if (state.stopped_at >= 0) {
        // The user chose where the partition goes on: the stop is given up.
        state.dead_letter.reset();
        pause(to.topic, to.partition, false);
    }
    const std::int64_t committable = state.processed >= 0 ? state.processed : state.committed;
    if (committable >= 0 && offset < committable) {
        // What follows the offset is processed again, also after a restart:
        // the next commit takes the partition back to it.
        state.processed = offset;
        state.committed = -1;
        state.stored = -1;
        ++since_commit_;
    }
    return {};
}

Error Consumer::Impl::seek_to_time(const TopicPartition& partition,
                                   std::chrono::system_clock::time_point when, milliseconds timeout) {
    const ActiveCall active(*this, "seek_to_time()");
    (void)assigned(partition.topic, partition.partition, "seek_to_time()");
    const Clock::time_point deadline = Clock::now() + timeout;
    detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition)
        ->offset = std::chrono::duration_cast<milliseconds>(when.time_since_epoch()).count();
    rd_kafka_resp_err_t err =
        rd_kafka_offsets_for_times(rk_, list.get(), detail::ms_until(deadline));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = list->elems[0].err;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return detail::make_error(
            err, fmt::format("seek_to_time(): cannot look up the offset of {} by time within {} ms",
                             describe(partition.topic, partition.partition), timeout.count()));
    }
    // -1: no record that late; the end of the partition.
    const std::int64_t offset = list->elems[0].offset >= 0 ? list->elems[0].offset : offset_end;
    return seek({partition.topic, partition.partition, offset},
                milliseconds(detail::ms_until(deadline)));
}

std::vector<PartitionOffset> Consumer::Impl::position() const {
    require_open("position()");
    detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(0));
    for (const auto& [tp, state] : partitions_) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    }
    rd_kafka_position(rk_, list.get());
    std::vector<PartitionOffset> positions = detail::to_offsets(list.get());
    auto state = partitions_.begin();  // in the list's order
    for (auto& p : positions) {
        p.offset = state->second.moved_to >= 0 ? state->second.moved_to : known_or_unset(p.offset);
        ++state;
    }
    return positions;
}

std::vector<PartitionProgress> Consumer::Impl::progress(milliseconds timeout) {
    const ActiveCall active(*this, "progress()");
    const std::vector<PartitionOffset> positions = position();
    const Clock::time_point deadline = Clock::now() + timeout;
    std::vector<PartitionProgress> result;
    result.reserve(positions.size());

    detail::PartitionListHandle committed(rd_kafka_topic_partition_list_new(0));
    for (const auto& p : positions) {
        rd_kafka_topic_partition_list_add(committed.get(), p.topic.c_str(), p.partition);
    }
    const rd_kafka_resp_err_t committed_err =
        positions.empty() ? RD_KAFKA_RESP_ERR_NO_ERROR
                          : rd_kafka_committed(rk_, committed.get(), detail::ms_until(deadline));

    for (std::size_t i = 0; i < positions.size(); ++i) {
        const PartitionOffset& p = positions[i];
        PartitionProgress progress;
        progress.partition = p.topic_partition();
        progress.position = p.offset;
        const rd_kafka_topic_partition_t& c = committed->elems[i];
        if (committed_err != RD_KAFKA_RESP_ERR_NO_ERROR || c.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            progress.error = detail::make_error(
                committed_err != RD_KAFKA_RESP_ERR_NO_ERROR ? committed_err : c.err,
                fmt::format("the committed offset of {} is unknown", describe(p.topic, p.partition)));
        } else {
            progress.committed = known_or_unset(c.offset);
        }
        if (const rd_kafka_resp_err_t err =
                rd_kafka_query_watermark_offsets(rk_, p.topic.c_str(), p.partition, &progress.low,
                                                 &progress.high, detail::ms_until(deadline))) {
            progress.low = progress.high = -1;
            if (!progress.error) {
                progress.error = detail::make_error(
                    err, fmt::format("the watermarks of {} are unknown", describe(p.topic, p.partition)));
            }
        }
        result.push_back(std::move(progress));
    }
    return result;
}

Error Consumer::Impl::commit(const std::vector<PartitionOffset>& offsets) {
    const ActiveCall active(*this, "commit(offsets)");
    detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(0));
    for (const PartitionOffset& o : offsets) {
        (void)assigned(o.topic, o.partition, "commit(offsets)");
        if (o.offset < 0) {
            throw UsageError(fmt::format("commit(offsets): offset {} for {}: commit the offset of "
                                         "the next record to read, >= 0",
                                         o.offset, describe(o.topic, o.partition)));
        }
        rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset = o.offset;
    }
    if (list->cnt == 0) {
        return {};
    }
    const Error error = commit_sync(list.get());
    if (!error) {
        for (const PartitionOffset& o : offsets) {
            if (PartitionState* state = state_of(o.topic, o.partition)) {
                state->processed = state->committed = o.offset;
            }
        }
    }
    return error;
}

}  // namespace relkafka
