#include "detail/kafka_conf.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "relkafka/error.hpp"

namespace relkafka::detail {

namespace {

// Owned by every client, whatever its config: the properties through which
// librdkafka would hand relkafka's events, callbacks or brokers to someone else.
const OwnedProperty client_owned[] = {
    {"opaque", nullptr, "relkafka",
     "its callbacks find their client through librdkafka's opaque pointer"},
    {"background_event_cb", nullptr, "relkafka",
     "events are served by the client's own poller; a background event callback would take "
     "delivery reports and rebalances away from it"},
    {"enabled_events", nullptr, "relkafka",
     "it chooses which events reach the client's queues, delivery reports and rebalances "
     "included"},
    {"default_topic_conf", nullptr, "relkafka",
     "topic-level properties come from the policies and overrides"},
    {"ut_handle_ProduceResponse", nullptr, "relkafka",
     "a librdkafka unit-test hook whose value librdkafka would call as a function"},
    {"test.mock.num.brokers", nullptr, "relkafka",
     "it replaces bootstrap_servers by a mock cluster inside librdkafka; tests use "
     "relkafka::testing::MockCluster"},
};

bool names(const OwnedProperty& property, std::string_view key) {
    return key == property.key || (property.alias != nullptr && key == property.alias);
}

// librdkafka applies "topic.acks" as the topic-level "acks".
std::string_view without_topic_prefix(std::string_view key) {
    constexpr std::string_view prefix = "topic.";
    while (key.substr(0, prefix.size()) == prefix) {
        key.remove_prefix(prefix.size());
    }
    return key;
}

[[noreturn]] void refuse_owned(std::string_view key, std::string_view value, const OwnedProperty& property) {
    if (property.reason != nullptr) {
        throw ConfigError(fmt::format(
            "overrides[\"{}\"] = \"{}\" is refused: {} keeps this property at its own setting "
            "({}); remove it from overrides",
            printable_text(key), printable_value(key, value), property.owner, property.reason));
    }
    throw ConfigError(fmt::format(
        "overrides[\"{}\"] = \"{}\" sets a property owned by {}; set {} instead and remove it from "
        "overrides",
        printable_text(key), printable_value(key, value), property.owner, property.owner));
}

// librdkafka takes keys and values as C strings: "acks\0" is read as "acks",
// past the owned-property check. No property needs a control character.
void refuse_control_characters(std::string_view key, std::string_view value) {
    if (const std::size_t at = find_control_character(key); at != std::string_view::npos) {
        throw ConfigError(fmt::format(
            "overrides key \"{}\" contains the control character U+{:04X} at byte {}: librdkafka "
            "property names are plain text; remove it",
            printable_text(key), static_cast<unsigned char>(key[at]), at));
    }
    if (const std::size_t at = find_control_character(value); at != std::string_view::npos) {
        throw ConfigError(fmt::format(
            "overrides[\"{}\"] has the control character U+{:04X} at byte {} of its value: "
            "librdkafka would read a different value (up to a NUL); remove it",
            printable_text(key), static_cast<unsigned char>(value[at]), at));
    }
}

}  // namespace

void check_overrides(const std::map<std::string, std::string>& overrides,
                     const std::vector<OwnedProperty>& owned) {
    for (const auto& [key, value] : overrides) {
        refuse_control_characters(key, value);
        const std::string_view bare = without_topic_prefix(key);
        for (const auto& property : owned) {
            if (names(property, key) || names(property, bare)) {
                refuse_owned(key, value, property);
            }
        }
        for (const auto& property : client_owned) {
            if (names(property, key) || names(property, bare)) {
                refuse_owned(key, value, property);
            }
        }
    }
}

void require(bool ok, const std::string& message) {
    if (!ok) {
        throw ConfigError(message);
    }
}

void require_bootstrap_servers(const std::string& servers, const char* config_type) {
    require(servers.find_first_not_of(" ,") != std::string::npos,
            fmt::format("{}::bootstrap_servers is empty: set it to \"host:port[,host:port...]\" of "
                        "at least one broker",
                        config_type));
}

ConfHandle make_conf(const Properties& properties) {
    ConfHandle conf(rd_kafka_conf_new());
    char errstr[512];
    for (const auto& [key, value] : properties) {
        errstr[0] = '\0';
        switch (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr)) {
            case RD_KAFKA_CONF_OK:
                break;
            case RD_KAFKA_CONF_UNKNOWN:
                throw ConfigError(fmt::format(
                    "unknown librdkafka property \"{}\": {}; check its spelling against "
                    "librdkafka's CONFIGURATION.md",
                    printable_text(key), errstr));
            case RD_KAFKA_CONF_INVALID: {
                // librdkafka's reason may quote the value, or a part of it cut
                // at the end of errstr that no search would find.
                const std::string reason =
                    is_secret_property(key) ? std::string("(librdkafka's reason is withheld: it may quote the value)")
                                            : std::string(errstr);
                throw ConfigError(fmt::format("invalid value \"{}\" for librdkafka property \"{}\": {}",
                                              printable_value(key, value), printable_text(key), reason));
            }
        }
    }
    return conf;
}

}  // namespace relkafka::detail
