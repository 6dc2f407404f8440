#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace relkafka::detail {

// What of a configuration may appear in an error message, a log line or a
// dump. Keys and names come from outside (a JSON file, an environment) and
// are shown escaped and bounded; values of secret properties are never shown.

// True for properties whose values must never be printed.
bool is_secret_property(std::string_view key) noexcept;

// The value as it may be printed: secrets are replaced by "[redacted]".
std::string printable_value(std::string_view key, std::string_view value);

// `text` with control characters, '"', '\' and non-ASCII bytes escaped, cut
// after `max_bytes` bytes of input (then followed by its full length).
std::string printable_text(std::string_view text, std::size_t max_bytes = 64);

// The first control character (below 0x20, or 0x7f) in `text`, or npos.
std::size_t find_control_character(std::string_view text) noexcept;

}  // namespace relkafka::detail
