#include "produce_throughput.hpp"

#include <atomic>
#include <condition_variable>
#include "relkafka/delivery_future.hpp"
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_clients.hpp"

namespace relkafka::bench {

namespace {

constexpr std::chrono::milliseconds flush_timeout{120000};

// Futures not yet collected (a sliding window: the oldest is get() before a
// new one is made), so memory stays bounded. 20k, two default batches, was the
// fastest of 1k..1M in a sweep on the benchmark machine; 100k (the queue
// size) and more were slower: blocking get()s wake the sender far more often.
constexpr std::size_t future_window = 20000;

// The clock runs from the first send to the last delivery report.
RunResult finish(const Timed& timed, std::size_t messages, std::size_t value_size,
                 std::size_t failed) {
    if (failed != 0) {
        return failed_run(std::to_string(failed) + " deliveries failed");
    }
    return timed.finish(messages, value_size);
}

// The message raw sends: the payload's bytes, not a copy of them.
MessageView view_of(const std::string& topic, const std::string& payload) {
    MessageView view;
    view.topic = topic;
    view.value = payload;
    return view;
}

Message make_message(const std::string& topic, const std::string& payload) {
    Message m;
    m.topic = topic;
    m.value = payload;
    return m;
}

enum class Build { View, Owned };

RunResult facade_callback(const BenchCluster& cluster, const std::string& payload,
                          std::size_t messages, CallbackMode mode, Build build) {
    ProducerConfig config = facade_config(cluster.bootstrap_servers());
    config.callbacks = mode;
    Producer producer(std::move(config));
    warm_up(producer, cluster.topic());
    std::atomic<std::size_t> failed{0};

    const auto count_failure = [&failed](Delivery&& d) {
        if (!d.ok()) {
            failed.fetch_add(1, std::memory_order_relaxed);
        }
    };
    const MessageView view = view_of(cluster.topic(), payload);

    const Timed timed;
    for (std::size_t i = 0; i < messages; ++i) {
        if (build == Build::View) {
            producer.send(view, count_failure);
        } else {
            producer.send(make_message(cluster.topic(), payload), count_failure);
        }
        if (mode == CallbackMode::ExplicitPoll) {
            producer.poll(std::chrono::milliseconds(0));
        }
    }
    if (Error e = producer.flush(flush_timeout)) {
        return failed_run("facade flush: " + e.to_string());
    }
    return finish(timed, messages, payload.size(), failed.load());
}

RunResult facade_future(const BenchCluster& cluster, const std::string& payload,
                        std::size_t messages) {
    Producer producer(facade_config(cluster.bootstrap_servers()));
    warm_up(producer, cluster.topic());
    std::size_t failed = 0;
    std::vector<relkafka::DeliveryFuture> window(future_window);
    const MessageView view = view_of(cluster.topic(), payload);

    const Timed timed;
    for (std::size_t i = 0; i < messages; ++i) {
        auto& slot = window[i % future_window];
        if (slot.valid() && !slot.get().ok()) {
            ++failed;
        }
        slot = producer.send(view);
    }
    for (auto& slot : window) {
        if (slot.valid() && !slot.get().ok()) {
            ++failed;
        }
    }
    return finish(timed, messages, payload.size(), failed);
}

void count_failures(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        static_cast<std::atomic<std::size_t>*>(opaque)->fetch_add(1, std::memory_order_relaxed);
    }
}

RunResult raw(const BenchCluster& cluster, const std::string& payload, std::size_t messages) {
    std::atomic<std::size_t> failed{0};
    RawProducer producer(cluster.bootstrap_servers(), {}, &count_failures, &failed);
    rd_kafka_t* rk = producer.get();
    warm_up(rk, cluster.topic());

    const Timed timed;
    for (std::size_t i = 0; i < messages; ++i) {
        raw_produce(rk, cluster.topic(), payload);
        rd_kafka_poll(rk, 0);  // serves delivery reports, as librdkafka's examples do
    }
    if (rd_kafka_flush(rk, static_cast<int>(flush_timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return failed_run("raw flush timed out");
    }
    return finish(timed, messages, payload.size(), failed.load());
}

// What RawPollThread's delivery reports update; a sender blocked on a full
// queue waits for `completed` to move, as the facade's send() does.
struct Completions {
    std::atomic<std::size_t> failed{0};
    std::atomic<std::size_t> completed{0};
    std::atomic<int> waiters{0};
    std::mutex mutex;
    std::condition_variable changed;
};

void count_completion(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* c = static_cast<Completions*>(opaque);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        c->failed.fetch_add(1, std::memory_order_relaxed);
    }
    c->completed.fetch_add(1);
    if (c->waiters.load() > 0) {
        std::lock_guard<std::mutex> lock(c->mutex);
        c->changed.notify_all();
    }
}

RunResult raw_poll_thread(const BenchCluster& cluster, const std::string& payload,
                          std::size_t messages) {
    Completions c;
    RawProducer producer(cluster.bootstrap_servers(), {}, &count_completion, &c);
    rd_kafka_t* rk = producer.get();
    warm_up(rk, cluster.topic());
    std::atomic<bool> stop{false};
    std::thread poller([&] {
        while (!stop.load()) {
            rd_kafka_poll(rk, 100);
        }
    });

    const Timed timed;
    for (std::size_t i = 0; i < messages; ++i) {
        for (;;) {
            const std::size_t before = c.completed.load();
            const rd_kafka_resp_err_t err = raw_try_produce(rk, cluster.topic(), payload);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                break;
            }
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                stop.store(true);
                poller.join();
                return failed_run(std::string("raw produce: ") + rd_kafka_err2str(err));
            }
            c.waiters.fetch_add(1);
            {
                std::unique_lock<std::mutex> lock(c.mutex);
                c.changed.wait_for(lock, std::chrono::milliseconds(100),
                                   [&] { return c.completed.load() != before; });
            }
            c.waiters.fetch_sub(1);
        }
    }
    const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, static_cast<int>(flush_timeout.count()));
    const RunResult result = finish(timed, messages, payload.size(), c.failed.load());
    stop.store(true);
    poller.join();
    return flushed == RD_KAFKA_RESP_ERR_NO_ERROR ? result : failed_run("raw flush timed out");
}

}  // namespace

const char* variant_name(SendVariant variant) {
    switch (variant) {
        case SendVariant::Raw: return "raw producev";
        case SendVariant::FacadeCallback: return "send(msg, cb)";
        case SendVariant::FacadeFuture: return "send(msg) future";
        case SendVariant::RawPollThread: return "raw, poll thread";
        case SendVariant::FacadeExplicitPoll: return "send(msg, cb) ExplicitPoll";
        case SendVariant::FacadeOwned: return "send(Message, cb)";
    }
    return "?";
}

RunResult run_throughput(SendVariant variant, std::size_t value_size, std::size_t messages) {
    const BenchCluster cluster;
    const std::string payload(value_size, 'x');
    switch (variant) {
        case SendVariant::Raw: return raw(cluster, payload, messages);
        case SendVariant::FacadeCallback:
            return facade_callback(cluster, payload, messages, CallbackMode::BackgroundThread,
                                   Build::View);
        case SendVariant::FacadeFuture: return facade_future(cluster, payload, messages);
        case SendVariant::RawPollThread: return raw_poll_thread(cluster, payload, messages);
        case SendVariant::FacadeExplicitPoll:
            return facade_callback(cluster, payload, messages, CallbackMode::ExplicitPoll,
                                   Build::View);
        case SendVariant::FacadeOwned:
            return facade_callback(cluster, payload, messages, CallbackMode::BackgroundThread,
                                   Build::Owned);
    }
    return failed_run("unknown variant");
}

}  // namespace relkafka::bench
