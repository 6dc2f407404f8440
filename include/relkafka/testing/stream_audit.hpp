#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "relkafka/delivery.hpp"
#include "relkafka/message.hpp"
#include "relkafka/record.hpp"
#include "relkafka/testing/topic_reader.hpp"

namespace relkafka::testing {

/// What an audit found, message by message, comparing what was sent, what the
/// producer reported and what the log holds.
struct AuditResult {
    std::size_t produced = 0;
    std::size_t delivered = 0;         ///< reported acknowledged
    std::size_t failed = 0;            ///< reported failed (handed back, not lost)
    std::size_t unreported = 0;        ///< no report at all
    std::size_t reported_twice = 0;    ///< more than one report for one message
    std::size_t lost = 0;              ///< acknowledged or unreported, yet not in the log
    std::size_t duplicated = 0;        ///< extra copies in the log
    std::size_t reordered = 0;         ///< found after a later message of its partition
    std::size_t misplaced = 0;         ///< acknowledged at another partition/offset than found
    std::size_t unexpected = 0;        ///< log records that are not part of the stream
    std::size_t consumed_unique = 0;   ///< messages a consumer processed (record_processed)
    std::size_t duplicated_deliveries = 0;  ///< processings beyond the first per message

    /// Everything acknowledged is in the log once, in order, where reported.
    bool clean() const noexcept {
        return unreported == 0 && reported_twice == 0 && lost == 0 && duplicated == 0 &&
               reordered == 0 && misplaced == 0 && unexpected == 0;
    }
    /// "audit: produced=N delivered=N lost=0 duplicated=0 reordered=0", plus
    /// the other counts when they are not zero.
    std::string line() const;
};

/// A numbered stream of messages and an account of each one: message n has
/// value "seq=n" and key "key-(n mod keys)", so per-key (and so
/// per-partition) order is checkable. Feed every report through
/// on_delivery(), read the topic back, and check().
///
/// Thread-safe: reports may arrive on any thread.
class StreamAudit {
public:
    explicit StreamAudit(std::string topic, int keys = 16);

    const std::string& topic() const noexcept { return topic_; }

    /// Message n of the stream; counts it as produced.
    Message message(std::int64_t n);

    /// A callback that records the report of message n of this stream.
    DeliveryCallback on_delivery(std::int64_t n);
    void record(std::int64_t n, const Delivery& delivery);

    std::size_t reports() const;
    /// Waits until `count` reports have arrived or `timeout` passes. Once it
    /// has returned true, the threads that delivered those reports are done
    /// with the audit: it may be destroyed if no other report is on its way.
    bool wait_for_reports(std::size_t count, std::chrono::milliseconds timeout) const;
    /// Records that a consumer's handler processed; counts repeats.
    void record_processed(const Record& record);
    std::size_t processed_unique() const;

    /// The reports that carried an error, in arrival order.
    std::vector<Delivery> failures() const;

    AuditResult check(const std::vector<Record>& log) const;

    /// The sequence number in a value "seq=n", or -1.
    static std::int64_t sequence_of(std::optional<std::string_view> value);

private:
    struct Report {
        int count = 0;
        bool ok = false;
        std::int32_t partition = -1;
        std::int64_t offset = -1;
    };

    std::string topic_;
    int keys_;
    mutable std::mutex mutex_;
    mutable std::condition_variable reported_;
    std::int64_t produced_ = 0;
    std::size_t report_count_ = 0;
    std::map<std::int64_t, Report> reports_;
    std::vector<Delivery> failures_;
    std::map<std::int64_t, int> processed_;
    std::size_t processings_ = 0;
};

}  // namespace relkafka::testing
