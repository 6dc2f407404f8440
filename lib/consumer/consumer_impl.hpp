// Consumer::Impl, shared by the files of lib/consumer/: the consumer proper
// (consumer.cpp), offset tracking and commits (offset_tracker.cpp),
// rebalances (rebalance.cpp) and the run loop (record_loop.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "consumer/shared_consumer_handle.hpp"
#include "detail/handles.hpp"
#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"

namespace relkafka::detail {

using TopicPartition = std::pair<std::string, std::int32_t>;

// The commit cadence every policy but AtMostOnce shares: every N records, or
// per poll batch when N is 0, and how a synchronous commit is retried.
// The commit cadence every policy but AtMostOnce shares: every N records, or
// per poll batch when N is 0, and how a synchronous commit is retried.
struct Cadence {
    std::size_t every = 0;
    bool per_batch = false;
    bool asynchronous = false;
    int attempts = 1;
    std::chrono::milliseconds backoff{0};
};

Cadence cadence_of(const CommitPolicy& policy);

std::vector<PartitionOffset> to_offsets(const rd_kafka_topic_partition_list_t* list);

// "topic[partition]", as messages name a partition.
std::string describe(std::string_view topic, std::int32_t partition);

}  // namespace relkafka::detail

namespace relkafka {

class Consumer::Impl {
public:
    explicit Impl(ConsumerConfig config);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    std::vector<Record> poll(std::chrono::milliseconds timeout);
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
    detail::Cadence cadence_;
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

    std::map<detail::TopicPartition, PartitionState> partitions_;
    PartitionState* last_state_ = nullptr;
    const rd_kafka_topic_t* last_topic_ = nullptr;
    std::int32_t last_partition_ = -1;
    std::size_t stopped_count_ = 0;
    std::size_t since_commit_ = 0;
    ConsumerCounters counters_;
};

}  // namespace relkafka
