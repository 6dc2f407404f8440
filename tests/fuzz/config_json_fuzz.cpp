// libFuzzer target: any input to ProducerConfig/ConsumerConfig::from_json is
// either a valid config (whose to_json reads back to the same JSON) or a
// ConfigError; never a crash, a hang or another exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "relkafka/config.hpp"

namespace {

template <class Config>
void check(std::string_view input) {
    try {
        const Config config = Config::from_json(input);
        const std::string printed = config.to_json();
        if (config.overrides.empty() || printed.find("[redacted]") == std::string::npos) {
            // Without redacted secrets, the printed form reads back identically.
            if (Config::from_json(printed).to_json() != printed) {
                std::abort();
            }
        }
    } catch (const relkafka::ConfigError&) {
        // The expected answer to bad input.
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check<relkafka::ProducerConfig>(input);
    check<relkafka::ConsumerConfig>(input);
    return 0;
}
