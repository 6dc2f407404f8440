// Library internals whose contracts the public API cannot reach directly.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "detail/logging.hpp"
#include "detail/topic_names.hpp"
#include "failing_allocations.hpp"
#include "producer/delivery_state.hpp"

using relkafka::Delivery;
using relkafka::ErrorCode;
using relkafka::Persistence;
using relkafka::detail::DeliveryFutureAccess;
using relkafka::detail::DeliveryPromise;
using relkafka::detail::FuturesShared;
using relkafka::detail::TopicNames;
using relkafka::test::FailingAllocations;
using Catch::Matchers::Contains;

TEST_CASE("topic names: one stable copy per name, none beyond the limit") {
    TopicNames names;
    const std::string* orders = names.find_or_add("orders-settled-in-the-eu-region");
    const std::string* payments = names.find_or_add("payments");
    REQUIRE(orders != nullptr);
    REQUIRE(payments != nullptr);
    CHECK(*orders == "orders-settled-in-the-eu-region");
    CHECK(*payments == "payments");
    // The same name comes back as the same copy, last used or not.
    CHECK(names.find_or_add("payments") == payments);
    CHECK(names.find_or_add(std::string("orders-settled-in-the-eu-region")) == orders);
    CHECK(names.find_or_add("orders-settled-in-the-eu-region") == orders);
    // A name that is a prefix of the last one is another name.
    CHECK(*names.find_or_add("orders") == "orders");

    for (std::size_t n = 3; n < TopicNames::max_names; ++n) {
        REQUIRE(names.find_or_add("topic-" + std::to_string(n)) != nullptr);
    }
    CHECK(names.find_or_add("one-too-many") == nullptr);
    // Names kept before the limit are still found, and still the same copies.
    CHECK(names.find_or_add("payments") == payments);
    CHECK(names.find_or_add("orders-settled-in-the-eu-region") == orders);
    CHECK(*orders == "orders-settled-in-the-eu-region");
}

TEST_CASE("topic names: threads adding and finding names agree on every copy") {
    TopicNames names;
    constexpr int threads = 4;
    constexpr int rounds = 2000;
    std::vector<std::vector<const std::string*>> seen(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int n = 0; n < rounds; ++n) {
                // Alternating names defeat the last-name shortcut half the time.
                const std::string name = "topic-with-a-long-name-" + std::to_string((n + t) % 8);
                const std::string* kept = names.find_or_add(name);
                seen[t].push_back(kept != nullptr && *kept == name ? kept : nullptr);
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    for (int t = 0; t < threads; ++t) {
        for (int n = 0; n < rounds; ++n) {
            const std::string name = "topic-with-a-long-name-" + std::to_string((n + t) % 8);
            REQUIRE(seen[t][n] != nullptr);
            CHECK(seen[t][n] == names.find_or_add(name));
        }
    }
}

// A future's state is completed on the callback thread, and a promise dropped
// unfulfilled completes it from a destructor: neither may throw, or a future
// would wait forever (or the process terminate) when memory runs out.
namespace {

const std::string long_topic = "payments-settled-in-the-eu-region";

Delivery failure(ErrorCode code) {
    Delivery failed;
    failed.topic = long_topic;
    failed.partition = 2;
    failed.error = relkafka::Error(code, "as the broker said");
    failed.persistence = Persistence::PossiblyPersisted;
    failed.message.topic = long_topic;
    failed.message.value = "payload";
    return failed;
}

Delivery acknowledgement() {
    Delivery acknowledged;
    acknowledged.topic = long_topic;
    acknowledged.partition = 1;
    acknowledged.offset = 41;
    acknowledged.persistence = Persistence::Persisted;
    return acknowledged;
}

// Completes a new future with `outcome`, with memory or without, and gets it.
Delivery completed(Delivery outcome, bool memory) {
    auto [future, promise] = DeliveryFutureAccess::make(std::make_shared<FuturesShared>());
    if (memory) {
        promise.complete(outcome);
    } else {
        const FailingAllocations failing;
        promise.complete(outcome);  // no assertion in here: Catch allocates
    }
    REQUIRE(future.ready());
    return future.get();
}

}  // namespace

TEST_CASE("futures: an abandoned send is reported, even with no memory left") {
    auto [future, promise] = DeliveryFutureAccess::make(std::make_shared<FuturesShared>());
    {
        const FailingAllocations failing;
        const DeliveryPromise dropped(std::move(promise));
    }
    REQUIRE(future.ready());
    const Delivery delivery = future.get();
    CHECK(delivery.error.code() == ErrorCode::Fail);
    CHECK_THAT(delivery.error.message(), Contains("abandoned"));
    CHECK(delivery.persistence == Persistence::NotPersisted);
}

TEST_CASE("futures: a failure reaches its future when memory runs out keeping it") {
    const Delivery delivery = completed(failure(ErrorCode::MsgTimedOut), false);
    CHECK(delivery.error.code() == ErrorCode::MsgTimedOut);
    CHECK_THAT(delivery.error.message(), Contains("memory ran out"));
    CHECK(delivery.partition == 2);
    CHECK(delivery.persistence == Persistence::PossiblyPersisted);
}

TEST_CASE("futures: an acknowledgement reaches its future when memory runs out keeping its topic") {
    const Delivery delivery = completed(acknowledgement(), false);
    CHECK(delivery.ok());
    CHECK(delivery.partition == 1);
    CHECK(delivery.offset == 41);
    CHECK(delivery.persistence == Persistence::Persisted);
}

TEST_CASE("futures: with memory, a failure keeps its message and an acknowledgement its topic") {
    const Delivery acknowledged = completed(acknowledgement(), true);
    CHECK(acknowledged.ok());
    CHECK(acknowledged.topic == long_topic);
    CHECK(acknowledged.offset == 41);

    const Delivery refused = completed(failure(ErrorCode::MsgSizeTooLarge), true);
    CHECK(refused.error.code() == ErrorCode::MsgSizeTooLarge);
    CHECK(refused.error.message() == "as the broker said");
    CHECK(refused.message.topic == long_topic);
    CHECK(refused.message.value == std::optional<std::string>("payload"));
}

// librdkafka adds this hint to any connection closed within 2 s of being set
// up: after a broker restart it sent users hunting for a security problem.
TEST_CASE("librdkafka's security.protocol hint is explained, other client errors pass unchanged") {
    const std::string hint =
        "127.0.0.1:9092/1: Disconnected: verify that security.protocol is correctly configured, "
        "broker might require SASL authentication (after 120ms in state UP)";
    const std::string explained = relkafka::detail::explain_client_error(hint);
    CHECK(explained.rfind(hint, 0) == 0);
    CHECK_THAT(explained, Catch::Contains("stopped or restarted") &&
                              Catch::Contains("not a security setting"));
    const std::string plain = "127.0.0.1:9092/1: Connect to ipv4#127.0.0.1:9092 failed";
    CHECK(relkafka::detail::explain_client_error(plain) == plain);
}
