#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relkafka/error.hpp"
#include "relkafka/logging.hpp"
#include "relkafka/policies.hpp"
#include "relkafka/stats.hpp"
#include "relkafka/topic_partition.hpp"

namespace relkafka {

/// Called with client-level errors that belong to no single message: all
/// brokers down, authentication failure, a fatal error. Runs on the
/// callback thread (the consumer's: inside poll()/run()/close()). It must not
/// throw: an exception is caught and logged, and the client carries on.
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
    /// Called with librdkafka's statistics, parsed, every
    /// `statistics_interval` on the producer's callback thread (see
    /// StatisticsCallback). 0 turns statistics off; a positive interval
    /// needs on_statistics. librdkafka's "statistics.interval.ms".
    StatisticsCallback on_statistics;
    std::chrono::milliseconds statistics_interval{0};
    /// The producer's and librdkafka's log lines; log_to_stderr() when
    /// unset. May run on any thread (see LogCallback).
    LogCallback on_log;

    std::map<std::string, std::string> overrides;

    /// Reads the policies and overrides from JSON (callbacks stay unset) and
    /// validates them as the constructor would. Throws ConfigError naming the
    /// JSON path, the bad value and what is allowed. See
    /// examples/config_from_json.json for every key.
    static ProducerConfig from_json(std::string_view json);
    static ProducerConfig from_json_file(const std::string& path);
    /// The JSON form from_json reads back, with secret values redacted.
    std::string to_json() const;
};

/// The outcome of one offset commit, sync or async.
struct CommitResult {
    bool synchronous = false;
    Error error;
    std::vector<PartitionOffset> offsets;
};

/// Called with each commit's outcome on the consumer's polling thread (or
/// the thread calling close()). A failed commit is also logged, at warning.
using CommitCallback = std::function<void(const CommitResult&)>;

/// Partitions given to or taken from this member by a rebalance. On
/// revocation, everything processed on them has already been committed
/// (or the commit's failure was reported to on_commit, with its offsets).
struct RebalanceEvent {
    bool assigned = false;  ///< true: given to this member; false: taken away
    /// Taken away without a revocation: the group dropped this member
    /// (session or poll interval exceeded) or a commit found its generation
    /// stale. Nothing could be committed for them: what was processed since
    /// the last commit is processed again by their next owner.
    bool lost = false;
    std::vector<PartitionOffset> partitions;
};

/// Called on the consumer's polling thread after each assignment change.
/// Like every callback, it must not throw: an exception is caught, logged
/// and reported to on_error, and the consumer carries on.
using RebalanceCallback = std::function<void(const RebalanceEvent&)>;

/// Everything a Consumer is built from. The defaults are at-least-once:
/// offsets are committed only for records whose handler returned, async on
/// the hot path and synchronously on revoke and close.
struct ConsumerConfig {
    std::string bootstrap_servers;
    std::string group_id;
    /// The topics to subscribe to, as a member of group_id: the group
    /// assigns their partitions among its members.
    std::vector<std::string> topics;
    /// Manual assignment, instead of `topics`: exactly these partitions are
    /// read, each from its offset (an offset, offset_beginning, offset_end or
    /// offset_committed). No group membership: no rebalances, no
    /// on_rebalance; group_id is still needed, for commits. The commit policy
    /// applies as with a subscription. Two consumers given the same
    /// partitions both read them: dividing partitions is then the caller's
    /// job.
    std::vector<PartitionOffset> partitions;

    CommitPolicy commit;
    /// Eager by default; see GroupProtocol for why CooperativeSticky needs a
    /// newer librdkafka.
    GroupProtocol protocol = GroupProtocol::Eager;
    Isolation isolation = Isolation::ReadCommitted;
    ProcessingRetry retry;
    std::optional<DeadLetter> dead_letter;

    /// Most records one poll() returns.
    std::size_t max_batch = 500;

    /// The longest close() takes, whatever the cluster does: the final
    /// commit, leaving the group and the dead-letter producer's flush all
    /// fit in it. What could not be committed in time is reported to
    /// on_commit (and the log) with its offsets: those records will be
    /// processed again. One wait is librdkafka's: with the group coordinator
    /// unreachable, releasing the handle waits until librdkafka gives up the
    /// commits it queued for it, "session.timeout.ms" after the close began.
    /// So close() and the destructor take at most the larger of the two.
    std::chrono::milliseconds close_timeout{30000};

    CommitCallback on_commit;
    RebalanceCallback on_rebalance;
    ErrorCallback on_error;
    /// Called with librdkafka's statistics, parsed, every
    /// `statistics_interval`, inside poll() (see StatisticsCallback). 0 turns
    /// statistics off; a positive interval needs on_statistics.
    /// librdkafka's "statistics.interval.ms".
    StatisticsCallback on_statistics;
    std::chrono::milliseconds statistics_interval{0};
    /// The consumer's and librdkafka's log lines; log_to_stderr() when
    /// unset. May run on any thread (see LogCallback).
    LogCallback on_log;

    /// Other librdkafka consumer properties, e.g. "session.timeout.ms",
    /// "auto.offset.reset". Properties a policy owns are refused.
    std::map<std::string, std::string> overrides;

    /// As ProducerConfig::from_json, for consumers.
    static ConsumerConfig from_json(std::string_view json);
    static ConsumerConfig from_json_file(const std::string& path);
    /// The JSON form from_json reads back, with secret values redacted.
    std::string to_json() const;
};

}  // namespace relkafka
