// The consumer proper: construction, poll, pause/resume, the client-level
// callbacks and close. Commits are in offset_tracker.cpp, rebalances in
// rebalance.cpp, the run loop in record_loop.cpp.
#include "relkafka/consumer.hpp"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/consumer_properties.hpp"
#include "detail/errors.hpp"
#include "detail/logging.hpp"
#include "detail/moved_from.hpp"
#include "detail/records.hpp"
#include "observability/statistics.hpp"

namespace relkafka {

using std::chrono::milliseconds;
using detail::to_offsets;

Consumer::Impl::Impl(ConsumerConfig config)
    : config_(std::move(config)), cadence_(detail::cadence_of(config_.commit)) {
    detail::ConfHandle conf = detail::make_conf(detail::consumer_properties(config_));
    handle_->owner = this;
    handle_->on_log = config_.on_log;
    rd_kafka_conf_set_opaque(conf.get(), handle_.get());
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Impl::on_rebalance);
    if (std::holds_alternative<AutoCommit>(config_.commit)) {
        // Our own commits report through their own callbacks; only
        // librdkafka's timer commits need the global one.
        rd_kafka_conf_set_offset_commit_cb(conf.get(), &Impl::on_offset_commit);
    }
    if (config_.on_error) {
        rd_kafka_conf_set_error_cb(conf.get(), &Impl::on_client_error);
    }
    if (config_.on_statistics) {
        // Served by rd_kafka_consumer_poll(), i.e. inside poll().
        rd_kafka_conf_set_stats_cb(conf.get(), &Impl::on_statistics);
    }
    rd_kafka_conf_set_log_cb(conf.get(), &Impl::on_log);  // runs on librdkafka's threads
    char errstr[512] = "";
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr);
    if (rk_ == nullptr) {
        throw ConfigError(fmt::format("librdkafka refused the consumer configuration: {}", errstr));
    }
    conf.release();  // rd_kafka_new took ownership
    handle_->attach(rk_);
    rd_kafka_poll_set_consumer(rk_);
    consumer_queue_.reset(rd_kafka_queue_get_consumer(rk_));

    detail::PartitionListHandle topics(
        rd_kafka_topic_partition_list_new(static_cast<int>(config_.topics.size())));
    for (const auto& topic : config_.topics) {
        rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get())) {
        consumer_queue_.reset();
        handle_->owner = nullptr;  // handle_ destroys the handle as this throws
        throw ConfigError(fmt::format("cannot subscribe to ConsumerConfig::topics: {}",
                                      rd_kafka_err2str(err)));
    }
}

Consumer::Impl::~Impl() {
    try {
        close();
    } catch (...) {
        // The destructor must not throw; close() reports through on_error.
    }
}

void Consumer::Impl::require_open(const char* call) const {
    if (rk_ == nullptr) {
        throw UsageError(fmt::format("{} on a closed Consumer: create a new Consumer", call));
    }
}

std::vector<Record> Consumer::Impl::poll(milliseconds timeout) {
    require_open("poll()");
    if (cadence_.per_batch && since_commit_ > 0) {
        commit_per_policy();
    }
    if (std::holds_alternative<AutoCommit>(config_.commit)) {
        store_processed_offsets();  // the previous batch's, for librdkafka's timer
    }
    std::vector<Record> batch;
    detail::RecordReferences references(*handle_, config_.max_batch);
    int wait_ms = static_cast<int>(timeout.count());
    while (references.available()) {
        detail::MessageHandle m(rd_kafka_consumer_poll(rk_, wait_ms));
        if (!m) {
            break;
        }
        wait_ms = 0;  // only the first record is waited for
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                report(detail::make_error(m->err, rd_kafka_message_errstr(m.get())));
            }
            continue;
        }
        if (batch.empty()) {
            batch.reserve(config_.max_batch);
        }
        if (stopped_count_ != 0) {
            const PartitionState* state = state_of(m.get());
            if (state != nullptr && state->stopped_at >= 0) {
                continue;  // fetched before the partition was stopped
            }
        }
        batch.push_back(detail::RecordAccess::adopt(m.release(), references.take()));
    }

    if (std::holds_alternative<AtMostOnce>(config_.commit) && !batch.empty()) {
        return commit_before_handing_out(std::move(batch));
    }
    return batch;
}

void Consumer::Impl::mark_processed(const Record& record) {
    require_open("mark_processed()");
    if (std::holds_alternative<AtMostOnce>(config_.commit)) {
        ++counters_.processed;
        return;  // committed before it was handed out
    }
    const rd_kafka_message_t* m = detail::RecordAccess::message(record);
    if (m == nullptr) {
        throw UsageError("mark_processed() with a moved-from Record");
    }
    PartitionState* state = state_of(m);
    if (state == nullptr) {
        return;  // revoked: its new owner re-reads it
    }
    ++counters_.processed;
    state->processed = m->offset + 1;
    ++since_commit_;
    if (cadence_.every != 0 && since_commit_ >= cadence_.every) {
        commit_per_policy();
    }
}

Consumer::Impl::PartitionState* Consumer::Impl::state_of(const rd_kafka_message_t* m) {
    // A topic has one rd_kafka_topic_t per handle, alive while assigned.
    if (last_state_ != nullptr && m->partition == last_partition_ && m->rkt == last_topic_) {
        return last_state_;
    }
    PartitionState* state = state_of(rd_kafka_topic_name(m->rkt), m->partition);
    if (state != nullptr) {
        last_state_ = state;
        last_topic_ = m->rkt;
        last_partition_ = m->partition;
    }
    return state;
}

Consumer::Impl::PartitionState* Consumer::Impl::state_of(std::string_view topic,
                                                         std::int32_t partition) {
    const auto it = partitions_.find({std::string(topic), partition});
    return it == partitions_.end() ? nullptr : &it->second;
}

void Consumer::Impl::pause(const std::string& topic, std::int32_t partition, bool paused) {
    require_open(paused ? "pause()" : "resume()");
    detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    if (paused) {
        rd_kafka_pause_partitions(rk_, list.get());
    } else {
        if (PartitionState* state = state_of(topic, partition); state != nullptr && state->stopped_at >= 0) {
            state->stopped_at = -1;
            --stopped_count_;
        }
        rd_kafka_resume_partitions(rk_, list.get());
    }
}

std::vector<PartitionOffset> Consumer::Impl::assignment() const {
    std::vector<PartitionOffset> result;
    for (const auto& [tp, state] : partitions_) {
        result.push_back({tp.first, tp.second, state.processed});
    }
    return result;
}

std::vector<PartitionOffset> Consumer::Impl::stopped() const {
    std::vector<PartitionOffset> result;
    for (const auto& [tp, state] : partitions_) {
        if (state.stopped_at >= 0) {
            result.push_back({tp.first, tp.second, state.stopped_at});
        }
    }
    return result;
}

void Consumer::Impl::report(const Error& error) const {
    if (config_.on_error) {
        config_.on_error(error);
    }
}

void Consumer::Impl::on_client_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    const Impl* self = owner_of(opaque);
    if (self == nullptr) {
        return;
    }
    const auto code = detail::to_code(static_cast<rd_kafka_resp_err_t>(err));
    self->report(Error(code, reason, detail::is_retriable(code),
                                             code == ErrorCode::Fatal));
}

int Consumer::Impl::on_statistics(rd_kafka_t*, char* json, std::size_t json_len, void* opaque) {
    const Impl* self = owner_of(opaque);
    if (self == nullptr) {
        return 0;
    }
    detail::deliver_statistics(std::string_view(json, json_len), self->config_.on_statistics,
                               self->config_.on_error, self->config_.on_log, "ConsumerConfig");
    return 0;  // librdkafka frees the JSON
}

void Consumer::Impl::on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    const auto* handle = static_cast<const detail::SharedConsumerHandle*>(rd_kafka_opaque(rk));
    detail::log_librdkafka(handle != nullptr ? handle->on_log : LogCallback(), rk, level, facility,
                           text);
}

void Consumer::Impl::close() {
    if (rk_ == nullptr) {
        return;
    }
    if (std::holds_alternative<SyncCommit>(config_.commit) ||
        std::holds_alternative<AsyncThenSync>(config_.commit)) {
        commit_sync();
    } else if (std::holds_alternative<AsyncCommit>(config_.commit)) {
        commit_async();  // consumer_close waits for outstanding commits
    } else if (std::holds_alternative<AutoCommit>(config_.commit)) {
        store_processed_offsets();
    }
    // Revokes the assignment (our rebalance callback commits once more) and
    // leaves the group; with AutoCommit, librdkafka commits stored offsets.
    if (const rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_)) {
        report(detail::make_error(err, "leaving the group failed"));
    }
    consumer_queue_.reset();
    handle_->owner = nullptr;
    rk_ = nullptr;
    handle_.reset();  // the last Record still held destroys the handle
    if (dead_letters_) {
        dead_letters_->close(milliseconds(10000));
    }
}

// ---- Consumer: checks the handle, then forwards to Impl ----

namespace {

template <class ImplPtr>
auto& open_impl(const ImplPtr& impl, const char* call) {
    return detail::impl_of(impl, "Consumer", call);
}

}  // namespace

Consumer::Consumer(ConsumerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Consumer::~Consumer() = default;
Consumer::Consumer(Consumer&&) noexcept = default;
Consumer& Consumer::operator=(Consumer&&) noexcept = default;

std::vector<Record> Consumer::poll(std::chrono::milliseconds timeout) {
    return open_impl(impl_, "poll()").poll(timeout);
}

void Consumer::mark_processed(const Record& record) {
    open_impl(impl_, "mark_processed()").mark_processed(record);
}

Error Consumer::commit() {
    auto& impl = open_impl(impl_, "commit()");
    if (impl.closed()) {
        throw UsageError("commit() on a closed Consumer: nothing can be committed after close()");
    }
    return impl.commit_sync();
}

void Consumer::run(const RecordHandler& handler, const std::atomic<bool>& stop) {
    open_impl(impl_, "run()").run(handler, stop);
}

void Consumer::pause(const std::string& topic, std::int32_t partition) {
    open_impl(impl_, "pause()").pause(topic, partition, true);
}

void Consumer::resume(const std::string& topic, std::int32_t partition) {
    open_impl(impl_, "resume()").pause(topic, partition, false);
}

std::vector<PartitionOffset> Consumer::assignment() const {
    return open_impl(impl_, "assignment()").assignment();
}

std::vector<PartitionOffset> Consumer::stopped() const {
    return open_impl(impl_, "stopped()").stopped();
}

ConsumerCounters Consumer::counters() const { return open_impl(impl_, "counters()").counters(); }

void Consumer::close() {
    if (impl_) {
        impl_->close();
    }
}

bool Consumer::closed() const noexcept { return !impl_ || impl_->closed(); }

rd_kafka_s* Consumer::native_handle() const noexcept { return impl_ ? impl_->handle() : nullptr; }

}  // namespace relkafka
