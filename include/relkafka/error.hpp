#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace relkafka {

/// Kafka and librdkafka error codes. The values are librdkafka's
/// rd_kafka_resp_err_t values, so any code librdkafka reports fits in an
/// ErrorCode even when it has no name here. Negative values are errors raised
/// by the client itself, positive ones come from the broker.
enum class ErrorCode : int {
    NoError = 0,

    // Raised by the client (librdkafka).
    Destroy = -197,
    Fail = -196,
    Transport = -195,
    MsgTimedOut = -192,
    UnknownPartition = -190,
    UnknownTopic = -188,
    AllBrokersDown = -187,
    InvalidArg = -186,
    TimedOut = -185,
    QueueFull = -184,
    State = -172,
    Fatal = -150,
    PurgeQueue = -152,
    PurgeInflight = -151,
    NoOffset = -168,
    /// The group took this member's partitions without a revocation.
    AssignmentLost = -142,

    // Returned by brokers.
    UnknownTopicOrPartition = 3,
    LeaderNotAvailable = 5,
    NotLeaderForPartition = 6,
    RequestTimedOut = 7,
    MsgSizeTooLarge = 10,
    CoordinatorLoadInProgress = 14,
    CoordinatorNotAvailable = 15,
    NotCoordinator = 16,
    NotEnoughReplicas = 19,
    NotEnoughReplicasAfterAppend = 20,
    IllegalGeneration = 22,
    UnknownMemberId = 25,
    RebalanceInProgress = 27,
    TopicAuthorizationFailed = 29,
    OutOfOrderSequenceNumber = 45,
    InvalidProducerEpoch = 47,
    KafkaStorageError = 56,
    ProducerFenced = 90,
    // relkafka's own, outside librdkafka's range.
    /// The message's transaction was aborted: it is not visible to
    /// read_committed readers; send it again in a new transaction.
    TransactionAborted = -10000,
};

/// librdkafka's symbolic name of a code, e.g. "NOT_LEADER_FOR_PARTITION" or
/// "_MSG_TIMED_OUT".
std::string error_name(ErrorCode code);

/// The outcome of an operation that failed, as a value: a failed delivery, a
/// commit the broker refused. A default-constructed Error means "no error".
///
/// `retriable()` says whether doing the same thing again may succeed;
/// `fatal()` says the client instance is unusable and must be recreated;
/// `txn_requires_abort()` says the current transaction must be aborted.
class Error {
public:
    Error() noexcept = default;
    Error(ErrorCode code, std::string message, bool retriable = false, bool fatal = false,
          bool txn_requires_abort = false);

    ErrorCode code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }
    bool retriable() const noexcept { return retriable_; }
    bool fatal() const noexcept { return fatal_; }
    bool txn_requires_abort() const noexcept { return txn_requires_abort_; }

    /// True when this is an error (code other than NoError).
    explicit operator bool() const noexcept { return code_ != ErrorCode::NoError; }

    /// "NAME: message", suitable for logs.
    std::string to_string() const;

private:
    ErrorCode code_ = ErrorCode::NoError;
    std::string message_;
    bool retriable_ = false;
    bool fatal_ = false;
    bool txn_requires_abort_ = false;
};

/// Thrown at construction when a configuration is invalid, contradictory or
/// unsafe. The message names the setting(s) involved and how to fix them.
class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Thrown when the API is misused, e.g. a call on a closed or moved-from handle.
class UsageError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace relkafka
