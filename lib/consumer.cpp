#include "relkafka/consumer.hpp"

#include <cstring>
#include <exception>
#include <map>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "detail/consumer_properties.hpp"
#include "detail/dead_letter.hpp"
#include "detail/errors.hpp"
#include "detail/handles.hpp"
#include "detail/logging.hpp"
#include "detail/moved_from.hpp"
#include "detail/records.hpp"
#include "detail/shared_consumer_handle.hpp"
#include "observability/statistics.hpp"
#include "relkafka/producer.hpp"

namespace relkafka {

namespace {

using std::chrono::milliseconds;
using TopicPartition = std::pair<std::string, std::int32_t>;

// The commit cadence every policy but AtMostOnce shares: every N records, or
// per poll batch when N is 0, and how a synchronous commit is retried.
struct Cadence {
    std::size_t every = 0;
    bool per_batch = false;
    bool asynchronous = false;
    int attempts = 1;
    milliseconds backoff{0};
};

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

std::string describe(std::string_view topic, std::int32_t partition) {
    return fmt::format("{}[{}]", topic, partition);
}

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

class Consumer::Impl {
public:
    explicit Impl(ConsumerConfig config);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    std::vector<Record> poll(milliseconds timeout);
    void mark_processed(const Record& record);
    Error commit_sync();
    std::vector<Record> commit_before_handing_out(std::vector<Record> batch);
    void run(const RecordHandler& handler, const std::atomic<bool>& stop);
    void pause(const std::string& topic, std::int32_t partition, bool paused);
    std::vector<PartitionOffset> assignment() const;
    std::vector<PartitionOffset> stopped() const;
    ConsumerCounters counters() const { return counters_; }
    void close();
    bool closed() const noexcept { return rk_ == nullptr; }
    rd_kafka_t* handle() const noexcept { return rk_; }

private:
    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    static void on_offset_commit(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* offsets, void* opaque);
    static void on_client_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
    static int on_statistics(rd_kafka_t* rk, char* json, std::size_t json_len, void* opaque);
    static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text);
    // The open Consumer behind librdkafka's opaque, or nullptr once closed.
    static Impl* owner_of(void* opaque) {
        return static_cast<detail::SharedConsumerHandle*>(opaque)->owner;
    }

    void assign(rd_kafka_topic_partition_list_t* partitions);
    void revoke(rd_kafka_topic_partition_list_t* partitions);
    void commit_per_policy();
    void commit_async();
    // Processed offsets not yet committed, for the assigned partitions.
    detail::PartitionListHandle uncommitted() const;
    bool process(const Record& record, const RecordHandler& handler);
    void stop_at(const Record& record, const std::string& why);
    bool dead_letter(const Record& record, const std::string& why);
    void report(const Error& error) const;
    void report_commit(CommitResult&& result);
    void require_open(const char* call) const;

    ConsumerConfig config_;
    Cadence cadence_;
    // Shared with the Records handed out, which may outlive this Consumer.
    detail::SharedConsumerPtr handle_{new detail::SharedConsumerHandle()};
    rd_kafka_t* rk_ = nullptr;  // handle_'s, while open
    detail::QueueHandle consumer_queue_;  // async commit results are served here
    std::unique_ptr<Producer> dead_letters_;

    // What the consumer knows of each assigned partition.
    struct PartitionState {
        std::int64_t processed = -1;   // next offset to commit; -1: nothing processed
        std::int64_t committed = -1;   // as last confirmed by the broker
        std::int64_t stored = -1;      // AutoCommit: as last stored for librdkafka's timer
        std::int64_t stopped_at = -1;  // offset of a record whose handler failed for good
    };
    // The assigned partition a message belongs to, or nullptr. Messages
    // come in runs of one partition: the last answer is kept.
    PartitionState* state_of(const rd_kafka_message_t* message);
    PartitionState* state_of(std::string_view topic, std::int32_t partition);
    void store_processed_offsets();

    std::map<TopicPartition, PartitionState> partitions_;
    PartitionState* last_state_ = nullptr;
    const rd_kafka_topic_t* last_topic_ = nullptr;
    std::int32_t last_partition_ = -1;
    std::size_t stopped_count_ = 0;
    std::size_t since_commit_ = 0;
    ConsumerCounters counters_;
};

Consumer::Impl::Impl(ConsumerConfig config)
    : config_(std::move(config)), cadence_(cadence_of(config_.commit)) {
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
