#include "consume_throughput.hpp"

#include <atomic>
#include <cctype>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "consume_backlog.hpp"
#include "consume_tally.hpp"
#include "deadline.hpp"
#include "relkafka/consumer.hpp"

namespace relkafka::bench {

namespace {

constexpr int poll_timeout_ms = 100;

// ConsumerConfig::max_batch's default: the most records one Consumer::poll()
// returns, and so the raw loops' batch for per-batch commits.
constexpr std::size_t max_batch = 500;

struct MessageDeleter {
    void operator()(rd_kafka_message_t* m) const noexcept { rd_kafka_message_destroy(m); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

// A batch is up to max_batch records; as Consumer::poll() does, only its
// first record is waited for, and it ends early when nothing more is queued.
MessagePtr next_message(rd_kafka_t* rk, std::size_t in_batch) {
    return MessagePtr(rd_kafka_consumer_poll(rk, in_batch == 0 ? poll_timeout_ms : 0));
}

// Processes and stores each record as it comes; commits after each batch.
void raw_stream(RawConsumer& consumer, ConsumeTally& tally, const Deadline& deadline) {
    rd_kafka_t* rk = consumer.get();
    std::size_t in_batch = 0;
    while (!tally.done()) {
        const MessagePtr m = next_message(rk, in_batch);
        if (!m) {
            if (in_batch > 0) {
                consumer.commit_batch();
                in_batch = 0;
            } else if (deadline.passed()) {
                return;
            }
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        tally.add(m->partition, m->offset, m->len);
        rd_kafka_offset_store(m->rkt, m->partition, m->offset);  // stores offset + 1
        if (++in_batch == max_batch) {
            consumer.commit_batch();
            in_batch = 0;
        }
    }
}

// Stores and commits a whole batch before processing any of it.
void raw_at_most_once(RawConsumer& consumer, ConsumeTally& tally, const Deadline& deadline) {
    rd_kafka_t* rk = consumer.get();
    std::vector<MessagePtr> batch;
    batch.reserve(max_batch);
    while (!tally.done()) {
        batch.clear();
        while (batch.size() < max_batch) {
            MessagePtr m = next_message(rk, batch.size());
            if (!m) {
                break;
            }
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_offset_store(m->rkt, m->partition, m->offset);
                batch.push_back(std::move(m));
            }
        }
        if (batch.empty()) {
            if (deadline.passed()) {
                return;
            }
            continue;
        }
        consumer.commit_batch();
        for (const MessagePtr& m : batch) {
            tally.add(m->partition, m->offset, m->len);
            if (tally.done()) {
                break;
            }
        }
    }
}

std::size_t value_size(const Record& r) {
    return r.value() ? r.value()->size() : 0;
}

void facade_poll(Consumer& consumer, ConsumeTally& tally, const Deadline& deadline) {
    while (!tally.done()) {
        const std::vector<Record> batch = consumer.poll(std::chrono::milliseconds(poll_timeout_ms));
        if (batch.empty() && deadline.passed()) {
            return;
        }
        for (const Record& r : batch) {
            tally.add(r.partition(), r.offset(), value_size(r));
            consumer.mark_processed(r);
            if (tally.done()) {
                break;
            }
        }
    }
}

void facade_run(Consumer& consumer, ConsumeTally& tally, std::chrono::seconds give_up_after) {
    std::atomic<bool> stop{false};
    const Watchdog watchdog(stop, give_up_after);
    consumer.run(
        [&](const Record& r) {
            tally.add(r.partition(), r.offset(), value_size(r));
            if (tally.done()) {
                stop.store(true);
            }
        },
        stop);
}

RunResult with_commits(RunResult result, std::size_t commits, std::size_t failures) {
    if (result.ok && failures != 0) {
        return failed_run(fmt::format("{} commits or assignments failed", failures));
    }
    result.commits = static_cast<double>(commits);
    return result;
}

RunResult raw(const BenchCluster& cluster, CommitKind kind, std::size_t messages,
              std::chrono::seconds give_up_after) {
    RawConsumer consumer(cluster, kind);
    ConsumeTally tally(messages, consume_value_size);
    const Deadline deadline(give_up_after);
    if (kind == CommitKind::AtMostOnce) {
        raw_at_most_once(consumer, tally, deadline);
    } else {
        raw_stream(consumer, tally, deadline);
    }
    const RunResult result = tally.finish();
    consumer.close();
    return with_commits(result, consumer.commits(), consumer.failures());
}

RunResult facade(const BenchCluster& cluster, const ConsumeVariant& variant, std::size_t messages,
                 std::chrono::seconds give_up_after) {
    Consumer consumer(facade_consumer_config(cluster, variant.commit));
    ConsumeTally tally(messages, consume_value_size);
    if (variant.api == ConsumeApi::Run) {
        facade_run(consumer, tally, give_up_after);
    } else {
        facade_poll(consumer, tally, Deadline(give_up_after));
    }
    const RunResult result = tally.finish();
    consumer.close();
    const ConsumerCounters counters = consumer.counters();
    return with_commits(result, counters.commits, counters.commits_failed);
}

const char* api_name(ConsumeApi api) {
    switch (api) {
        case ConsumeApi::Raw: return "raw";
        case ConsumeApi::Poll: return "poll";
        case ConsumeApi::Run: return "run";
    }
    return "?";
}

}  // namespace

std::string consume_variant_name(const ConsumeVariant& variant) {
    if (variant.api == ConsumeApi::Raw) {
        return fmt::format("raw {}", commit_kind_name(variant.commit));
    }
    return fmt::format("{} {}()", commit_kind_name(variant.commit), api_name(variant.api));
}

std::string consume_profile_name(const ConsumeVariant& variant) {
    // "AsyncThenSync" -> "async-then-sync"
    std::string policy;
    for (const char c : std::string(commit_kind_name(variant.commit))) {
        if (std::isupper(static_cast<unsigned char>(c)) != 0 && !policy.empty()) {
            policy += '-';
        }
        policy += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return fmt::format("consume-{}-{}", api_name(variant.api), policy);
}

std::vector<ConsumeVariant> all_consume_variants() {
    std::vector<ConsumeVariant> variants;
    for (const ConsumeApi api : {ConsumeApi::Raw, ConsumeApi::Poll, ConsumeApi::Run}) {
        for (const CommitKind kind : commit_kinds) {
            variants.push_back({kind, api});
        }
    }
    return variants;
}

RunResult run_consume(const ConsumeVariant& variant, std::size_t messages,
                      std::chrono::seconds give_up_after) {
    const BenchCluster cluster;
    produce_backlog(cluster, messages, consume_value_size);
    return variant.api == ConsumeApi::Raw ? raw(cluster, variant.commit, messages, give_up_after)
                                          : facade(cluster, variant, messages, give_up_after);
}

}  // namespace relkafka::bench
