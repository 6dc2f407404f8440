// The exactly-once pipeline, A -> B. On the mock (no transaction markers, no
// stored transactional offsets) "exactly once" is checked where the mock can
// show it: every input's output is reported committed exactly once, whatever
// was aborted and redone. A read_committed reader of B and the group's
// committed offsets are checked against a real cluster.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "relkafka/consumer.hpp"
#include "relkafka/exactly_once_pipeline.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/testing/mock_cluster.hpp"
#include "relkafka/testing/topic_reader.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::Delivery;
using relkafka::Error;
using relkafka::ErrorCode;
using relkafka::ExactlyOncePipeline;
using relkafka::Message;
using relkafka::PipelineConfig;
using relkafka::Record;
using relkafka::testing::ApiKey;
using relkafka::test::TestCluster;
using relkafka::test::wait_until;

namespace {

constexpr int partitions = 4;

// Writes inputs 0..count-1 to `topic`, input n on partition n % partitions.
void produce_inputs(TestCluster& cluster, const std::string& topic, int from, int count) {
    relkafka::Producer producer(cluster.producer_config());
    std::atomic<int> failed{0};  // counted here: Catch's assertions are not for other threads
    for (int n = from; n < from + count; ++n) {
        Message m;
        m.topic = topic;
        m.value = std::to_string(n);
        m.partition = n % partitions;
        producer.send(std::move(m), [&failed](Delivery&& d) { failed += d.ok() ? 0 : 1; });
    }
    REQUIRE_FALSE(producer.flush(60s));
    REQUIRE(failed == 0);
}

// Where the pipeline's committed outputs are: their positions in B, from
// the on_output reports (a success carries no payload).
class CommittedOutputs {
public:
    relkafka::DeliveryCallback callback() {
        return [this](Delivery&& d) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (d.ok()) {
                positions_.push_back({d.partition, d.offset});
            } else {
                ++failed_;
            }
        };
    }
    std::size_t committed() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return positions_.size();
    }
    std::size_t failed() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return failed_;
    }
    // The inputs behind the committed outputs, per partition in offset order.
    std::map<int, std::vector<int>> inputs(const TestCluster& cluster, const std::string& topic) const {
        std::map<std::pair<int, std::int64_t>, int> log;
        for (const Record& r : relkafka::testing::read_topic(cluster.bootstrap_servers(), topic)) {
            log[{r.partition(), r.offset()}] = std::stoi(std::string(r.value().value_or("-1")));
        }
        std::lock_guard<std::mutex> lock(mutex_);
        std::map<std::pair<int, std::int64_t>, int> committed;
        for (const auto& p : positions_) {
            const auto it = log.find(p);
            committed[p] = it == log.end() ? -1 : it->second;
        }
        std::map<int, std::vector<int>> by_partition;
        for (const auto& [p, input] : committed) {
            by_partition[p.first].push_back(input);
        }
        return by_partition;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<int, std::int64_t>> positions_;
    std::size_t failed_ = 0;
};

// Every input 0..count-1 exactly once, in input order per partition.
void require_exactly_once(const std::map<int, std::vector<int>>& by_partition, int count) {
    std::map<int, int> seen;
    for (const auto& [partition, inputs] : by_partition) {
        INFO("partition " << partition);
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            ++seen[inputs[i]];
            CHECK(inputs[i] % partitions == partition);
            if (i > 0) {
                CHECK(inputs[i - 1] < inputs[i]);  // in order, nothing repeated
            }
        }
    }
    int missing = 0, repeated = 0;
    for (int n = 0; n < count; ++n) {
        missing += seen.count(n) == 0 ? 1 : 0;
        repeated += seen.count(n) != 0 && seen.at(n) > 1 ? 1 : 0;
    }
    CHECK(missing == 0);
    CHECK(repeated == 0);
    CHECK(seen.size() == static_cast<std::size_t>(count));
}

PipelineConfig pipeline_config(TestCluster& cluster, const std::string& group, const std::string& in,
                               const std::string& id) {
    PipelineConfig config;
    config.consumer = cluster.consumer_config(group, in);
    config.producer.producer = cluster.producer_config();
    config.producer.producer.retry.delivery_timeout = 30s;
    config.producer.transaction_timeout = 60s;
    config.producer.transactional_id = id;
    config.batch.max_records = 100;
    config.batch.max_time = 50ms;
    return config;
}

// out = "<input>" on the same partition number, so that per-partition order
// of B follows A's.
void copy_transform(const Record& in, std::vector<Message>& out, const std::string& topic) {
    Message m;
    m.topic = topic;
    m.value = std::string(in.value().value_or(""));
    m.partition = in.partition();
    out.push_back(std::move(m));
}

}  // namespace

namespace {

// Runs `pipeline` on a thread until `done` holds (or 60 s, or run() ended
// by itself), then stops it.
Error run_until(ExactlyOncePipeline& pipeline, const relkafka::Transform& transform,
                const std::function<bool()>& done) {
    std::atomic<bool> stop{false};
    std::atomic<bool> ended{false};
    Error result;
    std::thread runner([&] {
        result = pipeline.run(transform, stop);
        ended = true;
    });
    (void)wait_until([&] { return ended.load() || done(); }, 60s);
    stop = true;
    pipeline.wakeup();
    runner.join();
    return result;
}

}  // namespace

TEST_CASE("the pipeline commits each input's output exactly once") {
    TestCluster cluster;
    const std::string in = cluster.create_topic("eos-in", partitions, cluster.replication_factor());
    const std::string out = cluster.create_topic("eos-out", partitions, cluster.replication_factor());
    constexpr int count = 3000;
    produce_inputs(cluster, in, 0, count);
    CommittedOutputs outputs;
    PipelineConfig config = pipeline_config(cluster, cluster.group("eos"), in, cluster.group("eos-id"));
    config.on_output = outputs.callback();
    ExactlyOncePipeline pipeline(config);
    const Error e = run_until(
        pipeline, [&](const Record& r, std::vector<Message>& o) { copy_transform(r, o, out); },
        [&] { return outputs.committed() >= count; });
    INFO(e.to_string());
    REQUIRE_FALSE(e);
    const auto counters = pipeline.counters();
    CHECK(counters.records == count);
    CHECK(counters.outputs == count);
    CHECK(counters.aborted == 0);
    CHECK(counters.committed >= count / 100);
    CHECK(outputs.failed() == 0);
    require_exactly_once(outputs.inputs(cluster, out), count);
}

TEST_CASE("abortable errors abort the transaction and the batch is redone") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const std::string in = cluster.create_topic("eos-abort-in", partitions, cluster.replication_factor());
    const std::string out = cluster.create_topic("eos-abort-out", partitions, cluster.replication_factor());
    constexpr int count = 2000;
    produce_inputs(cluster, in, 0, count);
    CommittedOutputs outputs;
    PipelineConfig config = pipeline_config(cluster, cluster.group("eos-abort"), in, cluster.group("eos-abort-id"));
    config.on_output = outputs.callback();
    ExactlyOncePipeline pipeline(config);
    auto& mock = *cluster.mock();
    std::atomic<int> transformed{0};
    // Faults while the stream flows: each hits the transaction open then.
    std::thread faults([&] {
        const std::vector<std::pair<ApiKey, int>> plan = {
            {ApiKey::EndTxn, 49},             // INVALID_PRODUCER_ID_MAPPING: abortable
            {ApiKey::AddPartitionsToTxn, 29}, // TOPIC_AUTHORIZATION_FAILED: abortable
            {ApiKey::TxnOffsetCommit, 30},    // GROUP_AUTHORIZATION_FAILED: abortable
            {ApiKey::EndTxn, 15},             // COORDINATOR_NOT_AVAILABLE: retried inside
        };
        int step = 0;
        for (const auto& [api, code] : plan) {
            ++step;
            wait_until([&] { return transformed.load() >= step * count / 6; }, 30s);
            mock.push_request_errors(api, {static_cast<ErrorCode>(code)});
        }
    });
    const Error e = run_until(
        pipeline,
        [&](const Record& r, std::vector<Message>& o) {
            ++transformed;
            copy_transform(r, o, out);
        },
        [&] { return outputs.committed() >= count; });
    faults.join();
    INFO(e.to_string());
    REQUIRE_FALSE(e);
    const auto counters = pipeline.counters();
    CHECK(counters.aborted >= 1);
    CHECK(counters.redone >= 1);
    CHECK(counters.records == count + counters.redone);
    CHECK(outputs.failed() == counters.redone);  // each redone input's first output was aborted
    require_exactly_once(outputs.inputs(cluster, out), count);
}

TEST_CASE("a fenced pipeline stops with the error or recreates its producer per policy") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const std::string in = cluster.create_topic("eos-fenced-in", partitions, cluster.replication_factor());
    const std::string out = cluster.create_topic("eos-fenced-out", partitions, cluster.replication_factor());
    constexpr int count = 1000;
    produce_inputs(cluster, in, 0, count);
    CommittedOutputs outputs;
    PipelineConfig config = pipeline_config(cluster, cluster.group("eos-fenced"), in, cluster.group("eos-fenced-id"));
    config.on_output = outputs.callback();
    const bool recreate = GENERATE(false, true);
    config.on_fatal = recreate ? relkafka::OnFatalError::Recreate : relkafka::OnFatalError::Stop;
    ExactlyOncePipeline pipeline(config);
    std::atomic<int> transformed{0};
    const relkafka::Transform transform = [&](const Record& r, std::vector<Message>& o) {
        if (++transformed == count / 2) {
            cluster.mock()->push_request_errors(ApiKey::EndTxn, {ErrorCode::ProducerFenced});
        }
        copy_transform(r, o, out);
    };
    Error e = run_until(pipeline, transform, [&] { return outputs.committed() >= count; });
    if (recreate) {
        INFO(e.to_string());
        REQUIRE_FALSE(e);
        CHECK(pipeline.counters().recreated == 1);
    } else {
        REQUIRE(e);
        CHECK(e.fatal());
        CHECK(pipeline.counters().recreated == 0);
        CHECK(outputs.committed() < static_cast<std::size_t>(count));
        return;  // what follows needs the committed offsets, which the mock does not store
    }
    require_exactly_once(outputs.inputs(cluster, out), count);
}

TEST_CASE("a transform that throws aborts its transaction and the next run redoes the record") {
    TestCluster cluster;
    const std::string in = cluster.create_topic("eos-throw-in", partitions, cluster.replication_factor());
    const std::string out = cluster.create_topic("eos-throw-out", partitions, cluster.replication_factor());
    constexpr int count = 500;
    produce_inputs(cluster, in, 0, count);
    CommittedOutputs outputs;
    PipelineConfig config = pipeline_config(cluster, cluster.group("eos-throw"), in, cluster.group("eos-throw-id"));
    config.on_output = outputs.callback();
    ExactlyOncePipeline pipeline(config);
    std::atomic<bool> poisoned{true};
    const relkafka::Transform transform = [&](const Record& r, std::vector<Message>& o) {
        if (r.value() == std::string_view("250") && poisoned.exchange(false)) {
            throw std::runtime_error("cannot parse order 250");
        }
        copy_transform(r, o, out);
    };
    std::atomic<bool> stop{false};
    const Error first = pipeline.run(transform, stop);
    REQUIRE(first);
    CHECK_THAT(first.message(), Contains("cannot parse order 250") && Contains("offset") &&
                                    Contains("read again"));
    const Error second = run_until(pipeline, transform, [&] { return outputs.committed() >= count; });
    INFO(second.to_string());
    REQUIRE_FALSE(second);
    require_exactly_once(outputs.inputs(cluster, out), count);
}

TEST_CASE("bad pipeline settings are refused") {
    TestCluster cluster;
    PipelineConfig config = pipeline_config(cluster, cluster.group("eos-bad"), "in", "id");
    std::string expected;
    SECTION("read_uncommitted input") {
        config.consumer.isolation = relkafka::Isolation::ReadUncommitted;
        expected = "use Isolation::ReadCommitted";
    }
    SECTION("a batch time beyond the transaction timeout") {
        config.batch.max_time = 60s;
        expected = "batch.max_time = 60000 ms is out of range";
    }
    SECTION("no records per batch") {
        config.batch.max_records = 0;
        expected = "max_records";
    }
    SECTION("no transactional id") {
        config.producer.transactional_id.clear();
        expected = "transactional_id is empty";
    }
    CHECK_THROWS_AS(ExactlyOncePipeline(config), relkafka::ConfigError);
    CHECK_THROWS_WITH(ExactlyOncePipeline(config), Contains(expected));
}

namespace {

// What a read_committed reader of `topic` sees, by partition, as input numbers.
std::map<int, std::vector<int>> read_committed_inputs(TestCluster& cluster, const std::string& topic,
                                                      std::size_t expected) {
    relkafka::ConsumerConfig config = cluster.consumer_config(cluster.group("eos-reader"), topic);
    config.topics.clear();
    for (int p = 0; p < partitions; ++p) {
        config.partitions.push_back({topic, p, relkafka::offset_beginning});
    }
    relkafka::Consumer reader(config);
    std::map<int, std::vector<int>> seen;
    std::size_t count = 0;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (count < expected && std::chrono::steady_clock::now() < deadline) {
        for (const Record& r : reader.poll(200ms)) {
            seen[r.partition()].push_back(std::stoi(std::string(r.value().value_or("-1"))));
            ++count;
        }
    }
    for (const Record& r : reader.poll(2s)) {  // nothing more may come
        seen[r.partition()].push_back(std::stoi(std::string(r.value().value_or("-1"))));
    }
    return seen;
}

}  // namespace

TEST_CASE("on a real cluster the pipeline moves 100000 records exactly once through aborts and a rebalance") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_REAL(cluster, "the 2.0.2 mock writes no transaction markers and stores no "
                                   "transactional offsets");
    const std::string in = cluster.create_topic("eos-real-in", partitions, cluster.replication_factor());
    const std::string out = cluster.create_topic("eos-real-out", partitions, cluster.replication_factor());
    constexpr int count = 100000;
    produce_inputs(cluster, in, 0, count);
    const std::string group = cluster.group("eos-real");
    // Inputs that throw on their first attempt: about every 7th transaction aborts.
    std::mutex poisoned_mutex;
    std::set<int> poisoned;
    for (int n = 350; n < count; n += 700) {
        poisoned.insert(n);
    }
    std::atomic<int> transformed{0};
    const relkafka::Transform transform = [&](const Record& r, std::vector<Message>& o) {
        ++transformed;
        const int n = std::stoi(std::string(r.value().value_or("-1")));
        {
            std::lock_guard<std::mutex> lock(poisoned_mutex);
            if (poisoned.erase(n) != 0) {
                throw std::runtime_error("forced abort");
            }
        }
        copy_transform(r, o, out);
    };
    std::atomic<bool> stop{false};
    std::atomic<bool> second_stop{false};
    auto keep_running = [&](ExactlyOncePipeline& pipeline, std::atomic<bool>& halt) {
        while (!halt.load()) {
            const Error e = pipeline.run(transform, halt);
            if (e && e.message().find("forced abort") == std::string::npos) {
                FAIL_CHECK(e.to_string());
                return;
            }
        }
    };
    ExactlyOncePipeline first(pipeline_config(cluster, group, in, cluster.group("eos-real-a")));
    std::thread a([&] { keep_running(first, stop); });
    // A second member joins a third of the way and leaves at two thirds.
    REQUIRE(wait_until([&] { return transformed.load() >= count / 3; }, 120s));
    {
        ExactlyOncePipeline second(pipeline_config(cluster, group, in, cluster.group("eos-real-b")));
        std::thread b([&] { keep_running(second, second_stop); });
        REQUIRE(wait_until([&] { return transformed.load() >= 2 * count / 3; }, 120s));
        second_stop = true;
        second.wakeup();
        b.join();
    }
    // Done when the group's committed offsets reach the end of the input.
    relkafka::ConsumerConfig probe_config = cluster.consumer_config(group, in);
    probe_config.topics.clear();
    for (int p = 0; p < partitions; ++p) {
        probe_config.partitions.push_back({in, p, relkafka::offset_committed});
    }
    relkafka::Consumer probe(probe_config);
    const bool caught_up = wait_until(
        [&] {
            for (const auto& p : probe.progress(10s)) {
                if (p.error || p.committed != p.high) {
                    return false;
                }
            }
            return true;
        },
        180s);
    stop = true;
    first.wakeup();
    a.join();
    REQUIRE(caught_up);  // the group's committed offsets equal the end of A
    CHECK(poisoned.empty());
    const auto seen = read_committed_inputs(cluster, out, count);
    require_exactly_once(seen, count);  // every input once, in order, nothing aborted
}

TEST_CASE("a revocation commits the open transaction before the partitions go") {
    TestCluster cluster;
    const std::string in = cluster.create_topic("eos-revoke-in", partitions, cluster.replication_factor());
    const std::string out = cluster.create_topic("eos-revoke-out", partitions, cluster.replication_factor());
    constexpr int count = 200;
    produce_inputs(cluster, in, 0, count);
    CommittedOutputs outputs;
    const std::string group = cluster.group("eos-revoke");
    PipelineConfig config = pipeline_config(cluster, group, in, cluster.group("eos-revoke-id"));
    config.batch.max_records = 100000;  // only the revocation (or stop) ends the transaction
    config.batch.max_time = 50s;
    config.on_output = outputs.callback();
    ExactlyOncePipeline pipeline(config);
    std::atomic<int> transformed{0};
    std::atomic<bool> stop{false};
    Error result;
    std::thread runner([&] {
        result = pipeline.run(
            [&](const Record& r, std::vector<Message>& o) {
                ++transformed;
                copy_transform(r, o, out);
            },
            stop);
    });
    REQUIRE(wait_until([&] { return transformed.load() == count; }, 30s));
    CHECK(outputs.committed() == 0);  // the transaction is open
    // A second member joins: the group takes partitions from the first.
    relkafka::Consumer joiner(cluster.consumer_config(group, in));
    const bool committed = wait_until(
        [&] {
            (void)joiner.poll(100ms);
            return outputs.committed() == count;
        },
        30s);
    stop = true;
    pipeline.wakeup();
    runner.join();
    INFO(result.to_string());
    REQUIRE_FALSE(result);
    REQUIRE(committed);  // by the revocation, long before max_time
    CHECK(pipeline.counters().committed >= 1);
    require_exactly_once(outputs.inputs(cluster, out), count);
}
