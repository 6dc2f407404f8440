// An exactly-once pipeline to copy: it reads orders, writes one invoice per
// order, and commits each batch of invoices together with the order offsets
// in one Kafka transaction. A read_committed reader of the invoices sees each
// order's invoice exactly once, whatever fails or rebalances meanwhile.
//
//   exactly_once_pipeline [--brokers host:port,...] [--in NAME] [--out NAME]
//                         [--group ID] [--id TRANSACTIONAL_ID] [--count N]
//
// Without --brokers it starts an embedded mock cluster and fills the input.
// It stops after --count invoices were committed (default: on Ctrl-C only).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <relkafka/exactly_once_pipeline.hpp>
#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>

#include "example_options.hpp"

using namespace std::chrono_literals;

namespace {

std::atomic<bool> stop{false};

void request_stop(int) { stop = true; }

// Your business logic: zero or more output messages per input record. It may
// run more than once for a record (after an abort), so it must not have side
// effects outside Kafka that cannot repeat.
void make_invoice(const relkafka::Record& order, std::vector<relkafka::Message>& out,
                  const std::string& invoices) {
    if (!order.value()) {
        return;  // a tombstone: nothing to invoice
    }
    relkafka::Message invoice;
    invoice.topic = invoices;
    if (order.key()) {
        invoice.key = std::string(*order.key());  // same customer, same partition order
    }
    invoice.value = "invoice for " + std::string(*order.value());
    out.push_back(std::move(invoice));
}

void fill_topic(const std::string& brokers, const std::string& topic, long count) {
    relkafka::ProducerConfig config;
    config.bootstrap_servers = brokers;
    relkafka::Producer producer(config);
    for (long n = 0; n < count; ++n) {
        relkafka::Message m;
        m.topic = topic;
        m.key = "customer-" + std::to_string(n % 100);
        m.value = "order " + std::to_string(n);
        producer.send(std::move(m), [](relkafka::Delivery&&) {});
    }
    (void)producer.close(30s);
    std::printf("filled %s with %ld orders\n", topic.c_str(), count);
}

}  // namespace

int main(int argc, char** argv) {
    const example::Options options(argc, argv,
                                   {{"brokers", ""},
                                    {"in", "orders"},
                                    {"out", "invoices"},
                                    {"group", "invoicing"},
                                    {"id", "invoicing-1"},
                                    {"count", "0"}});
    const std::string invoices = options["out"];
    long count = options.number("count");
    std::unique_ptr<relkafka::testing::MockCluster> mock;
    const std::string brokers = example::brokers_or_mock(options, mock, options["in"]);
    if (mock) {
        mock->create_topic(invoices, 4, 3);
        count = count > 0 ? count : 1000;
        fill_topic(brokers, options["in"], count);
    }

    relkafka::PipelineConfig config;
    config.consumer.bootstrap_servers = brokers;
    config.consumer.group_id = options["group"];
    config.consumer.topics = {options["in"]};
    config.producer.producer.bootstrap_servers = brokers;
    config.producer.transactional_id = options["id"];  // one per instance, stable across restarts
    config.batch = relkafka::PipelineBatch{1000, 1 << 20, 100ms};
    std::atomic<long> committed{0};
    config.on_output = [&](relkafka::Delivery&& d) {
        if (d.ok() && ++committed == count) {
            stop = true;
        }
    };

    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);

    relkafka::ExactlyOncePipeline pipeline(config);
    const auto transform = [&](const relkafka::Record& in, std::vector<relkafka::Message>& out) {
        make_invoice(in, out, invoices);
    };
    const relkafka::Error error = pipeline.run(transform, stop);
    if (error) {
        std::fprintf(stderr, "pipeline stopped: %s\n", error.to_string().c_str());
        return EXIT_FAILURE;
    }
    const auto c = pipeline.counters();
    std::printf("%ld invoices committed; %zu orders read, %zu transactions committed, %zu aborted\n",
                committed.load(), c.records, c.committed, c.aborted);
    return committed == count || count == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
