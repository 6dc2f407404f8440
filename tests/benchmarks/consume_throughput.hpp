#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "consume_clients.hpp"

namespace relkafka::bench {

// Small values keep 100k records per partition under the mock's retention
// (about 5 MB per partition).
constexpr std::size_t consume_value_size = 32;

enum class ConsumeApi {
    Raw,   // rd_kafka_consumer_poll loop, offsets stored per record, commits as the policy
    Poll,  // Consumer::poll() + mark_processed()
    Run,   // Consumer::run(handler, stop)
};

struct ConsumeVariant {
    CommitKind commit;
    ConsumeApi api;
};

// "AsyncThenSync poll()", "raw SyncCommit", ...
std::string consume_variant_name(const ConsumeVariant& variant);

// For --profile: "consume-poll-async-then-sync", "consume-raw-at-most-once", ...
std::string consume_profile_name(const ConsumeVariant& variant);

// Every combination of commit policy and API.
std::vector<ConsumeVariant> all_consume_variants();

// On a fresh cluster, produces `messages` records (not timed), then reads
// them all with a new consumer in a new group, processing each trivially.
// Timed from the first record to the last one processed. Fails if any record
// is missing or read twice, or if they are not all read within `give_up_after`.
RunResult run_consume(const ConsumeVariant& variant, std::size_t messages,
                      std::chrono::seconds give_up_after = std::chrono::seconds(120));

}  // namespace relkafka::bench
