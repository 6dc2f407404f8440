#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace relkafka::detail {

// The topic names one producer has reported on, each kept once, so that a
// pending outcome can refer to its topic instead of owning a copy. A name
// longer than std::string's inline buffer would otherwise be allocated on the
// callback thread and freed on the caller's, once per message.
//
// Names are never removed: what find_or_add() returns stays valid as long as
// the TopicNames. A producer that writes to more than `max_names` topics gets
// nullptr for the others, and its caller keeps a copy as before.
class TopicNames {
public:
    static constexpr std::size_t max_names = 1024;

    // Thread-safe. The common case, the same topic as last time, takes no lock.
    const std::string* find_or_add(std::string_view name);

private:
    std::mutex mutex_;
    std::set<std::string, std::less<>> names_;
    std::atomic<const std::string*> last_{nullptr};
};

}  // namespace relkafka::detail
