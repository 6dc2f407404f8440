#include <catch2/catch.hpp>

#include "relkafka/error.hpp"

using relkafka::Error;
using relkafka::ErrorCode;

TEST_CASE("a default Error means no error") {
    const Error none;
    CHECK_FALSE(none);
    CHECK(none.code() == ErrorCode::NoError);
    CHECK(none.to_string() == "NO_ERROR");
}

TEST_CASE("an Error carries its code, message and flags") {
    const Error e(ErrorCode::NotLeaderForPartition, "leader moved", true, false, false);
    CHECK(e);
    CHECK(e.retriable());
    CHECK_FALSE(e.fatal());
    CHECK_FALSE(e.txn_requires_abort());
    CHECK(e.to_string() == "NOT_LEADER_FOR_PARTITION: leader moved");
}

TEST_CASE("error names are librdkafka's") {
    CHECK(relkafka::error_name(ErrorCode::MsgTimedOut) == "_MSG_TIMED_OUT");
    CHECK(relkafka::error_name(ErrorCode::KafkaStorageError) == "KAFKA_STORAGE_ERROR");
    // Codes without an enumerator still have their name.
    CHECK(relkafka::error_name(static_cast<ErrorCode>(36)) == "TOPIC_ALREADY_EXISTS");
}
