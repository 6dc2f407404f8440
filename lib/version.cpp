#include "relkafka/version.hpp"

namespace relkafka {

std::string_view version() noexcept {
    return RELKAFKA_VERSION_STRING;
}

}  // namespace relkafka
