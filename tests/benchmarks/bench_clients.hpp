#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "relkafka/config.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/testing/mock_cluster.hpp"

namespace relkafka::bench {

// librdkafka properties beyond relkafka's policies, applied to both clients.
using Overrides = std::map<std::string, std::string>;

// What the mock's timing needs on every client (MOCK_CLUSTER.md), plus `extra`.
Overrides with_mock_overrides(const Overrides& extra);

// A librdkafka configuration with these properties set in order; throws
// std::runtime_error naming `client` and the property it refused.
rd_kafka_conf_t* raw_conf(const std::vector<std::pair<std::string, std::string>>& properties,
                          const char* client);

// A fresh 3-broker mock cluster with one 4-partition topic, its leaders
// spread over the brokers the same way every time (1, 2, 3, 1).
class BenchCluster {
public:
    static constexpr int brokers = 3;
    static constexpr int partitions = 4;

    BenchCluster();
    ~BenchCluster();
    BenchCluster(const BenchCluster&) = delete;
    BenchCluster& operator=(const BenchCluster&) = delete;

    const std::string& bootstrap_servers() const noexcept { return mock_->bootstrap_servers(); }
    const std::string& topic() const noexcept { return topic_; }

private:
    std::unique_ptr<testing::MockCluster> mock_;
    // Longer than std::string's inline buffer, as real topic names are.
    std::string topic_ = "bench.payments-settled.v1";
};

// relkafka's defaults, plus what the mock's timing needs, plus `extra`.
ProducerConfig facade_config(const std::string& bootstrap, const Overrides& extra = {});

// A raw librdkafka producer with the properties relkafka derives from its
// defaults, written out by hand, plus the same overrides as facade_config.
class RawProducer {
public:
    using DeliveryReport = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void*);

    RawProducer(const std::string& bootstrap, const Overrides& extra, DeliveryReport on_delivery,
                void* opaque);
    ~RawProducer();
    RawProducer(const RawProducer&) = delete;
    RawProducer& operator=(const RawProducer&) = delete;

    rd_kafka_t* get() const noexcept { return rk_; }

private:
    rd_kafka_t* rk_ = nullptr;
};

// Properties whose values differ between two clients' effective librdkafka
// configurations (callback pointers and opaque excluded), as "key: a vs b".
// `compared` receives how many properties were compared.
std::vector<std::string> config_differences(rd_kafka_t* facade, rd_kafka_t* raw,
                                            std::size_t& compared);

// Sends a few messages to every partition and waits for them, so that
// metadata, broker connections and the producer id are in place before
// anything is timed. Throws if a warm-up message fails.
void warm_up(Producer& producer, const std::string& topic);
void warm_up(rd_kafka_t* rk, const std::string& topic);

// Queues one copied value (RD_KAFKA_MSG_F_COPY), by default to the
// partitioner's choice.
rd_kafka_resp_err_t raw_try_produce(rd_kafka_t* rk, const std::string& topic,
                                    const std::string& value,
                                    std::int32_t partition = RD_KAFKA_PARTITION_UA);

// raw_try_produce(), serving delivery reports on the calling thread while
// librdkafka's queue is full; throws on any other error.
void raw_produce(rd_kafka_t* rk, const std::string& topic, const std::string& value,
                 std::int32_t partition = RD_KAFKA_PARTITION_UA);

}  // namespace relkafka::bench
