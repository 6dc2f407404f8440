#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "relkafka/error.hpp"
#include "relkafka/policies.hpp"

namespace relkafka {

/// Called with client-level errors that belong to no single message: all
/// brokers down, authentication failure, a fatal error. Runs on the
/// callback thread; must not throw.
using ErrorCallback = std::function<void(const Error&)>;

/// Everything a Producer is built from. The defaults are the safe ones:
/// acks=all, idempotence on, unbounded retries within a 2-minute delivery
/// timeout, blocking backpressure.
///
/// `overrides` passes any other librdkafka property through (e.g.
/// "linger.ms", "client.id", "security.protocol"). It may not set a property
/// that a policy above owns; set the policy instead. Unknown properties and
/// bad values are rejected when the Producer is constructed.
struct ProducerConfig {
    std::string bootstrap_servers;

    Acks acks = Acks::All;
    Idempotence idempotence = Idempotence::Enabled;
    RetryPolicy retry;
    Backpressure backpressure;
    Compression compression = Compression::None;

    CallbackMode callbacks = CallbackMode::BackgroundThread;
    /// How long the destructor waits for outstanding messages before it
    /// purges them and reports them failed to their callbacks.
    std::chrono::milliseconds close_timeout{30000};
    ErrorCallback on_error;

    std::map<std::string, std::string> overrides;
};

}  // namespace relkafka
