#include "transactions/held_reports.hpp"

#include <string>
#include <utility>

#include "detail/logging.hpp"

namespace relkafka::detail {

void HeldReports::open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    std::vector<std::deque<HeldSend>> waiting;
    for (auto& sends : orphans_) {
        for (const HeldSend& send : sends) {
            if (!send.answer.came) {
                waiting.push_back(std::move(sends));  // moving a deque keeps its elements in place
                break;
            }
        }
    }
    orphans_.swap(waiting);
}

void HeldReports::seal() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = false;
}

std::size_t HeldReports::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sends_.size();
}

void HeldReports::answer(HeldSend& send, Delivery&& delivery) noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        HeldSend::Answer& a = send.answer;
        a.came = true;
        a.partition = delivery.partition;
        a.offset = delivery.offset;
        a.timestamp = delivery.timestamp;
        a.persistence = delivery.persistence;
        if (delivery.error) {
            a.error = std::move(delivery.error);
        }
        --unanswered_;
    }
}

bool HeldReports::wait_answered(std::chrono::steady_clock::time_point deadline,
                                const std::function<void()>& poll) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (unanswered_ != 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        lock.unlock();
        poll();  // the answers come from inside it
        lock.lock();
    }
    return true;
}

void HeldReports::report_all(TxnEnd end, const Error& why) noexcept {
    std::deque<HeldSend> ended;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ended.swap(sends_);
    }
    Delivery reused;  // its buffers serve the next report, unless a callback took them
    for (HeldSend& send : ended) {
        report(send, end, why, reused);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (const HeldSend& send : ended) {
        if (!send.answer.came) {
            orphans_.push_back(std::move(ended));
            return;
        }
    }
}

namespace {

Error ending_error(TxnEnd end, const Error& why) {
    const std::string cause = why ? ": " + why.to_string() : std::string();
    switch (end) {
        case TxnEnd::Aborted:
            return Error(ErrorCode::TransactionAborted,
                         "the message's transaction was aborted" + cause +
                             "; it is not visible to read_committed readers: send it again in a "
                             "new transaction",
                         true);
        case TxnEnd::Unknown:
            return Error(ErrorCode::TimedOut,
                         "the message's transaction was neither confirmed committed nor "
                         "aborted" + cause + "; read_committed readers may or may not see it",
                         false);
        case TxnEnd::Fatal:
            return Error(why.code(),
                         "the message's transaction cannot commit: the producer hit a fatal "
                         "error" + cause + "; build a new producer and send it again",
                         false, true);
        case TxnEnd::Committed:
            break;
    }
    return why;
}

}  // namespace

void HeldReports::report(HeldSend& send, TxnEnd end, const Error& why, Delivery& delivery) noexcept {
    try {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const HeldSend::Answer& a = send.answer;
            delivery.partition = a.partition;
            delivery.offset = a.offset;
            delivery.timestamp = a.timestamp;
            delivery.persistence = a.persistence;
            delivery.error = a.error ? a.error : Error();
        }
        delivery.topic.assign(send.message.topic);
        delivery.message = Message();  // no allocation: a moved-in empty Message
        const bool written = end == TxnEnd::Committed && delivery.ok() && delivery.offset >= 0;
        if (!written) {
            // A message that failed on its own keeps its error, whatever the
            // transaction did; any other is reported as its transaction ended.
            const bool failed_alone = delivery.error && delivery.error.code() != ErrorCode::PurgeQueue &&
                                      delivery.error.code() != ErrorCode::PurgeInflight;
            if (!failed_alone) {
                delivery.error = ending_error(end == TxnEnd::Committed ? TxnEnd::Unknown : end, why);
                delivery.persistence = end == TxnEnd::Unknown || end == TxnEnd::Committed
                                           ? Persistence::PossiblyPersisted
                                           : Persistence::NotPersisted;
            }
            delivery.offset = -1;
            if (delivery.partition < 0 && send.message.partition) {
                delivery.partition = *send.message.partition;
            }
            delivery.message = std::move(send.message);
        }
        if (auto* callback = std::get_if<DeliveryCallback>(&send.reply)) {
            DeliveryCallback once = std::move(*callback);
            once(std::move(delivery));
        } else {
            std::get<DeliveryPromise>(send.reply).complete(delivery);
        }
    } catch (...) {
        const std::string line =
            callback_threw(config_.on_log, "a delivery callback (TransactionalProducer::send)");
        if (config_.on_error) {
            try {
                config_.on_error(Error(ErrorCode::Fail, line));
            } catch (...) {
                (void)callback_threw(config_.on_log, "ProducerConfig::on_error");
            }
        }
    }
}

}  // namespace relkafka::detail
