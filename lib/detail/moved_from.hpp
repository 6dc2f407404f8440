#pragma once

#include <string>

#include "relkafka/error.hpp"

namespace relkafka::detail {

// The implementation behind a handle, or UsageError when the handle was
// moved from: "<call> on a moved-from <type>".
template <class ImplPtr>
auto& impl_of(const ImplPtr& impl, const char* type, const char* call) {
    if (!impl) {
        throw UsageError(std::string(call) + " on a moved-from " + type);
    }
    return *impl;
}

}  // namespace relkafka::detail
