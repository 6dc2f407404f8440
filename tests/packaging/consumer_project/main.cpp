// Sends one message to an embedded mock cluster through an installed relkafka.
#include <iostream>
#include <utility>

#include <relkafka/relkafka.hpp>
#include <relkafka/testing/mock_cluster.hpp>

int main() {
    relkafka::testing::MockCluster cluster(1);
    cluster.create_topic("packaging", 1, 1);

    relkafka::ProducerConfig config;
    config.bootstrap_servers = cluster.bootstrap_servers();
    relkafka::Producer producer(config);

    relkafka::Message message;
    message.topic = "packaging";
    message.value = "installed";
    relkafka::Delivery delivery = producer.send_sync(std::move(message));

    std::cout << "relkafka " << relkafka::version() << " (headers " << RELKAFKA_VERSION_STRING
              << "): " << (delivery.ok() ? "delivered" : delivery.error.to_string()) << '\n';
    return delivery.ok() && relkafka::version() == RELKAFKA_VERSION_STRING ? 0 : 1;
}
