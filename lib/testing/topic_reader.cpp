#include "relkafka/testing/topic_reader.hpp"

#include <algorithm>

#include <map>
#include <memory>
#include <stdexcept>

#include <librdkafka/rdkafka.h>

#include "detail/records.hpp"
#include "consumer/shared_consumer_handle.hpp"

namespace relkafka::testing {

namespace {

struct Destroy {
    void operator()(rd_kafka_topic_partition_list_t* list) const {
        rd_kafka_topic_partition_list_destroy(list);
    }
    void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
    void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    char errstr[256];
    if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        throw std::runtime_error(std::string("reader config ") + key + ": " + errstr);
    }
}

}  // namespace

std::vector<Record> read_topic(const std::string& bootstrap_servers, const std::string& topic,
                               std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto left_ms = [&] {
        return static_cast<int>(std::max<long long>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(
                   deadline - std::chrono::steady_clock::now())
                   .count()));
    };

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap_servers);
    set(conf, "group.id", "relkafka-test-reader");
    set(conf, "enable.auto.commit", "false");
    set(conf, "fetch.wait.max.ms", "20");
    set(conf, "reconnect.backoff.max.ms", "1000");
    set(conf, "log_level", "2");
    char errstr[512];
    // Shared with the records returned, which read its fetch buffers.
    detail::SharedConsumerPtr handle(new detail::SharedConsumerHandle());
    handle->attach(rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr));
    if (handle->get() == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("reader: ") + errstr);
    }
    struct Close {
        rd_kafka_t* rk;
        ~Close() { rd_kafka_consumer_close(rk); }  // stops fetching; records outlive it
    };
    const Close closer{handle->get()};
    rd_kafka_t* const rk = closer.rk;

    // Partition count and high watermarks fix what "everything" means.
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* raw_md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &raw_md, left_ms());
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || raw_md->topic_cnt != 1) {
        throw std::runtime_error("reader: no metadata for " + topic + ": " + rd_kafka_err2str(err));
    }
    std::unique_ptr<const rd_kafka_metadata_t, Destroy> md(raw_md);
    const int partitions = md->topics[0].partition_cnt;

    std::map<std::int32_t, std::int64_t> end;  // partition -> high watermark
    std::unique_ptr<rd_kafka_topic_partition_list_t, Destroy> assignment(
        rd_kafka_topic_partition_list_new(partitions));
    for (std::int32_t p = 0; p < partitions; ++p) {
        std::int64_t low = 0, high = 0;
        for (;;) {
            err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high,
                                                   std::min(left_ms(), 5000));
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                break;
            }
            if (left_ms() == 0) {
                throw std::runtime_error("reader: watermarks of " + topic + ": " +
                                         rd_kafka_err2str(err));
            }
        }
        if (high > low) {
            end[p] = high;
            rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset = low;
        }
    }
    std::vector<Record> records;
    if (end.empty()) {
        return records;
    }
    rd_kafka_assign(rk, assignment.get());

    std::map<std::int32_t, std::int64_t> next;  // partition -> next offset expected
    auto done = [&] {
        for (const auto& [p, high] : end) {
            auto it = next.find(p);
            if (it == next.end() || it->second < high) {
                return false;
            }
        }
        return true;
    };
    while (!done()) {
        if (left_ms() == 0) {
            throw std::runtime_error("reader: timed out reading " + topic + " after " +
                                     std::to_string(records.size()) + " records");
        }
        std::unique_ptr<rd_kafka_message_t, Destroy> m(rd_kafka_consumer_poll(rk, 100));
        if (!m) {
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->err == RD_KAFKA_RESP_ERR__TRANSPORT) {
                continue;
            }
            throw std::runtime_error(std::string("reader: ") + rd_kafka_message_errstr(m.get()));
        }
        if (m->offset >= end[m->partition]) {
            continue;
        }
        next[m->partition] = m->offset + 1;
        handle->acquire(1);  // the record's; released by it even if push_back throws
        records.push_back(detail::RecordAccess::adopt(m.release(), handle.get()));
    }
    return records;
}

}  // namespace relkafka::testing
