#include "detail/producer_properties.hpp"

#include <string>

#include <fmt/format.h>

#include "observability/statistics.hpp"
#include "relkafka/error.hpp"

namespace relkafka::detail {

namespace {

const char* acks_value(Acks acks) {
    switch (acks) {
        case Acks::None: return "0";
        case Acks::Leader: return "1";
        case Acks::All: return "all";
    }
    return "all";
}

const char* acks_name(Acks acks) {
    switch (acks) {
        case Acks::None: return "Acks::None";
        case Acks::Leader: return "Acks::Leader";
        case Acks::All: return "Acks::All";
    }
    return "?";
}

const char* compression_value(Compression compression) {
    switch (compression) {
        case Compression::None: return "none";
        case Compression::Gzip: return "gzip";
        case Compression::Snappy: return "snappy";
        case Compression::Lz4: return "lz4";
        case Compression::Zstd: return "zstd";
    }
    return "none";
}

std::string count(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }

// Each policy-owned librdkafka property: its name, librdkafka's alias for it,
// the field that owns it and how the field's value is written.
const PolicyProperty<ProducerConfig> policy_properties[] = {
    {{"bootstrap.servers", "metadata.broker.list", "ProducerConfig::bootstrap_servers"},
     [](const ProducerConfig& c) { return c.bootstrap_servers; }},
    {{"acks", "request.required.acks", "ProducerConfig::acks"},
     [](const ProducerConfig& c) { return std::string(acks_value(c.acks)); }},
    {{"enable.idempotence", nullptr, "ProducerConfig::idempotence"},
     [](const ProducerConfig& c) {
         return std::string(c.idempotence == Idempotence::Enabled ? "true" : "false");
     }},
    {{"retries", "message.send.max.retries", "ProducerConfig::retry.retries"},
     [](const ProducerConfig& c) { return std::to_string(c.retry.retries); }},
    {{"retry.backoff.ms", nullptr, "ProducerConfig::retry.backoff"},
     [](const ProducerConfig& c) { return count(c.retry.backoff); }},
    {{"delivery.timeout.ms", "message.timeout.ms", "ProducerConfig::retry.delivery_timeout"},
     [](const ProducerConfig& c) { return count(c.retry.delivery_timeout); }},
    {{"max.in.flight", "max.in.flight.requests.per.connection", "ProducerConfig::retry.max_in_flight"},
     [](const ProducerConfig& c) { return std::to_string(c.retry.max_in_flight); }},
    {{"queue.buffering.max.messages", nullptr, "ProducerConfig::backpressure.max_messages"},
     [](const ProducerConfig& c) { return std::to_string(c.backpressure.max_messages); }},
    {{"queue.buffering.max.kbytes", nullptr, "ProducerConfig::backpressure.max_kbytes"},
     [](const ProducerConfig& c) { return std::to_string(c.backpressure.max_kbytes); }},
    {{"compression.codec", "compression.type", "ProducerConfig::compression"},
     [](const ProducerConfig& c) { return std::string(compression_value(c.compression)); }},
    {{"statistics.interval.ms", nullptr, "ProducerConfig::statistics_interval"},
     [](const ProducerConfig& c) { return count(c.statistics_interval); }},
};

}  // namespace

void validate(const ProducerConfig& c) {
    require_bootstrap_servers(c.bootstrap_servers, "ProducerConfig");
    require(c.retry.retries >= 0,
            fmt::format("ProducerConfig::retry.retries = {} is negative: use 0 or more",
                        c.retry.retries));
    require(c.retry.backoff.count() >= 1 && c.retry.backoff.count() <= 300000,
            fmt::format("ProducerConfig::retry.backoff = {} ms is out of range: use 1..300000 ms",
                        c.retry.backoff.count()));
    require(c.retry.delivery_timeout.count() >= 1,
            fmt::format("ProducerConfig::retry.delivery_timeout = {} ms must be positive: it bounds "
                        "how long a message may take before it is reported failed",
                        c.retry.delivery_timeout.count()));
    require(c.retry.max_in_flight >= 1 && c.retry.max_in_flight <= 1000000,
            fmt::format("ProducerConfig::retry.max_in_flight = {} is out of range: use 1..5 "
                        "(1..1000000 without idempotence)",
                        c.retry.max_in_flight));
    require(c.backpressure.max_messages >= 1,
            fmt::format("ProducerConfig::backpressure.max_messages = {} must be at least 1",
                        c.backpressure.max_messages));
    require(c.backpressure.max_kbytes >= 1,
            fmt::format("ProducerConfig::backpressure.max_kbytes = {} must be at least 1",
                        c.backpressure.max_kbytes));
    require(c.backpressure.max_block.count() >= 0,
            fmt::format("ProducerConfig::backpressure.max_block = {} ms is negative: use 0 or more",
                        c.backpressure.max_block.count()));
    require(c.close_timeout.count() >= 0,
            fmt::format("ProducerConfig::close_timeout = {} ms is negative: use 0 or more",
                        c.close_timeout.count()));
    require_statistics_interval(c.statistics_interval, "ProducerConfig");

    if (c.idempotence == Idempotence::Enabled) {
        require(c.acks == Acks::All,
                fmt::format("ProducerConfig::idempotence = Enabled requires ProducerConfig::acks = "
                            "Acks::All, but acks = {}: set acks to Acks::All (a leader-only "
                            "acknowledgement can lose records when the leader fails)",
                            acks_name(c.acks)));
        require(c.retry.max_in_flight <= 5,
                fmt::format("ProducerConfig::idempotence = Enabled allows at most 5 requests in "
                            "flight, but ProducerConfig::retry.max_in_flight = {}: set it to 5 or "
                            "less",
                            c.retry.max_in_flight));
        require(c.retry.retries > 0,
                "ProducerConfig::idempotence = Enabled needs retries, but "
                "ProducerConfig::retry.retries = 0: set retries above 0 and bound delivery with "
                "ProducerConfig::retry.delivery_timeout instead");
    } else {
        require(c.retry.retries == 0 || c.retry.max_in_flight == 1,
                fmt::format("ProducerConfig::idempotence = Disabled with "
                            "ProducerConfig::retry.retries = {} and "
                            "ProducerConfig::retry.max_in_flight = {} reorders and duplicates "
                            "records on retry: enable idempotence (recommended), or set "
                            "max_in_flight to 1, or retries to 0",
                            c.retry.retries, c.retry.max_in_flight));
    }

    check_overrides(
        c.overrides,
        owned_properties(policy_properties,
                         {{"dr_cb", "dr_msg_cb", "Producer", "delivery callbacks are per send"},
                          {"delivery.report.only.error", nullptr, "Producer",
                           "every send's callback fires exactly once, so librdkafka must report "
                           "successful deliveries too"},
                          {"queuing.strategy", nullptr, "Producer",
                           "LIFO queuing sends newer messages first, out of the order "
                           "idempotence keeps"},
                          {"msg_order_cmp", nullptr, "Producer",
                           "a comparator would reorder the queue"},
                          {"enable.gapless.guarantee", nullptr, "Producer",
                           "it turns a possible gap into a fatal error, and the Producer does "
                           "not recover from fatal errors yet"},
                          {"transactional.id", nullptr,
                           "TransactionalConfig::transactional_id (a TransactionalProducer)"},
                          {"transaction.timeout.ms", nullptr,
                           "TransactionalConfig::transaction_timeout (a TransactionalProducer)"},
                          {"error_cb", nullptr, "ProducerConfig::on_error"},
                          {"stats_cb", nullptr, "ProducerConfig::on_statistics"},
                          {"log_cb", nullptr, "ProducerConfig::on_log"},
                          {"log.queue", nullptr, "ProducerConfig::on_log (it runs on librdkafka's threads)"}}));
}

void validate_transactional(const TransactionalConfig& c) {
    const std::string& id = c.transactional_id;
    require(!id.empty(), "TransactionalConfig::transactional_id is empty: name the producer, the "
                         "same across its restarts and unique among producers running at once");
    require(id.size() <= 249,
            fmt::format("TransactionalConfig::transactional_id is {} bytes long: use at most 249",
                        id.size()));
    for (const char ch : id) {
        require(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f,
                "TransactionalConfig::transactional_id contains a control character: use "
                "printable characters only");
    }
    require(c.producer.idempotence == Idempotence::Enabled,
            "TransactionalConfig::producer.idempotence = Disabled: transactions are built on the "
            "idempotent producer; set it to Idempotence::Enabled");
    require(c.transaction_timeout.count() >= 1000 && c.transaction_timeout.count() <= 900000,
            fmt::format("TransactionalConfig::transaction_timeout = {} ms is out of range: use "
                        "1000..900000 ms (within the broker's transaction.max.timeout.ms)",
                        c.transaction_timeout.count()));
    require(c.producer.retry.delivery_timeout <= c.transaction_timeout,
            fmt::format("TransactionalConfig::producer.retry.delivery_timeout = {} ms exceeds "
                        "TransactionalConfig::transaction_timeout = {} ms: a message must be "
                        "delivered or given up within its transaction; lower the one or raise the "
                        "other",
                        c.producer.retry.delivery_timeout.count(), c.transaction_timeout.count()));
}

Properties producer_properties(const ProducerConfig& config) {
    validate(config);
    require_statistics_callback(config.statistics_interval, bool(config.on_statistics),
                                "ProducerConfig");
    return map_properties(policy_properties, config, config.overrides);
}

}  // namespace relkafka::detail
