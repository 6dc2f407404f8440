#include "bench_clients.hpp"

#include <atomic>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "bench_support.hpp"

namespace relkafka::bench {

namespace {

constexpr int partitions = BenchCluster::partitions;
constexpr int warm_up_per_partition = 5;
constexpr int flush_timeout_ms = 120000;

// The mock's reconnect backoff otherwise grows to seconds (MOCK_CLUSTER.md),
// as in the tests; log_level 3 keeps only errors in the output.
Overrides mock_overrides() {
    return {{"reconnect.backoff.max.ms", "1000"}, {"log_level", "3"}};
}

// What lib/producer/producer_properties.cpp writes for a default ProducerConfig.
// Spelled out rather than shared so that a change in the facade's defaults
// shows up in config_differences() instead of silently moving both sides.
std::vector<std::pair<std::string, std::string>> relkafka_default_properties(
    const std::string& bootstrap) {
    return {
        {"bootstrap.servers", bootstrap},
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"retries", "2147483647"},
        {"retry.backoff.ms", "100"},
        {"delivery.timeout.ms", "120000"},
        {"max.in.flight", "5"},
        {"queue.buffering.max.messages", "100000"},
        {"queue.buffering.max.kbytes", "1048576"},
        {"compression.codec", "none"},
    };
}

bool is_pointer_property(const std::string& key) {
    return key == "opaque" || key == "default_topic_conf" ||
           (key.size() > 3 && key.compare(key.size() - 3, 3, "_cb") == 0);
}

void add_dump(std::map<std::string, std::string>& properties, const char** dump, std::size_t count,
              const std::string& prefix) {
    for (std::size_t i = 0; i + 1 < count; i += 2) {
        properties[prefix + dump[i]] = dump[i + 1];
    }
    rd_kafka_conf_dump_free(dump, count);
}

// Global and default-topic properties (acks lives in the topic part).
std::map<std::string, std::string> effective_config(rd_kafka_t* rk) {
    // The dump functions only read, but their parameters are not const.
    auto* conf = const_cast<rd_kafka_conf_t*>(rd_kafka_conf(rk));
    std::map<std::string, std::string> properties;
    std::size_t count = 0;
    const char** dump = rd_kafka_conf_dump(conf, &count);
    add_dump(properties, dump, count, "");
    if (rd_kafka_topic_conf_t* topic_conf = rd_kafka_conf_get_default_topic_conf(conf)) {
        dump = rd_kafka_topic_conf_dump(topic_conf, &count);
        add_dump(properties, dump, count, "topic.");
    }
    return properties;
}

}  // namespace

Overrides with_mock_overrides(const Overrides& extra) {
    Overrides all = mock_overrides();
    for (const auto& [key, value] : extra) {
        all[key] = value;
    }
    return all;
}

rd_kafka_conf_t* raw_conf(const std::vector<std::pair<std::string, std::string>>& properties,
                          const char* client) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    for (const auto& [key, value] : properties) {
        if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error(fmt::format("{}: {}={}: {}", client, key, value, errstr));
        }
    }
    return conf;
}

BenchCluster::BenchCluster() : mock_(std::make_unique<testing::MockCluster>(brokers)) {
    mock_->create_topic(topic_, partitions, brokers);
    // The mock picks each leader at random; how many brokers share the load
    // moved single runs by up to 30%. Both sides get the same placement.
    for (int p = 0; p < partitions; ++p) {
        mock_->set_partition_leader(topic_, p, p % brokers + 1);
    }
}

BenchCluster::~BenchCluster() {
    // After a consumer group has used it, destroying the mock often waits
    // 1 s for its thread; a run's process is about to _exit() anyway.
    if (in_run_child()) {
        static_cast<void>(mock_.release());
    }
}

ProducerConfig facade_config(const std::string& bootstrap, const Overrides& extra) {
    ProducerConfig config;
    config.bootstrap_servers = bootstrap;
    config.overrides = with_mock_overrides(extra);
    return config;
}

RawProducer::RawProducer(const std::string& bootstrap, const Overrides& extra,
                         DeliveryReport on_delivery, void* opaque) {
    auto properties = relkafka_default_properties(bootstrap);
    for (const auto& property : with_mock_overrides(extra)) {
        properties.push_back(property);
    }
    rd_kafka_conf_t* conf = raw_conf(properties, "raw producer");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, opaque);
    char errstr[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk_ == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("raw producer: ") + errstr);
    }
}

RawProducer::~RawProducer() {
    if (rk_ != nullptr) {
        rd_kafka_flush(rk_, flush_timeout_ms);
        rd_kafka_destroy(rk_);
    }
}

std::vector<std::string> config_differences(rd_kafka_t* facade, rd_kafka_t* raw,
                                            std::size_t& compared) {
    const auto a = effective_config(facade);
    const auto b = effective_config(raw);
    std::vector<std::string> differences;
    compared = 0;
    for (const auto& [key, value] : a) {
        if (is_pointer_property(key)) {
            continue;
        }
        ++compared;
        const auto other = b.find(key);
        const std::string other_value = other == b.end() ? "(unset)" : other->second;
        if (other_value != value) {
            differences.push_back(fmt::format("{}: facade {} vs raw {}", key, value, other_value));
        }
    }
    for (const auto& [key, value] : b) {
        if (!is_pointer_property(key) && a.count(key) == 0) {
            differences.push_back(fmt::format("{}: facade (unset) vs raw {}", key, value));
        }
    }
    return differences;
}

void warm_up(Producer& producer, const std::string& topic) {
    std::atomic<int> failed{0};
    for (int i = 0; i < partitions * warm_up_per_partition; ++i) {
        Message m;
        m.topic = topic;
        m.partition = i % partitions;
        m.value = "warm-up";
        producer.send(std::move(m), [&failed](Delivery&& d) {
            if (!d.ok()) {
                failed.fetch_add(1);
            }
        });
    }
    if (Error e = producer.flush(std::chrono::milliseconds(flush_timeout_ms))) {
        throw std::runtime_error("facade warm-up: " + e.to_string());
    }
    if (failed.load() != 0) {
        throw std::runtime_error("facade warm-up: a message failed");
    }
}

void warm_up(rd_kafka_t* rk, const std::string& topic) {
    for (int i = 0; i < partitions * warm_up_per_partition; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(i % partitions),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(const_cast<char*>("warm-up"), 7), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error(std::string("raw warm-up: ") + rd_kafka_err2str(err));
        }
    }
    if (rd_kafka_flush(rk, flush_timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("raw warm-up: flush timed out");
    }
}

rd_kafka_resp_err_t raw_try_produce(rd_kafka_t* rk, const std::string& topic,
                                    const std::string& value, std::int32_t partition) {
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                             RD_KAFKA_V_END);
}

void raw_produce(rd_kafka_t* rk, const std::string& topic, const std::string& value,
                 std::int32_t partition) {
    for (;;) {
        const rd_kafka_resp_err_t err = raw_try_produce(rk, topic, value, partition);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            throw std::runtime_error(std::string("raw produce: ") + rd_kafka_err2str(err));
        }
        rd_kafka_poll(rk, 100);
    }
}

}  // namespace relkafka::bench
