// Configuration from JSON files: producer.json and consumer.json beside this
// file hold every policy and the librdkafka overrides (SASL/SSL included).
// Both are validated exactly like configs built in code; a typo is an error
// that names its JSON path.
//
//   config_from_json [--producer producer.json] [--consumer consumer.json] [--brokers host:port,...]
//
// Without --brokers it starts an embedded mock cluster, points both configs
// at it and drops their security settings (the mock is plaintext), and says so.
// With --brokers the files' security settings are used as they are: a
// certificate or key they name must exist, or the client is refused and the
// program says which file and setting, and exits with status 1.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <relkafka/consumer.hpp>
#include <relkafka/producer.hpp>
#include <relkafka/stats.hpp>
#include <relkafka/testing/mock_cluster.hpp>

#include "example_options.hpp"

using namespace std::chrono_literals;

namespace {

// The mock cluster speaks plaintext only.
void use_plaintext(std::map<std::string, std::string>& overrides) {
    for (auto it = overrides.begin(); it != overrides.end();) {
        const bool security = it->first.rfind("sasl.", 0) == 0 || it->first.rfind("ssl.", 0) == 0 ||
                              it->first == "security.protocol";
        it = security ? overrides.erase(it) : std::next(it);
    }
}

// librdkafka checks some settings only when a client is created (the files
// that ssl.*.location names, for one): its ConfigError names the setting.
void refused(const char* client, const std::string& file, const relkafka::ConfigError& e, bool plaintext) {
    std::fprintf(stderr, "cannot create the %s with the configuration from %s: %s\n", client, file.c_str(),
                 e.what());
    if (!plaintext) {
        std::fprintf(stderr,
                     "with --brokers the file's security settings are used as they are: edit its "
                     "\"overrides\" for your cluster (the shipped files name example certificates)\n");
    }
}

}  // namespace

int main(int argc, char** argv) {
    const example::Options options(argc, argv,
                                   {{"producer", RELKAFKA_EXAMPLES_DIR "/producer.json"},
                                    {"consumer", RELKAFKA_EXAMPLES_DIR "/consumer.json"},
                                    {"brokers", ""}});
    const std::string producer_file = options["producer"];
    const std::string consumer_file = options["consumer"];

    relkafka::ProducerConfig producer_config;
    relkafka::ConsumerConfig consumer_config;
    try {
        producer_config = relkafka::ProducerConfig::from_json_file(producer_file);
        consumer_config = relkafka::ConsumerConfig::from_json_file(consumer_file);
    } catch (const relkafka::ConfigError& e) {
        std::fprintf(stderr, "invalid configuration: %s\n", e.what());
        return 1;
    }
    // Callbacks are code, not configuration: the files set the statistics
    // interval, the program says what to do with them.
    producer_config.on_statistics = [](const relkafka::Statistics& stats) {
        std::printf("producer statistics: %lld messages sent, %lld queued\n",
                    static_cast<long long>(stats.totals.txmsgs), static_cast<long long>(stats.totals.msg_cnt));
    };
    consumer_config.on_statistics = [](const relkafka::Statistics& stats) {
        std::printf("consumer statistics: %lld messages received\n",
                    static_cast<long long>(stats.totals.rxmsgs));
    };
    // Secrets are redacted in what is printed.
    std::printf("producer config from %s:\n%s\n", producer_file.c_str(), producer_config.to_json().c_str());

    std::unique_ptr<relkafka::testing::MockCluster> mock;
    const std::string brokers = example::brokers_or_mock(options, mock);
    if (mock) {
        use_plaintext(producer_config.overrides);
        use_plaintext(consumer_config.overrides);
        consumer_config.overrides["session.timeout.ms"] = "6000";
        std::printf("the mock is plaintext: the files' security settings are not used\n");
    }
    producer_config.bootstrap_servers = brokers;
    consumer_config.bootstrap_servers = brokers;

    constexpr int count = 100;
    const std::string topic = consumer_config.topics.front();
    {
        std::optional<relkafka::Producer> producer;
        try {
            producer.emplace(producer_config);
        } catch (const relkafka::ConfigError& e) {
            refused("producer", producer_file, e, mock != nullptr);
            return EXIT_FAILURE;
        }
        for (int n = 0; n < count; ++n) {
            relkafka::Message m;
            m.topic = topic;
            m.value = "order " + std::to_string(n);
            producer->send(std::move(m), [](relkafka::Delivery&& d) {
                if (!d.ok()) {
                    std::fprintf(stderr, "not delivered: %s\n", d.error.to_string().c_str());
                }
            });
        }
        if (!producer->close(30s).empty()) {
            return 1;
        }
    }

    std::atomic<bool> stop{false};
    std::atomic<int> processed{0};
    std::optional<relkafka::Consumer> consumer;
    try {
        consumer.emplace(consumer_config);
    } catch (const relkafka::ConfigError& e) {
        refused("consumer", consumer_file, e, mock != nullptr);
        return EXIT_FAILURE;
    }
    consumer->run(
        [&](const relkafka::Record&) {
            if (++processed == count) {
                stop = true;
            }
        },
        stop);
    consumer->close();
    std::printf("produced %d and consumed %d records with the configs from JSON\n", count, processed.load());
    return processed == count ? EXIT_SUCCESS : EXIT_FAILURE;
}
