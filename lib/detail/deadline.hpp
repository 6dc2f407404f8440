#pragma once

#include <algorithm>
#include <chrono>
#include <climits>

namespace relkafka::detail {

// librdkafka takes its timeouts as int milliseconds.
inline int to_timeout_ms(std::chrono::milliseconds duration) noexcept {
    return static_cast<int>(std::clamp<long long>(duration.count(), 0, INT_MAX));
}

// Milliseconds left until `deadline`, as librdkafka takes them: 0 once past.
inline int ms_until(std::chrono::steady_clock::time_point deadline) noexcept {
    return to_timeout_ms(std::chrono::ceil<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
}

}  // namespace relkafka::detail
