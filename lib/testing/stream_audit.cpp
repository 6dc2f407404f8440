#include "relkafka/testing/stream_audit.hpp"

#include <charconv>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace relkafka::testing {

std::string AuditResult::line() const {
    std::string line = fmt::format("audit: produced={} delivered={} lost={} duplicated={} reordered={}",
                                   produced, delivered, lost, duplicated, reordered);
    const std::pair<const char*, std::size_t> extras[] = {
        {"failed", failed},       {"unreported", unreported}, {"reported_twice", reported_twice},
        {"misplaced", misplaced}, {"unexpected", unexpected}};
    for (const auto& [name, count] : extras) {
        if (count != 0) {
            line += fmt::format(" {}={}", name, count);
        }
    }
    return line;
}

StreamAudit::StreamAudit(std::string topic, int keys) : topic_(std::move(topic)), keys_(keys) {}

Message StreamAudit::message(std::int64_t n) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        produced_ = std::max(produced_, n + 1);
    }
    Message m;
    m.topic = topic_;
    m.key = fmt::format("key-{}", n % keys_);
    m.value = fmt::format("seq={}", n);
    return m;
}

std::int64_t StreamAudit::sequence_of(std::optional<std::string_view> value) {
    constexpr std::string_view prefix = "seq=";
    if (!value || value->substr(0, prefix.size()) != prefix) {
        return -1;
    }
    std::int64_t n = -1;
    const char* begin = value->data() + prefix.size();
    const char* end = value->data() + value->size();
    const auto [ptr, ec] = std::from_chars(begin, end, n);
    return (ec == std::errc() && ptr == end) ? n : -1;
}

DeliveryCallback StreamAudit::on_delivery(std::int64_t n) {
    return [this, n](Delivery&& delivery) { record(n, delivery); };
}

void StreamAudit::record(std::int64_t n, const Delivery& delivery) {
    std::lock_guard<std::mutex> lock(mutex_);
    Report& report = reports_[n];
    ++report.count;
    report.ok = delivery.ok();
    report.partition = delivery.partition;
    report.offset = delivery.offset;
    ++report_count_;
    if (!delivery.ok()) {
        failures_.push_back(delivery);
    }
    // Under the lock: a waiter that sees this report may destroy the audit as
    // soon as it has the lock back, so the condition variable must not be
    // touched after the unlock.
    reported_.notify_all();
}

void StreamAudit::record_processed(const Record& record) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++processed_[sequence_of(record.value())];
    ++processings_;
}

std::size_t StreamAudit::processed_unique() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return processed_.size();
}

std::size_t StreamAudit::reports() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return report_count_;
}

bool StreamAudit::wait_for_reports(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return reported_.wait_for(lock, timeout, [&] { return report_count_ >= count; });
}

std::vector<Delivery> StreamAudit::failures() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failures_;
}

AuditResult StreamAudit::check(const std::vector<Record>& log) const {
    std::lock_guard<std::mutex> lock(mutex_);
    AuditResult result;
    result.produced = static_cast<std::size_t>(produced_);

    std::map<std::int64_t, std::pair<std::int32_t, std::int64_t>> found;  // first copy only
    std::map<std::int32_t, std::int64_t> highest_in_partition;
    for (const Record& r : log) {
        const std::int64_t n = sequence_of(r.value());
        if (n < 0 || n >= produced_) {
            ++result.unexpected;
            continue;
        }
        if (!found.emplace(n, std::make_pair(r.partition(), r.offset())).second) {
            ++result.duplicated;
        }
        auto [it, first] = highest_in_partition.emplace(r.partition(), n);
        if (!first) {
            if (n < it->second) {
                ++result.reordered;
            } else {
                it->second = n;
            }
        }
    }

    result.consumed_unique = processed_.size();
    result.duplicated_deliveries = processings_ - processed_.size();

    for (std::int64_t n = 0; n < produced_; ++n) {
        const auto report = reports_.find(n);
        const auto in_log = found.find(n);
        if (report == reports_.end()) {
            ++result.unreported;
            result.lost += in_log == found.end() ? 1 : 0;
            continue;
        }
        result.reported_twice += report->second.count > 1 ? 1 : 0;
        if (!report->second.ok) {
            ++result.failed;
            continue;
        }
        ++result.delivered;
        if (in_log == found.end()) {
            ++result.lost;
        } else if (in_log->second != std::make_pair(report->second.partition, report->second.offset)) {
            ++result.misplaced;
        }
    }
    return result;
}

}  // namespace relkafka::testing
