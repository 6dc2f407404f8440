#include "consume_backlog.hpp"

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace relkafka::bench {

namespace {

constexpr int timeout_ms = 120000;

void count_failure(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++*static_cast<std::size_t*>(opaque);
    }
}

// Without the topic's metadata, the first messages wait about 1 s for it.
void fetch_metadata(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, timeout_ms);
    if (metadata != nullptr) {
        rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("backlog: metadata: ") + rd_kafka_err2str(err));
    }
}

void check_retained(rd_kafka_t* rk, const std::string& topic, std::size_t per_partition) {
    for (int p = 0; p < BenchCluster::partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        const rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, timeout_ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error(
                fmt::format("backlog: watermarks of partition {}: {}", p, rd_kafka_err2str(err)));
        }
        if (low != 0 || high != static_cast<std::int64_t>(per_partition)) {
            throw std::runtime_error(fmt::format(
                "backlog: partition {} holds offsets {}..{} of the {} produced: the mock's "
                "retention dropped data; use fewer or smaller messages",
                p, low, high, per_partition));
        }
    }
}

}  // namespace

void produce_backlog(const BenchCluster& cluster, std::size_t messages, std::size_t value_size) {
    if (messages % BenchCluster::partitions != 0) {
        throw std::runtime_error(
            fmt::format("backlog: {} messages do not divide evenly over {} partitions", messages,
                        BenchCluster::partitions));
    }
    std::size_t failed = 0;
    RawProducer producer(cluster.bootstrap_servers(), {}, &count_failure, &failed);
    rd_kafka_t* rk = producer.get();
    fetch_metadata(rk, cluster.topic());
    const std::string value(value_size, 'x');
    for (std::size_t i = 0; i < messages; ++i) {
        raw_produce(rk, cluster.topic(), value,
                    static_cast<std::int32_t>(i % BenchCluster::partitions));
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("backlog: flush timed out");
    }
    if (failed != 0) {
        throw std::runtime_error(fmt::format("backlog: {} messages failed", failed));
    }
    check_retained(rk, cluster.topic(), messages / BenchCluster::partitions);
}

}  // namespace relkafka::bench
