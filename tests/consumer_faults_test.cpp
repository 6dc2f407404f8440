// Consumer faults: rebalances mid-stream, a consumer that dies without
// closing, and offset commits the broker refuses. Every record of the
// stream is accounted for: processed at least once, and how often twice.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <librdkafka/rdkafka.h>

#include "consume.hpp"
#include "handled_log.hpp"
#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"
#include "relkafka/testing/stream_audit.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using relkafka::Consumer;
using relkafka::ErrorCode;
using relkafka::Record;
using relkafka::testing::ApiKey;
using relkafka::testing::StreamAudit;
using relkafka::test::consume;
using relkafka::test::HandledLog;
using relkafka::test::TestCluster;

namespace {

// The group's committed offsets, as its members report them; thread-safe.
class GroupCommits {
public:
    void record(const relkafka::CommitResult& result) {
        if (result.error) {
            return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& o : result.offsets) {
            auto& next = next_[o.partition];
            next = std::max(next, o.offset);
        }
    }
    // Records committed: offsets run from 0 in every partition.
    std::int64_t total() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::int64_t sum = 0;
        for (const auto& [partition, next] : next_) {
            sum += next;
        }
        return sum;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::int32_t, std::int64_t> next_;
};

// A group member running Consumer::run() on its own thread.
class Member {
public:
    Member(relkafka::ConsumerConfig config, HandledLog& log, GroupCommits& commits)
        : consumer_(with_listeners(std::move(config), commits)), thread_([this, &log] {
              consumer_.run([&log](const Record& r) { log.add(r); }, stop_);
          }) {}
    ~Member() { leave(); }
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

    int partitions() const { return partitions_.load(); }
    bool running() const { return thread_.joinable(); }

    // Stops the loop, then closes: commits and leaves the group.
    void leave() {
        if (thread_.joinable()) {
            stop_ = true;
            thread_.join();
            consumer_.close();
            partitions_ = 0;
        }
    }

private:
    relkafka::ConsumerConfig with_listeners(relkafka::ConsumerConfig config, GroupCommits& commits) {
        config.on_commit = [&commits](const relkafka::CommitResult& r) { commits.record(r); };
        config.on_rebalance = [this](const relkafka::RebalanceEvent& e) {
            const int n = static_cast<int>(e.partitions.size());
            partitions_ += e.assigned ? n : -n;
        };
        return config;
    }

    std::atomic<bool> stop_{false};
    std::atomic<int> partitions_{0};
    Consumer consumer_;
    std::thread thread_;
};

constexpr int group_partitions = 6;
constexpr int group_stream = 6000;

// CooperativeSticky is refused below librdkafka 2.10.0 (see GroupProtocol).
bool protocol_supported(relkafka::GroupProtocol protocol) {
    return protocol == relkafka::GroupProtocol::Eager || rd_kafka_version() >= 0x020a0000;
}

const char* protocol_name(relkafka::GroupProtocol protocol) {
    return protocol == relkafka::GroupProtocol::CooperativeSticky ? "cooperative-sticky" : "eager";
}

// Two members consume a stream produced in three parts; after the first part
// a third member joins, after the second the first member leaves.
// `settle(records_so_far, members, commits)` runs once the group is first
// formed and before and after each change, with the members of that moment.
using Settle = std::function<void(std::int64_t, const std::vector<Member*>&, const GroupCommits&)>;

void stream_through_membership_changes(TestCluster& cluster, relkafka::GroupProtocol protocol,
                                       HandledLog& handled, const Settle& settle) {
    const auto topic = cluster.create_topic("rebalance", group_partitions, 1);
    auto config = cluster.consumer_config(cluster.group(protocol_name(protocol)), topic);
    config.protocol = protocol;
    config.commit = relkafka::AsyncThenSync{};

    StreamAudit audit(topic);
    GroupCommits commits;
    auto first = std::make_unique<Member>(config, handled, commits);
    Member second(config, handled, commits);
    std::unique_ptr<Member> third;
    auto members = [&] {
        std::vector<Member*> current{&second};
        for (Member* m : {first.get(), third.get()}) {
            if (m != nullptr && m->running()) {
                current.push_back(m);
            }
        }
        return current;
    };
    relkafka::Producer producer(cluster.producer_config());
    settle(0, members(), commits);  // the group forms
    for (int step = 0; step < 3; ++step) {
        const std::int64_t so_far = (step + 1) * group_stream / 3;
        for (std::int64_t n = step * group_stream / 3; n < so_far; ++n) {
            producer.send(audit.message(n), audit.on_delivery(n));
        }
        REQUIRE_FALSE(producer.flush(30s));
        if (step == 2) {
            break;
        }
        settle(so_far, members(), commits);
        if (step == 0) {
            third = std::make_unique<Member>(config, handled, commits);
        } else {
            first->leave();
        }
        settle(so_far, members(), commits);
    }
    REQUIRE(audit.failures().empty());
    REQUIRE(relkafka::test::wait_until([&] { return handled.unique() == group_stream; }, 60s));
    second.leave();
    third->leave();
}

}  // namespace

TEST_CASE("members join and leave while records flow: no record is lost") {
    const auto protocol = GENERATE(relkafka::GroupProtocol::Eager,
                                   relkafka::GroupProtocol::CooperativeSticky);
    INFO(protocol_name(protocol));
    if (!protocol_supported(protocol)) {
        // Not the skip marker: it would mark the eager run skipped too.
        std::cout << "cooperative-sticky not run: librdkafka " << rd_kafka_version_str()
                  << " has #4059 and #4312, and the consumer refuses it" << std::endl;
        return;
    }
    TestCluster cluster;
    HandledLog handled;
    // The group changes while the previous part is still being processed.
    stream_through_membership_changes(cluster, protocol, handled,
                                      [](std::int64_t, const std::vector<Member*>&, const GroupCommits&) {});

    std::cout << protocol_name(protocol) << ", changes while records flow: processed "
              << handled.unique() << " records, " << handled.duplicates() << " twice" << std::endl;
    CHECK(handled.missing(group_stream) == 0);
    if (cluster.is_real()) {
        // Commit before revoke: nothing processed is processed again.
        CHECK(handled.duplicates() == 0);
    } else {
        std::cout << "zero duplicates while records flow is asserted only on a real cluster: the "
                     "2.0.2 mock refuses OffsetCommit while any member rejoins (JOINING/SYNCING), "
                     "which races the revoking member's commit"
                  << std::endl;
    }
}

TEST_CASE("partitions handed over between batches resume exactly at the committed offset") {
    const auto protocol = GENERATE(relkafka::GroupProtocol::Eager,
                                   relkafka::GroupProtocol::CooperativeSticky);
    INFO(protocol_name(protocol));
    if (!protocol_supported(protocol)) {
        // Not the skip marker: it would mark the eager run skipped too.
        std::cout << "cooperative-sticky not run: librdkafka " << rd_kafka_version_str()
                  << " has #4059 and #4312, and the consumer refuses it" << std::endl;
        return;
    }
    TestCluster cluster;
    HandledLog handled;
    // Each part is processed and committed, and the assignment settled,
    // before the group changes: the hand-over itself must not repeat records.
    stream_through_membership_changes(
        cluster, protocol, handled,
        [&](std::int64_t so_far, const std::vector<Member*>& members, const GroupCommits& commits) {
            auto assigned = [&] {
                int total = 0;
                for (const Member* m : members) {
                    total += m->partitions();
                }
                return total;
            };
            auto everyone = [&] {
                return std::all_of(members.begin(), members.end(),
                                   [](const Member* m) { return m->partitions() > 0; });
            };
            const bool settled = relkafka::test::wait_until(
                [&] {
                    return handled.unique() == static_cast<std::size_t>(so_far) &&
                           commits.total() == so_far && assigned() == group_partitions && everyone();
                },
                60s);
            INFO("records " << so_far << ": processed " << handled.unique() << ", committed "
                            << commits.total() << ", partitions assigned " << assigned() << " over "
                            << members.size() << " members");
            REQUIRE(settled);
        });

    std::cout << protocol_name(protocol) << ", changes between batches: processed "
              << handled.unique() << " records, " << handled.duplicates() << " twice" << std::endl;
    CHECK(handled.missing(group_stream) == 0);
    CHECK(handled.duplicates() == 0);
}

TEST_CASE("a consumer killed without close: what it processed since its last commit is redelivered") {
    TestCluster cluster;
    const auto topic = cluster.create_topic("killed", 4, 1);
    StreamAudit audit(topic);
    constexpr int count = 1000, crash_after = 430, every = 100;
    cluster.produce_stream(audit, count);
    const std::string group = cluster.group("killed");

    // The victim runs in its own process and dies there.
    const std::string command = std::string(RELKAFKA_CRASHING_CONSUMER) + " " +
                                cluster.bootstrap_servers() + " " + group + " " + topic + " " +
                                std::to_string(crash_after) + " " + std::to_string(every);
    std::FILE* victim = popen(command.c_str(), "r");
    REQUIRE(victim != nullptr);
    std::map<std::int32_t, std::int64_t> committed;            // partition -> next offset
    std::map<std::int32_t, std::set<std::int64_t>> processed;  // partition -> offsets
    char line[256];
    while (std::fgets(line, sizeof line, victim) != nullptr) {
        std::istringstream in(line);
        std::string what;
        std::int32_t partition = -1;
        std::int64_t offset = -1;
        in >> what >> partition >> offset;
        if (what == "committed") {
            committed[partition] = std::max(committed[partition], offset);
        } else if (what == "processed") {
            processed[partition].insert(offset);
        }
    }
    REQUIRE(pclose(victim) == 0);
    std::size_t victim_processed = 0;
    for (const auto& [partition, offsets] : processed) {
        victim_processed += offsets.size();
    }
    REQUIRE(victim_processed == crash_after);

    // The survivor starts where the victim last committed, per partition.
    HandledLog survivor;
    std::size_t expected = 0;
    for (const auto& [partition, offsets] : processed) {
        const auto it = committed.find(partition);
        const std::int64_t from = it == committed.end() ? 0 : it->second;
        for (std::int64_t o : offsets) {
            expected += o < from ? 1 : 0;
        }
    }
    expected = count - expected;  // everything not covered by a commit
    Consumer consumer(cluster.consumer_config(group, topic));
    consume(consumer, survivor, [&] { return survivor.total() >= expected; });
    consumer.close();

    std::size_t redelivered = 0;
    for (const auto& [partition, offsets] : processed) {
        const auto it = committed.find(partition);
        const std::int64_t from = it == committed.end() ? 0 : it->second;
        const auto first = survivor.first_offsets();
        if (first.count(partition) != 0) {  // else the victim had finished it
            CHECK(first.at(partition) == from);
        }
        for (std::int64_t o : offsets) {
            redelivered += o >= from ? 1 : 0;
        }
    }
    std::cout << "victim processed " << victim_processed << ", committed through "
              << (victim_processed - redelivered) << "; survivor processed " << survivor.total()
              << " of which " << redelivered << " redelivered" << std::endl;
    CHECK(survivor.total() == expected);
    CHECK(survivor.duplicates() == 0);
    CHECK(redelivered > 0);  // the crash came between commits
    // No record lost: the survivor plus what the victim committed is everything.
    CHECK(survivor.unique() + (victim_processed - redelivered) == count);
}

namespace {

constexpr int commit_stream = 1000;

// A consumer processes half the stream while the group coordinator (broker
// 1) refuses the OffsetCommit requests `errors` from the 150th record on,
// and closes; a second consumer in the group then processes the rest. The
// second must start exactly where the first stopped.
std::vector<relkafka::CommitResult> process_through_commit_errors(
    TestCluster& cluster, relkafka::CommitPolicy policy,
    const std::vector<relkafka::testing::InjectedError>& errors, relkafka::ConsumerCounters& counters) {
    const auto topic = cluster.create_topic("commit-errors", 4, 1);
    StreamAudit audit(topic);
    cluster.produce_stream(audit, commit_stream);
    const std::string group = cluster.group("commit-errors");
    cluster.mock()->set_coordinator("group", group, 1);

    auto config = cluster.consumer_config(group, topic);
    config.commit = policy;
    std::vector<relkafka::CommitResult> results;
    config.on_commit = [&](const relkafka::CommitResult& r) { results.push_back(r); };
    HandledLog first, second;
    {
        Consumer consumer(config);
        consume(
            consumer, first, [&] { return first.total() == commit_stream / 2; }, 60s,
            [&] {
                if (first.total() == 150) {
                    cluster.mock()->push_broker_request_errors(1, ApiKey::OffsetCommit, errors);
                }
            });
        consumer.close();
        counters = consumer.counters();  // close() serves the last commit results
    }
    CHECK(cluster.mock()->pending_broker_request_errors(1, ApiKey::OffsetCommit) == 0);
    {
        config.on_commit = nullptr;
        Consumer consumer(config);
        consume(consumer, second, [&] { return second.total() >= commit_stream - first.total(); });
    }
    CHECK(first.unique() + second.unique() == commit_stream);
    CHECK(second.missing(commit_stream) == first.unique());
    return results;
}

}  // namespace

TEST_CASE("a sync commit refused with retriable errors is retried and succeeds") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    relkafka::ConsumerCounters counters;
    const auto results = process_through_commit_errors(
        cluster, relkafka::SyncCommit{100, 5, 50ms},
        {{ErrorCode::RequestTimedOut, 0ms}, {ErrorCode::CoordinatorNotAvailable, 0ms}}, counters);
    std::cout << "sync commits " << counters.commits << ", retried by relkafka "
              << counters.commit_retries << ", failed " << counters.commits_failed << std::endl;
    CHECK(counters.commits_failed == 0);
    REQUIRE_FALSE(results.empty());
    for (const auto& r : results) {
        CHECK(r.synchronous);
        CHECK_FALSE(r.error);
    }
}

TEST_CASE("a failed async commit is reported and repaired by the next one") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    relkafka::ConsumerCounters counters;
    const auto results = process_through_commit_errors(
        cluster, relkafka::AsyncCommit{100}, {{ErrorCode::RebalanceInProgress, 0ms}}, counters);
    const auto failed = std::find_if(results.begin(), results.end(),
                                     [](const relkafka::CommitResult& r) { return bool(r.error); });
    REQUIRE(failed != results.end());
    CHECK_FALSE(failed->synchronous);
    CHECK(failed->error.code() == ErrorCode::RebalanceInProgress);
    // Repaired: a commit that succeeded covers every offset of the failed one.
    // Its report may come first: at close the revocation's sync commit is
    // answered on a queue of its own, ahead of the async result.
    for (const auto& lost : failed->offsets) {
        CHECK(std::any_of(results.begin(), results.end(), [&](const relkafka::CommitResult& r) {
            return !r.error && std::any_of(r.offsets.begin(), r.offsets.end(), [&](const auto& o) {
                       return o.partition == lost.partition && o.offset >= lost.offset;
                   });
        }));
    }
    CHECK(counters.commits_failed >= 1);
}

TEST_CASE("AtMostOnce hands out no batch whose commit failed") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const auto topic = cluster.create_topic("amo-commit-errors", 4, 1);
    StreamAudit audit(topic);
    cluster.produce_stream(audit, commit_stream);
    const std::string group = cluster.group("amo-commit-errors");
    cluster.mock()->set_coordinator("group", group, 1);

    auto config = cluster.consumer_config(group, topic);
    config.commit = relkafka::AtMostOnce{};
    config.max_batch = 50;
    std::vector<relkafka::CommitResult> results;
    config.on_commit = [&](const relkafka::CommitResult& r) { results.push_back(r); };
    HandledLog first, second;
    {
        Consumer consumer(config);
        // Whole batches: under AtMostOnce a batch handed out is committed.
        auto take_batches_until = [&](std::size_t count) {
            const auto until = std::chrono::steady_clock::now() + 60s;
            while (first.total() < count && std::chrono::steady_clock::now() < until) {
                for (const Record& r : consumer.poll(100ms)) {
                    first.add(r);
                }
            }
        };
        take_batches_until(1);
        const std::size_t handed_out = first.total();
        // The next commit is refused: that batch must not reach the handler.
        cluster.mock()->push_broker_request_errors(1, ApiKey::OffsetCommit,
                                                   {{ErrorCode::RebalanceInProgress, 0ms}});
        const auto refused = consumer.poll(5s);
        REQUIRE(std::any_of(results.begin(), results.end(),
                            [](const relkafka::CommitResult& r) { return bool(r.error); }));
        CHECK(refused.empty());
        // Then the same records come again, once their commit succeeds.
        take_batches_until(handed_out + 100);
        consumer.close();  // commits nothing more: what was handed out is committed
    }
    {
        config.on_commit = nullptr;
        Consumer consumer(config);
        consume(consumer, second, [&] { return second.total() >= commit_stream - first.total(); });
    }
    CHECK(first.duplicates() == 0);
    CHECK(second.duplicates() == 0);
    CHECK(first.unique() + second.unique() == commit_stream);
    CHECK(second.missing(commit_stream) == first.unique());  // no record seen by both
}

// librdkafka 2.0.2 takes a commit refused with ILLEGAL_GENERATION for a lost
// assignment (rdkafka_cgrp.c, OffsetCommit error handling): it revokes
// everything and rejoins. On a real cluster cooperative members meet this on
// ordinary rebalances (librdkafka #4059), which is why the consumer refuses
// cooperative-sticky there; here the refusal is injected, to show what the
// consumer then does: it says the partitions were lost, commits nothing for
// them, and exactly the records processed since the last commit repeat.
TEST_CASE("a commit refused with ILLEGAL_GENERATION: the assignment is reported lost and only "
          "the uncommitted records repeat") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    constexpr int count = 400;
    constexpr std::size_t committed = 100, uncommitted = 50;  // records
    const auto topic = cluster.create_topic("illegal-generation", 2, 1);
    StreamAudit audit(topic);
    cluster.produce_stream(audit, count);

    auto config = cluster.consumer_config(cluster.group("illegal-generation"), topic);
    config.commit = relkafka::SyncCommit{1000000, 1, 0ms};  // only when asked
    std::mutex mutex;
    std::vector<relkafka::RebalanceEvent> rebalances;
    std::vector<relkafka::Error> errors;
    std::vector<std::string> warnings;
    config.on_rebalance = [&](const relkafka::RebalanceEvent& e) {
        std::lock_guard<std::mutex> lock(mutex);
        rebalances.push_back(e);
    };
    config.on_error = [&](const relkafka::Error& e) {
        std::lock_guard<std::mutex> lock(mutex);
        errors.push_back(e);
    };
    config.on_log = [&](relkafka::LogLevel level, std::string_view line) {
        if (level >= relkafka::LogLevel::Warning) {
            std::lock_guard<std::mutex> lock(mutex);
            warnings.emplace_back(line);
        }
    };
    std::map<std::int32_t, std::int64_t> committed_at;  // next offset, per partition
    config.on_commit = [&](const relkafka::CommitResult& r) {
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& o : r.offsets) {
            if (!r.error) {
                committed_at[o.partition] = std::max(committed_at[o.partition], o.offset);
            }
        }
    };
    HandledLog handled;
    Consumer consumer(config);
    consume(consumer, handled, [&] { return handled.total() == committed; });
    REQUIRE_FALSE(consumer.commit());
    // Records processed and not committed, as the consumer tracks them (a
    // rebalance of the mock's own between the steps would reset them).
    auto processed_uncommitted = [&] {
        std::lock_guard<std::mutex> lock(mutex);
        std::int64_t n = 0;
        for (const auto& p : consumer.assignment()) {
            const auto it = committed_at.find(p.partition);
            n += std::max<std::int64_t>(0, p.offset - (it == committed_at.end() ? 0 : it->second));
        }
        return n;
    };
    consume(consumer, handled, [&] { return handled.total() == committed + uncommitted; });
    const std::int64_t expected_repeats = processed_uncommitted();
    if (expected_repeats != static_cast<std::int64_t>(uncommitted)) {
        // The mock's group rebalanced on its own between the steps (its first
        // joins can take two rounds), which commits or resets what is tracked.
        RELKAFKA_SKIP("the mock rebalanced the group mid-scenario: " +
                      std::to_string(expected_repeats) + " records uncommitted instead of " +
                      std::to_string(uncommitted));
    }
    const std::size_t repeated_before = handled.duplicates();

    cluster.mock()->push_request_errors(ApiKey::OffsetCommit, {ErrorCode::IllegalGeneration});
    const relkafka::Error refused = consumer.commit();
    CHECK(refused.code() == ErrorCode::IllegalGeneration);
    consume(consumer, handled, [&] { return handled.unique() == count; });

    std::cout << "after ILLEGAL_GENERATION: processed " << handled.unique() << " records, "
              << handled.duplicates() - repeated_before << " of the " << expected_repeats
              << " uncommitted twice" << std::endl;
    CHECK(handled.missing(count) == 0);
    CHECK(handled.duplicates() - repeated_before == static_cast<std::size_t>(expected_repeats));
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(std::any_of(rebalances.begin(), rebalances.end(), [](const relkafka::RebalanceEvent& e) {
        return !e.assigned && e.lost && e.partitions.size() == 2;
    }));
    CHECK(std::any_of(errors.begin(), errors.end(), [&](const relkafka::Error& e) {
        return e.code() == ErrorCode::AssignmentLost &&
               e.message().find(topic + "[") != std::string::npos;
    }));
    CHECK(std::any_of(warnings.begin(), warnings.end(), [](const std::string& line) {
        return line.find("sync commit of") != std::string::npos &&
               line.find("ILLEGAL_GENERATION") != std::string::npos;
    }));
}

// Error events and records used to share one queue: with a backlog
// prefetched, a broker's failure reached on_error only after every record
// fetched before it (96 s on a real cluster).
TEST_CASE("a client error reaches on_error at the next poll, not behind prefetched records") {
    TestCluster cluster(1);
    RELKAFKA_REQUIRE_MOCK(cluster);
    constexpr int count = 20000;
    const auto topic = cluster.create_topic("error-latency", 1, 1);
    StreamAudit audit(topic);
    cluster.produce_stream(audit, count);

    auto config = cluster.consumer_config(cluster.group("error-latency"), topic);
    config.max_batch = 10;
    config.close_timeout = 5s;
    std::atomic<int> errors{0};
    config.on_error = [&](const relkafka::Error&) { ++errors; };
    Consumer consumer(config);
    HandledLog handled;
    consume(consumer, handled, [&] { return handled.total() >= 10; });
    rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer.native_handle());
    const bool prefetched = relkafka::test::wait_until(
        [&] { return rd_kafka_queue_length(queue) >= 5000; }, 30s);
    const std::size_t backlog = rd_kafka_queue_length(queue);
    rd_kafka_queue_destroy(queue);
    REQUIRE(prefetched);

    cluster.mock()->broker_down(1);
    std::size_t polled = 0;
    const bool reported = relkafka::test::wait_until(
        [&] {
            for (const Record& r : consumer.poll(10ms)) {
                ++polled;
                consumer.mark_processed(r);
            }
            return errors.load() > 0;
        },
        30s);
    std::cout << "records prefetched " << backlog << ", handed out before on_error " << polled
              << std::endl;
    cluster.mock()->broker_up(1);
    REQUIRE(reported);
    CHECK(polled < backlog / 2);
}
