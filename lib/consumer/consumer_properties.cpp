#include "detail/consumer_properties.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "consumer/dead_letter.hpp"
#include "detail/producer_properties.hpp"
#include "detail/topic_rule.hpp"
#include "observability/statistics.hpp"

namespace relkafka::detail {

namespace {

bool auto_commits(const ConsumerConfig& c) { return std::holds_alternative<AutoCommit>(c.commit); }

const PolicyProperty<ConsumerConfig> policy_properties[] = {
    {{"bootstrap.servers", "metadata.broker.list", "ConsumerConfig::bootstrap_servers"},
     [](const ConsumerConfig& c) { return c.bootstrap_servers; }},
    {{"group.id", nullptr, "ConsumerConfig::group_id"},
     [](const ConsumerConfig& c) { return c.group_id; }},
    // auto.commit.enable: librdkafka's legacy topic-level name.
    {{"enable.auto.commit", "auto.commit.enable", "ConsumerConfig::commit"},
     [](const ConsumerConfig& c) { return std::string(auto_commits(c) ? "true" : "false"); }},
    {{"auto.commit.interval.ms", nullptr, "ConsumerConfig::commit (AutoCommit::interval)"},
     [](const ConsumerConfig& c) {
         const auto* policy = std::get_if<AutoCommit>(&c.commit);
         return std::to_string(policy != nullptr ? policy->interval.count() : 5000);
     }},
    // Offsets are stored by mark_processed(), never when a record is fetched.
    {{"enable.auto.offset.store", nullptr, "Consumer", "offsets are stored once processed"},
     [](const ConsumerConfig&) { return std::string("false"); }},
    {{"partition.assignment.strategy", nullptr, "ConsumerConfig::protocol"},
     [](const ConsumerConfig& c) {
         return std::string(c.protocol == GroupProtocol::CooperativeSticky ? "cooperative-sticky"
                                                                           : "range,roundrobin");
     }},
    {{"isolation.level", nullptr, "ConsumerConfig::isolation"},
     [](const ConsumerConfig& c) {
         return std::string(c.isolation == Isolation::ReadCommitted ? "read_committed"
                                                                     : "read_uncommitted");
     }},
    {{"statistics.interval.ms", nullptr, "ConsumerConfig::statistics_interval"},
     [](const ConsumerConfig& c) { return std::to_string(c.statistics_interval.count()); }},
};

// Safer than librdkafka's defaults, and still the user's to override: a new
// group starts at the earliest record rather than skipping what exists.
const std::pair<const char*, const char*> default_properties[] = {
    {"auto.offset.reset", "earliest"},
};

void validate_attempts(int attempts, std::chrono::milliseconds backoff, const char* field) {
    require(attempts >= 1,
            fmt::format("{}.attempts = {} must be at least 1 (1 = no retry)", field, attempts));
    require(backoff.count() >= 0,
            fmt::format("{}.backoff = {} ms is negative: use 0 or more", field, backoff.count()));
}

template <class SyncPolicy>
void validate_sync_commit(const SyncPolicy& p, const char* field) {
    validate_attempts(p.attempts, p.backoff, field);
    require(p.timeout.count() >= 1 && p.timeout.count() <= 3600000,
            fmt::format("{}.timeout = {} ms is out of range: a commit attempt waits 1 .. 3600000 "
                        "ms for the broker's answer",
                        field, p.timeout.count()));
}

// librdkafka 2.10.0 (0x020a00ff) is the first without #4059; #4312 was fixed
// in 2.3.0. What counts is the library linked at run time.
constexpr int first_safe_cooperative_version = 0x020a0000;

void require_safe_protocol(const ConsumerConfig& c) {
    if (c.protocol != GroupProtocol::CooperativeSticky ||
        rd_kafka_version() >= first_safe_cooperative_version) {
        return;
    }
    throw ConfigError(fmt::format(
        "ConsumerConfig::protocol = CooperativeSticky is refused with librdkafka {} (the version "
        "linked at run time): a commit sent while a rebalance waits for other members fails "
        "with ILLEGAL_GENERATION, which this librdkafka takes for a lost assignment, so every "
        "record processed since the last commit is processed again, rebalance after rebalance "
        "(librdkafka issue #4059, fixed in 2.10.0); and a member closed before its first "
        "assignment aborts the process (#4312, fixed in 2.3.0). Use GroupProtocol::Eager (the "
        "default), or link librdkafka 2.10.0 or later",
        rd_kafka_version_str()));
}

void require_valid_partitions(const std::vector<PartitionOffset>& partitions) {
    std::set<TopicPartition> seen;
    for (const auto& p : partitions) {
        require_valid_topic(p.topic, "ConsumerConfig::partitions");
        require(p.partition >= 0,
                fmt::format("ConsumerConfig::partitions: {}[{}] is not a partition: partitions "
                            "are numbered from 0",
                            p.topic, p.partition));
        require(p.offset >= 0 || p.offset == offset_beginning || p.offset == offset_end ||
                    p.offset == offset_committed,
                fmt::format("ConsumerConfig::partitions: {}[{}] starts at offset {}: use an offset "
                            ">= 0, offset_beginning (-2), offset_end (-1) or offset_committed "
                            "(-1000)",
                            p.topic, p.partition, p.offset));
        require(seen.insert(p.topic_partition()).second,
                fmt::format("ConsumerConfig::partitions names {}[{}] twice: give each partition "
                            "once, with the offset to start at",
                            p.topic, p.partition));
    }
}

// A batch is reserved up front: a bound keeps a typo from becoming bad_alloc.
constexpr std::size_t max_batch_limit = 1000000;

// librdkafka's default for max.poll.interval.ms.
constexpr long long default_max_poll_interval_ms = 300000;

// A record's retries sleep on the polling thread. Sleeping past
// max.poll.interval.ms makes the group drop this member mid-retry and hand its
// partitions to another, which processes the same records again.
void require_retries_within_poll_interval(const ConsumerConfig& c) {
    long long interval_ms = default_max_poll_interval_ms;
    if (const auto it = c.overrides.find("max.poll.interval.ms"); it != c.overrides.end()) {
        const std::string& value = it->second;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(),
                                                  interval_ms);
        if (error != std::errc() || end != value.data() + value.size()) {
            return;  // not a number: librdkafka refuses it, naming the property
        }
    }
    const double sleeps_ms =
        static_cast<double>(c.retry.attempts - 1) * static_cast<double>(c.retry.backoff.count());
    require(sleeps_ms < static_cast<double>(interval_ms),
            fmt::format("ConsumerConfig::retry sleeps {:.0f} ms between one record's attempts "
                        "({} attempts, {} ms backoff), not less than max.poll.interval.ms = {} "
                        "ms: the group would drop this consumer mid-retry and another member "
                        "would process the same records again; lower retry.attempts or "
                        "retry.backoff, or raise \"max.poll.interval.ms\" in overrides",
                        sleeps_ms, c.retry.attempts, c.retry.backoff.count(), interval_ms));
}

}  // namespace

void validate(const ConsumerConfig& c) {
    require_bootstrap_servers(c.bootstrap_servers, "ConsumerConfig");
    require(!c.group_id.empty(),
            "ConsumerConfig::group_id is empty: committed offsets belong to a group; set a group "
            "id shared by every instance of this service");
    require(c.topics.empty() != c.partitions.empty(),
            c.topics.empty()
                ? "ConsumerConfig::topics and ConsumerConfig::partitions are both empty: name the "
                  "topics to subscribe to, or the partitions to read (manual assignment)"
                : "ConsumerConfig::topics and ConsumerConfig::partitions are both set: subscribe "
                  "to topics (the group divides their partitions) or assign partitions "
                  "yourself, not both");
    for (const auto& topic : c.topics) {
        require_valid_topic(topic, "ConsumerConfig::topics");
    }
    require_valid_partitions(c.partitions);
    require(c.max_batch >= 1 && c.max_batch <= max_batch_limit,
            fmt::format("ConsumerConfig::max_batch = {} is out of range: one poll() returns 1 .. "
                        "{} records",
                        c.max_batch, max_batch_limit));
    validate_attempts(c.retry.attempts, c.retry.backoff, "ConsumerConfig::retry");
    require_retries_within_poll_interval(c);
    require_statistics_interval(c.statistics_interval, "ConsumerConfig");

    require_safe_protocol(c);
    require(c.close_timeout.count() >= 0 && c.close_timeout.count() <= 3600000,
            fmt::format("ConsumerConfig::close_timeout = {} ms is out of range: use 0 .. 3600000 ms",
                        c.close_timeout.count()));

    if (const auto* sync = std::get_if<SyncCommit>(&c.commit)) {
        validate_sync_commit(*sync, "SyncCommit");
    } else if (const auto* both = std::get_if<AsyncThenSync>(&c.commit)) {
        validate_sync_commit(*both, "AsyncThenSync");
    } else if (const auto* autoc = std::get_if<AutoCommit>(&c.commit)) {
        require(autoc->interval.count() >= 1,
                fmt::format("AutoCommit::interval = {} ms must be positive",
                            autoc->interval.count()));
    }

    if (c.dead_letter) {
        require(c.dead_letter->timeout.count() >= 1 && c.dead_letter->timeout.count() <= 3600000,
                fmt::format("DeadLetter::timeout = {} ms is out of range: a dead-letter write "
                            "may take 1 .. 3600000 ms",
                            c.dead_letter->timeout.count()));
        try {
            validate(dead_letter_producer_config(c));
        } catch (const ConfigError& e) {
            throw ConfigError(fmt::format(
                "ConsumerConfig::dead_letter: the dead-letter producer (the consumer's connection "
                "settings plus DeadLetter::producer_overrides) is refused: {}",
                e.what()));
        }
        std::vector<std::string> read = c.topics;
        for (const auto& p : c.partitions) {
            read.push_back(p.topic);
        }
        if (!c.dead_letter->topic.empty()) {
            require_valid_topic(c.dead_letter->topic, "DeadLetter::topic");
        }
        for (const auto& topic : read) {
            const std::string target =
                c.dead_letter->topic.empty() ? topic + ".DLT" : c.dead_letter->topic;
            const char* problem = topic_name_problem(target);
            require(problem == nullptr,
                    fmt::format("ConsumerConfig::dead_letter sends failed records of \"{}\" to "
                                "\"{}.DLT\" (DeadLetter::topic is empty), which is not a valid "
                                "topic name: {}; set DeadLetter::topic",
                                printable_text(topic), printable_text(topic),
                                problem != nullptr ? problem : ""));
            require(std::find(read.begin(), read.end(), target) == read.end(),
                    fmt::format("ConsumerConfig::dead_letter sends failed records of \"{}\" to "
                                "\"{}\", which this consumer also reads: a failing record would "
                                "loop; choose another DeadLetter::topic",
                                topic, target));
        }
    }

    check_overrides(
        c.overrides,
        owned_properties(policy_properties,
                         {{"rebalance_cb", nullptr, "Consumer", "it commits before revocation"},
                          {"offset.store.method", nullptr, "Consumer",
                           "offsets are committed to the group on the brokers, not to a local "
                           "file"},
                          {"group.protocol.type", nullptr, "Consumer",
                           "the group must run the consumer protocol that assignments and "
                           "commits rely on"},
                          {"enable.partition.eof", nullptr, "Consumer",
                           "each partition end would cut poll()'s wait short"},
                          {"consume_cb", nullptr, "Consumer",
                           "records are handed out by poll() and run(), not to a callback"},
                          {"offset_commit_cb", nullptr, "ConsumerConfig::on_commit"},
                          {"error_cb", nullptr, "ConsumerConfig::on_error"},
                          {"stats_cb", nullptr, "ConsumerConfig::on_statistics"},
                          {"log_cb", nullptr, "ConsumerConfig::on_log"},
                          {"log.queue", nullptr, "ConsumerConfig::on_log (it runs on librdkafka's threads)"}}));
}

Properties consumer_properties(const ConsumerConfig& config) {
    validate(config);
    require_statistics_callback(config.statistics_interval, bool(config.on_statistics),
                                "ConsumerConfig");
    Properties properties;
    for (const auto& [key, value] : default_properties) {
        if (config.overrides.count(key) == 0) {
            properties.emplace_back(key, value);
        }
    }
    const Properties mapped = map_properties(policy_properties, config, config.overrides);
    properties.insert(properties.end(), mapped.begin(), mapped.end());
    return properties;
}

}  // namespace relkafka::detail
