#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "producer/delivery_state.hpp"
#include "relkafka/config.hpp"
#include "relkafka/delivery.hpp"
#include "relkafka/message.hpp"

namespace relkafka::detail {

class HeldReports;

// One message of a transaction: kept whole until the transaction ends, so
// that an abort can hand it back, with where its report goes.
struct HeldSend {
    HeldSend(Message m, DeliveryCallback&& callback, HeldReports& owner)
        : message(std::move(m)), reply(std::in_place_type<DeliveryCallback>, std::move(callback)),
          reports(&owner) {}
    HeldSend(Message m, DeliveryPromise&& promise, HeldReports& owner)
        : message(std::move(m)), reply(std::in_place_type<DeliveryPromise>, std::move(promise)),
          reports(&owner) {}

    // The underlying producer's report: its fields, not the Delivery, so
    // that the producer keeps reusing its Delivery's buffers.
    struct Answer {
        bool came = false;
        std::int32_t partition = -1;
        std::int64_t offset = -1;
        std::optional<Timestamp> timestamp;
        Persistence persistence = Persistence::NotPersisted;
        Error error;
    };

    Message message;
    std::variant<DeliveryCallback, DeliveryPromise> reply;
    HeldReports* reports;
    Answer answer;  // written under the owner's lock
};

// How a transaction ended, for the reports of its messages.
enum class TxnEnd { Committed, Aborted, Unknown, Fatal };

// The reports of the open transaction, held until it ends. The underlying
// producer's callback may answer a send after its transaction was reported (a
// purge after an abort that timed out): such a send is kept, as an orphan,
// until its answer came.
class HeldReports {
public:
    explicit HeldReports(const ProducerConfig& config) : config_(config) {}

    // Opens a transaction to sends, and forgets the orphans answered since.
    void open();
    // Closes it to sends; what is held stays held.
    void seal();

    // Holds `message` for the open transaction. Returns nullptr, leaving
    // `message` and `reply` as they were, when no transaction is open.
    template <class Reply>
    HeldSend* hold(Message& message, Reply& reply) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!open_) {
            return nullptr;
        }
        sends_.emplace_back(std::move(message), std::move(reply), *this);
        ++unanswered_;
        return &sends_.back();
    }

    // Reports `message` failed with `error` at once, on this thread.
    template <class Reply>
    void refuse(Message&& message, Reply&& reply, Error error) noexcept {
        HeldSend send(std::move(message), std::move(reply), *this);
        send.answer.came = true;
        send.answer.error = std::move(error);
        Delivery delivery;
        report(send, TxnEnd::Aborted, Error(), delivery);
    }

    // The underlying producer's report for `send`. Never throws.
    void answer(HeldSend& send, Delivery&& delivery) noexcept;

    // Serves `poll`, which runs the producer's callbacks (it takes its reports
    // inline), until every send has its answer. Returns whether they all had
    // one by `deadline`.
    bool wait_answered(std::chrono::steady_clock::time_point deadline,
                       const std::function<void()>& poll);

    // Reports every held send as its transaction ended, on this thread, and
    // forgets them. `why` is the error of a transaction that did not commit.
    void report_all(TxnEnd end, const Error& why) noexcept;

    std::size_t size() const;

private:
    // Reports `send` through `delivery`, whose fields are all set first.
    void report(HeldSend& send, TxnEnd end, const Error& why, Delivery& delivery) noexcept;

    const ProducerConfig& config_;
    mutable std::mutex mutex_;
    bool open_ = false;
    std::deque<HeldSend> sends_;  // a deque: a held send never moves
    // Transactions reported with sends not yet answered.
    std::vector<std::deque<HeldSend>> orphans_;
    std::size_t unanswered_ = 0;
};

}  // namespace relkafka::detail
