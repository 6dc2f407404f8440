#pragma once

#include <chrono>
#include <functional>

#include "handled_log.hpp"
#include "relkafka/consumer.hpp"

namespace relkafka::test {

// Polls until `enough` holds (stopping mid-batch) or `deadline` passes; each
// record is logged and marked processed. `before_each` runs before a record
// is handled, e.g. to inject a fault at a chosen point.
inline void consume(Consumer& consumer, HandledLog& log, const std::function<bool()>& enough,
                    std::chrono::seconds deadline = std::chrono::seconds(60),
                    const std::function<void()>& before_each = {}) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!enough() && std::chrono::steady_clock::now() < until) {
        for (const Record& r : consumer.poll(std::chrono::milliseconds(100))) {
            if (enough()) {
                break;
            }
            if (before_each) {
                before_each();
            }
            log.add(r);
            consumer.mark_processed(r);
        }
    }
}

}  // namespace relkafka::test
