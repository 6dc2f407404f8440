#include "relkafka/stats.hpp"

#include <algorithm>
#include <exception>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "detail/kafka_conf.hpp"
#include "detail/logging.hpp"
#include "observability/statistics.hpp"

namespace relkafka {

namespace {

using nlohmann::json;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// Value-or-default readers: a missing field, or one of another type than
// librdkafka documents, keeps the default.

const json* field(const json& object, const char* key) {
    if (!object.is_object()) {
        return nullptr;
    }
    const auto it = object.find(key);
    return it != object.end() ? &*it : nullptr;
}

std::int64_t int_or(const json& object, const char* key, std::int64_t fallback) {
    const json* value = field(object, key);
    if (value == nullptr) {
        return fallback;
    }
    if (value->is_number_integer()) {
        return value->get<std::int64_t>();  // unsigned values beyond 2^63 do not occur
    }
    if (value->is_number_float()) {
        return static_cast<std::int64_t>(value->get<double>());
    }
    return fallback;
}

std::int64_t int_of(const json& object, const char* key) { return int_or(object, key, 0); }

std::int32_t id_of(const json& object, const char* key) {
    return static_cast<std::int32_t>(int_or(object, key, -1));
}

std::string string_of(const json& object, const char* key) {
    const json* value = field(object, key);
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

bool bool_of(const json& object, const char* key) {
    const json* value = field(object, key);
    return value != nullptr && value->is_boolean() && value->get<bool>();
}

const json& object_of(const json& object, const char* key) {
    static const json empty = json::object();
    const json* value = field(object, key);
    return value != nullptr && value->is_object() ? *value : empty;
}

// `scale` converts the window's unit to microseconds.
LatencyWindow latency_of(const json& object, const char* key, std::int64_t scale = 1) {
    const json& w = object_of(object, key);
    LatencyWindow window;
    window.min = microseconds(int_of(w, "min") * scale);
    window.max = microseconds(int_of(w, "max") * scale);
    window.avg = microseconds(int_of(w, "avg") * scale);
    window.p50 = microseconds(int_of(w, "p50") * scale);
    window.p95 = microseconds(int_of(w, "p95") * scale);
    window.p99 = microseconds(int_of(w, "p99") * scale);
    window.cnt = int_of(w, "cnt");
    return window;
}

ValueWindow values_of(const json& object, const char* key) {
    const json& w = object_of(object, key);
    ValueWindow window;
    window.min = int_of(w, "min");
    window.max = int_of(w, "max");
    window.avg = int_of(w, "avg");
    window.p50 = int_of(w, "p50");
    window.p95 = int_of(w, "p95");
    window.p99 = int_of(w, "p99");
    window.cnt = int_of(w, "cnt");
    return window;
}

BrokerStatistics broker_of(const json& b) {
    BrokerStatistics broker;
    broker.name = string_of(b, "name");
    broker.nodeid = id_of(b, "nodeid");
    broker.nodename = string_of(b, "nodename");
    broker.source = string_of(b, "source");
    broker.state = string_of(b, "state");
    broker.stateage = microseconds(int_of(b, "stateage"));
    broker.outbuf_cnt = int_of(b, "outbuf_cnt");
    broker.outbuf_msg_cnt = int_of(b, "outbuf_msg_cnt");
    broker.waitresp_cnt = int_of(b, "waitresp_cnt");
    broker.waitresp_msg_cnt = int_of(b, "waitresp_msg_cnt");
    broker.tx = int_of(b, "tx");
    broker.txbytes = int_of(b, "txbytes");
    broker.txerrs = int_of(b, "txerrs");
    broker.txretries = int_of(b, "txretries");
    broker.req_timeouts = int_of(b, "req_timeouts");
    broker.rx = int_of(b, "rx");
    broker.rxbytes = int_of(b, "rxbytes");
    broker.rxerrs = int_of(b, "rxerrs");
    broker.connects = int_of(b, "connects");
    broker.disconnects = int_of(b, "disconnects");
    broker.rtt = latency_of(b, "rtt");
    broker.int_latency = latency_of(b, "int_latency");
    broker.outbuf_latency = latency_of(b, "outbuf_latency");
    broker.throttle = latency_of(b, "throttle", 1000);  // librdkafka reports milliseconds
    return broker;
}

PartitionStatistics partition_of(const std::string& topic, const json& p) {
    PartitionStatistics partition;
    partition.topic = topic;
    partition.partition = id_of(p, "partition");
    partition.broker = id_of(p, "broker");
    partition.leader = id_of(p, "leader");
    partition.desired = bool_of(p, "desired");
    partition.msgq_cnt = int_of(p, "msgq_cnt");
    partition.msgq_bytes = int_of(p, "msgq_bytes");
    partition.xmit_msgq_cnt = int_of(p, "xmit_msgq_cnt");
    partition.xmit_msgq_bytes = int_of(p, "xmit_msgq_bytes");
    partition.msgs_inflight = int_of(p, "msgs_inflight");
    partition.fetchq_cnt = int_of(p, "fetchq_cnt");
    partition.fetchq_size = int_of(p, "fetchq_size");
    partition.fetch_state = string_of(p, "fetch_state");
    partition.query_offset = int_or(p, "query_offset", -1001);
    partition.next_offset = int_or(p, "next_offset", -1001);
    partition.app_offset = int_or(p, "app_offset", -1001);
    partition.stored_offset = int_or(p, "stored_offset", -1001);
    // Older librdkafka versions spell it "commited_offset" only.
    partition.committed_offset =
        int_or(p, "committed_offset", int_or(p, "commited_offset", -1001));
    partition.eof_offset = int_or(p, "eof_offset", -1001);
    partition.lo_offset = int_or(p, "lo_offset", -1001);
    partition.hi_offset = int_or(p, "hi_offset", -1001);
    partition.ls_offset = int_or(p, "ls_offset", -1001);
    partition.consumer_lag = int_or(p, "consumer_lag", -1);
    partition.consumer_lag_stored = int_or(p, "consumer_lag_stored", -1);
    partition.txmsgs = int_of(p, "txmsgs");
    partition.txbytes = int_of(p, "txbytes");
    partition.rxmsgs = int_of(p, "rxmsgs");
    partition.rxbytes = int_of(p, "rxbytes");
    partition.msgs = int_of(p, "msgs");
    return partition;
}

TopicStatistics topic_of(const std::string& key, const json& t) {
    TopicStatistics topic;
    topic.topic = string_of(t, "topic");
    if (topic.topic.empty()) {
        topic.topic = key;
    }
    topic.metadata_age = milliseconds(int_of(t, "metadata_age"));
    topic.batchsize = values_of(t, "batchsize");
    topic.batchcnt = values_of(t, "batchcnt");
    for (const auto& [partition_key, p] : object_of(t, "partitions").items()) {
        (void)partition_key;
        if (p.is_object()) {
            topic.partitions.push_back(partition_of(topic.topic, p));
        }
    }
    std::sort(topic.partitions.begin(), topic.partitions.end(),
              [](const PartitionStatistics& a, const PartitionStatistics& b) {
                  return a.partition < b.partition;
              });
    return topic;
}

GroupStatistics group_of(const json& g) {
    GroupStatistics group;
    group.state = string_of(g, "state");
    group.stateage = milliseconds(int_of(g, "stateage"));
    group.join_state = string_of(g, "join_state");
    group.rebalance_age = milliseconds(int_of(g, "rebalance_age"));
    group.rebalance_cnt = int_of(g, "rebalance_cnt");
    group.rebalance_reason = string_of(g, "rebalance_reason");
    group.assignment_size = int_of(g, "assignment_size");
    return group;
}

EosStatistics eos_of(const json& e) {
    EosStatistics eos;
    eos.idemp_state = string_of(e, "idemp_state");
    eos.idemp_stateage = milliseconds(int_of(e, "idemp_stateage"));
    eos.txn_state = string_of(e, "txn_state");
    eos.txn_stateage = milliseconds(int_of(e, "txn_stateage"));
    eos.txn_may_enq = bool_of(e, "txn_may_enq");
    eos.producer_id = int_or(e, "producer_id", -1);
    eos.producer_epoch = int_or(e, "producer_epoch", -1);
    eos.epoch_cnt = int_of(e, "epoch_cnt");
    return eos;
}

Statistics statistics_of(const json& root) {
    Statistics s;
    s.name = string_of(root, "name");
    s.client_id = string_of(root, "client_id");
    s.type = string_of(root, "type");
    s.ts = microseconds(int_of(root, "ts"));
    s.time = std::chrono::system_clock::time_point(std::chrono::seconds(int_of(root, "time")));
    s.age = microseconds(int_of(root, "age"));

    StatisticsTotals& t = s.totals;
    t.replyq = int_of(root, "replyq");
    t.msg_cnt = int_of(root, "msg_cnt");
    t.msg_size = int_of(root, "msg_size");
    t.msg_max = int_of(root, "msg_max");
    t.msg_size_max = int_of(root, "msg_size_max");
    t.tx = int_of(root, "tx");
    t.tx_bytes = int_of(root, "tx_bytes");
    t.rx = int_of(root, "rx");
    t.rx_bytes = int_of(root, "rx_bytes");
    t.txmsgs = int_of(root, "txmsgs");
    t.txmsg_bytes = int_of(root, "txmsg_bytes");
    t.rxmsgs = int_of(root, "rxmsgs");
    t.rxmsg_bytes = int_of(root, "rxmsg_bytes");

    for (const auto& [key, b] : object_of(root, "brokers").items()) {
        (void)key;
        if (!b.is_object()) {
            continue;
        }
        BrokerStatistics broker = broker_of(b);
        t.txerrs += broker.txerrs;
        t.txretries += broker.txretries;
        t.rxerrs += broker.rxerrs;
        t.req_timeouts += broker.req_timeouts;
        t.connects += broker.connects;
        t.disconnects += broker.disconnects;
        s.brokers.push_back(std::move(broker));
    }
    for (const auto& [key, topic] : object_of(root, "topics").items()) {
        if (topic.is_object()) {
            s.topics.push_back(topic_of(key, topic));
        }
    }
    if (const json* group = field(root, "cgrp"); group != nullptr && group->is_object()) {
        s.cgrp = group_of(*group);
    }
    if (const json* eos = field(root, "eos"); eos != nullptr && eos->is_object()) {
        s.eos = eos_of(*eos);
    }
    return s;
}

}  // namespace

const TopicStatistics* Statistics::topic(std::string_view name) const noexcept {
    for (const auto& t : topics) {
        if (t.topic == name) {
            return &t;
        }
    }
    return nullptr;
}

const PartitionStatistics* Statistics::partition(std::string_view topic_name,
                                                 std::int32_t partition) const noexcept {
    if (const TopicStatistics* t = topic(topic_name)) {
        for (const auto& p : t->partitions) {
            if (p.partition == partition) {
                return &p;
            }
        }
    }
    return nullptr;
}

const BrokerStatistics* Statistics::broker(std::int32_t nodeid) const noexcept {
    for (const auto& b : brokers) {
        if (b.nodeid == nodeid && b.source != "logical") {
            return &b;
        }
    }
    return nullptr;
}

ParsedStatistics parse_statistics(std::string_view text) {
    ParsedStatistics result;
    json root;
    try {
        root = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        result.error = Error(ErrorCode::Fail,
                             fmt::format("librdkafka statistics are not valid JSON: {}", e.what()));
        return result;
    }
    if (!root.is_object()) {
        result.error = Error(ErrorCode::Fail,
                             fmt::format("librdkafka statistics are not a JSON object but a {}",
                                         root.type_name()));
        return result;
    }
    result.statistics = statistics_of(root);
    result.statistics.json = std::string(text);
    return result;
}

namespace detail {

void deliver_statistics(std::string_view text, const StatisticsCallback& on_statistics,
                        const ErrorCallback& on_error, const LogCallback& on_log,
                        const char* config_type) {
    ParsedStatistics parsed = parse_statistics(text);
    try {
        if (parsed) {
            if (on_statistics) {
                on_statistics(parsed.statistics);
            }
        } else if (on_error) {
            on_error(parsed.error);
        } else {
            log(on_log, LogLevel::Warning,
                fmt::format("{}::on_statistics not called: {}", config_type,
                            parsed.error.to_string()));
        }
    } catch (...) {
        (void)callback_threw(on_log,
                       fmt::format(parsed ? "{}::on_statistics" : "{}::on_error", config_type));
    }
}

void require_statistics_interval(std::chrono::milliseconds interval, const char* config_type) {
    require(interval.count() >= 0 && interval.count() <= 86400000,
            fmt::format("{}::statistics_interval = {} ms is out of range: use 0 (off) .. 86400000 ms",
                        config_type, interval.count()));
}

void require_statistics_callback(std::chrono::milliseconds interval, bool has_callback,
                                 const char* config_type) {
    require(interval.count() == 0 || has_callback,
            fmt::format("{0}::statistics_interval = {1} ms but {0}::on_statistics is unset: set "
                        "on_statistics to receive the statistics, or statistics_interval to 0",
                        config_type, interval.count()));
}

}  // namespace detail

}  // namespace relkafka
