#include "relkafka/transactional_producer.hpp"

#include <atomic>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "detail/deadline.hpp"
#include "detail/kafka_conf.hpp"
#include "detail/producer_properties.hpp"
#include "detail/records.hpp"
#include "producer/delivery_state.hpp"
#include "relkafka/consumer.hpp"
#include "transactions/held_reports.hpp"
#include "transactions/txn_result.hpp"

namespace relkafka {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The librdkafka properties of the transaction settings, after validating them.
std::vector<std::pair<std::string, std::string>> transaction_properties(
    const TransactionalConfig& c) {
    detail::validate(c.producer);
    detail::validate_transactional(c);
    return {{"transactional.id", c.transactional_id},
            {"transaction.timeout.ms", std::to_string(c.transaction_timeout.count())}};
}

}  // namespace

class TransactionalProducer::Impl {
public:
    explicit Impl(TransactionalConfig config)
        : config_(std::move(config)),
          held_(config_.producer),
          producer_(config_.producer, transaction_properties(config_)) {}

    ~Impl() {
        try {
            close();
        } catch (...) {
            // Only std::bad_alloc can get here; the reports still go out below.
        }
        held_.report_all(detail::TxnEnd::Aborted, Error());
    }

    void close() {
        const auto deadline = Clock::now() + config_.producer.close_timeout;
        if (phase_.load() == Phase::InTransaction) {
            // A transaction never asked to commit cannot commit: if the abort
            // does not finish, the broker aborts it at transaction_timeout.
            const TxnResult aborted = abort(config_.producer.close_timeout);
            if (!aborted.ok()) {
                held_.report_all(commit_requested_ ? detail::TxnEnd::Unknown : detail::TxnEnd::Aborted,
                                 aborted.error);
            }
        }
        (void)producer_.close(
            std::max(milliseconds(0), std::chrono::ceil<milliseconds>(deadline - Clock::now())));
    }

    TxnResult init(milliseconds timeout) {
        if (const auto fatal = usable_or_fatal()) {
            return *fatal;
        }
        if (phase_.load() != Phase::New) {
            throw UsageError("TransactionalProducer::init(): already initialized; call it once, "
                             "before the first begin()");
        }
        TxnResult result =
            checked(rd_kafka_init_transactions(rk(), detail::to_timeout_ms(timeout)), "init()");
        if (result.ok()) {
            phase_.store(Phase::Ready);
        }
        return result;
    }

    TxnResult begin() {
        if (const auto fatal = usable_or_fatal()) {
            return *fatal;
        }
        switch (phase_.load()) {
            case Phase::New:
                throw UsageError("TransactionalProducer::begin(): call init() first");
            case Phase::InTransaction:
                throw UsageError("TransactionalProducer::begin(): a transaction is already open; "
                                 "commit() or abort() it first");
            default:
                break;
        }
        TxnResult result = checked(rd_kafka_begin_transaction(rk()), "begin()");
        if (result.ok()) {
            commit_requested_ = false;
            held_.open();
            phase_.store(Phase::InTransaction);
        }
        return result;
    }

    template <class Reply>
    void send(Message& message, Reply& reply) {
        detail::HeldSend* held = held_.hold(message, reply);
        if (held == nullptr) {
            held_.refuse(std::move(message), std::move(reply),
                         Error(ErrorCode::State,
                               "TransactionalProducer::send(): no transaction is open; call "
                               "begin() first, and send only until commit() or abort()"));
            return;
        }
        producer_.send(detail::view_of(held->message),
                       [held](Delivery&& d) { held->reports->answer(*held, std::move(d)); });
    }

    DeliveryFuture send_future(Message& message) {
        auto [future, promise] = detail::DeliveryFutureAccess::make(futures_);
        send(message, promise);
        return std::move(future);
    }

    TxnResult send_offsets(const Consumer& consumer, const std::vector<PartitionOffset>& offsets,
                           milliseconds timeout) {
        if (const auto fatal = usable_or_fatal()) {
            return *fatal;
        }
        require_transaction("send_offsets()");
        rd_kafka_s* consumer_rk = consumer.native_handle();
        if (consumer_rk == nullptr) {
            throw UsageError("TransactionalProducer::send_offsets(): the consumer is closed or "
                             "moved from");
        }
        detail::PartitionListHandle list(rd_kafka_topic_partition_list_new(
            static_cast<int>(offsets.size())));
        for (const PartitionOffset& p : offsets) {
            if (p.topic.empty() || p.partition < 0 || p.offset < 0) {
                throw UsageError(fmt::format(
                    "TransactionalProducer::send_offsets(): offset {} of partition {} of topic "
                    "\"{}\" is not a position to commit: give the next offset to read (0 or "
                    "more) of a partition (0 or more) of a named topic",
                    p.offset, p.partition, p.topic));
            }
            rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset =
                p.offset;
        }
        rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer_rk);
        if (group == nullptr) {
            throw UsageError("TransactionalProducer::send_offsets(): the consumer has no group "
                             "metadata; give it a ConsumerConfig::group_id");
        }
        rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(
            rk(), list.get(), group, detail::to_timeout_ms(timeout));
        rd_kafka_consumer_group_metadata_destroy(group);
        return checked(error, "send_offsets()");
    }

    TxnResult commit(milliseconds timeout) {
        if (const auto fatal = usable_or_fatal()) {
            return *fatal;
        }
        require_transaction("commit()");
        const auto deadline = Clock::now() + timeout;
        held_.seal();
        commit_requested_ = true;
        TxnResult result =
            checked(rd_kafka_commit_transaction(rk(), detail::to_timeout_ms(timeout)), "commit()");
        if (result.ok()) {
            end(deadline, detail::TxnEnd::Committed, Error());
        }
        return result;
    }

    TxnResult abort(milliseconds timeout) {
        if (const auto fatal = usable_or_fatal()) {
            return *fatal;
        }
        require_transaction("abort()");
        const auto deadline = Clock::now() + timeout;
        held_.seal();
        TxnResult result =
            checked(rd_kafka_abort_transaction(rk(), detail::to_timeout_ms(timeout)), "abort()");
        if (result.ok()) {
            end(deadline, detail::TxnEnd::Aborted, Error());
        }
        return result;
    }

    bool in_transaction() const { return phase_.load() == Phase::InTransaction; }
    std::size_t held() const { return held_.size(); }
    ProducerCounters counters() const { return producer_.counters(); }
    std::optional<Error> fatal_error() const {
        std::optional<Error> fatal = producer_.fatal_error();
        return fatal ? fatal : fatal_;
    }
    rd_kafka_t* rk() const noexcept { return producer_.native_handle(); }

private:
    enum class Phase { New, Ready, InTransaction, Fatal };

    void require_transaction(const char* call) const {
        if (phase_.load() != Phase::InTransaction) {
            throw UsageError(fmt::format(
                "TransactionalProducer::{}: no transaction is open; call begin() first", call));
        }
    }

    // After a fatal error every call answers Recreate with it.
    std::optional<TxnResult> usable_or_fatal() const {
        if (phase_.load() == Phase::Fatal) {
            return TxnResult{TxnNext::Recreate, *fatal_};
        }
        return std::nullopt;
    }

    // Waits (within `deadline`, at least a moment) for the underlying
    // producer's reports of the transaction, then reports its messages.
    void end(Clock::time_point deadline, detail::TxnEnd how, const Error& why) {
        const bool explicit_poll = config_.producer.callbacks == CallbackMode::ExplicitPoll;
        (void)held_.wait_answered(std::max(deadline, Clock::now() + milliseconds(1000)),
                                  explicit_poll ? std::function<void()>([this] {
                                      (void)producer_.poll(milliseconds(10));
                                  })
                                                : std::function<void()>());
        phase_.store(Phase::Ready);
        held_.report_all(how, why);
    }

    // The result of a librdkafka transaction call; a fatal one ends the
    // open transaction's messages.
    TxnResult checked(rd_kafka_error_t* error, const char* call) {
        TxnResult result = detail::txn_result(error, "TransactionalProducer::", call);
        if (result.next == TxnNext::Recreate) {
            fatal_ = result.error;
            phase_.store(Phase::Fatal);
            held_.seal();
            held_.report_all(detail::TxnEnd::Fatal, result.error);
        }
        return result;
    }

    TransactionalConfig config_;
    std::shared_ptr<detail::FuturesShared> futures_ = std::make_shared<detail::FuturesShared>();
    // Before producer_: the producer's callbacks answer held sends until it
    // is closed.
    detail::HeldReports held_;
    Producer producer_;
    std::atomic<Phase> phase_{Phase::New};
    bool commit_requested_ = false;
    std::optional<Error> fatal_;
};

TransactionalProducer::TransactionalProducer(TransactionalConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

TransactionalProducer::~TransactionalProducer() = default;
TransactionalProducer::TransactionalProducer(TransactionalProducer&&) noexcept = default;
TransactionalProducer& TransactionalProducer::operator=(TransactionalProducer&&) noexcept = default;

namespace {

TransactionalProducer::Impl& usable(const std::unique_ptr<TransactionalProducer::Impl>& impl,
                                    const char* call) {
    if (!impl) {
        throw UsageError(fmt::format("TransactionalProducer::{} on a moved-from producer", call));
    }
    return *impl;
}

}  // namespace

TxnResult TransactionalProducer::init(milliseconds timeout) {
    return usable(impl_, "init()").init(timeout);
}

TxnResult TransactionalProducer::begin() { return usable(impl_, "begin()").begin(); }

void TransactionalProducer::send(Message message, DeliveryCallback on_delivery) {
    if (!on_delivery) {
        throw UsageError("TransactionalProducer::send(): the delivery callback is empty; pass one "
                         "that handles the outcome, or use the send that returns a future");
    }
    usable(impl_, "send()").send(message, on_delivery);
}

DeliveryFuture TransactionalProducer::send(Message message) {
    return usable(impl_, "send()").send_future(message);
}

void TransactionalProducer::send(const MessageView& message, DeliveryCallback on_delivery) {
    send(detail::to_message(message), std::move(on_delivery));
}

DeliveryFuture TransactionalProducer::send(const MessageView& message) {
    return send(detail::to_message(message));
}

TxnResult TransactionalProducer::send_offsets(const Consumer& consumer,
                                              const std::vector<PartitionOffset>& offsets,
                                              milliseconds timeout) {
    return usable(impl_, "send_offsets()").send_offsets(consumer, offsets, timeout);
}

TxnResult TransactionalProducer::commit(milliseconds timeout) {
    return usable(impl_, "commit()").commit(timeout);
}

TxnResult TransactionalProducer::abort(milliseconds timeout) {
    return usable(impl_, "abort()").abort(timeout);
}

bool TransactionalProducer::in_transaction() const {
    return usable(impl_, "in_transaction()").in_transaction();
}

std::size_t TransactionalProducer::held() const { return usable(impl_, "held()").held(); }

ProducerCounters TransactionalProducer::counters() const {
    return usable(impl_, "counters()").counters();
}

std::optional<Error> TransactionalProducer::fatal_error() const {
    return usable(impl_, "fatal_error()").fatal_error();
}

rd_kafka_s* TransactionalProducer::native_handle() const noexcept {
    return impl_ ? impl_->rk() : nullptr;
}

}  // namespace relkafka
