#pragma once

#include <cstddef>

#include "bench_support.hpp"

namespace relkafka::bench {

enum class SendVariant {
    Raw,             // rd_kafka_producev(RD_KAFKA_MSG_F_COPY) + dr_msg_cb, polled inline
    FacadeCallback,  // Producer::send(MessageView, callback): the same bytes raw sends
    FacadeFuture,    // Producer::send(MessageView) -> DeliveryFuture, sliding window

    // Diagnostics, to tell the facade's threading from its per-message code:
    RawPollThread,       // raw, but reports served on a thread, as the facade does
    FacadeExplicitPoll,  // send(MessageView, callback) with CallbackMode::ExplicitPoll,
                         // Producer::poll(0) after each send, as raw does
    FacadeOwned,         // send(Message, callback), each Message built with a copy of
                         // the value, as code that has no buffer of its own would
};

const char* variant_name(SendVariant variant);

// Produces `messages` values of `value_size` bytes as fast as possible on a
// fresh cluster and producer (warmed up first); timed from the first send to
// the last delivery report.
RunResult run_throughput(SendVariant variant, std::size_t value_size, std::size_t messages);

}  // namespace relkafka::bench
