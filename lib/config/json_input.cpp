#include "config/json_input.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "detail/printable.hpp"
#include "relkafka/error.hpp"

namespace relkafka::detail {

namespace {

using nlohmann::json;

void check_limits(std::string_view text, const char* config_name) {
    if (text.size() > max_config_json_bytes) {
        throw ConfigError(fmt::format("{} JSON has more than the {} bytes (1 MiB) a config may "
                                      "have",
                                      config_name, max_config_json_bytes));
    }
    // Brackets inside strings do not count; the parser finds any other error.
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_config_json_depth) {
                throw ConfigError(fmt::format("{} JSON nests arrays and objects deeper than {} "
                                              "levels (at byte {})",
                                              config_name, max_config_json_depth, i));
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

// Where the parser is, for naming a duplicate key: one frame per open
// array or object.
struct Frame {
    std::string path;
    bool is_array = false;
    std::size_t index = 0;       // of the next element, in an array
    std::string key;             // the latest, in an object
    std::set<std::string> keys;  // seen so far, in an object
};

class DuplicateKeyCheck {
public:
    explicit DuplicateKeyCheck(const char* config_name) : config_name_(config_name) {}

    bool operator()(int, json::parse_event_t event, const json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                open(event == json::parse_event_t::array_start);
                break;
            case json::parse_event_t::key:
                key(parsed.get_ref<const std::string&>());
                break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                frames_.pop_back();
                next_element();
                break;
            case json::parse_event_t::value:
                next_element();
                break;
        }
        return true;
    }

private:
    void open(bool is_array) {
        Frame frame;
        if (frames_.empty()) {
            frame.path = "$";
        } else if (frames_.back().is_array) {
            frame.path = fmt::format("{}[{}]", frames_.back().path, frames_.back().index);
        } else {
            frame.path = fmt::format("{}.{}", frames_.back().path, printable_text(frames_.back().key));
        }
        frame.is_array = is_array;
        frames_.push_back(std::move(frame));
    }

    void key(const std::string& name) {
        Frame& frame = frames_.back();
        if (!frame.keys.insert(name).second) {
            throw ConfigError(fmt::format("{} JSON gives the key \"{}\" twice in {}: only one "
                                          "value can apply; remove the other",
                                          config_name_, printable_text(name), frame.path));
        }
        frame.key = name;
    }

    void next_element() {
        if (!frames_.empty() && frames_.back().is_array) {
            ++frames_.back().index;
        }
    }

    const char* config_name_;
    std::vector<Frame> frames_;
};

// The library's message without its "last read: '...'" quote of the input.
std::string without_input(const json::parse_error& e) {
    std::string message = e.what();
    if (const auto id_end = message.find("] "); message.rfind("[json.exception.", 0) == 0 &&
                                                 id_end != std::string::npos) {
        message.erase(0, id_end + 2);
    }
    if (const auto quote = message.find("; last read: "); quote != std::string::npos) {
        message.erase(quote);
    }
    return message;
}

}  // namespace

std::string read_config_file(const std::string& path, const char* config_name) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(fmt::format("cannot read {} JSON file \"{}\": {}", config_name, path,
                                      std::strerror(errno)));
    }
    // One byte past the limit is enough for parse_config_json() to refuse it.
    std::string text(max_config_json_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

json parse_config_json(std::string_view text, const char* config_name) {
    check_limits(text, config_name);
    try {
        return json::parse(text.begin(), text.end(), DuplicateKeyCheck(config_name));
    } catch (const json::parse_error& e) {
        throw ConfigError(fmt::format("{} JSON is malformed: {}", config_name, without_input(e)));
    } catch (const json::out_of_range&) {
        throw ConfigError(fmt::format("{} JSON is malformed: it holds a number no double can hold",
                                      config_name));
    } catch (const json::exception&) {
        throw ConfigError(fmt::format("{} JSON is malformed", config_name));
    }
}

std::optional<std::int64_t> json_integer(const json& value) {
    if (value.is_number_unsigned()) {
        const auto n = value.get<std::uint64_t>();
        if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(n);
    }
    if (value.is_number_integer()) {
        return value.get<std::int64_t>();
    }
    return std::nullopt;
}

std::string describe_json(const json& value, bool show_strings) {
    switch (value.type()) {
        case json::value_t::null: return "null";
        case json::value_t::string:
            if (!show_strings) {
                return fmt::format("a string of {} bytes", value.get_ref<const std::string&>().size());
            }
            return "\"" + printable_text(value.get_ref<const std::string&>()) + "\"";
        case json::value_t::array:
            return fmt::format("an array of {} element{}", value.size(), value.size() == 1 ? "" : "s");
        case json::value_t::object:
            return fmt::format("an object of {} key{}", value.size(), value.size() == 1 ? "" : "s");
        case json::value_t::boolean:
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return value.dump();
        default: return "a value of another kind";
    }
}

}  // namespace relkafka::detail
