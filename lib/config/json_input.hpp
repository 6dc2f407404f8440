#pragma once

// Config JSON is data from outside: this is where its text is read, within
// limits, and where what an error message may say about a value is decided.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace relkafka::detail {

// A config larger than this is refused before it is parsed.
inline constexpr std::size_t max_config_json_bytes = 1024 * 1024;
// Deeper nesting is refused before it is parsed: the JSON library recurses
// over the levels of a value (to print or compare it).
inline constexpr int max_config_json_depth = 32;

// Parses `text`; throws ConfigError (naming `config_name`) for a document
// over the limits, malformed JSON or a key given twice in one object. No
// message quotes the input, which may hold secrets.
nlohmann::json parse_config_json(std::string_view text, const char* config_name);

// `value` as an error message may show it: a scalar (a string escaped and
// cut short, or only its size without `show_strings`), or only the kind and
// size of an array or object.
std::string describe_json(const nlohmann::json& value, bool show_strings = true);

}  // namespace relkafka::detail
