#include "detail/readiness.hpp"

#include <fmt/format.h>

#include "detail/deadline.hpp"
#include "detail/errors.hpp"

namespace relkafka::detail {

Error wait_connected(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                     std::string_view bootstrap_servers) {
    const int timeout_ms = std::max(1, to_timeout_ms(timeout));
    const rd_kafka_metadata_t* metadata = nullptr;
    // Only the topics this client knows: a round trip, not a cluster dump.
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, nullptr, &metadata, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Error(to_code(err),
                     fmt::format("no broker of \"{}\" answered within {} ms ({}): check "
                                 "bootstrap_servers, the network and the security settings",
                                 bootstrap_servers, timeout.count(), rd_kafka_err2str(err)),
                     true);
    }
    const int brokers = metadata->broker_cnt;
    rd_kafka_metadata_destroy(metadata);
    if (brokers == 0) {
        return Error(ErrorCode::AllBrokersDown,
                     fmt::format("the cluster behind \"{}\" answered with no brokers",
                                 bootstrap_servers),
                     true);
    }
    return {};
}

}  // namespace relkafka::detail
