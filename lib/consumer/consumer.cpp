// The consumer proper: construction, poll, pause/resume, the client-level
// callbacks and close. Commits are in offset_tracker.cpp, rebalances in
// rebalance.cpp, the run loop in record_loop.cpp.
#include "relkafka/consumer.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/consumer_properties.hpp"
#include "detail/deadline.hpp"
#include "detail/errors.hpp"
#include "detail/logging.hpp"
#include "detail/moved_from.hpp"
#include "detail/readiness.hpp"
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
    // Always set: without it librdkafka logs each error event, most of them
    // a second time (see SharedConsumerHandle::remember_logged_failure).
    rd_kafka_conf_set_error_cb(conf.get(), &Impl::on_client_error);
    if (config_.on_statistics) {
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
    // The main queue (errors, statistics) is not forwarded to the consumer
    // queue: served apart at every poll(), an error is not queued behind
    // thousands of prefetched records.
    consumer_queue_.reset(rd_kafka_queue_get_consumer(rk_));

    if (!config_.partitions.empty()) {
        try {
            assign_manually();
        } catch (...) {
            consumer_queue_.reset();
            handle_->owner = nullptr;  // handle_ destroys the handle as this throws
            throw;
        }
        return;
    }
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

Consumer::Impl::ActiveCall::ActiveCall(Impl& impl, const char* call) : impl_(impl) {
    std::lock_guard<std::mutex> lock(impl_.lifecycle_);
    impl_.require_open(call);
    const auto self = std::this_thread::get_id();
    if (impl_.active_calls_ != 0 && impl_.active_thread_ != self) {
        throw UsageError(fmt::format(
            "{} while poll() or run() is active on another thread: a Consumer is used from one "
            "thread at a time (only wakeup(), counters() and close() are safe from others)",
            call));
    }
    impl_.active_thread_ = self;
    ++impl_.active_calls_;
}

Consumer::Impl::ActiveCall::~ActiveCall() {
    std::lock_guard<std::mutex> lock(impl_.lifecycle_);
    if (--impl_.active_calls_ == 0) {
        impl_.active_thread_ = std::thread::id();
        impl_.calls_left_.notify_all();
    }
}

bool Consumer::Impl::stop_active_calls(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(lifecycle_);
    if (active_calls_ == 0) {
        return true;
    }
    if (active_thread_ == std::this_thread::get_id()) {
        throw UsageError(
            "close() inside poll()/run() (from the handler or a callback) would free the handle "
            "under the running call: set run()'s stop flag and close() after it returns");
    }
    closing_.store(true, std::memory_order_relaxed);
    if (consumer_queue_) {
        rd_kafka_queue_yield(consumer_queue_.get());
    }
    return calls_left_.wait_until(lock, deadline, [this] { return active_calls_ == 0; });
}

void Consumer::Impl::wakeup() noexcept {
    std::lock_guard<std::mutex> lock(lifecycle_);
    if (consumer_queue_) {
        rd_kafka_queue_yield(consumer_queue_.get());
    }
}

std::vector<Record> Consumer::Impl::poll(milliseconds timeout) {
    const ActiveCall active(*this, "poll()");
    serve_main_queue();
    if (cadence_.per_batch && since_commit_ > 0) {
        commit_per_policy();
    }
    if (std::holds_alternative<AutoCommit>(config_.commit)) {
        store_processed_offsets();  // the previous batch's, for librdkafka's timer
    }
    std::vector<Record> batch;
    if (closing()) {
        return batch;
    }
    RewindGuard guard(*this, batch);  // whatever ends this call early
    detail::RecordReferences references(*handle_, config_.max_batch);
    int wait_ms = static_cast<int>(timeout.count());
    while (references.available()) {
        detail::MessageHandle m(rd_kafka_consumer_poll(rk_, wait_ms));
        if (!m) {
            break;  // timed out, or woken up
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
        if (moved_count_ != 0) {
            if (PartitionState* state = state_of(m.get())) {
                handed_out(*state);
            }
        }
        batch.push_back(detail::RecordAccess::adopt(m.release(), references.take()));
    }

    if (std::holds_alternative<AtMostOnce>(config_.commit) && !batch.empty()) {
        guard.all_handed_out();  // or rewound by commit_before_handing_out()
        return commit_before_handing_out(std::move(batch));
    }
    guard.all_handed_out();
    return batch;
}

void Consumer::Impl::serve_main_queue() {
    rd_kafka_poll(rk_, 0);  // errors and statistics: their callbacks run here
}

void Consumer::Impl::mark_processed(const Record& record) {
    require_open("mark_processed()");
    if (std::holds_alternative<AtMostOnce>(config_.commit)) {
        bump(counters_.processed);
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
    bump(counters_.processed);
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
    const auto it = partitions_.find(TopicPartition{std::string(topic), partition});
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
        result.push_back({tp.topic, tp.partition, state.processed});
    }
    return result;
}

std::vector<PartitionOffset> Consumer::Impl::stopped() const {
    std::vector<PartitionOffset> result;
    for (const auto& [tp, state] : partitions_) {
        if (state.stopped_at >= 0) {
            result.push_back({tp.topic, tp.partition, state.stopped_at});
        }
    }
    return result;
}

ConsumerCounters Consumer::Impl::counters() const {
    constexpr auto relaxed = std::memory_order_relaxed;
    ConsumerCounters c;
    c.processed = counters_.processed.load(relaxed);
    c.handler_failures = counters_.handler_failures.load(relaxed);
    c.dead_lettered = counters_.dead_lettered.load(relaxed);
    c.commits = counters_.commits.load(relaxed);
    c.commits_failed = counters_.commits_failed.load(relaxed);
    c.commit_retries = counters_.commit_retries.load(relaxed);
    return c;
}

void Consumer::Impl::report(const Error& error) const noexcept {
    if (!config_.on_error) {
        detail::log(config_.on_log, LogLevel::Error,
                    fmt::format("consumer {}: {}", config_.group_id, error.to_string()));
        return;
    }
    try {
        config_.on_error(error);
    } catch (...) {
        (void)detail::callback_threw(config_.on_log, "ConsumerConfig::on_error");
    }
}

void Consumer::Impl::on_client_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    const Impl* self = owner_of(opaque);
    if (self == nullptr) {
        return;
    }
    try {
        if (!self->config_.on_error && self->handle_->take_logged_failure(reason)) {
            return;  // librdkafka logged this very line already
        }
        const auto code = detail::to_code(static_cast<rd_kafka_resp_err_t>(err));
        self->report(Error(code, detail::explain_client_error(reason), detail::is_retriable(code),
                           code == ErrorCode::Fatal));
    } catch (...) {
        (void)detail::callback_threw(self->config_.on_log, "the consumer's error handling");
    }
}

int Consumer::Impl::on_statistics(rd_kafka_t*, char* json, std::size_t json_len, void* opaque) {
    const Impl* self = owner_of(opaque);
    if (self != nullptr) {
        detail::deliver_statistics(std::string_view(json, json_len), self->config_.on_statistics,
                                   self->config_.on_error, self->config_.on_log, "ConsumerConfig");
    }
    return 0;  // librdkafka frees the JSON
}

void Consumer::Impl::on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    auto* handle = static_cast<detail::SharedConsumerHandle*>(rd_kafka_opaque(rk));
    const LogCallback& hook = handle != nullptr ? handle->on_log : LogCallback();
    constexpr int syslog_debug = 7;
    if (handle == nullptr || level >= syslog_debug || facility == nullptr || text == nullptr ||
        std::strcmp(facility, "FAIL") != 0) {
        detail::log_librdkafka(hook, rk, level, facility, text);
        return;
    }
    try {
        handle->remember_logged_failure(text);
        detail::log_librdkafka(hook, rk, level, facility, detail::explain_client_error(text).c_str());
    } catch (...) {
        detail::log_librdkafka(hook, rk, level, facility, text);  // out of memory
    }
}

void Consumer::Impl::close() {
    if (rk_ == nullptr) {
        return;
    }
    const Clock::time_point deadline = Clock::now() + config_.close_timeout;
    if (!stop_active_calls(deadline)) {
        throw UsageError(fmt::format(
            "close(): poll()/run() on another thread did not return within "
            "ConsumerConfig::close_timeout ({} ms) — its handler is still running; the consumer "
            "stays open: stop the handler, then close() again",
            config_.close_timeout.count()));
    }
    close_deadline_ = deadline;
    serve_main_queue();
    if (std::holds_alternative<AutoCommit>(config_.commit)) {
        store_processed_offsets();
    }
    if (!config_.partitions.empty()) {
        commit_processed();  // no group subscription: no revocation to commit in
    }
    // The final commit is the revocation's, inside leave_group(): leaving
    // starts at once, so librdkafka's own wait for an unreachable
    // coordinator (session.timeout.ms from the start of the close) runs
    // alongside ours instead of after it.
    leave_group(deadline);
    serve_main_queue();
    {
        const std::lock_guard<std::mutex> lock(lifecycle_);
        consumer_queue_.reset();
        handle_->owner = nullptr;
        rk_ = nullptr;
    }
    handle_.reset();  // the last Record still held destroys the handle
    if (dead_letters_) {
        (void)dead_letters_->close(milliseconds(detail::ms_until(deadline)));  // dead letters are sent synchronously: none pending
    }
}

// librdkafka's consumer close, served on a queue of our own so that it ends
// at the deadline: it revokes the assignment (our rebalance handling commits
// what was processed, as on any revocation) and leaves the group.
void Consumer::Impl::leave_group(Clock::time_point deadline) {
    detail::QueueHandle queue(rd_kafka_queue_new(rk_));
    detail::ErrorHandle error(rd_kafka_consumer_close_queue(rk_, queue.get()));
    if (error) {
        report(detail::make_error(error.get(), "leaving the group failed"));
        return;
    }
    while (rd_kafka_consumer_closed(rk_) == 0) {
        const int left_ms = detail::ms_until(deadline);
        if (left_ms <= 0) {
            report(Error(ErrorCode::TimedOut,
                         fmt::format("leaving group {} did not finish within "
                                     "ConsumerConfig::close_timeout ({} ms); the group hands this "
                                     "member's partitions on after session.timeout.ms",
                                     config_.group_id, config_.close_timeout.count()),
                         true));
            return;
        }
        detail::EventHandle event(rd_kafka_queue_poll(queue.get(), std::min(left_ms, 100)));
        if (!event) {
            continue;
        }
        switch (rd_kafka_event_type(event.get())) {
            case RD_KAFKA_EVENT_REBALANCE:
                on_rebalance(rk_, rd_kafka_event_error(event.get()),
                             rd_kafka_event_topic_partition_list(event.get()), handle_.get());
                break;
            case RD_KAFKA_EVENT_OFFSET_COMMIT:
                on_offset_commit(rk_, rd_kafka_event_error(event.get()),
                                 rd_kafka_event_topic_partition_list(event.get()), handle_.get());
                break;
            case RD_KAFKA_EVENT_ERROR:
                on_client_error(rk_, rd_kafka_event_error(event.get()),
                                rd_kafka_event_error_string(event.get()), handle_.get());
                break;
            default:
                break;  // records fetched before the close: their next owner reads them
        }
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
Consumer::~Consumer() {
    if (!impl_) {
        return;
    }
    try {
        impl_->close();
    } catch (const std::exception& e) {
        // Another thread is still inside this consumer's run(): freeing it
        // would crash that thread. Leaking it is the lesser harm.
        detail::log(LogCallback(), LogLevel::Error,
                    fmt::format("~Consumer: {}; the consumer is leaked, not destroyed", e.what()));
        (void)impl_.release();
    }
}
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

Error Consumer::wait_connected(std::chrono::milliseconds timeout) {
    auto& impl = open_impl(impl_, "wait_connected()");
    if (impl.closed()) {
        throw UsageError("wait_connected() on a closed Consumer: create a new Consumer");
    }
    return detail::wait_connected(impl.handle(), timeout, impl.bootstrap_servers());
}

void Consumer::wakeup() noexcept {
    if (impl_) {
        impl_->wakeup();
    }
}

void Consumer::pause(const TopicPartition& partition) {
    open_impl(impl_, "pause()").pause(partition.topic, partition.partition, true);
}

void Consumer::resume(const TopicPartition& partition) {
    open_impl(impl_, "resume()").pause(partition.topic, partition.partition, false);
}

Error Consumer::seek(const PartitionOffset& to, std::chrono::milliseconds timeout) {
    return open_impl(impl_, "seek()").seek(to, timeout);
}

Error Consumer::seek_to_time(const TopicPartition& partition,
                             std::chrono::system_clock::time_point when,
                             std::chrono::milliseconds timeout) {
    return open_impl(impl_, "seek_to_time()").seek_to_time(partition, when, timeout);
}

std::vector<PartitionOffset> Consumer::position() const {
    return open_impl(impl_, "position()").position();
}

std::vector<PartitionProgress> Consumer::progress(std::chrono::milliseconds timeout) {
    return open_impl(impl_, "progress()").progress(timeout);
}

Error Consumer::commit(const std::vector<PartitionOffset>& offsets) {
    return open_impl(impl_, "commit()").commit(offsets);
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
