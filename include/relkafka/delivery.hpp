#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "relkafka/error.hpp"
#include "relkafka/message.hpp"

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
/// broker's acknowledgement (partition, offset, timestamp) or the error with
/// which the message was given up. The message itself always comes back, so
/// a failed message is never lost silently: the caller may retry, store or
/// dead-letter it.
struct Delivery {
    Message message;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::optional<Timestamp> timestamp;
    Persistence persistence = Persistence::NotPersisted;
    Error error;

    bool ok() const noexcept { return !error; }
    explicit operator bool() const noexcept { return ok(); }
};

/// Called once per message with its Delivery. It runs on the producer's
/// callback thread (see CallbackMode) or, when a send fails before the
/// message was queued, on the thread that called send(). It must not throw.
using DeliveryCallback = std::function<void(Delivery&&)>;

}  // namespace relkafka
