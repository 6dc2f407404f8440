#include "detail/printable.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace relkafka::detail {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool is_secret_property(std::string_view key) noexcept {
    static constexpr std::array<std::string_view, 4> secret_suffixes = {
        ".password", ".secret", "sasl.oauthbearer.config", "ssl.key.pem"};
    return std::any_of(secret_suffixes.begin(), secret_suffixes.end(),
                       [&](std::string_view suffix) { return ends_with(key, suffix); });
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
