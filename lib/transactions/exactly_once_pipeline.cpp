#include "relkafka/exactly_once_pipeline.hpp"

#include <atomic>
#include <exception>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "consumer/consumer_impl.hpp"
#include "detail/kafka_conf.hpp"
#include "detail/logging.hpp"
#include "relkafka/consumer.hpp"
#include "transactions/pipeline_batch.hpp"

namespace relkafka {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

PipelineConfig validated(PipelineConfig c) {
    detail::require(c.consumer.isolation == Isolation::ReadCommitted,
                    "PipelineConfig::consumer.isolation = ReadUncommitted: the pipeline would read "
                    "records of aborted transactions, and write outputs for them; use "
                    "Isolation::ReadCommitted");
    detail::require(c.batch.max_records >= 1 && c.batch.max_bytes >= 1,
                    "PipelineConfig::batch.max_records and max_bytes must be at least 1");
    detail::require(c.batch.max_time.count() >= 1 && c.batch.max_time < c.producer.transaction_timeout,
                    fmt::format("PipelineConfig::batch.max_time = {} ms is out of range: use 1 ms "
                                "up to less than producer.transaction_timeout ({} ms)",
                                c.batch.max_time.count(), c.producer.transaction_timeout.count()));
    detail::require(c.transaction_call_timeout.count() >= 1,
                    "PipelineConfig::transaction_call_timeout must be positive");
    // Not used: the transactions commit the offsets.
    c.consumer.commit = SyncCommit{};
    return c;
}

}  // namespace

class ExactlyOncePipeline::Impl {
public:
    explicit Impl(PipelineConfig config)
        : config_(validated(std::move(config))),
          consumer_(consumer_config()),
          producer_(std::make_unique<TransactionalProducer>(config_.producer)) {}

    ~Impl() {
        // The consumer's close revokes its partitions: nothing is to be
        // committed then, what is open is aborted here.
        commit_through([] {});
        if (producer_ && !batch_.empty()) {
            try {
                (void)producer_->abort(config_.transaction_call_timeout);
            } catch (...) {
                // The producer's own destructor aborts what is still open.
            }
        }
    }

    // The consumer calls `hook` where it would commit: before a revocation.
    void commit_through(std::function<void()> hook);

    Error run(const Transform& transform, const std::atomic<bool>& stop) {
        commit_through([this] { before_revocation(); });
        if (Error e = initialize()) {
            return e;
        }
        std::vector<Message> outputs;
        while (!stop.load()) {
            std::vector<Record> records = consumer_.poll(batch_.time_left(config_.batch));
            if (fatal_) {
                return *std::exchange(fatal_, std::nullopt);
            }
            const std::size_t kept = after_rebalance(records);
            for (std::size_t i = 0; i < kept; ++i) {
                const Record& record = records[i];
                if (batch_.empty()) {
                    if (Error e = begin()) {
                        return e;
                    }
                }
                outputs.clear();
                try {
                    transform(record, outputs);
                } catch (...) {
                    const std::string what = describe_exception();
                    abort_batch(records, i);
                    return Error(ErrorCode::Fail,
                                 fmt::format("ExactlyOncePipeline: the transform threw on {}[{}] "
                                             "offset {}: {}; its transaction was aborted and the "
                                             "record is read again by the next run()",
                                             record.topic(), record.partition(), record.offset(),
                                             what));
                }
                for (Message& m : outputs) {
                    producer_->send(std::move(m), output_report());
                }
                counters_.outputs += outputs.size();
                ++counters_.records;
                batch_.add(record);
                if (batch_.full(config_.batch)) {
                    if (!end_batch(records, i + 1)) {
                        break;  // rewound: the rest of `records` is read again
                    }
                    if (fatal_) {
                        return *std::exchange(fatal_, std::nullopt);
                    }
                }
            }
            if (!batch_.empty() && batch_.time_left(config_.batch).count() == 0) {
                (void)end_batch(records, records.size());
            }
            if (fatal_) {
                return *std::exchange(fatal_, std::nullopt);
            }
        }
        if (!batch_.empty()) {
            (void)end_batch({}, 0);
        }
        if (fatal_) {
            return *std::exchange(fatal_, std::nullopt);
        }
        return {};
    }

    void wakeup() noexcept { consumer_.wakeup(); }

    PipelineCounters counters() const {
        return {counters_.records.load(), counters_.redone.load(), counters_.outputs.load(),
                counters_.committed.load(), counters_.aborted.load(), counters_.recreated.load()};
    }

private:
    ConsumerConfig consumer_config() {
        ConsumerConfig c = config_.consumer;
        ErrorCallback user = std::move(c.on_error);
        c.on_error = [this, user](const Error& e) {
            if (e.code() == ErrorCode::AssignmentLost) {
                lost_ = true;
                rebalanced_ = true;
            }
            if (user) {
                user(e);
            }
        };
        return c;
    }

    // Small enough for std::function to keep without an allocation.
    DeliveryCallback output_report() {
        return [this](Delivery&& d) {
            if (config_.on_output) {
                config_.on_output(std::move(d));
            }
        };
    }

    static std::string describe_exception() {
        try {
            throw;
        } catch (const std::exception& e) {
            return e.what();
        } catch (...) {
            return "an exception not derived from std::exception";
        }
    }

    // Repeats `call` while it answers CallAgain, within the call timeout.
    template <class Call>
    TxnResult patiently(Call&& call) {
        const auto deadline = Clock::now() + config_.transaction_call_timeout;
        TxnResult result = call();
        while (result.next == TxnNext::CallAgain && Clock::now() < deadline) {
            result = call();
        }
        return result;
    }

    Error initialize() {
        if (initialized_) {
            return {};
        }
        const TxnResult result =
            patiently([&] { return producer_->init(config_.transaction_call_timeout); });
        if (result.ok()) {
            initialized_ = true;
            return {};
        }
        return result.error;
    }

    Error begin() {
        const TxnResult result = producer_->begin();
        if (result.next == TxnNext::Recreate) {
            if (!recreate(result.error)) {
                return *std::exchange(fatal_, std::nullopt);
            }
            return begin();
        }
        return result.error;
    }

    // Ends the open transaction: commits it, or aborts it and seeks back to
    // its first records (and to those of records[rest..], not yet read).
    // Returns whether it committed.
    bool end_batch(const std::vector<Record>& records, std::size_t rest) {
        TxnResult result;
        if (lost_.exchange(false)) {
            result = {TxnNext::AbortAndRedo,
                      Error(ErrorCode::AssignmentLost,
                            "the group dropped this member: what it read may have a new owner")};
        } else {
            const auto offsets = batch_.next_offsets();
            const milliseconds t = config_.transaction_call_timeout;
            result = patiently([&] { return producer_->send_offsets(consumer_, offsets, t); });
            if (result.ok()) {
                result = patiently([&] { return producer_->commit(t); });
            }
        }
        if (result.ok()) {
            ++counters_.committed;
            batch_.clear();
            return true;
        }
        if (result.next == TxnNext::Recreate) {
            if (recreate(result.error)) {
                rewind(records, rest);
            }
            return false;
        }
        abort_batch(records, rest);
        return false;
    }

    void abort_batch(const std::vector<Record>& records, std::size_t rest) {
        const TxnResult aborted =
            patiently([&] { return producer_->abort(config_.transaction_call_timeout); });
        if (!aborted.ok() && !recreate(aborted.error)) {
            return;
        }
        ++counters_.aborted;
        rewind(records, rest);
    }

    // A fatal error: a new producer per the policy (true), or fatal_ set.
    bool recreate(const Error& error) {
        if (config_.on_fatal == OnFatalError::Stop) {
            fatal_ = error;
            batch_.clear();
            return false;
        }
        detail::log(config_.producer.producer.on_log, LogLevel::Error,
                    fmt::format("ExactlyOncePipeline: {}; building a new producer with the same "
                                "transactional_id",
                                error.to_string()));
        producer_.reset();
        producer_ = std::make_unique<TransactionalProducer>(config_.producer);
        initialized_ = false;
        ++counters_.recreated;
        if (Error e = initialize()) {
            fatal_ = e;
            return false;
        }
        return true;
    }

    // Seeks every partition of the aborted transaction back to its first
    // record, and those of records[rest..] to theirs.
    void rewind(const std::vector<Record>& records, std::size_t rest) {
        std::map<TopicPartition, std::int64_t> targets = batch_.starts();
        for (std::size_t i = rest; i < records.size(); ++i) {
            targets.try_emplace(records[i].topic_partition(), records[i].offset());
        }
        counters_.redone += batch_.records();
        batch_.clear();
        seek(targets);
    }

    void seek(const std::map<TopicPartition, std::int64_t>& targets) {
        if (in_revocation_) {
            // Not inside the rebalance: after poll() returns, on what is kept.
            pending_rewind_.insert(targets.begin(), targets.end());
            return;
        }
        for (const auto& [tp, offset] : targets) {
            try {
                if (Error e = consumer_.seek({tp.topic, tp.partition, offset})) {
                    detail::log(config_.consumer.on_log, LogLevel::Warning,
                                fmt::format("ExactlyOncePipeline: cannot seek {}[{}] back to {}: {}",
                                            tp.topic, tp.partition, offset, e.to_string()));
                }
            } catch (const UsageError&) {
                // Revoked meanwhile: its next owner starts from the committed offset.
            }
        }
    }

    // Inside poll(), before partitions are revoked: the open transaction
    // commits now, while this member still owns them. If it cannot, it is
    // aborted; the partitions this member keeps are sought back after poll().
    void before_revocation() {
        rebalanced_ = true;
        if (batch_.empty() || fatal_) {
            return;
        }
        in_revocation_ = true;
        (void)end_batch({}, 0);
        in_revocation_ = false;
    }

    // After a revocation inside poll(): drops the records of partitions no
    // longer assigned (fetched before the revocation: their new owner reads
    // them) and seeks back what the revocation aborted, dropping those
    // partitions' records too. Returns how many records to process.
    std::size_t after_rebalance(std::vector<Record>& records) {
        if (!rebalanced_) {
            return records.size();
        }
        rebalanced_ = false;
        const auto targets = std::exchange(pending_rewind_, {});
        seek(targets);
        std::set<TopicPartition> assigned;
        for (const PartitionOffset& p : consumer_.assignment()) {
            assigned.insert(p.topic_partition());
        }
        std::vector<Record> kept;
        for (Record& r : records) {
            const TopicPartition tp = r.topic_partition();
            if (assigned.count(tp) != 0 && targets.count(tp) == 0) {
                kept.push_back(std::move(r));
            }
        }
        records = std::move(kept);
        return records.size();
    }

    PipelineConfig config_;
    Consumer consumer_;
    std::unique_ptr<TransactionalProducer> producer_;
    detail::PipelineBatchState batch_;
    bool initialized_ = false;
    std::atomic<bool> lost_{false};
    std::optional<Error> fatal_;
    std::map<TopicPartition, std::int64_t> pending_rewind_;
    bool rebalanced_ = false;     // a revocation ran inside the last poll()
    bool in_revocation_ = false;  // inside it now
    struct {
        std::atomic<std::size_t> records{0}, redone{0}, outputs{0}, committed{0}, aborted{0},
            recreated{0};
    } counters_;
};

void ExactlyOncePipeline::Impl::commit_through(std::function<void()> hook) {
    ExactlyOncePipeline::hand_commits(consumer_, std::move(hook));
}

void ExactlyOncePipeline::hand_commits(Consumer& consumer, std::function<void()> hook) {
    consumer.impl_->commit_through(std::move(hook));
}

ExactlyOncePipeline::ExactlyOncePipeline(PipelineConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
ExactlyOncePipeline::~ExactlyOncePipeline() = default;
ExactlyOncePipeline::ExactlyOncePipeline(ExactlyOncePipeline&&) noexcept = default;
ExactlyOncePipeline& ExactlyOncePipeline::operator=(ExactlyOncePipeline&&) noexcept = default;

Error ExactlyOncePipeline::run(const Transform& transform, const std::atomic<bool>& stop) {
    if (!impl_) {
        throw UsageError("ExactlyOncePipeline::run() on a moved-from pipeline");
    }
    if (!transform) {
        throw UsageError("ExactlyOncePipeline::run(): the transform is empty");
    }
    return impl_->run(transform, stop);
}

void ExactlyOncePipeline::wakeup() noexcept {
    if (impl_) {
        impl_->wakeup();
    }
}

PipelineCounters ExactlyOncePipeline::counters() const {
    if (!impl_) {
        throw UsageError("ExactlyOncePipeline::counters() on a moved-from pipeline");
    }
    return impl_->counters();
}

}  // namespace relkafka
