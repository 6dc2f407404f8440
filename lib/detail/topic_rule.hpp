#pragma once

#include <cstddef>
#include <string_view>

namespace relkafka::detail {

// Kafka's rule for topic names, the one relkafka applies wherever a topic is
// named (a send, a subscription, an assignment, a dead-letter topic): 1 to
// 249 characters from [a-zA-Z0-9._-], and neither "." nor "..".
inline constexpr std::size_t max_topic_length = 249;

// nullptr for a valid name, otherwise what is wrong with it. Cheap enough
// for every send: no allocation, one table lookup per character.
const char* topic_name_problem(std::string_view topic) noexcept;

// Throws ConfigError naming `where` (e.g. "ConsumerConfig::topics"), the
// topic (escaped, bounded) and the problem, unless `topic` is valid.
void require_valid_topic(std::string_view topic, std::string_view where);

}  // namespace relkafka::detail
