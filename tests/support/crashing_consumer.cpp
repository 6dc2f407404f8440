// A consumer that dies without closing: it processes records with a
// SyncCommit{every} policy, prints what it processed and committed, and
// after `crash_after` records leaves the process at once, as a crash would
// (no close, no commit, no LeaveGroup).
//
//   crashing_consumer BOOTSTRAP GROUP TOPIC CRASH_AFTER EVERY
#include <cstdio>
#include <cstdlib>
#include <string>

#include "relkafka/consumer.hpp"

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s BOOTSTRAP GROUP TOPIC CRASH_AFTER EVERY\n", argv[0]);
        return 2;
    }
    relkafka::ConsumerConfig config;
    config.bootstrap_servers = argv[1];
    config.group_id = argv[2];
    config.topics = {argv[3]};
    const long crash_after = std::strtol(argv[4], nullptr, 10);
    config.commit = relkafka::SyncCommit{std::strtoul(argv[5], nullptr, 10)};
    config.overrides["session.timeout.ms"] = "6000";
    config.overrides["heartbeat.interval.ms"] = "500";
    config.overrides["fetch.wait.max.ms"] = "20";
    config.overrides["log_level"] = "2";
    config.on_commit = [](const relkafka::CommitResult& result) {
        if (result.error) {
            return;
        }
        for (const auto& o : result.offsets) {
            std::printf("committed %d %lld\n", o.partition, static_cast<long long>(o.offset));
        }
    };

    relkafka::Consumer consumer(config);
    long processed = 0;
    for (;;) {
        for (const relkafka::Record& r : consumer.poll(std::chrono::milliseconds(100))) {
            std::printf("processed %d %lld\n", r.partition(), static_cast<long long>(r.offset()));
            consumer.mark_processed(r);
            if (++processed == crash_after) {
                std::fflush(stdout);
                std::_Exit(0);
            }
        }
    }
}
