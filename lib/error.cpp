#include "relkafka/error.hpp"

#include <utility>

#include <librdkafka/rdkafka.h>

#include "detail/errors.hpp"

namespace relkafka {

#define RELKAFKA_SAME_CODE(ours, theirs) \
    static_assert(static_cast<int>(ErrorCode::ours) == RD_KAFKA_RESP_ERR_##theirs)
RELKAFKA_SAME_CODE(Destroy, _DESTROY);
RELKAFKA_SAME_CODE(Fail, _FAIL);
RELKAFKA_SAME_CODE(Transport, _TRANSPORT);
RELKAFKA_SAME_CODE(MsgTimedOut, _MSG_TIMED_OUT);
RELKAFKA_SAME_CODE(UnknownPartition, _UNKNOWN_PARTITION);
RELKAFKA_SAME_CODE(UnknownTopic, _UNKNOWN_TOPIC);
RELKAFKA_SAME_CODE(AllBrokersDown, _ALL_BROKERS_DOWN);
RELKAFKA_SAME_CODE(InvalidArg, _INVALID_ARG);
RELKAFKA_SAME_CODE(TimedOut, _TIMED_OUT);
RELKAFKA_SAME_CODE(QueueFull, _QUEUE_FULL);
RELKAFKA_SAME_CODE(State, _STATE);
RELKAFKA_SAME_CODE(Fatal, _FATAL);
RELKAFKA_SAME_CODE(PurgeQueue, _PURGE_QUEUE);
RELKAFKA_SAME_CODE(PurgeInflight, _PURGE_INFLIGHT);
RELKAFKA_SAME_CODE(NoOffset, _NO_OFFSET);
RELKAFKA_SAME_CODE(AssignmentLost, _ASSIGNMENT_LOST);
RELKAFKA_SAME_CODE(UnknownTopicOrPartition, UNKNOWN_TOPIC_OR_PART);
RELKAFKA_SAME_CODE(LeaderNotAvailable, LEADER_NOT_AVAILABLE);
RELKAFKA_SAME_CODE(NotLeaderForPartition, NOT_LEADER_FOR_PARTITION);
RELKAFKA_SAME_CODE(RequestTimedOut, REQUEST_TIMED_OUT);
RELKAFKA_SAME_CODE(MsgSizeTooLarge, MSG_SIZE_TOO_LARGE);
RELKAFKA_SAME_CODE(CoordinatorLoadInProgress, COORDINATOR_LOAD_IN_PROGRESS);
RELKAFKA_SAME_CODE(CoordinatorNotAvailable, COORDINATOR_NOT_AVAILABLE);
RELKAFKA_SAME_CODE(NotCoordinator, NOT_COORDINATOR);
RELKAFKA_SAME_CODE(NotEnoughReplicas, NOT_ENOUGH_REPLICAS);
RELKAFKA_SAME_CODE(NotEnoughReplicasAfterAppend, NOT_ENOUGH_REPLICAS_AFTER_APPEND);
RELKAFKA_SAME_CODE(IllegalGeneration, ILLEGAL_GENERATION);
RELKAFKA_SAME_CODE(UnknownMemberId, UNKNOWN_MEMBER_ID);
RELKAFKA_SAME_CODE(RebalanceInProgress, REBALANCE_IN_PROGRESS);
RELKAFKA_SAME_CODE(TopicAuthorizationFailed, TOPIC_AUTHORIZATION_FAILED);
RELKAFKA_SAME_CODE(OutOfOrderSequenceNumber, OUT_OF_ORDER_SEQUENCE_NUMBER);
RELKAFKA_SAME_CODE(InvalidProducerEpoch, INVALID_PRODUCER_EPOCH);
RELKAFKA_SAME_CODE(KafkaStorageError, KAFKA_STORAGE_ERROR);
RELKAFKA_SAME_CODE(ProducerFenced, PRODUCER_FENCED);
#undef RELKAFKA_SAME_CODE

std::string error_name(ErrorCode code) {
    if (code == ErrorCode::TransactionAborted) {
        return "TRANSACTION_ABORTED";
    }
    return rd_kafka_err2name(detail::to_native(code));
}

Error::Error(ErrorCode code, std::string message, bool retriable, bool fatal,
             bool txn_requires_abort)
    : code_(code),
      message_(std::move(message)),
      retriable_(retriable),
      fatal_(fatal),
      txn_requires_abort_(txn_requires_abort) {}

std::string Error::to_string() const {
    if (code_ == ErrorCode::NoError) {
        return "NO_ERROR";
    }
    return error_name(code_) + ": " + message_;
}

namespace detail {

bool is_retriable(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::Transport:
        case ErrorCode::MsgTimedOut:
        case ErrorCode::AllBrokersDown:
        case ErrorCode::TimedOut:
        case ErrorCode::QueueFull:
        case ErrorCode::PurgeQueue:
        case ErrorCode::PurgeInflight:
        case ErrorCode::LeaderNotAvailable:
        case ErrorCode::NotLeaderForPartition:
        case ErrorCode::RequestTimedOut:
        case ErrorCode::CoordinatorLoadInProgress:
        case ErrorCode::CoordinatorNotAvailable:
        case ErrorCode::NotCoordinator:
        case ErrorCode::NotEnoughReplicas:
        case ErrorCode::NotEnoughReplicasAfterAppend:
        case ErrorCode::RebalanceInProgress:
        case ErrorCode::KafkaStorageError:
        case ErrorCode::UnknownTopicOrPartition:
            return true;
        default:
            return false;
    }
}

Error make_error(rd_kafka_resp_err_t err, const std::string& context) {
    const ErrorCode code = to_code(err);
    return Error(code, context + ": " + rd_kafka_err2str(err), is_retriable(code));
}

Error make_error(const rd_kafka_error_t* error, const std::string& context) {
    return Error(to_code(rd_kafka_error_code(error)), context + ": " + rd_kafka_error_string(error),
                 rd_kafka_error_is_retriable(error) != 0, rd_kafka_error_is_fatal(error) != 0,
                 rd_kafka_error_txn_requires_abort(error) != 0);
}

}  // namespace detail
}  // namespace relkafka
