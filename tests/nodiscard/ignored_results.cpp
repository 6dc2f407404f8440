// Compiled only by check.cmake, never built into a program. With IGNORED=n
// (1..9) it ignores one result that must not be ignored, which must not
// compile under -Werror=unused-result; with IGNORED=0 it uses them all and
// compiles.
#include <chrono>
#include <vector>

#include "relkafka/consumer.hpp"
#include "relkafka/producer.hpp"

void use_results(relkafka::Producer& p, relkafka::Consumer& c, const relkafka::Message& m,
                 const relkafka::MessageView& v, const std::vector<relkafka::PartitionOffset>& o) {
    using namespace std::chrono_literals;
#if IGNORED == 0
    auto future = p.send(m);
    auto view_future = p.send(v);
    const auto sync = p.send_sync(m);
    const auto view_sync = p.send_sync(v);
    const auto flushed = p.flush(1s);
    const auto connected = p.wait_connected(1s);
    const auto handed_back = p.close(1s);
    const auto committed = c.commit();
    const auto committed_offsets = c.commit(o);
    (void)future, (void)view_future, (void)sync, (void)view_sync, (void)flushed, (void)connected,
        (void)handed_back, (void)committed, (void)committed_offsets;
#elif IGNORED == 1
    p.send(m);
#elif IGNORED == 2
    p.send(v);
#elif IGNORED == 3
    p.send_sync(m);
#elif IGNORED == 4
    p.send_sync(v);
#elif IGNORED == 5
    p.flush(1s);
#elif IGNORED == 6
    p.wait_connected(1s);
#elif IGNORED == 7
    p.close(1s);
#elif IGNORED == 8
    c.commit();
#elif IGNORED == 9
    c.commit(o);
#endif
}
