#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relkafka/error.hpp"

namespace relkafka {

// Typed views of librdkafka's statistics JSON (its STATISTICS.md). Field
// names follow librdkafka's, so that its documentation applies; the types
// carry the units. A field missing from the JSON, or of another type than
// documented, keeps its default: librdkafka versions differ in what they
// emit. Offsets and lags are -1001 (librdkafka's "invalid offset") or -1
// when unknown.

/// A rolling window of latencies over the last statistics interval.
struct LatencyWindow {
    std::chrono::microseconds min{0};
    std::chrono::microseconds max{0};
    std::chrono::microseconds avg{0};
    std::chrono::microseconds p50{0};
    std::chrono::microseconds p95{0};
    std::chrono::microseconds p99{0};
    std::int64_t cnt = 0;  ///< samples in the window
};

/// A rolling window of sizes or counts over the last statistics interval.
struct ValueWindow {
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::int64_t avg = 0;
    std::int64_t p50 = 0;
    std::int64_t p95 = 0;
    std::int64_t p99 = 0;
    std::int64_t cnt = 0;  ///< samples in the window
};

/// Client-wide totals. The counters count since the client was created; the
/// gauges (msg_cnt, msg_size, replyq) are current values.
struct StatisticsTotals {
    std::int64_t replyq = 0;        ///< events waiting for the application to poll them
    std::int64_t msg_cnt = 0;       ///< messages in the producer's queues (gauge)
    std::int64_t msg_size = 0;      ///< their total size in bytes (gauge)
    std::int64_t msg_max = 0;       ///< queue limit in messages
    std::int64_t msg_size_max = 0;  ///< queue limit in bytes
    std::int64_t tx = 0;            ///< requests sent to brokers
    std::int64_t tx_bytes = 0;
    std::int64_t rx = 0;            ///< responses received from brokers
    std::int64_t rx_bytes = 0;
    std::int64_t txmsgs = 0;        ///< messages sent (produced and transmitted)
    std::int64_t txmsg_bytes = 0;
    std::int64_t rxmsgs = 0;        ///< messages consumed (excluding control records)
    std::int64_t rxmsg_bytes = 0;
    // Summed over `Statistics::brokers`: librdkafka reports these per broker.
    std::int64_t txerrs = 0;        ///< request transmission errors
    std::int64_t txretries = 0;     ///< requests retried
    std::int64_t rxerrs = 0;        ///< response errors
    std::int64_t req_timeouts = 0;  ///< requests that timed out
    std::int64_t connects = 0;      ///< connection attempts that succeeded
    std::int64_t disconnects = 0;
};

/// One broker connection as the client sees it.
struct BrokerStatistics {
    std::string name;      ///< "host:port/nodeid", "host:port/bootstrap" or e.g. "GroupCoordinator"
    std::int32_t nodeid = -1;  ///< -1 until a bootstrap broker's id is known
    std::string nodename;  ///< "host:port"
    std::string source;    ///< "configured", "learned", "internal" or "logical"
    std::string state;     ///< "UP", "DOWN", "INIT", "CONNECT", "AUTH", ...
    std::chrono::microseconds stateage{0};  ///< time in `state`
    std::int64_t outbuf_cnt = 0;        ///< requests waiting to be sent (gauge)
    std::int64_t outbuf_msg_cnt = 0;    ///< messages in them (gauge)
    std::int64_t waitresp_cnt = 0;      ///< requests in flight, awaiting a response (gauge)
    std::int64_t waitresp_msg_cnt = 0;  ///< messages in them (gauge)
    std::int64_t tx = 0;
    std::int64_t txbytes = 0;
    std::int64_t txerrs = 0;
    std::int64_t txretries = 0;
    std::int64_t req_timeouts = 0;
    std::int64_t rx = 0;
    std::int64_t rxbytes = 0;
    std::int64_t rxerrs = 0;
    std::int64_t connects = 0;
    std::int64_t disconnects = 0;
    LatencyWindow rtt;             ///< request round trip
    LatencyWindow int_latency;     ///< producer: from send() to the request being built
    LatencyWindow outbuf_latency;  ///< request queued to sent
    LatencyWindow throttle;        ///< broker throttling (reported in milliseconds by
                                   ///< librdkafka; converted)
};

/// One partition of a topic as the client sees it. Partition -1 is
/// librdkafka's "unassigned" partition: messages whose partition is not
/// chosen yet (e.g. the topic's metadata is unknown).
struct PartitionStatistics {
    std::string topic;
    std::int32_t partition = -1;
    std::int32_t broker = -1;  ///< node id of the broker serving it, -1 if none
    std::int32_t leader = -1;  ///< node id of its leader, -1 if unknown
    bool desired = false;      ///< the application wants it (subscribed or produced to)
    std::int64_t msgq_cnt = 0;         ///< messages waiting in the first-level queue (gauge)
    std::int64_t msgq_bytes = 0;
    std::int64_t xmit_msgq_cnt = 0;    ///< messages ready to be put in a request (gauge)
    std::int64_t xmit_msgq_bytes = 0;
    std::int64_t msgs_inflight = 0;    ///< messages in requests awaiting a response (gauge)
    std::int64_t fetchq_cnt = 0;       ///< consumer: pre-fetched messages (gauge)
    std::int64_t fetchq_size = 0;
    std::string fetch_state;           ///< consumer: "none", "active", "stopped", ...
    std::int64_t query_offset = -1001;
    std::int64_t next_offset = -1001;  ///< next offset to fetch
    std::int64_t app_offset = -1001;   ///< offset after the last one handed out
    std::int64_t stored_offset = -1001;     ///< offset to be committed
    std::int64_t committed_offset = -1001;  ///< last committed offset
    std::int64_t eof_offset = -1001;
    std::int64_t lo_offset = -1001;    ///< partition's low watermark
    std::int64_t hi_offset = -1001;    ///< partition's high watermark
    std::int64_t ls_offset = -1001;    ///< last stable offset (read_committed)
    std::int64_t consumer_lag = -1;         ///< hi/ls offset minus committed offset
    std::int64_t consumer_lag_stored = -1;  ///< hi/ls offset minus stored offset
    std::int64_t txmsgs = 0;  ///< messages sent to this partition
    std::int64_t txbytes = 0;
    std::int64_t rxmsgs = 0;  ///< messages consumed from it
    std::int64_t rxbytes = 0;
    std::int64_t msgs = 0;    ///< messages produced to it (queued by the application)
};

/// One topic and its partitions, ordered by partition number.
struct TopicStatistics {
    std::string topic;
    std::chrono::milliseconds metadata_age{0};  ///< age of its metadata
    ValueWindow batchsize;                      ///< producer batch sizes in bytes
    ValueWindow batchcnt;                       ///< producer batch sizes in messages
    std::vector<PartitionStatistics> partitions;
};

/// The consumer group as this member sees it.
struct GroupStatistics {
    std::string state;       ///< "up", "wait-coord", ...
    std::chrono::milliseconds stateage{0};
    std::string join_state;  ///< "steady", "wait-join", ...
    std::chrono::milliseconds rebalance_age{0};
    std::int64_t rebalance_cnt = 0;
    std::string rebalance_reason;
    std::int64_t assignment_size = 0;  ///< partitions assigned to this member
};

/// The idempotent / transactional producer's state.
struct EosStatistics {
    std::string idemp_state;  ///< "Assigned" once a producer id is acquired
    std::chrono::milliseconds idemp_stateage{0};
    std::string txn_state;
    std::chrono::milliseconds txn_stateage{0};
    bool txn_may_enq = false;
    std::int64_t producer_id = -1;
    std::int64_t producer_epoch = -1;
    std::int64_t epoch_cnt = 0;
};

/// One statistics report of a client, parsed from librdkafka's JSON.
struct Statistics {
    std::string name;       ///< librdkafka instance name, e.g. "rdkafka#producer-1"
    std::string client_id;
    std::string type;       ///< "producer" or "consumer"
    std::chrono::microseconds ts{0};   ///< librdkafka's monotonic clock
    std::chrono::system_clock::time_point time;  ///< wall clock, whole seconds
    std::chrono::microseconds age{0};  ///< time since the client was created
    StatisticsTotals totals;
    std::vector<BrokerStatistics> brokers;  ///< by name
    std::vector<TopicStatistics> topics;    ///< by topic name
    std::optional<GroupStatistics> cgrp;    ///< consumers in a group only
    std::optional<EosStatistics> eos;       ///< idempotent or transactional producers only
    /// The JSON as librdkafka emitted it, for fields not typed here.
    std::string json;

    /// The named topic, or nullptr.
    const TopicStatistics* topic(std::string_view name) const noexcept;
    /// A partition of a topic, or nullptr.
    const PartitionStatistics* partition(std::string_view topic,
                                         std::int32_t partition) const noexcept;
    /// The broker with this node id (not a logical one), or nullptr.
    const BrokerStatistics* broker(std::int32_t nodeid) const noexcept;
};

/// The outcome of parse_statistics(): the statistics, or why the text could
/// not be parsed.
struct ParsedStatistics {
    Statistics statistics;
    /// ErrorCode::Fail naming the problem when the text is not a JSON object;
    /// `statistics` is then empty.
    Error error;

    explicit operator bool() const noexcept { return !error; }
};

/// Parses a statistics JSON document as librdkafka's stats_cb receives it
/// (e.g. from a client the facade does not manage). Never throws on bad
/// input: malformed JSON yields an Error; missing or mistyped fields keep
/// their defaults.
ParsedStatistics parse_statistics(std::string_view json);

/// Receives a client's statistics every ProducerConfig::statistics_interval
/// / ConsumerConfig::statistics_interval, on the client's callback thread:
/// the producer's (see CallbackMode), or inside Consumer::poll(). It must not
/// throw. A report that cannot be parsed goes to on_error instead.
using StatisticsCallback = std::function<void(const Statistics&)>;

}  // namespace relkafka
