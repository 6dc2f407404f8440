#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/handles.hpp"
#include "detail/printable.hpp"

namespace relkafka::detail {

// librdkafka properties in the order they are applied.
using Properties = std::vector<std::pair<std::string, std::string>>;

// A property that a policy owns: overrides may not set it (or an alias).
struct OwnedProperty {
    const char* key;
    const char* alias;  // librdkafka's other name for it, or nullptr
    // The config field to set instead, e.g. "ProducerConfig::acks"; or, with
    // a reason, the part of relkafka that keeps the property at its setting.
    const char* owner;
    // Why a property no config field sets is refused, or nullptr.
    const char* reason = nullptr;
};

// A policy-owned property and how its value is written from a Config.
template <class Config>
struct PolicyProperty {
    OwnedProperty property;
    std::string (*value)(const Config&);
};

// The properties a table of policy properties writes for `config`, then the
// overrides.
template <class Config, std::size_t N>
Properties map_properties(const PolicyProperty<Config> (&table)[N], const Config& config,
                          const std::map<std::string, std::string>& overrides) {
    Properties properties;
    for (const auto& p : table) {
        properties.emplace_back(p.property.key, p.value(config));
    }
    properties.insert(properties.end(), overrides.begin(), overrides.end());
    return properties;
}

// The properties a table owns, plus `extra` (callbacks the client installs).
template <class Config, std::size_t N>
std::vector<OwnedProperty> owned_properties(const PolicyProperty<Config> (&table)[N],
                                            std::initializer_list<OwnedProperty> extra) {
    std::vector<OwnedProperty> owned;
    for (const auto& p : table) {
        owned.push_back(p.property);
    }
    owned.insert(owned.end(), extra.begin(), extra.end());
    return owned;
}

// Throws ConfigError if a key or value of `overrides` holds a control
// character, or a key names a property listed in `owned` or one that every
// relkafka client owns (opaque, enabled_events, ...). A key is also matched
// without librdkafka's "topic." prefix, which it strips.
void check_overrides(const std::map<std::string, std::string>& overrides,
                     const std::vector<OwnedProperty>& owned);

// Throws ConfigError(message) unless ok.
void require(bool ok, const std::string& message);

// Throws ConfigError unless `servers` names at least one broker.
void require_bootstrap_servers(const std::string& servers, const char* config_type);

// Builds a librdkafka configuration. Each property librdkafka refuses throws
// ConfigError naming the property, the value and librdkafka's reason.
ConfHandle make_conf(const Properties& properties);

}  // namespace relkafka::detail
