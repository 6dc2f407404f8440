#include "transactions/txn_result.hpp"

#include <memory>
#include <string>

#include <fmt/format.h>

namespace relkafka::detail {

namespace {

struct ErrorDeleter {
    void operator()(rd_kafka_error_t* error) const noexcept { rd_kafka_error_destroy(error); }
};

}  // namespace

TxnResult txn_result(rd_kafka_error_t* raw, std::string_view owner, std::string_view call) {
    if (raw == nullptr) {
        return {};
    }
    const std::unique_ptr<rd_kafka_error_t, ErrorDeleter> error(raw);
    const rd_kafka_resp_err_t code = rd_kafka_error_code(raw);
    const std::string what = fmt::format("{}{}: {}", owner, call, rd_kafka_error_string(raw));
    const bool fatal = rd_kafka_error_is_fatal(raw) != 0;
    const bool abortable = rd_kafka_error_txn_requires_abort(raw) != 0;
    const bool retriable = rd_kafka_error_is_retriable(raw) != 0;
    if (!fatal && !abortable && !retriable &&
        (code == RD_KAFKA_RESP_ERR__STATE || code == RD_KAFKA_RESP_ERR__CONFLICT ||
         code == RD_KAFKA_RESP_ERR__NOT_CONFIGURED || code == RD_KAFKA_RESP_ERR__INVALID_ARG)) {
        // Calls out of order or at once from two threads: a bug of the caller's.
        throw UsageError(what);
    }
    Error cause(static_cast<ErrorCode>(code), what, retriable, fatal, abortable);
    if (fatal) {
        return {TxnNext::Recreate, std::move(cause)};
    }
    if (abortable) {
        return {TxnNext::AbortAndRedo, std::move(cause)};
    }
    if (retriable) {
        return {TxnNext::CallAgain, std::move(cause)};
    }
    // librdkafka does not say the producer is still usable: recreating it is
    // the course that cannot go wrong.
    return {TxnNext::Recreate, std::move(cause)};
}

}  // namespace relkafka::detail
