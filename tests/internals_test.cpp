// Library internals whose contracts the public API cannot reach directly.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "detail/topic_names.hpp"

using relkafka::detail::TopicNames;

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
