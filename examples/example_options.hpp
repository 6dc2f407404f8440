#pragma once

// What the examples share, kept out of their way: "--name value" options and
// the embedded mock cluster they start when no --brokers is given. Copy this
// header with the example you start from, or replace it with your own
// configuration.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <relkafka/producer.hpp>
#include <relkafka/testing/mock_cluster.hpp>

namespace example {

// Options given as "--name value"; every name must be one of `defaults`.
class Options {
public:
    Options(int argc, char** argv, std::map<std::string, std::string> defaults)
        : values_(std::move(defaults)) {
        for (int i = 1; i < argc; i += 2) {
            const std::string name = argv[i];
            if (name.rfind("--", 0) != 0 || values_.count(name.substr(2)) == 0 || i + 1 == argc) {
                usage(argv[0]);
            }
            values_[name.substr(2)] = argv[i + 1];
        }
    }

    const std::string& operator[](const std::string& name) const { return values_.at(name); }
    long number(const std::string& name) const { return std::strtol(values_.at(name).c_str(), nullptr, 10); }

private:
    [[noreturn]] void usage(const char* program) const {
        std::fprintf(stderr, "usage: %s", program);
        for (const auto& [name, value] : values_) {
            std::fprintf(stderr, " [--%s %s]", name.c_str(), value.empty() ? "..." : value.c_str());
        }
        std::fprintf(stderr, "\n");
        std::exit(2);
    }

    std::map<std::string, std::string> values_;
};

// The --brokers option, or else the address of an embedded 3-broker mock
// cluster, started into `mock` (which must outlive its use), with `topic`
// created when one is named.
inline std::string brokers_or_mock(const Options& options,
                                   std::unique_ptr<relkafka::testing::MockCluster>& mock,
                                   const std::string& topic = {}) {
    if (!options["brokers"].empty()) {
        return options["brokers"];
    }
    mock = std::make_unique<relkafka::testing::MockCluster>(3);
    if (!topic.empty()) {
        mock->create_topic(topic, 4, 3);
    }
    std::printf("no --brokers given: started an embedded mock cluster at %s\n",
                mock->bootstrap_servers().c_str());
    return mock->bootstrap_servers();
}

// Gives the embedded cluster something to consume: `count` orders of 100
// customers, keyed by customer.
inline void fill_topic(const std::string& brokers, const std::string& topic, long count) {
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
    (void)producer.close(std::chrono::seconds(30));
    std::printf("filled %s with %ld orders\n", topic.c_str(), count);
}

}  // namespace example
