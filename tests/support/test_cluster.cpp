#include "test_cluster.hpp"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "relkafka/producer.hpp"

namespace relkafka::test {

namespace {

// Time, process and a counter: unique across runs, and across test
// processes started in the same millisecond (ctest -j).
std::string unique_suffix() {
    static std::atomic<int> counter{0};
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) + "-" +
           std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

// CreateTopics on a real cluster through librdkafka's admin API.
void create_real_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                       int replication_factor) {
    char errstr[512] = "";
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == nullptr) {
        throw std::runtime_error(std::string("admin client: ") + errstr);
    }
    rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), partitions,
                                                           replication_factor, errstr, sizeof errstr);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &new_topic, 1, nullptr, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
    std::string failure;
    if (event == nullptr) {
        failure = "CreateTopics timed out";
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure = rd_kafka_event_error_string(event);
    } else {
        size_t count = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
        for (size_t i = 0; i < count; ++i) {
            const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                failure = rd_kafka_err2str(err);
            }
        }
    }
    if (event != nullptr) {
        rd_kafka_event_destroy(event);
    }
    rd_kafka_NewTopic_destroy(new_topic);
    rd_kafka_queue_destroy(queue);
    rd_kafka_destroy(rk);
    if (!failure.empty()) {
        throw std::runtime_error("create topic " + topic + ": " + failure);
    }
}

}  // namespace

TestCluster::TestCluster(int mock_brokers) {
    if (const char* real = std::getenv("RELKAFKA_TEST_BROKERS"); real != nullptr && *real != '\0') {
        bootstrap_ = real;
    } else {
        mock_ = std::make_unique<testing::MockCluster>(mock_brokers);
        bootstrap_ = mock_->bootstrap_servers();
    }
}

int TestCluster::replication_factor() const {
    if (mock_) {
        return mock_->broker_count();
    }
    const char* configured = std::getenv("RELKAFKA_TEST_REPLICATION_FACTOR");
    return configured != nullptr ? std::atoi(configured) : 1;
}

std::string TestCluster::create_topic(std::string_view prefix, int partitions,
                                      int replication_factor) {
    std::string topic = std::string(prefix) + "-" + unique_suffix();
    if (mock_) {
        mock_->create_topic(topic, partitions, replication_factor);
    } else {
        create_real_topic(bootstrap_, topic, partitions, replication_factor);
    }
    return topic;
}

std::string TestCluster::group(std::string_view prefix) {
    std::string name = std::string(prefix) + "-" + unique_suffix();
    groups_.insert(name);
    return name;
}

ProducerConfig TestCluster::producer_config() const {
    ProducerConfig config;
    config.bootstrap_servers = bootstrap_;
    // The mock's reconnect backoff otherwise grows to seconds after a few
    // forced disconnects.
    config.overrides["reconnect.backoff.max.ms"] = "1000";
    config.overrides["log_level"] = "2";
    return config;
}

ConsumerConfig TestCluster::consumer_config(const std::string& group, const std::string& topic) const {
    if (groups_.count(group) == 0) {
        throw std::invalid_argument("TestCluster::consumer_config: group \"" + group +
                                    "\" was not made by TestCluster::group(); a fixed group id "
                                    "stalls the next run on a real cluster");
    }
    ConsumerConfig config;
    config.bootstrap_servers = bootstrap_;
    config.group_id = group;
    config.topics = {topic};
    // MOCK_CLUSTER.md: group timing that keeps joins and departures quick.
    config.overrides["session.timeout.ms"] = "6000";
    config.overrides["heartbeat.interval.ms"] = "500";
    config.overrides["fetch.wait.max.ms"] = "20";
    config.overrides["reconnect.backoff.max.ms"] = "1000";
    config.overrides["log_level"] = "2";
    return config;
}

void TestCluster::produce_stream(testing::StreamAudit& audit, int count) const {
    Producer producer(producer_config());
    for (int n = 0; n < count; ++n) {
        producer.send(audit.message(n), audit.on_delivery(n));
    }
    if (producer.flush(std::chrono::seconds(60)) || !audit.failures().empty()) {
        throw std::runtime_error("produce_stream: not every message was delivered");
    }
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return done();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace relkafka::test
