#pragma once

// The JSON form of ProducerConfig and ConsumerConfig, written once: each
// describe() names every field with its JSON key, and a visitor (the reader
// or the writer in config_json.cpp) does the rest. Keys are the C++ field
// names, durations carry an "_ms" suffix.

#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>
#include <variant>

#include "relkafka/config.hpp"

namespace relkafka::detail {

template <class Enum>
struct EnumName {
    std::string_view name;
    Enum value;
};

inline constexpr EnumName<Acks> acks_names[] = {
    {"all", Acks::All}, {"leader", Acks::Leader}, {"none", Acks::None}};
inline constexpr EnumName<Idempotence> idempotence_names[] = {
    {"enabled", Idempotence::Enabled}, {"disabled", Idempotence::Disabled}};
inline constexpr EnumName<QueueFullAction> queue_full_names[] = {
    {"block", QueueFullAction::Block}, {"fail_fast", QueueFullAction::FailFast}};
inline constexpr EnumName<Compression> compression_names[] = {
    {"none", Compression::None}, {"gzip", Compression::Gzip}, {"snappy", Compression::Snappy},
    {"lz4", Compression::Lz4},   {"zstd", Compression::Zstd}};
inline constexpr EnumName<CallbackMode> callback_mode_names[] = {
    {"background_thread", CallbackMode::BackgroundThread},
    {"explicit_poll", CallbackMode::ExplicitPoll}};
inline constexpr EnumName<GroupProtocol> protocol_names[] = {
    {"eager", GroupProtocol::Eager}, {"cooperative_sticky", GroupProtocol::CooperativeSticky}};
inline constexpr EnumName<Isolation> isolation_names[] = {
    {"read_committed", Isolation::ReadCommitted}, {"read_uncommitted", Isolation::ReadUncommitted}};

// Logical start offsets of ConsumerConfig::partitions; other offsets are numbers.
inline constexpr EnumName<std::int64_t> offset_names[] = {
    {"beginning", offset_beginning}, {"end", offset_end}, {"committed", offset_committed}};

// CommitPolicy alternatives, in variant index order.
inline constexpr std::string_view commit_policy_names[] = {"async_then_sync", "sync", "async", "auto",
                                                           "at_most_once"};
static_assert(std::size(commit_policy_names) == std::variant_size_v<CommitPolicy>);

template <class V>
void describe(V& v, SyncCommit& p) {
    v.field("every", p.every);
    v.field("attempts", p.attempts);
    v.field("backoff_ms", p.backoff);
    v.field("timeout_ms", p.timeout);
}

template <class V>
void describe(V& v, AsyncCommit& p) {
    v.field("every", p.every);
}

template <class V>
void describe(V& v, AsyncThenSync& p) {
    v.field("every", p.every);
    v.field("attempts", p.attempts);
    v.field("backoff_ms", p.backoff);
    v.field("timeout_ms", p.timeout);
}

template <class V>
void describe(V& v, AutoCommit& p) {
    v.field("interval_ms", p.interval);
}

template <class V>
void describe(V&, AtMostOnce&) {}

template <class V>
void describe(V& v, ProducerConfig& c) {
    v.field("bootstrap_servers", c.bootstrap_servers);
    v.field("acks", c.acks, acks_names);
    v.field("idempotence", c.idempotence, idempotence_names);
    v.object("retry", [&] {
        v.field("retries", c.retry.retries);
        v.field("backoff_ms", c.retry.backoff);
        v.field("delivery_timeout_ms", c.retry.delivery_timeout);
        v.field("max_in_flight", c.retry.max_in_flight);
    });
    v.object("backpressure", [&] {
        v.field("on_full", c.backpressure.on_full, queue_full_names);
        v.field("max_block_ms", c.backpressure.max_block);
        v.field("max_messages", c.backpressure.max_messages);
        v.field("max_kbytes", c.backpressure.max_kbytes);
    });
    v.field("compression", c.compression, compression_names);
    v.field("callbacks", c.callbacks, callback_mode_names);
    v.field("close_timeout_ms", c.close_timeout);
    v.field("statistics_interval_ms", c.statistics_interval);
    v.field("overrides", c.overrides);
}

template <class V>
void describe(V& v, ConsumerConfig& c) {
    v.field("bootstrap_servers", c.bootstrap_servers);
    v.field("group_id", c.group_id);
    v.field("topics", c.topics);
    v.field("partitions", c.partitions);
    v.field("commit", c.commit, commit_policy_names);
    v.field("protocol", c.protocol, protocol_names);
    v.field("isolation", c.isolation, isolation_names);
    v.object("retry", [&] {
        v.field("attempts", c.retry.attempts);
        v.field("backoff_ms", c.retry.backoff);
    });
    v.optional_object("dead_letter", c.dead_letter,
                      [&](DeadLetter& d) {
                          v.field("topic", d.topic);
                          v.field("timeout_ms", d.timeout);
                          v.field("producer_overrides", d.producer_overrides);
                      });
    v.field("max_batch", c.max_batch);
    v.field("close_timeout_ms", c.close_timeout);
    v.field("statistics_interval_ms", c.statistics_interval);
    v.field("overrides", c.overrides);
}

}  // namespace relkafka::detail
