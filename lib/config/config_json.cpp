#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/config_schema.hpp"
#include "config/json_input.hpp"
#include "detail/consumer_properties.hpp"
#include "detail/kafka_conf.hpp"
#include "detail/producer_properties.hpp"
#include "relkafka/config.hpp"

namespace relkafka {

namespace {

using nlohmann::json;

template <class Enum, std::size_t N>
std::string allowed_names(const detail::EnumName<Enum> (&names)[N]) {
    std::string list;
    for (const auto& n : names) {
        list += (list.empty() ? "\"" : ", \"") + std::string(n.name) + "\"";
    }
    return list;
}

std::string allowed_names(const std::string_view* names, std::size_t count) {
    std::string list;
    for (std::size_t i = 0; i < count; ++i) {
        list += (i == 0 ? "\"" : ", \"") + std::string(names[i]) + "\"";
    }
    return list;
}

// Reads a config from JSON through its describe(): every key is checked for
// type and range, and keys describe() does not name are refused.
class JsonReader {
public:
    JsonReader(const json& root, const char* config_name) : node_(&root), config_name_(config_name) {
        require(root.is_object(), "$", "a JSON object", root);
    }

    void field(const char* key, std::string& out) {
        if (const json* value = find(key)) {
            require(value->is_string(), path(key), "a string", *value);
            out = value->get<std::string>();
        }
    }

    void field(const char* key, int& out) {
        if (const json* value = find(key)) {
            const auto n = detail::json_integer(*value);
            require(detail::in_range(n, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()),
                    path(key), "a whole number from -2147483648 to 2147483647", *value);
            out = static_cast<int>(*n);
        }
    }

    void field(const char* key, std::size_t& out) {
        if (const json* value = find(key)) {
            const auto n = detail::json_integer(*value);
            require(detail::in_range(n, 0, std::numeric_limits<std::int64_t>::max()), path(key),
                    "a whole number from 0 to 9223372036854775807", *value);
            out = static_cast<std::size_t>(*n);
        }
    }

    void field(const char* key, std::chrono::milliseconds& out) {
        if (const json* value = find(key)) {
            const auto n = detail::json_integer(*value);
            require(detail::in_range(n, 0, std::numeric_limits<int>::max()), path(key),
                    "a whole number of milliseconds, 0 to 2147483647", *value);
            out = std::chrono::milliseconds(*n);
        }
    }

    void field(const char* key, std::vector<std::string>& out) {
        if (const json* value = find(key)) {
            require(value->is_array(), path(key), "an array of strings", *value);
            std::vector<std::string> items;
            for (std::size_t i = 0; i < value->size(); ++i) {
                const json& item = (*value)[i];
                require(item.is_string(), fmt::format("{}[{}]", path(key), i), "a string", item);
                items.push_back(item.get<std::string>());
            }
            out = std::move(items);
        }
    }

    // [{"topic": "t", "partition": 0, "offset": 42 | "beginning" | "end" |
    // "committed"}], the offset "committed" when left out.
    void field(const char* key, std::vector<PartitionOffset>& out) {
        const json* value = find(key);
        if (value == nullptr) {
            return;
        }
        require(value->is_array(), path(key), "an array of {\"topic\", \"partition\", \"offset\"}",
                *value);
        std::vector<PartitionOffset> items(value->size());
        for (std::size_t i = 0; i < value->size(); ++i) {
            const std::string item_key = fmt::format("{}[{}]", key, i);
            const json& item = (*value)[i];
            require(item.is_object(), path(item_key.c_str()), "an object", item);
            PartitionOffset& p = items[i];
            p.offset = offset_committed;
            nested(item_key.c_str(), item, [&] {
                field("topic", p.topic);
                field("partition", p.partition);
                if (const json* offset = find("offset")) {
                    if (const auto n = detail::json_integer(*offset); n.has_value() && *n >= 0) {
                        p.offset = *n;
                    } else {
                        field("offset", p.offset, detail::offset_names);
                    }
                }
            });
        }
        out = std::move(items);
    }

    // librdkafka properties: values may be written as strings, numbers or
    // booleans; librdkafka itself takes them as strings.
    void field(const char* key, std::map<std::string, std::string>& out) {
        if (const json* value = find(key)) {
            // Whatever it is instead may hold secrets ("sasl.password=...").
            if (!value->is_object()) {
                fail(path(key), "an object of librdkafka properties", detail::describe_json(*value, false));
            }
            for (const auto& [name, item] : value->items()) {
                const std::string item_path =
                    fmt::format("{}[\"{}\"]", path(key), detail::printable_text(name));
                if (item.is_string()) {
                    out[name] = item.get<std::string>();
                } else if (item.is_boolean()) {
                    out[name] = item.get<bool>() ? "true" : "false";
                } else if (item.is_number_integer()) {
                    const auto n = detail::json_integer(item);
                    require(n.has_value(), item_path,
                            "a string, boolean or number; a whole number below 2^63", item);
                    out[name] = std::to_string(*n);
                } else if (item.is_number()) {
                    out[name] = item.dump();
                } else {
                    fail(item_path, "a string, number or boolean",
                         detail::is_secret_property(name) ? std::string("[redacted]")
                                                          : detail::describe_json(item));
                }
            }
        }
    }

    template <class Enum, std::size_t N>
    void field(const char* key, Enum& out, const detail::EnumName<Enum> (&names)[N]) {
        if (const json* value = find(key)) {
            if (value->is_string()) {
                for (const auto& n : names) {
                    if (n.name == value->get<std::string>()) {
                        out = n.value;
                        return;
                    }
                }
            }
            fail(path(key), "one of " + allowed_names(names), detail::describe_json(*value));
        }
    }

    template <std::size_t N>
    void field(const char* key, CommitPolicy& out, const std::string_view (&names)[N]) {
        object(key, [&] {
            const json* name = find("policy");
            require(name != nullptr && name->is_string(), path("policy"),
                    "one of " + allowed_names(names, N), name ? *name : json());
            const auto it = std::find(std::begin(names), std::end(names), name->get<std::string>());
            require(it != std::end(names), path("policy"), "one of " + allowed_names(names, N), *name);
            out = make_policy(static_cast<std::size_t>(it - std::begin(names)));
            std::visit([&](auto& policy) { detail::describe(*this, policy); }, out);
        });
    }

    template <class Describe>
    void object(const char* key, Describe&& describe) {
        const json* value = find(key);
        if (value == nullptr) {
            return;
        }
        require(value->is_object(), path(key), "an object", *value);
        nested(key, *value, describe);
    }

    template <class T, class Describe>
    void optional_object(const char* key, std::optional<T>& out, Describe&& describe) {
        const json* value = find(key);
        if (value == nullptr || value->is_null()) {
            if (value != nullptr) {
                out.reset();
            }
            return;
        }
        require(value->is_object(), path(key), "an object or null", *value);
        T item{};
        nested(key, *value, [&] { describe(item); });
        out = std::move(item);
    }

    // Keys of the current object that describe() did not name.
    void refuse_unknown_keys() const {
        for (const auto& [key, value] : node_->items()) {
            if (known_.count(key) == 0) {
                std::string allowed;
                for (const auto& k : known_order_) {
                    allowed += (allowed.empty() ? "" : ", ") + k;
                }
                throw ConfigError(fmt::format("{} JSON: unknown key {}; allowed here: {}", config_name_,
                                              path(detail::printable_text(key).c_str()), allowed));
            }
        }
    }

private:
    static CommitPolicy make_policy(std::size_t index) {
        switch (index) {
            case 0: return AsyncThenSync{};
            case 1: return SyncCommit{};
            case 2: return AsyncCommit{};
            case 3: return AutoCommit{};
            default: return AtMostOnce{};
        }
    }

    const json* find(const char* key) {
        if (known_.insert(key).second) {
            known_order_.emplace_back(key);
        }
        const auto it = node_->find(key);
        return it == node_->end() ? nullptr : &*it;
    }

    template <class Describe>
    void nested(const char* key, const json& value, Describe&& describe) {
        const json* saved_node = node_;
        std::string saved_path = path_;
        auto saved_known = std::move(known_);
        auto saved_order = std::move(known_order_);
        node_ = &value;
        path_ = path(key);
        known_.clear();
        known_order_.clear();
        describe();
        refuse_unknown_keys();
        node_ = saved_node;
        path_ = std::move(saved_path);
        known_ = std::move(saved_known);
        known_order_ = std::move(saved_order);
    }

    std::string path(const char* key) const { return path_ + "." + key; }

    void require(bool ok, const std::string& where, const std::string& expected, const json& got) const {
        if (!ok) {
            fail(where, expected, got.is_null() ? std::string("nothing") : detail::describe_json(got));
        }
    }

    [[noreturn]] void fail(const std::string& where, const std::string& expected,
                           const std::string& got) const {
        throw ConfigError(fmt::format("{} JSON: {} must be {}, got {}", config_name_, where, expected, got));
    }

    const json* node_;
    std::string path_ = "$";
    const char* config_name_;
    std::set<std::string> known_;
    std::vector<std::string> known_order_;
};

// Writes a config as JSON through the same describe(); secrets redacted.
class JsonWriter {
public:
    json result = json::object();

    template <class T>
    void field(const char* key, const T& value) {
        if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
            (*node_)[key] = value.count();
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
            json properties = json::object();
            for (const auto& [name, text] : value) {
                properties[name] = detail::is_secret_property(name) ? std::string("[redacted]") : text;
            }
            (*node_)[key] = std::move(properties);
        } else {
            (*node_)[key] = value;
        }
    }

    void field(const char* key, const std::vector<PartitionOffset>& partitions) {
        json items = json::array();
        for (const PartitionOffset& p : partitions) {
            json item = {{"topic", p.topic}, {"partition", p.partition}, {"offset", p.offset}};
            for (const auto& n : detail::offset_names) {
                if (n.value == p.offset) {
                    item["offset"] = n.name;
                }
            }
            items.push_back(std::move(item));
        }
        (*node_)[key] = std::move(items);
    }

    template <class Enum, std::size_t N>
    void field(const char* key, Enum value, const detail::EnumName<Enum> (&names)[N]) {
        for (const auto& n : names) {
            if (n.value == value) {
                (*node_)[key] = n.name;
            }
        }
    }

    template <std::size_t N>
    void field(const char* key, CommitPolicy& policy, const std::string_view (&names)[N]) {
        object(key, [&] {
            (*node_)["policy"] = names[policy.index()];
            std::visit([&](auto& p) { detail::describe(*this, p); }, policy);
        });
    }

    template <class Describe>
    void object(const char* key, Describe&& describe) {
        json* saved = node_;
        node_ = &((*node_)[key] = json::object());
        describe();
        node_ = saved;
    }

    template <class T, class Describe>
    void optional_object(const char* key, std::optional<T>& value, Describe&& describe) {
        if (!value) {
            (*node_)[key] = nullptr;
            return;
        }
        object(key, [&] { describe(*value); });
    }

private:
    json* node_ = &result;
};

template <class Config>
Config read_config(std::string_view text, const char* config_name) {
    const json root = detail::parse_config_json(text, config_name);
    Config config;
    JsonReader reader(root, config_name);
    detail::describe(reader, config);
    reader.refuse_unknown_keys();
    detail::validate(config);
    return config;
}

template <class Config>
std::string write_config(Config config) {
    JsonWriter writer;
    detail::describe(writer, config);
    return writer.result.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace

ProducerConfig ProducerConfig::from_json(std::string_view json) {
    return read_config<ProducerConfig>(json, "ProducerConfig");
}

ProducerConfig ProducerConfig::from_json_file(const std::string& path) {
    return from_json(detail::read_config_file(path, "ProducerConfig"));
}

std::string ProducerConfig::to_json() const { return write_config(*this); }

ConsumerConfig ConsumerConfig::from_json(std::string_view json) {
    return read_config<ConsumerConfig>(json, "ConsumerConfig");
}

ConsumerConfig ConsumerConfig::from_json_file(const std::string& path) {
    return from_json(detail::read_config_file(path, "ConsumerConfig"));
}

std::string ConsumerConfig::to_json() const { return write_config(*this); }

}  // namespace relkafka
