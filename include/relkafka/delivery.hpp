#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "relkafka/error.hpp"
#include "relkafka/message.hpp"
#include "relkafka/topic_partition.hpp"

namespace relkafka {

/// What the client knows about whether a failed message reached the log.
enum class Persistence {
    /// Never sent, or the broker said it was not written: safe to send again.
    NotPersisted,
    /// Sent but unacknowledged (a timeout, a purge of in-flight messages):
    /// sending it again may duplicate it.
    PossiblyPersisted,
    /// Written and acknowledged.
    Persisted,
};

/// The outcome of one send, reported exactly once per message: either the
/// broker's acknowledgement (topic, partition, offset, timestamp) or the
/// error with which the message was given up. A failed message comes back
/// whole in `message`, so it is never lost silently: the caller may retry,
/// store or dead-letter it. After a success `message` is empty: the producer
/// does not keep a second copy of every payload in flight.
struct Delivery {
    std::string topic;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::optional<Timestamp> timestamp;
    Persistence persistence = Persistence::NotPersisted;
    Error error;
    /// The message as sent, on failure only.
    Message message;

    bool ok() const noexcept { return !error; }
    /// Where the message was written: its own offset (-1 on failure).
    PartitionOffset position() const { return {topic, partition, offset}; }
    explicit operator bool() const noexcept { return ok(); }
};

/// Called once per message with its Delivery. It runs on the producer's
/// callback thread (see CallbackMode) or, when a send fails before the
/// message was queued, on the thread that called send(). It must not throw:
/// if it does, the exception is caught and logged at error (and reported to
/// ProducerConfig::on_error); the message counts as reported, and the
/// producer goes on serving the other messages' callbacks.
using DeliveryCallback = std::function<void(Delivery&&)>;

}  // namespace relkafka
