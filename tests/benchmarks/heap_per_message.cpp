#include "heap_per_message.hpp"

#include <atomic>
#include <cmath>
#include "relkafka/delivery_future.hpp"
#include <string>
#include <thread>
#include <vector>

#include "bench_clients.hpp"

namespace relkafka::bench {

namespace {

constexpr std::size_t value_size = 100;

// librdkafka sends a batch when linger.ms expires or the batch is full by
// count or bytes: the limits are pushed to their maximum, linger.ms to 100 s
// (it must stay below delivery.timeout.ms, 120 s).
const Overrides hold_in_queue = {
    {"linger.ms", "100000"}, {"batch.num.messages", "1000000"}, {"batch.size", "2147483647"}};

// Lets the client threads finish whatever the warm-up started before the
// heap baseline is taken.
void settle() {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

// Called before the queued messages are purged, which allocates on its own.
RunResult per_message(std::size_t before, std::size_t after, std::size_t queued,
                      std::size_t still_queued) {
    if (still_queued != queued) {
        return failed_run("only " + std::to_string(still_queued) + " of " + std::to_string(queued) +
                          " messages stayed queued; the heap figure would be wrong");
    }
    RunResult result;
    result.ok = true;
    // No growth at all means mallinfo2() does not see this process's malloc
    // (AddressSanitizer, an LD_PRELOADed allocator): not measurable.
    result.heap_bytes_per_msg = after <= before
                                    ? std::nan("")
                                    : (static_cast<double>(after) - static_cast<double>(before)) /
                                          static_cast<double>(queued);
    result.peak_rss_mb = peak_rss_mb();
    return result;
}

RunResult facade(SendVariant variant, const BenchCluster& cluster, const std::string& payload,
                 std::size_t queued) {
    Producer producer(facade_config(cluster.bootstrap_servers(), hold_in_queue));
    warm_up(producer, cluster.topic());
    std::vector<relkafka::DeliveryFuture> futures;
    futures.reserve(queued);
    std::atomic<std::size_t> failed{0};  // the same one-pointer capture as the throughput run
    settle();

    const std::size_t before = heap_in_use();
    for (std::size_t i = 0; i < queued; ++i) {
        Message m;
        m.topic = cluster.topic();
        m.value = payload;
        if (variant == SendVariant::FacadeFuture) {
            futures.push_back(producer.send(std::move(m)));
        } else {
            producer.send(std::move(m), [&failed](Delivery&& d) {
                if (!d.ok()) {
                    failed.fetch_add(1, std::memory_order_relaxed);
                }
            });
        }
    }
    const std::size_t after = heap_in_use();
    const RunResult result = per_message(before, after, queued, producer.in_flight());
    (void)producer.close(std::chrono::milliseconds(0));  // purges: the messages fail, as intended
    return result;
}

void ignore_report(rd_kafka_t*, const rd_kafka_message_t*, void*) {}

RunResult raw(const BenchCluster& cluster, const std::string& payload, std::size_t queued) {
    RawProducer producer(cluster.bootstrap_servers(), hold_in_queue, &ignore_report, nullptr);
    rd_kafka_t* rk = producer.get();
    warm_up(rk, cluster.topic());
    settle();

    const std::size_t before = heap_in_use();
    for (std::size_t i = 0; i < queued; ++i) {
        raw_produce(rk, cluster.topic(), payload);
    }
    const std::size_t after = heap_in_use();
    const RunResult result =
        per_message(before, after, queued, static_cast<std::size_t>(rd_kafka_outq_len(rk)));
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE);
    rd_kafka_poll(rk, 0);
    return result;
}

}  // namespace

RunResult run_heap_per_message(SendVariant variant, std::size_t queued) {
    const BenchCluster cluster;
    const std::string payload(value_size, 'x');
    return variant == SendVariant::Raw ? raw(cluster, payload, queued)
                                       : facade(variant, cluster, payload, queued);
}

}  // namespace relkafka::bench
