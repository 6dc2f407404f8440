#pragma once

// Config JSON is data from outside: this is where its text is read, within
// limits, and where what an error message may say about a value is decided.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace relkafka::detail {

// A config larger than this is refused before it is parsed.
inline constexpr std::size_t max_config_json_bytes = 1024 * 1024;
// Deeper nesting is refused before it is parsed: the JSON library recurses
// over the levels of a value (to print or compare it).
inline constexpr int max_config_json_depth = 32;

// The text of a config file, read only up to one byte past the limit;
// throws ConfigError if it cannot be read.
std::string read_config_file(const std::string& path, const char* config_name);

// Parses `text`; throws ConfigError (naming `config_name`) for a document
// over the limits, malformed JSON or a key given twice in one object. No
// message quotes the input, which may hold secrets.
nlohmann::json parse_config_json(std::string_view text, const char* config_name);

// The integer `value` holds, if it is one that fits an int64_t: the library
// reads 2^63 and above as unsigned, and taken as signed they would wrap.
std::optional<std::int64_t> json_integer(const nlohmann::json& value);

inline bool in_range(const std::optional<std::int64_t>& n, std::int64_t low, std::int64_t high) {
    return n.has_value() && *n >= low && *n <= high;
}

// `value` as an error message may show it: a scalar (a string escaped and
// cut short, or only its size without `show_strings`), or only the kind and
// size of an array or object.
std::string describe_json(const nlohmann::json& value, bool show_strings = true);

}  // namespace relkafka::detail
