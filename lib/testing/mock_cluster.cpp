#include "relkafka/testing/mock_cluster.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "detail/errors.hpp"
#include "detail/handles.hpp"

namespace relkafka::testing {

namespace {

struct MockDeleter {
    void operator()(rd_kafka_mock_cluster_t* cluster) const noexcept {
        rd_kafka_mock_cluster_destroy(cluster);
    }
};

void check(rd_kafka_resp_err_t err, const std::string& call) {
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(fmt::format("MockCluster::{}: {}", call, rd_kafka_err2str(err)));
    }
}

}  // namespace

struct MockCluster::State {
    // Declared first so it is destroyed last: the cluster runs on this
    // handle's threads and must go before it.
    detail::KafkaHandle host;
    std::unique_ptr<rd_kafka_mock_cluster_t, MockDeleter> cluster;
    std::string bootstrap_servers;
    int broker_count = 0;

    void check_broker(std::int32_t broker_id, const char* call) const {
        if (broker_id < 1 || broker_id > broker_count) {
            throw std::invalid_argument(fmt::format(
                "MockCluster::{}: broker {} does not exist; brokers are numbered 1..{}", call,
                broker_id, broker_count));
        }
    }
};

MockCluster::MockCluster(int broker_count) : state_(std::make_unique<State>()) {
    if (broker_count < 1) {
        throw std::invalid_argument(
            fmt::format("MockCluster: broker_count = {} must be at least 1", broker_count));
    }
    detail::ConfHandle conf(rd_kafka_conf_new());
    char errstr[512] = "";
    // The hosting handle never connects anywhere; silence its logs.
    rd_kafka_conf_set(conf.get(), "log_level", "0", errstr, sizeof errstr);
    state_->host.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
    if (!state_->host) {
        throw std::runtime_error(fmt::format("MockCluster: cannot create host handle: {}", errstr));
    }
    conf.release();
    state_->cluster.reset(rd_kafka_mock_cluster_new(state_->host.get(), broker_count));
    if (!state_->cluster) {
        throw std::runtime_error("MockCluster: librdkafka could not start the mock cluster");
    }
    state_->bootstrap_servers = rd_kafka_mock_cluster_bootstraps(state_->cluster.get());
    state_->broker_count = broker_count;
}

MockCluster::~MockCluster() = default;
MockCluster::MockCluster(MockCluster&&) noexcept = default;
MockCluster& MockCluster::operator=(MockCluster&&) noexcept = default;

const std::string& MockCluster::bootstrap_servers() const noexcept { return state_->bootstrap_servers; }

int MockCluster::broker_count() const noexcept { return state_->broker_count; }

void MockCluster::create_topic(const std::string& topic, int partitions, int replication_factor) {
    if (partitions < 1 || replication_factor < 1 || replication_factor > state_->broker_count) {
        throw std::invalid_argument(fmt::format(
            "MockCluster::create_topic(\"{}\"): need partitions >= 1 and replication factor "
            "1..{} (the broker count), got {} and {}",
            topic, state_->broker_count, partitions, replication_factor));
    }
    check(rd_kafka_mock_topic_create(state_->cluster.get(), topic.c_str(), partitions,
                                     replication_factor),
          fmt::format("create_topic(\"{}\")", topic));
}

void MockCluster::broker_down(std::int32_t broker_id) {
    state_->check_broker(broker_id, "broker_down");
    check(rd_kafka_mock_broker_set_down(state_->cluster.get(), broker_id), "broker_down");
}

void MockCluster::broker_up(std::int32_t broker_id) {
    state_->check_broker(broker_id, "broker_up");
    check(rd_kafka_mock_broker_set_up(state_->cluster.get(), broker_id), "broker_up");
}

void MockCluster::set_broker_rtt(std::int32_t broker_id, std::chrono::milliseconds rtt) {
    state_->check_broker(broker_id, "set_broker_rtt");
    check(rd_kafka_mock_broker_set_rtt(state_->cluster.get(), broker_id,
                                       static_cast<int>(rtt.count())),
          "set_broker_rtt");
}

void MockCluster::set_partition_leader(const std::string& topic, std::int32_t partition,
                                       std::int32_t broker_id) {
    state_->check_broker(broker_id, "set_partition_leader");
    check(rd_kafka_mock_partition_set_leader(state_->cluster.get(), topic.c_str(), partition,
                                             broker_id),
          fmt::format("set_partition_leader(\"{}\", {})", topic, partition));
}

void MockCluster::set_coordinator(const std::string& key_type, const std::string& key,
                                  std::int32_t broker_id) {
    if (key_type != "group" && key_type != "transaction") {
        throw std::invalid_argument(fmt::format(
            "MockCluster::set_coordinator: key_type \"{}\" must be \"group\" or \"transaction\"",
            key_type));
    }
    state_->check_broker(broker_id, "set_coordinator");
    check(rd_kafka_mock_coordinator_set(state_->cluster.get(), key_type.c_str(), key.c_str(),
                                        broker_id),
          "set_coordinator");
}

void MockCluster::push_request_errors(ApiKey api, const std::vector<ErrorCode>& errors) {
    std::vector<rd_kafka_resp_err_t> native;
    native.reserve(errors.size());
    for (ErrorCode code : errors) {
        native.push_back(detail::to_native(code));
    }
    rd_kafka_mock_push_request_errors_array(state_->cluster.get(), static_cast<std::int16_t>(api),
                                            native.size(), native.data());
}

void MockCluster::push_broker_request_errors(std::int32_t broker_id, ApiKey api,
                                             const std::vector<InjectedError>& errors) {
    state_->check_broker(broker_id, "push_broker_request_errors");
    // librdkafka takes (error, rtt) pairs as variadic arguments only.
    for (const InjectedError& e : errors) {
        check(rd_kafka_mock_broker_push_request_error_rtts(
                  state_->cluster.get(), broker_id, static_cast<std::int16_t>(api), 1,
                  detail::to_native(e.code), static_cast<int>(e.rtt.count())),
              "push_broker_request_errors");
    }
}

std::size_t MockCluster::pending_broker_request_errors(std::int32_t broker_id, ApiKey api) const {
    state_->check_broker(broker_id, "pending_broker_request_errors");
    std::size_t count = 0;
    check(rd_kafka_mock_broker_error_stack_cnt(state_->cluster.get(), broker_id,
                                               static_cast<std::int16_t>(api), &count),
          "pending_broker_request_errors");
    return count;
}

void MockCluster::clear_request_errors(ApiKey api) {
    rd_kafka_mock_clear_request_errors(state_->cluster.get(), static_cast<std::int16_t>(api));
}

void MockCluster::set_topic_error(const std::string& topic, ErrorCode code) {
    rd_kafka_mock_topic_set_error(state_->cluster.get(), topic.c_str(), detail::to_native(code));
}

}  // namespace relkafka::testing
