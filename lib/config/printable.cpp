#include "detail/printable.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace relkafka::detail {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `needle` is lower case.
bool contains_ignoring_case(std::string_view text, std::string_view needle) {
    if (needle.size() > text.size()) {
        return false;
    }
    for (std::size_t at = 0; at + needle.size() <= text.size(); ++at) {
        std::size_t i = 0;
        while (i < needle.size() && lower(text[at + i]) == needle[i]) {
            ++i;
        }
        if (i == needle.size()) {
            return true;
        }
    }
    return false;
}

}  // namespace

// Anything that looks like a secret is one: a misspelt or differently cased
// key ("sasl.passwd", "SASL.PASSWORD") is refused later by librdkafka, but its
// value must not be printed on the way. Private keys count; key paths and
// public certificates do not.
bool is_secret_property(std::string_view key) noexcept {
    static constexpr std::array<std::string_view, 13> secret_words = {
        "password", "passwd", "pwd",      "secret",   "token",   "credential", "jaas",
        "private",  "apikey", "api.key", "api_key", "key.pem", "sasl.oauthbearer.config"};
    if (std::any_of(secret_words.begin(), secret_words.end(),
                    [&](std::string_view word) { return contains_ignoring_case(key, word); })) {
        return true;
    }
    // librdkafka's name for the private key set through its C API.
    return key.size() == 7 && contains_ignoring_case(key, "ssl_key");
}

std::string printable_value(std::string_view key, std::string_view value) {
    return is_secret_property(key) ? std::string("[redacted]") : printable_text(value, 256);
}

std::string printable_text(std::string_view text, std::size_t max_bytes) {
    std::string out;
    const std::string_view shown = text.substr(0, max_bytes);
    out.reserve(shown.size() + 16);
    for (const char c : shown) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte == 0x7f) {
            out += fmt::format("\\u{:04x}", byte);
        } else if (byte >= 0x80) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;
        }
    }
    if (shown.size() < text.size()) {
        out += fmt::format("... ({} bytes)", text.size());
    }
    return out;
}

std::size_t find_control_character(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7f) {
            return i;
        }
    }
    return std::string_view::npos;
}

}  // namespace relkafka::detail
