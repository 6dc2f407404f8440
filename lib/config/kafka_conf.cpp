#include "detail/kafka_conf.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "relkafka/error.hpp"

namespace relkafka::detail {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

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
            key, printable_value(key, value), property.owner, property.reason));
    }
    throw ConfigError(fmt::format(
        "overrides[\"{}\"] = \"{}\" sets a property that {} controls; set {} instead and remove it "
        "from overrides",
        key, printable_value(key, value), property.owner, property.owner));
}

}  // namespace

void reject_owned_overrides(const std::map<std::string, std::string>& overrides,
                            const std::vector<OwnedProperty>& owned) {
    for (const auto& [key, value] : overrides) {
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

bool is_secret_property(std::string_view key) noexcept {
    static constexpr std::array<std::string_view, 4> secret_suffixes = {
        ".password", ".secret", "sasl.oauthbearer.config", "ssl.key.pem"};
    return std::any_of(secret_suffixes.begin(), secret_suffixes.end(),
                       [&](std::string_view suffix) { return ends_with(key, suffix); });
}

std::string printable_value(std::string_view key, std::string_view value) {
    return is_secret_property(key) ? std::string("[redacted]") : std::string(value);
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
                    key, errstr));
            case RD_KAFKA_CONF_INVALID: {
                std::string reason = errstr;
                if (is_secret_property(key) && !value.empty()) {
                    for (auto at = reason.find(value); at != std::string::npos; at = reason.find(value)) {
                        reason.replace(at, value.size(), "[redacted]");
                    }
                }
                throw ConfigError(fmt::format("invalid value \"{}\" for librdkafka property \"{}\": {}",
                                              printable_value(key, value), key, reason));
            }
        }
    }
    return conf;
}

}  // namespace relkafka::detail
