// Consumer::Impl, shared by the files of lib/consumer/: the consumer proper
// (consumer.cpp), offset tracking and commits (offset_tracker.cpp),
// rebalances (rebalance.cpp) and the run loop (record_loop.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "consumer/shared_consumer_handle.hpp"
#include "detail/handles.hpp"
#include "detail/logging.hpp"
#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"

namespace relkafka::detail {

// The commit cadence every policy but AtMostOnce shares: every N records, or
// per poll batch when N is 0, and how a synchronous commit is retried.
struct Cadence {
    std::size_t every = 0;
    bool per_batch = false;
    bool asynchronous = false;
    int attempts = 1;
    std::chrono::milliseconds backoff{0};
    std::chrono::milliseconds timeout{10000};  // of one synchronous attempt
};

Cadence cadence_of(const CommitPolicy& policy);

std::vector<PartitionOffset> to_offsets(const rd_kafka_topic_partition_list_t* list);

// "topic[partition]", as messages name a partition.
std::string describe(std::string_view topic, std::int32_t partition);
// "topic[partition]@offset, ..."
std::string describe(const std::vector<PartitionOffset>& offsets);

}  // namespace relkafka::detail

namespace relkafka {

class Consumer::Impl {
public:
    using Clock = std::chrono::steady_clock;

    explicit Impl(ConsumerConfig config);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    std::vector<Record> poll(std::chrono::milliseconds timeout);
    void mark_processed(const Record& record);
    Error commit_sync();
    void run(const RecordHandler& handler, const std::atomic<bool>& stop);
    void wakeup() noexcept;
    void pause(const std::string& topic, std::int32_t partition, bool paused);
    std::vector<PartitionOffset> assignment() const;
    // offset_control.cpp
    Error seek(const PartitionOffset& to, std::chrono::milliseconds timeout);
    Error seek_to_time(const TopicPartition& partition, std::chrono::system_clock::time_point when,
                       std::chrono::milliseconds timeout);
    std::vector<PartitionOffset> position() const;
    std::vector<PartitionProgress> progress(std::chrono::milliseconds timeout);
    Error commit(const std::vector<PartitionOffset>& offsets);
    std::vector<PartitionOffset> stopped() const;
    ConsumerCounters counters() const;
    void close();
    bool closed() const noexcept { return rk_ == nullptr; }
    rd_kafka_t* handle() const noexcept { return rk_; }
    const std::string& bootstrap_servers() const noexcept { return config_.bootstrap_servers; }

    // Hands commits over to transactions (ExactlyOncePipeline): the consumer
    // then never commits, and calls `hook` where it would commit everything
    // processed: before partitions are revoked, and at close.
    void commit_through(std::function<void()> hook) { transaction_commits_ = std::move(hook); }

private:
    // librdkafka's callbacks. Each catches every exception: none may unwind
    // through librdkafka's C frames.
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

    // poll() and run() hold one while they use the handle, so that close()
    // on another thread can stop them and wait, and close() inside them is
    // refused.
    class ActiveCall {
    public:
        ActiveCall(Impl& impl, const char* call);
        ~ActiveCall();
        ActiveCall(const ActiveCall&) = delete;
        ActiveCall& operator=(const ActiveCall&) = delete;

    private:
        Impl& impl_;
    };
    bool closing() const noexcept { return closing_.load(std::memory_order_relaxed); }
    // Waits until no poll()/run() is active on another thread; false if one
    // still is at `deadline`. Throws UsageError if called inside one.
    bool stop_active_calls(Clock::time_point deadline);

    // rebalance.cpp
    // Manual assignment (ConsumerConfig::partitions), in place of a subscription.
    void assign_manually();
    void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
    void assign(rd_kafka_topic_partition_list_t* partitions);
    void revoke(rd_kafka_topic_partition_list_t* partitions);
    void forget(rd_kafka_topic_partition_list_t* partitions);
    // Synchronously commits everything processed (AutoCommit: stored, then
    // committed), now: before partitions are revoked, at close() without a
    // subscription, after a dead letter.
    void commit_processed();

    // offset_tracker.cpp
    std::vector<Record> commit_before_handing_out(std::vector<Record> batch);
    void commit_per_policy();
    void commit_async();
    // Commits `offsets` synchronously with the policy's retries, within
    // close_timeout while closing; reports the outcome to on_commit.
    Error commit_sync(rd_kafka_topic_partition_list_t* offsets);
    // Processed offsets not yet committed, for the assigned partitions.
    detail::PartitionListHandle uncommitted() const;
    // One commit of `offsets`, waiting for the broker's answer until
    // `deadline`; updates what is known committed.
    Error commit_once(rd_kafka_topic_partition_list_t* offsets, Clock::time_point deadline);
    void confirm_committed(const rd_kafka_topic_partition_list_t* offsets);
    void store_processed_offsets();
    void report_commit(CommitResult&& result);
    void commit_result(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets);

    // record_loop.cpp
    bool process(const Record& record, const RecordHandler& handler);
    void stop_at(const Record& record, const std::string& why);
    bool dead_letter(const Record& record, const std::string& why);
    // Writes a dead letter; false (reported) if it could not be written.
    bool write_dead_letter(const Message& letter, std::string_view topic, std::int32_t partition,
                           std::int64_t offset);
    // run(): writes again the dead letters whose partitions they stopped, and
    // resumes each partition whose letter is written.
    void retry_dead_letters();
    // Seeks each partition of batch[from..] back to its first record there,
    // so that records fetched but not handed out are fetched again; not the
    // partitions the user sought since the batch was fetched (seek number
    // `fetched_at`): they go on where the user said.
    void rewind(const std::vector<Record>& batch, std::size_t from,
                std::uint64_t fetched_at) noexcept;
    // However poll() or run() leaves a batch (a return, stop, close, an
    // exception), what it did not hand out is fetched again: never skipped,
    // never committed unprocessed.
    class RewindGuard {
    public:
        RewindGuard(Impl& impl, const std::vector<Record>& batch)
            : impl_(impl), batch_(batch), fetched_at_(impl.seeks_) {}
        ~RewindGuard() {
            if (next_ < batch_.size()) {
                impl_.rewind(batch_, next_, fetched_at_);
            }
        }
        RewindGuard(const RewindGuard&) = delete;
        RewindGuard& operator=(const RewindGuard&) = delete;
        // batch[0..next) were handed out.
        void handed_out(std::size_t next) noexcept { next_ = next; }
        void all_handed_out() noexcept { next_ = SIZE_MAX; }
        // Whether `record`'s partition was sought after the batch was fetched.
        bool sought_since(const Record& record);

    private:
        Impl& impl_;
        const std::vector<Record>& batch_;
        std::size_t next_ = 0;
        std::uint64_t fetched_at_;
    };

    // consumer.cpp
    void serve_main_queue();
    void leave_group(Clock::time_point deadline);
    void report(const Error& error) const noexcept;
    // Runs a user callback; an exception is logged and reported to on_error
    // (unless on_error itself threw), never propagated.
    template <class Callback, class Argument>
    void notify(const Callback& callback, const char* name, const Argument& argument) const noexcept;
    void require_open(const char* call) const;

    ConsumerConfig config_;
    detail::Cadence cadence_;
    // Shared with the Records handed out, which may outlive this Consumer.
    detail::SharedConsumerPtr handle_{new detail::SharedConsumerHandle()};
    rd_kafka_t* rk_ = nullptr;  // handle_'s, while open
    detail::QueueHandle consumer_queue_;  // records, rebalances, async commit results
    std::unique_ptr<Producer> dead_letters_;
    // Set while close() runs: commits wait no longer than this.
    std::optional<Clock::time_point> close_deadline_;

    // What the consumer knows of each assigned partition.
    struct PartitionState {
        std::int64_t processed = -1;   // next offset to commit; -1: nothing processed
        std::int64_t committed = -1;   // as last confirmed by the broker
        std::int64_t stored = -1;      // AutoCommit: as last stored for librdkafka's timer
        std::int64_t stopped_at = -1;  // offset of a record whose handler failed for good
        std::uint64_t sought = 0;      // seeks_ at the user's last seek() of it
        // Where fetching was moved to (a seek, a rewind): the position until
        // a record of the partition is handed out (librdkafka's stays put).
        std::int64_t moved_to = -1;
        // The dead letter of the record at stopped_at, while writing it fails;
        // written again from run() at retry_at, then the partition resumes.
        std::unique_ptr<Message> dead_letter;
        Clock::time_point retry_at;
    };
    // The assigned partition a message belongs to, or nullptr. Messages
    // come in runs of one partition: the last answer is kept.
    PartitionState* state_of(const rd_kafka_message_t* message);
    PartitionState* state_of(std::string_view topic, std::int32_t partition);
    // Notes that fetching of the partition goes on at `offset` / that a
    // record of it was handed out since.
    void moved(PartitionState& state, std::int64_t offset) noexcept {
        moved_count_ += state.moved_to < 0 ? 1 : 0;
        state.moved_to = offset;
    }
    void handed_out(PartitionState& state) noexcept {
        if (state.moved_to >= 0) {
            state.moved_to = -1;
            --moved_count_;
        }
    }
    // The state of an assigned partition; UsageError naming `call` otherwise.
    PartitionState& assigned(const std::string& topic, std::int32_t partition, const char* call);

    std::map<TopicPartition, PartitionState> partitions_;
    PartitionState* last_state_ = nullptr;
    const rd_kafka_topic_t* last_topic_ = nullptr;
    std::int32_t last_partition_ = -1;
    std::size_t stopped_count_ = 0;
    std::uint64_t seeks_ = 0;  // seek() calls so far
    std::size_t moved_count_ = 0;  // partitions with moved_to set
    std::size_t since_commit_ = 0;
    std::function<void()> transaction_commits_;  // see commit_through()

    // Readable from any thread (counters()).
    struct Counters {
        std::atomic<std::size_t> processed{0}, handler_failures{0}, dead_lettered{0}, commits{0},
            commits_failed{0}, commit_retries{0};
    };
    Counters counters_;

    // Guards the fields below and rk_/consumer_queue_ against wakeup() and a
    // close() from another thread.
    mutable std::mutex lifecycle_;
    std::condition_variable calls_left_;
    int active_calls_ = 0;
    std::thread::id active_thread_;
    std::atomic<bool> closing_{false};
    // Only the consumer's thread writes them: no atomic read-modify-write.
    static void bump(std::atomic<std::size_t>& counter) noexcept {
        counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
};

template <class Callback, class Argument>
void Consumer::Impl::notify(const Callback& callback, const char* name,
                            const Argument& argument) const noexcept {
    if (!callback) {
        return;
    }
    try {
        callback(argument);
    } catch (...) {
        report(Error(ErrorCode::Fail, detail::callback_threw(config_.on_log, name)));
    }
}

}  // namespace relkafka
