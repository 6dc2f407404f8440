#include "consume_clients.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace relkafka::bench {

namespace {

const std::string group_id = "bench-consume";

// The group timing MOCK_CLUSTER.md recommends (the first join still takes
// about 3 s). queued.min.messages holds a whole run's backlog: once the
// local queue reaches it, librdkafka 2.0.2 stops fetching for a fixed 1 s
// (fetch.queue.backoff.ms came in 2.2.0), which would round every run's time
// to whole seconds.
Overrides consumer_overrides() {
    return with_mock_overrides({{"session.timeout.ms", "6000"},
                                {"heartbeat.interval.ms", "500"},
                                {"fetch.wait.max.ms", "10"},
                                {"queued.min.messages", "1000000"}});
}

// What lib/consumer/consumer_properties.cpp writes for facade_consumer_config().
// Spelled out, as for the producer, so that a change in the facade's
// defaults shows up in config_differences().
std::vector<std::pair<std::string, std::string>> relkafka_consumer_properties(
    const std::string& bootstrap, CommitKind kind) {
    return {
        {"auto.offset.reset", "earliest"},
        {"bootstrap.servers", bootstrap},
        {"group.id", group_id},
        {"enable.auto.commit", kind == CommitKind::Auto ? "true" : "false"},
        {"auto.commit.interval.ms", "5000"},
        {"enable.auto.offset.store", "false"},
        {"partition.assignment.strategy", "range,roundrobin"},
        {"isolation.level", "read_committed"},
    };
}

CommitPolicy facade_policy(CommitKind kind) {
    switch (kind) {
        case CommitKind::AsyncThenSync: return AsyncThenSync{};
        case CommitKind::Sync: return SyncCommit{};
        case CommitKind::Async: return AsyncCommit{};
        case CommitKind::Auto: return AutoCommit{};
        case CommitKind::AtMostOnce: return AtMostOnce{};
    }
    throw std::logic_error("unknown commit kind");
}

}  // namespace

const char* commit_kind_name(CommitKind kind) {
    switch (kind) {
        case CommitKind::AsyncThenSync: return "AsyncThenSync";
        case CommitKind::Sync: return "SyncCommit";
        case CommitKind::Async: return "AsyncCommit";
        case CommitKind::Auto: return "AutoCommit";
        case CommitKind::AtMostOnce: return "AtMostOnce";
    }
    return "?";
}

ConsumerConfig facade_consumer_config(const BenchCluster& cluster, CommitKind kind) {
    ConsumerConfig config;
    config.bootstrap_servers = cluster.bootstrap_servers();
    config.group_id = group_id;
    config.topics = {cluster.topic()};
    config.commit = facade_policy(kind);
    config.overrides = consumer_overrides();
    return config;
}

RawConsumer::RawConsumer(const BenchCluster& cluster, CommitKind kind) : kind_(kind) {
    auto properties = relkafka_consumer_properties(cluster.bootstrap_servers(), kind);
    for (const auto& property : consumer_overrides()) {
        properties.push_back(property);
    }
    rd_kafka_conf_t* conf = raw_conf(properties, "raw consumer");
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_rebalance_cb(conf, &RawConsumer::on_rebalance);
    // A careful hand-written consumer takes its error events, as the facade does.
    rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int, const char*, void*) {});
    if (kind == CommitKind::Auto) {
        rd_kafka_conf_set_offset_commit_cb(conf, &RawConsumer::on_commit);  // timer commits
    }
    char errstr[512];
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk_ == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("raw consumer: ") + errstr);
    }
    rd_kafka_poll_set_consumer(rk_);
    queue_ = rd_kafka_queue_get_consumer(rk_);

    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, cluster.topic().c_str(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_queue_destroy(queue_);
        rd_kafka_destroy(rk_);
        throw std::runtime_error(std::string("raw consumer: subscribe: ") + rd_kafka_err2str(err));
    }
}

RawConsumer::~RawConsumer() {
    close();
    rd_kafka_queue_destroy(queue_);
    rd_kafka_destroy(rk_);
}

void RawConsumer::count(rd_kafka_resp_err_t err) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++commits_;
    } else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET) {  // nothing new was stored
        ++failures_;
    }
}

void RawConsumer::commit(bool asynchronous) {
    if (asynchronous) {
        // NULL: the offsets stored for the current assignment.
        const rd_kafka_resp_err_t err =
            rd_kafka_commit_queue(rk_, nullptr, queue_, &RawConsumer::on_commit, this);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            count(err);
        }
    } else {
        count(rd_kafka_commit(rk_, nullptr, 0));
    }
}

void RawConsumer::commit_batch() {
    switch (kind_) {
        case CommitKind::AsyncThenSync:
        case CommitKind::Async: commit(true); break;
        case CommitKind::Sync:
        case CommitKind::AtMostOnce: commit(false); break;
        case CommitKind::Auto: break;
    }
}

void RawConsumer::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    if (kind_ == CommitKind::AsyncThenSync || kind_ == CommitKind::Sync) {
        commit(false);
    } else if (kind_ == CommitKind::Async) {
        commit(true);  // consumer_close waits for it
    }
    rd_kafka_consumer_close(rk_);
}

void RawConsumer::on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
                            void* opaque) {
    static_cast<RawConsumer*>(opaque)->count(err);
}

void RawConsumer::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    // Eager, as the facade's default protocol.
    auto* self = static_cast<RawConsumer*>(opaque);
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        result = rd_kafka_assign(rk, partitions);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        if (self->kind_ != CommitKind::AtMostOnce) {
            self->commit(false);
        }
        result = rd_kafka_assign(rk, nullptr);
    } else {
        rd_kafka_assign(rk, nullptr);
    }
    if (result != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++self->failures_;
    }
}

}  // namespace relkafka::bench
