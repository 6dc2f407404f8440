#include "detail/topic_rule.hpp"

#include <array>

#include <fmt/format.h>

#include "detail/printable.hpp"
#include "relkafka/error.hpp"

namespace relkafka::detail {

namespace {

constexpr std::array<bool, 256> legal_characters() {
    std::array<bool, 256> legal{};
    for (int c = 'a'; c <= 'z'; ++c) {
        legal[static_cast<std::size_t>(c)] = true;
    }
    for (int c = 'A'; c <= 'Z'; ++c) {
        legal[static_cast<std::size_t>(c)] = true;
    }
    for (int c = '0'; c <= '9'; ++c) {
        legal[static_cast<std::size_t>(c)] = true;
    }
    legal['.'] = legal['_'] = legal['-'] = true;
    return legal;
}

constexpr std::array<bool, 256> legal = legal_characters();

}  // namespace

const char* topic_name_problem(std::string_view topic) noexcept {
    if (topic.empty()) {
        return "it is empty";
    }
    if (topic.size() > max_topic_length) {
        return "it is longer than 249 characters, Kafka's limit";
    }
    // No early exit: a loop without branches is several times faster, and
    // valid names (the common case) are read to the end anyway.
    bool all_legal = true;
    for (const char c : topic) {
        all_legal &= legal[static_cast<unsigned char>(c)];
    }
    if (!all_legal) {
        return "it may contain only ASCII letters, digits, '.', '_' and '-'";
    }
    if (topic == "." || topic == "..") {
        return "\".\" and \"..\" are not topic names";
    }
    return nullptr;
}

void require_valid_topic(std::string_view topic, std::string_view where) {
    if (const char* problem = topic_name_problem(topic)) {
        throw ConfigError(fmt::format("{} names the topic \"{}\" ({} characters), which is not a valid "
                                      "topic name: {}",
                                      where, printable_text(topic), topic.size(), problem));
    }
}

}  // namespace relkafka::detail
