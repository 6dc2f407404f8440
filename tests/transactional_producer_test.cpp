// The transactional producer: every message's report is held until its
// transaction ends, and each call's outcome says what to do next. The error
// paths are injected through the mock cluster, whose 2.0.2 version runs the
// transaction protocol but writes no transaction markers and fences nobody;
// visibility to read_committed readers and fencing are real-cluster tests.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "relkafka/consumer.hpp"
#include "relkafka/transactional_producer.hpp"
#include "relkafka/testing/mock_cluster.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::ConfigError;
using relkafka::Delivery;
using relkafka::ErrorCode;
using relkafka::Message;
using relkafka::Persistence;
using relkafka::TransactionalConfig;
using relkafka::TransactionalProducer;
using relkafka::TxnNext;
using relkafka::TxnResult;
using relkafka::UsageError;
using relkafka::testing::ApiKey;
using relkafka::test::TestCluster;
using relkafka::test::wait_until;

namespace {

// Every report, by message number: how often and with what.
class Reports {
public:
    relkafka::DeliveryCallback callback(int n) {
        return [this, n](Delivery&& d) {
            std::lock_guard<std::mutex> lock(mutex_);
            outcomes_[n].push_back(std::move(d));
        };
    }
    std::size_t count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::size_t total = 0;
        for (const auto& [n, list] : outcomes_) {
            total += list.size();
        }
        return total;
    }
    // Checks that messages [from, to) were each reported exactly once, all
    // with `code` (NoError: delivered), failures with their payload back.
    void require_each_once(int from, int to, ErrorCode code) const {
        std::lock_guard<std::mutex> lock(mutex_);
        for (int n = from; n < to; ++n) {
            const auto it = outcomes_.find(n);
            INFO("message " << n);
            REQUIRE(it != outcomes_.end());
            REQUIRE(it->second.size() == 1);
            const Delivery& d = it->second.front();
            CHECK(d.error.code() == code);
            if (code == ErrorCode::NoError) {
                CHECK(d.offset >= 0);
            } else {
                CHECK(d.message.value == std::to_string(n));
                CHECK(d.offset == -1);
            }
        }
        std::size_t total = 0;
        for (const auto& [n, list] : outcomes_) {
            total += list.size();
        }
        CHECK(total == static_cast<std::size_t>(to - from));
    }
    std::vector<Delivery> all() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Delivery> out;
        for (const auto& [n, list] : outcomes_) {
            out.insert(out.end(), list.begin(), list.end());
        }
        return out;
    }
    void clear() {
        std::lock_guard<std::mutex> lock(mutex_);
        outcomes_.clear();
    }

private:
    mutable std::mutex mutex_;
    std::map<int, std::vector<Delivery>> outcomes_;
};

TransactionalConfig txn_config(const TestCluster& cluster, const std::string& id) {
    TransactionalConfig config;
    config.producer = cluster.producer_config();
    config.producer.retry.delivery_timeout = 30s;
    config.transaction_timeout = 60s;
    config.producer.close_timeout = 10s;
    config.transactional_id = id;
    return config;
}

Message numbered(const std::string& topic, int n) {
    Message m;
    m.topic = topic;
    m.value = std::to_string(n);
    m.partition = n % 2;
    return m;
}

// Requires success, showing the error otherwise.
void require_ok(const TxnResult& result) {
    INFO(result.error.to_string());
    REQUIRE(result.ok());
}

void send_range(TransactionalProducer& producer, Reports& reports, const std::string& topic,
                int from, int to) {
    for (int n = from; n < to; ++n) {
        producer.send(numbered(topic, n), reports.callback(n));
    }
}

}  // namespace

TEST_CASE("a committed transaction reports each message delivered only once it committed") {
    TestCluster cluster;
    const std::string topic = cluster.create_topic("txn-commit", 2, cluster.replication_factor());
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-commit")));
    require_ok(producer.init(30s));
    require_ok(producer.begin());
    Reports reports;
    send_range(producer, reports, topic, 0, 200);
    std::vector<relkafka::DeliveryFuture> futures;
    for (int n = 200; n < 250; ++n) {
        futures.push_back(producer.send(numbered(topic, n)));
    }
    // The broker acknowledged every message; none is reported before the commit.
    REQUIRE(wait_until([&] { (void)producer.poll(10ms); return producer.counters().delivered == 250; }, 30s));
    CHECK(reports.count() == 0);
    CHECK(producer.held() == 250);
    for (auto& f : futures) {
        CHECK_FALSE(f.ready());
    }

    const TxnResult committed = producer.commit(30s);
    REQUIRE(committed.ok());
    reports.require_each_once(0, 200, ErrorCode::NoError);
    for (auto& f : futures) {
        REQUIRE(f.ready());
        const Delivery d = f.get();
        CHECK(d.ok());
        CHECK(d.offset >= 0);
    }
    CHECK(producer.held() == 0);
    CHECK_FALSE(producer.in_transaction());
}

TEST_CASE("an aborted transaction hands every message back as TransactionAborted") {
    TestCluster cluster;
    const std::string topic = cluster.create_topic("txn-abort", 2, cluster.replication_factor());
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-abort")));
    require_ok(producer.init(30s));
    require_ok(producer.begin());
    Reports reports;
    send_range(producer, reports, topic, 0, 100);
    auto future = producer.send(numbered(topic, 100));
    REQUIRE(wait_until([&] { (void)producer.poll(10ms); return producer.counters().delivered == 101; }, 30s));

    require_ok(producer.abort(30s));
    reports.require_each_once(0, 100, ErrorCode::TransactionAborted);
    const Delivery d = future.get();
    CHECK(d.error.code() == ErrorCode::TransactionAborted);
    CHECK(d.persistence == Persistence::NotPersisted);
    CHECK(d.message.value == "100");
    CHECK_THAT(d.error.message(), Contains("send it again in a new transaction"));

    // The next transaction commits what the aborted one held.
    reports.clear();
    require_ok(producer.begin());
    send_range(producer, reports, topic, 0, 100);
    require_ok(producer.commit(30s));
    reports.require_each_once(0, 100, ErrorCode::NoError);
}

TEST_CASE("a send outside a transaction is handed back at once") {
    TestCluster cluster;
    const std::string topic = cluster.create_topic("txn-outside", 2, cluster.replication_factor());
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-outside")));
    Reports reports;
    send_range(producer, reports, topic, 0, 1);  // before init
    require_ok(producer.init(30s));
    send_range(producer, reports, topic, 1, 2);  // before begin
    require_ok(producer.begin());
    require_ok(producer.commit(30s));
    auto future = producer.send(numbered(topic, 2));  // after commit
    reports.require_each_once(0, 2, ErrorCode::State);
    REQUIRE(future.ready());
    const Delivery d = future.get();
    CHECK(d.error.code() == ErrorCode::State);
    CHECK_THAT(d.error.message(), Contains("call begin() first"));
    CHECK(producer.counters().sent == 0);
}

TEST_CASE("transactional calls out of order are a UsageError naming the fix") {
    TestCluster cluster;
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-order")));
    CHECK_THROWS_WITH(producer.begin(), Contains("call init() first"));
    CHECK_THROWS_WITH(producer.commit(1s), Contains("no transaction is open"));
    require_ok(producer.init(30s));
    CHECK_THROWS_WITH(producer.init(1s), Contains("already initialized"));
    CHECK_THROWS_WITH(producer.abort(1s), Contains("no transaction is open"));
    require_ok(producer.begin());
    CHECK_THROWS_WITH(producer.begin(), Contains("already open"));
    CHECK_THROWS_AS(producer.send(numbered("t", 0), relkafka::DeliveryCallback()), UsageError);
    require_ok(producer.abort(10s));

    TransactionalProducer moved = std::move(producer);
    CHECK_THROWS_WITH(producer.begin(), Contains("moved-from"));  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("bad transaction settings are refused at construction") {
    TestCluster cluster;
    TransactionalConfig config = txn_config(cluster, "id");
    std::string expected;
    SECTION("no id") {
        config.transactional_id.clear();
        expected = "transactional_id is empty";
    }
    SECTION("a control character in the id") {
        config.transactional_id = std::string("a\0b", 3);
        expected = "control character";
    }
    SECTION("an id too long") {
        config.transactional_id = std::string(250, 'x');
        expected = "use at most 249";
    }
    SECTION("a delivery timeout beyond the transaction timeout") {
        config.producer.retry.delivery_timeout = 90s;
        expected = "producer.retry.delivery_timeout = 90000 ms exceeds";
    }
    SECTION("the id set through overrides") {
        config.producer.overrides["transactional.id"] = "other";
        expected = "owned by TransactionalConfig::transactional_id";
    }
    SECTION("idempotence disabled") {
        config.producer.idempotence = relkafka::Idempotence::Disabled;
        config.producer.retry.max_in_flight = 1;
        expected = "built on the idempotent producer";
    }
    SECTION("a transaction timeout out of range") {
        config.transaction_timeout = 0ms;
        config.producer.retry.delivery_timeout = 0ms;
        expected = "";
    }
    CHECK_THROWS_AS(TransactionalProducer(config), ConfigError);
    CHECK_THROWS_WITH(TransactionalProducer(config), Contains(expected));
}

TEST_CASE("init reports CallAgain within its timeout when no broker answers") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    for (int b = 1; b <= cluster.mock()->broker_count(); ++b) {
        cluster.mock()->broker_down(b);
    }
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-down")));
    const auto start = std::chrono::steady_clock::now();
    const TxnResult result = producer.init(1500ms);
    CHECK(std::chrono::steady_clock::now() - start < 4s);
    CHECK(result.next == TxnNext::CallAgain);
    CHECK(result.error.retriable());
    CHECK_THAT(result.error.message(), Contains("init()"));
}

TEST_CASE("coordinator errors on InitProducerId and EndTxn are retried inside the call") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const std::string topic = cluster.create_topic("txn-retry", 2, cluster.replication_factor());
    auto& mock = *cluster.mock();
    mock.push_request_errors(ApiKey::InitProducerId,
                             {ErrorCode::CoordinatorNotAvailable, ErrorCode::NotCoordinator,
                              ErrorCode::CoordinatorLoadInProgress});
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-retry")));
    require_ok(producer.init(30s));
    require_ok(producer.begin());
    Reports reports;
    send_range(producer, reports, topic, 0, 50);
    mock.push_request_errors(ApiKey::EndTxn, {ErrorCode::NotCoordinator,
                                              ErrorCode::CoordinatorNotAvailable,
                                              static_cast<ErrorCode>(51)});  // CONCURRENT_TRANSACTIONS
    require_ok(producer.commit(30s));
    reports.require_each_once(0, 50, ErrorCode::NoError);
}

TEST_CASE("an abortable error is AbortAndRedo and the redone transaction commits everything") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const std::string topic = cluster.create_topic("txn-abortable", 2, cluster.replication_factor());
    auto& mock = *cluster.mock();
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-abortable")));
    require_ok(producer.init(30s));
    Reports reports;

    std::string where;
    SECTION("AddPartitionsToTxn") {
        where = "AddPartitionsToTxn";
        mock.push_request_errors(ApiKey::AddPartitionsToTxn, {ErrorCode::TopicAuthorizationFailed});
    }
    SECTION("Produce") {
        where = "Produce";
        mock.push_request_errors(ApiKey::Produce, {ErrorCode::MsgSizeTooLarge});
    }
    SECTION("EndTxn") {
        where = "EndTxn";
        mock.push_request_errors(ApiKey::EndTxn, {static_cast<ErrorCode>(49)});  // INVALID_PRODUCER_ID_MAPPING
    }
    INFO(where);
    require_ok(producer.begin());
    send_range(producer, reports, topic, 0, 40);
    const TxnResult failed = producer.commit(30s);
    REQUIRE(failed.next == TxnNext::AbortAndRedo);
    CHECK(failed.error.txn_requires_abort());
    CHECK(reports.count() == 0);  // still held: the abort decides
    require_ok(producer.abort(30s));
    // A message that failed on its own keeps its own error; the others were aborted.
    REQUIRE(reports.count() == 40);
    for (const Delivery& d : reports.all()) {
        CHECK(d.error);
        CHECK(d.message.value.has_value());
    }
    // Redo as told until it commits; each attempt reports every message once.
    int attempts = 0;
    TxnResult redone;
    do {
        reports.clear();
        require_ok(producer.begin());
        send_range(producer, reports, topic, 0, 40);
        redone = producer.commit(30s);
        INFO(redone.error.to_string());
        if (redone.next == TxnNext::AbortAndRedo) {
            require_ok(producer.abort(30s));
            REQUIRE(reports.count() == 40);
        }
        REQUIRE((redone.ok() || redone.next == TxnNext::AbortAndRedo));
    } while (!redone.ok() && ++attempts < 3);
    require_ok(redone);
    reports.require_each_once(0, 40, ErrorCode::NoError);
}

TEST_CASE("an abortable error on the offsets is AbortAndRedo") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const std::string in = cluster.create_topic("txn-in", 2, cluster.replication_factor());
    const std::string out = cluster.create_topic("txn-out", 2, cluster.replication_factor());
    auto& mock = *cluster.mock();
    relkafka::ConsumerConfig cc = cluster.consumer_config(cluster.group("txn-offsets"), in);
    cc.isolation = relkafka::Isolation::ReadCommitted;
    relkafka::Consumer consumer(cc);
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-offsets-id")));
    require_ok(producer.init(30s));
    Reports reports;

    require_ok(producer.begin());
    send_range(producer, reports, out, 0, 10);
    require_ok(producer.send_offsets(consumer, {{in, 0, 5}, {in, 1, 7}}, 30s));
    require_ok(producer.commit(30s));
    reports.require_each_once(0, 10, ErrorCode::NoError);

    SECTION("AddOffsetsToTxn") {
        mock.push_request_errors(ApiKey::AddOffsetsToTxn, {static_cast<ErrorCode>(30)});  // GROUP_AUTHORIZATION_FAILED
    }
    SECTION("TxnOffsetCommit") {
        mock.push_request_errors(ApiKey::TxnOffsetCommit, {static_cast<ErrorCode>(30)});
    }
    reports.clear();
    require_ok(producer.begin());
    send_range(producer, reports, out, 10, 20);
    const TxnResult sent = producer.send_offsets(consumer, {{in, 0, 9}}, 30s);
    const TxnResult committed = sent.ok() ? producer.commit(30s) : sent;
    REQUIRE(committed.next == TxnNext::AbortAndRedo);
    require_ok(producer.abort(30s));
    reports.require_each_once(10, 20, ErrorCode::TransactionAborted);

    CHECK_THROWS_WITH(producer.send_offsets(consumer, {{in, 0, 1}}, 1s), Contains("no transaction"));
    require_ok(producer.begin());
    CHECK_THROWS_WITH(producer.send_offsets(consumer, {{in, -1, 1}}, 1s),
                      Contains("is not a position to commit"));
    require_ok(producer.abort(10s));
}

TEST_CASE("a fenced producer is told to recreate and every held message is reported once") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_MOCK(cluster);
    const std::string topic = cluster.create_topic("txn-fenced", 2, cluster.replication_factor());
    auto& mock = *cluster.mock();
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-fenced")));
    require_ok(producer.init(30s));
    require_ok(producer.begin());
    Reports reports;
    send_range(producer, reports, topic, 0, 30);
    ErrorCode injected = ErrorCode::ProducerFenced;
    SECTION("PRODUCER_FENCED") {}
    SECTION("INVALID_PRODUCER_EPOCH") { injected = ErrorCode::InvalidProducerEpoch; }
    mock.push_request_errors(ApiKey::EndTxn, {injected});
    const TxnResult result = producer.commit(30s);
    REQUIRE(result.next == TxnNext::Recreate);
    CHECK(result.error.fatal());
    REQUIRE(producer.fatal_error().has_value());
    // Reported at once, each exactly once, handed back, marked fatal.
    REQUIRE(reports.count() == 30);
    for (const Delivery& d : reports.all()) {
        CHECK(d.error.fatal());
        CHECK(d.message.topic == topic);
        CHECK(d.message.value.has_value());
    }
    // Every later call answers Recreate with the same error.
    const TxnResult again = producer.begin();
    CHECK(again.next == TxnNext::Recreate);
    CHECK(again.error.code() == result.error.code());
}

TEST_CASE("destroying a producer with an open transaction reports its messages aborted") {
    TestCluster cluster;
    const std::string topic = cluster.create_topic("txn-destroy", 2, cluster.replication_factor());
    Reports reports;
    std::vector<relkafka::DeliveryFuture> futures;
    {
        TransactionalProducer producer(txn_config(cluster, cluster.group("txn-destroy")));
        require_ok(producer.init(30s));
        require_ok(producer.begin());
        send_range(producer, reports, topic, 0, 25);
        futures.push_back(producer.send(numbered(topic, 25)));
    }
    reports.require_each_once(0, 25, ErrorCode::TransactionAborted);
    REQUIRE(futures.front().ready());
    CHECK(futures.front().get().error.code() == ErrorCode::TransactionAborted);
}

TEST_CASE("a delivery callback that throws does not stop the other reports") {
    TestCluster cluster;
    const std::string topic = cluster.create_topic("txn-throw", 2, cluster.replication_factor());
    std::vector<std::string> logged;
    TransactionalConfig config = txn_config(cluster, cluster.group("txn-throw"));
    std::mutex log_mutex;
    config.producer.on_log = [&](relkafka::LogLevel, std::string_view line) {
        std::lock_guard<std::mutex> lock(log_mutex);
        logged.emplace_back(line);
    };
    TransactionalProducer producer(config);
    require_ok(producer.init(30s));
    require_ok(producer.begin());
    std::atomic<int> called{0};
    for (int n = 0; n < 10; ++n) {
        producer.send(numbered(topic, n), [&called](Delivery&&) {
            ++called;
            throw std::runtime_error("boom");
        });
    }
    require_ok(producer.commit(30s));
    CHECK(called == 10);
    std::lock_guard<std::mutex> lock(log_mutex);
    bool named = false;
    for (const auto& line : logged) {
        named = named || line.find("TransactionalProducer::send") != std::string::npos;
    }
    CHECK(named);
}

namespace {

// Everything a read_committed reader sees on partitions 0 and 1 of `topic`,
// by partition, until `expected` records came or `timeout` passed.
std::map<int, std::vector<std::string>> read_committed(TestCluster& cluster, const std::string& topic,
                                                       std::size_t expected,
                                                       std::chrono::milliseconds timeout) {
    relkafka::ConsumerConfig config = cluster.consumer_config(cluster.group("txn-reader"), topic);
    config.topics.clear();
    config.partitions = {{topic, 0, relkafka::offset_beginning}, {topic, 1, relkafka::offset_beginning}};
    config.isolation = relkafka::Isolation::ReadCommitted;
    relkafka::Consumer reader(config);
    std::map<int, std::vector<std::string>> seen;
    std::size_t count = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (count < expected && std::chrono::steady_clock::now() < deadline) {
        for (const relkafka::Record& r : reader.poll(200ms)) {
            seen[r.partition()].push_back(std::string(r.value().value_or("")));
            ++count;
        }
    }
    // A little longer: anything beyond `expected` is a record that should not be there.
    for (const relkafka::Record& r : reader.poll(2s)) {
        seen[r.partition()].push_back(std::string(r.value().value_or("")));
    }
    return seen;
}

}  // namespace

TEST_CASE("read_committed readers see each committed message once and nothing of an aborted transaction") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_REAL(cluster, "the 2.0.2 mock writes no transaction markers");
    const std::string topic = cluster.create_topic("txn-visible", 2, cluster.replication_factor());
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-visible")));
    require_ok(producer.init(30s));
    Reports reports;
    std::map<int, std::vector<std::string>> committed;
    constexpr int transactions = 21;
    constexpr int per_transaction = 100;
    for (int t = 0; t < transactions; ++t) {
        require_ok(producer.begin());
        const int from = t * per_transaction;
        send_range(producer, reports, topic, from, from + per_transaction);
        if (t % 3 == 2) {
            // In the log before the abort: only the markers hide them.
            const auto acked = static_cast<std::size_t>(from + per_transaction);
            REQUIRE(wait_until([&] { (void)producer.poll(10ms); return producer.counters().delivered >= acked; }, 30s));
            require_ok(producer.abort(30s));
            continue;
        }
        require_ok(producer.commit(30s));
        REQUIRE(producer.counters().delivered == static_cast<std::size_t>(from + per_transaction));
        for (int n = from; n < from + per_transaction; ++n) {
            committed[n % 2].push_back(std::to_string(n));
        }
    }
    CHECK(reports.count() == static_cast<std::size_t>(transactions * per_transaction));
    const auto seen = read_committed(cluster, topic, transactions / 3 * 2 * per_transaction, 60s);
    CHECK(seen == committed);  // exactly once, in order per partition, nothing aborted
}

TEST_CASE("a second producer with the same transactional id fences the first") {
    TestCluster cluster;
    RELKAFKA_REQUIRE_REAL(cluster, "the 2.0.2 mock fences nobody");
    const std::string topic = cluster.create_topic("txn-fence", 2, cluster.replication_factor());
    const std::string id = cluster.group("txn-fence");
    TransactionalProducer first(txn_config(cluster, id));
    require_ok(first.init(30s));
    require_ok(first.begin());
    Reports reports;
    send_range(first, reports, topic, 0, 10);
    REQUIRE(wait_until([&] { (void)first.poll(10ms); return first.counters().delivered == 10; }, 30s));

    TransactionalProducer second(txn_config(cluster, id));
    require_ok(second.init(60s));  // aborts what the first left open
    const TxnResult fenced = first.commit(30s);
    CHECK(fenced.next == TxnNext::Recreate);
    CHECK(fenced.error.fatal());
    REQUIRE(reports.count() == 10);
    for (const Delivery& d : reports.all()) {
        CHECK_FALSE(d.ok());
        CHECK(d.message.value.has_value());
    }
    const auto seen = read_committed(cluster, topic, 0, 5s);
    CHECK(seen.empty());
}

TEST_CASE("a message the producer refuses keeps its own error and the transaction still commits") {
    TestCluster cluster;
    const std::string topic = cluster.create_topic("txn-refused", 2, cluster.replication_factor());
    TransactionalProducer producer(txn_config(cluster, cluster.group("txn-refused")));
    require_ok(producer.init(30s));
    require_ok(producer.begin());
    Reports reports;
    send_range(producer, reports, topic, 0, 5);
    send_range(producer, reports, "bad topic!", 5, 6);
    CHECK(reports.count() == 0);  // held with the others
    require_ok(producer.commit(30s));
    REQUIRE(reports.count() == 6);
    for (const Delivery& d : reports.all()) {
        if (d.message.topic == "bad topic!") {
            CHECK(d.error.code() == ErrorCode::InvalidArg);
            CHECK(d.message.value == "5");
        } else {
            CHECK(d.ok());
        }
    }
}
