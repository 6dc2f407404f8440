// relkafka's TransactionalProducer against raw librdkafka transactional code
// doing the same work with the same configuration, and the exactly-once
// pipeline's end-to-end rate, on the embedded mock cluster. See README.md.
//
//   txn_bench          full mode: 200k messages per produce run, 5 rounds;
//                      100k records through the pipeline, 3 rounds
//   txn_bench --quick  smoke mode, under a minute: 20k messages, 1 round;
//                      10k pipeline records, 1 round
//
// The last line is machine-readable:
//   ratio txn_1000=R pipeline_records_per_s=N
// R = median(facade msgs/s) / median(raw msgs/s) with 1000 messages per
// transaction; N = the pipeline's median input records per second.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "bench_clients.hpp"
#include "bench_support.hpp"
#include "relkafka/exactly_once_pipeline.hpp"
#include "relkafka/transactional_producer.hpp"

namespace relkafka::bench {

RunResult pipeline_run(std::size_t records);

namespace {

constexpr std::size_t value_size = 100;
constexpr int call_timeout_ms = 60000;

struct Plan {
    std::size_t messages;
    int rounds;
    std::size_t pipeline_records;
    int pipeline_rounds;
};

constexpr Plan full_plan{200000, 5, 100000, 3};
constexpr Plan quick_plan{20000, 1, 10000, 1};

Overrides transactional(const char* id) {
    return {{"transactional.id", id}, {"transaction.timeout.ms", "120000"}};
}

// Raw librdkafka: the loop a careful hand-written transactional producer runs.
RunResult raw_run(std::size_t messages, std::size_t per_txn) {
    BenchCluster cluster;
    std::atomic<std::size_t> failed{0};
    RawProducer producer(
        cluster.bootstrap_servers(), transactional("bench-raw"),
        [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                static_cast<std::atomic<std::size_t>*>(opaque)->fetch_add(1);
            }
        },
        &failed);
    rd_kafka_t* rk = producer.get();
    if (rd_kafka_error_t* e = rd_kafka_init_transactions(rk, call_timeout_ms)) {
        const std::string why = rd_kafka_error_string(e);
        rd_kafka_error_destroy(e);
        return failed_run("raw init: " + why);
    }
    const std::string payload(value_size, 'x');
    const std::string& topic = cluster.topic();
    const Timed timed;
    for (std::size_t sent = 0; sent < messages; sent += per_txn) {
        if (rd_kafka_error_t* e = rd_kafka_begin_transaction(rk)) {
            rd_kafka_error_destroy(e);
            return failed_run("raw begin failed");
        }
        for (std::size_t i = 0; i < per_txn; ++i) {
            while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                                     RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
            }
            rd_kafka_poll(rk, 0);
        }
        if (rd_kafka_error_t* e = rd_kafka_commit_transaction(rk, call_timeout_ms)) {
            const std::string why = rd_kafka_error_string(e);
            rd_kafka_error_destroy(e);
            return failed_run("raw commit: " + why);
        }
        rd_kafka_poll(rk, 0);  // the transaction's delivery reports
    }
    if (failed != 0) {
        return failed_run(std::to_string(failed.load()) + " raw deliveries failed");
    }
    return timed.finish(messages, value_size);
}

RunResult facade_run(std::size_t messages, std::size_t per_txn) {
    BenchCluster cluster;
    TransactionalConfig config;
    config.producer = facade_config(cluster.bootstrap_servers());
    config.transactional_id = "bench-facade";
    TransactionalProducer producer(config);
    if (const TxnResult r = producer.init(std::chrono::milliseconds(call_timeout_ms)); !r) {
        return failed_run("facade init: " + r.error.to_string());
    }
    const std::string payload(value_size, 'x');
    MessageView view;
    view.topic = cluster.topic();
    view.value = payload;
    std::atomic<std::size_t> failed{0};
    const auto count_failure = [&failed](Delivery&& d) {
        if (!d.ok()) {
            failed.fetch_add(1, std::memory_order_relaxed);
        }
    };
    const Timed timed;
    for (std::size_t sent = 0; sent < messages; sent += per_txn) {
        if (const TxnResult r = producer.begin(); !r) {
            return failed_run("facade begin: " + r.error.to_string());
        }
        for (std::size_t i = 0; i < per_txn; ++i) {
            producer.send(view, count_failure);
        }
        if (const TxnResult r = producer.commit(std::chrono::milliseconds(call_timeout_ms)); !r) {
            return failed_run("facade commit: " + r.error.to_string());
        }
    }
    if (failed != 0) {
        return failed_run(std::to_string(failed.load()) + " facade deliveries failed");
    }
    return timed.finish(messages, value_size);
}

}  // namespace

// Input records per second through the pipeline, from its first transform
// call to the commit of the last output (the ~3 s group join excluded).
RunResult pipeline_run(std::size_t records) {
    BenchCluster cluster;
    const std::string out = cluster.topic() + ".out";
    {
        Producer filler(facade_config(cluster.bootstrap_servers()));
        const std::string payload(value_size, 'x');
        MessageView view;
        view.topic = cluster.topic();
        view.value = payload;
        // Spread evenly: the mock keeps about 5 MB per partition and drops
        // the oldest records beyond that.
        for (std::size_t i = 0; i < records; ++i) {
            view.partition = static_cast<std::int32_t>(i % BenchCluster::partitions);
            filler.send(view, [](Delivery&&) {});
        }
        if (filler.flush(std::chrono::seconds(120))) {
            return failed_run("filling the input failed");
        }
    }
    PipelineConfig config;
    config.consumer.bootstrap_servers = cluster.bootstrap_servers();
    config.consumer.group_id = "bench-pipeline";
    config.consumer.topics = {cluster.topic()};
    config.consumer.overrides = with_mock_overrides({});
    if (const char* debug = std::getenv("TXN_BENCH_DEBUG")) {
        config.consumer.overrides["debug"] = debug;
    }
    config.producer.producer = facade_config(cluster.bootstrap_servers());
    config.producer.transactional_id = "bench-pipeline";
    std::atomic<std::size_t> committed{0};
    std::atomic<bool> stop{false};
    config.on_output = [&](Delivery&& d) {
        if (d.ok() && ++committed == records) {
            stop = true;
        }
    };
    ExactlyOncePipeline pipeline(config);
    std::optional<Timed> timed;
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
        // A run that stalls says where it stands, then ends as failed.
        for (int s = 0; s < 120 && !done; ++s) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        if (!done) {
            const PipelineCounters c = pipeline.counters();
            std::fprintf(stderr, "pipeline stalled: %zu records, %zu committed of %zu outputs, %zu transactions\n",
                         c.records, committed.load(), records, c.committed);
            stop = true;
            pipeline.wakeup();
        }
    });
    const Error e = pipeline.run(
        [&](const Record& in, std::vector<Message>& o) {
            if (!timed) {
                timed.emplace();
            }
            Message m;
            m.topic = out;
            m.value = std::string(in.value().value_or(""));
            o.push_back(std::move(m));
        },
        stop);
    done = true;
    watchdog.join();
    if (committed < records) {
        return failed_run("pipeline: " + std::to_string(committed.load()) + " of " +
                          std::to_string(records) + " outputs committed");
    }
    if (e || !timed) {
        return failed_run("pipeline: " + e.to_string());
    }
    return timed->finish(records, value_size);
}

namespace {

double median_of(const std::vector<RunResult>& runs) {
    std::vector<double> rates;
    for (const RunResult& r : runs) {
        rates.push_back(r.msgs_per_s);
    }
    return median(rates);
}

int run(const Plan& plan, const char* mode) {
    fmt::print("txn_bench ({} mode): librdkafka {}, mock cluster 3 brokers, topic 4 partitions, "
               "{} x {} B per produce run, {} rounds, each run in a fresh process\n",
               mode, rd_kafka_version_str(), plan.messages, value_size, plan.rounds);
    fmt::print("\ntransactional produce throughput: send(view, callback) vs raw producev, "
               "commit per transaction; medians; ratio = facade/raw msgs/s\n");
    fmt::print("{:>14} {:>14} {:>14} {:>8} {:>16}\n", "msgs per txn", "raw msgs/s",
               "facade msgs/s", "ratio", "round ratios");
    std::map<std::size_t, double> ratios;
    bool ok = true;
    for (const std::size_t per_txn : {std::size_t(100), std::size_t(1000), std::size_t(10000)}) {
        std::vector<RunResult> raw, facade;
        std::string round_ratios;
        for (int round = 0; round < plan.rounds; ++round) {
            // Alternate which runs first.
            const bool raw_first = round % 2 == 0;
            RunResult a = run_in_child([&] {
                return raw_first ? raw_run(plan.messages, per_txn) : facade_run(plan.messages, per_txn);
            });
            RunResult b = run_in_child([&] {
                return raw_first ? facade_run(plan.messages, per_txn) : raw_run(plan.messages, per_txn);
            });
            RunResult& r = raw_first ? a : b;
            RunResult& f = raw_first ? b : a;
            for (const RunResult* x : {&r, &f}) {
                if (!x->ok) {
                    fmt::print("run failed: {}\n", x->error);
                    ok = false;
                }
            }
            raw.push_back(r);
            facade.push_back(f);
            round_ratios += fmt::format("{}{:.3f}", round ? " " : "", r.msgs_per_s > 0 ? f.msgs_per_s / r.msgs_per_s : 0);
        }
        ratios[per_txn] = median_of(facade) / median_of(raw);
        fmt::print("{:>14} {:>14.0f} {:>14.0f} {:>8.3f} {:>16}\n", per_txn, median_of(raw),
                   median_of(facade), ratios[per_txn], round_ratios);
    }
    fmt::print("\nexactly-once pipeline: {} x {} B records A -> B, 1000 per transaction\n",
               plan.pipeline_records, value_size);
    std::vector<RunResult> pipeline;
    for (int round = 0; round < plan.pipeline_rounds; ++round) {
        RunResult r = run_in_child([&] { return pipeline_run(plan.pipeline_records); });
        if (!r.ok) {
            fmt::print("run failed: {}\n", r.error);
            ok = false;
        }
        fmt::print("  round {}: {:.0f} records/s, process CPU {:.2f} us/record\n", round + 1,
                   r.msgs_per_s, r.cpu_us_per_msg);
        pipeline.push_back(r);
    }
    if (!ok) {
        fmt::print("some runs failed; no ratio line\n");
        return 1;
    }
    fmt::print("ratio txn_1000={:.3f} pipeline_records_per_s={:.0f}\n", ratios[1000],
               median_of(pipeline));
    return 0;
}

}  // namespace
}  // namespace relkafka::bench

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--quick") == 0) {
        return relkafka::bench::run(relkafka::bench::quick_plan, "quick");
    }
    if (argc == 3 && std::strcmp(argv[1], "--pipeline") == 0) {
        // One pipeline run in this process, for a profiler or a debugger.
        const auto result = relkafka::bench::pipeline_run(std::strtoul(argv[2], nullptr, 10));
        std::printf("%s %.0f records/s\n", result.ok ? "ok" : result.error, result.msgs_per_s);
        return result.ok ? 0 : 1;
    }
    if (argc != 1) {
        std::fprintf(stderr, "usage: txn_bench [--quick] | --pipeline RECORDS\n");
        return 2;
    }
    return relkafka::bench::run(relkafka::bench::full_plan, "full");
}
