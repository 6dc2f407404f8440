#pragma once

#include <cstring>
#include <string>
#include <string_view>

namespace relkafka::detail {

// librdkafka takes a topic name as a C string. A name from a string_view is
// copied, onto the stack unless it is longer than any valid name (Kafka
// allows 249 characters), so that a send needs no allocation for it.
class TopicCString {
public:
    explicit TopicCString(std::string_view name) {
        if (name.size() < sizeof small_) {
            if (!name.empty()) {  // an empty view's data() may be null
                std::memcpy(small_, name.data(), name.size());
            }
            small_[name.size()] = '\0';
            c_str_ = small_;
        } else {
            large_.assign(name);
            c_str_ = large_.c_str();
        }
    }
    TopicCString(const TopicCString&) = delete;
    TopicCString& operator=(const TopicCString&) = delete;

    const char* c_str() const noexcept { return c_str_; }

private:
    char small_[256];
    std::string large_;
    const char* c_str_ = nullptr;
};

}  // namespace relkafka::detail
