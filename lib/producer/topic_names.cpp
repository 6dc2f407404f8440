#include "detail/topic_names.hpp"

namespace relkafka::detail {

const std::string* TopicNames::find_or_add(std::string_view name) {
    // Names are immutable once added, so the last one can be compared unlocked.
    const std::string* last = last_.load(std::memory_order_acquire);
    if (last != nullptr && *last == name) {
        return last;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = names_.find(name);
    if (it == names_.end()) {
        if (names_.size() >= max_names) {
            return nullptr;
        }
        it = names_.emplace(name).first;
    }
    last_.store(&*it, std::memory_order_release);
    return &*it;
}

}  // namespace relkafka::detail
