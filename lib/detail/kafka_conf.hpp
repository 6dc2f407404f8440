#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/handles.hpp"

namespace relkafka::detail {

// librdkafka properties in the order they are applied.
using Properties = std::vector<std::pair<std::string, std::string>>;

// A property that a policy owns: overrides may not set it (or an alias).
struct OwnedProperty {
    const char* key;
    const char* alias;  // librdkafka's other name for it, or nullptr
    const char* owner;  // the config field to set instead, e.g. "ProducerConfig::acks"
};

// Throws ConfigError if `overrides` sets a property listed in `owned`.
void reject_owned_overrides(const std::map<std::string, std::string>& overrides,
                            const std::vector<OwnedProperty>& owned);

// True for properties whose values must never be printed.
bool is_secret_property(std::string_view key) noexcept;

// The value as it may be printed: secrets are replaced by "[redacted]".
std::string printable_value(std::string_view key, std::string_view value);

// Builds a librdkafka configuration. Each property librdkafka refuses throws
// ConfigError naming the property, the value and librdkafka's reason.
ConfHandle make_conf(const Properties& properties);

}  // namespace relkafka::detail
