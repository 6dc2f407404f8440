// The logging hook: relkafka's and librdkafka's log lines go to on_log, or
// to stderr in relkafka's format when it is unset.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "relkafka/consumer.hpp"
#include "relkafka/logging.hpp"
#include "relkafka/producer.hpp"
#include "test_cluster.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using relkafka::Consumer;
using relkafka::ConsumerConfig;
using relkafka::LogLevel;
using relkafka::Producer;
using relkafka::ProducerConfig;
using relkafka::test::TestCluster;
using relkafka::test::wait_until;

namespace {

struct Line {
    LogLevel level;
    std::string message;
};

// The lines a hook received, from whichever threads ran it.
class LogLines {
public:
    relkafka::LogCallback hook() {
        return [this](LogLevel level, std::string_view message) {
            std::lock_guard<std::mutex> lock(mutex_);
            lines_.push_back({level, std::string(message)});
        };
    }
    bool has(LogLevel at_least, const std::string& text) const {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& line : lines_) {
            if (line.level >= at_least && line.message.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
    bool has_exactly(LogLevel level) const {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& line : lines_) {
            if (line.level == level) {
                return true;
            }
        }
        return false;
    }
    std::size_t count(const std::string& text) const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::size_t n = 0;
        for (const auto& line : lines_) {
            n += line.message.find(text) != std::string::npos ? 1 : 0;
        }
        return n;
    }
    // The most times one line's text from `text` on was logged.
    std::size_t max_repeats_of(const std::string& text) const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::map<std::string, std::size_t> seen;
        std::size_t most = 0;
        for (const auto& line : lines_) {
            const auto at = line.message.find(text);
            if (at != std::string::npos) {
                most = std::max(most, ++seen[line.message.substr(at)]);
            }
        }
        return most;
    }
    std::string dump() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::string text;
        for (const auto& line : lines_) {
            text += std::string(relkafka::log_level_name(line.level)) + ": " + line.message + "\n";
        }
        return text;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Line> lines_;
};

// Redirects file descriptor 2 to a temporary file while it lives.
class StderrCapture {
public:
    StderrCapture() {
        char path[] = "/tmp/relkafka-stderr-XXXXXX";
        const int fd = mkstemp(path);
        REQUIRE(fd >= 0);
        path_ = path;
        std::fflush(stderr);
        saved_ = dup(2);
        REQUIRE(saved_ >= 0);
        REQUIRE(dup2(fd, 2) == 2);
        ::close(fd);
    }
    ~StderrCapture() {
        restore();
        std::remove(path_.c_str());
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    // Puts the original stderr back; text() still reads what was captured.
    void restore() {
        if (saved_ >= 0) {
            std::fflush(stderr);
            dup2(saved_, 2);
            ::close(saved_);
            saved_ = -1;
        }
    }
    std::string text() const {
        std::ifstream in(path_);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    std::string path_;
    int saved_ = -1;
};

// A producer whose only broker refuses connections: librdkafka logs that.
ProducerConfig unreachable_producer() {
    ProducerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    return config;
}

}  // namespace

TEST_CASE("librdkafka's log lines reach on_log with their level") {
    LogLines lines;
    auto config = unreachable_producer();
    config.on_log = lines.hook();
    Producer producer(std::move(config));

    // Connection refused is logged at syslog level 3 (error).
    const bool logged = wait_until([&] { return lines.has(LogLevel::Warning, "127.0.0.1:1"); }, 30s);
    INFO(lines.dump());
    CHECK(logged);
    // "<instance>: <facility>: <librdkafka's text>"
    CHECK(lines.has(LogLevel::Error, "rdkafka#producer"));
    CHECK(producer.close(0ms).empty());
}

TEST_CASE("a consumer's librdkafka log lines reach its on_log") {
    LogLines lines;
    ConsumerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.group_id = "logging";
    config.topics = {"t"};
    config.on_log = lines.hook();
    Consumer consumer(std::move(config));

    const bool logged = wait_until([&] { return lines.has(LogLevel::Warning, "127.0.0.1:1"); }, 30s);
    INFO(lines.dump());
    CHECK(logged);
    CHECK(lines.has(LogLevel::Error, "rdkafka#consumer"));
}

TEST_CASE("debug contexts set in overrides arrive as LogLevel::Debug") {
    TestCluster cluster;
    LogLines lines;
    auto config = cluster.producer_config();
    config.overrides.erase("log_level");
    config.overrides["debug"] = "broker";
    config.on_log = lines.hook();
    Producer producer(std::move(config));

    const bool logged = wait_until([&] { return lines.has_exactly(LogLevel::Debug); }, 30s);
    CHECK(logged);
}

TEST_CASE("without on_log, lines go to stderr as \"relkafka: <level>: <message>\"") {
    SECTION("log_to_stderr, the default hook") {
        StderrCapture capture;
        relkafka::log_to_stderr(LogLevel::Warning, "disk almost full");
        relkafka::log_to_stderr(LogLevel::Debug, "details");
        capture.restore();
        CHECK(capture.text() == "relkafka: warning: disk almost full\nrelkafka: debug: details\n");
    }
    SECTION("librdkafka's lines from a client without on_log") {
        StderrCapture capture;
        {
            Producer producer(unreachable_producer());
            wait_until([&] { return capture.text().find("127.0.0.1:1") != std::string::npos; }, 30s);
            CHECK(producer.close(0ms).empty());
        }
        capture.restore();
        const std::string text = capture.text();
        INFO(text);
        CHECK_THAT(text, Contains("relkafka: error: rdkafka#producer") && Contains("127.0.0.1:1"));
    }
}

TEST_CASE("a line whose on_log hook throws goes to stderr instead of being lost") {
    StderrCapture capture;
    {
        auto config = unreachable_producer();
        config.on_log = [](LogLevel, std::string_view) { throw std::runtime_error("logger down"); };
        Producer producer(std::move(config));
        wait_until([&] { return capture.text().find("127.0.0.1:1") != std::string::npos; }, 30s);
        CHECK(producer.close(0ms).empty());
    }
    capture.restore();
    const std::string text = capture.text();
    INFO(text);
    CHECK_THAT(text, Contains("relkafka: error: the on_log hook threw (logger down)") &&
                         Contains("127.0.0.1:1"));
}

TEST_CASE("log levels have short lowercase names") {
    CHECK(relkafka::log_level_name(LogLevel::Debug) == "debug");
    CHECK(relkafka::log_level_name(LogLevel::Info) == "info");
    CHECK(relkafka::log_level_name(LogLevel::Warning) == "warning");
    CHECK(relkafka::log_level_name(LogLevel::Error) == "error");
}

// Each broker failure used to be logged twice without on_error: librdkafka's
// FAIL line, then the same text again as an unhandled error event.
TEST_CASE("a consumer without on_error logs each client error once") {
    LogLines lines;
    ConsumerConfig config;
    config.bootstrap_servers = "127.0.0.1:1";
    config.group_id = "logging-once";
    config.topics = {"t"};
    config.on_log = lines.hook();
    Consumer consumer(std::move(config));
    const std::string failure = "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed";
    // Error events are served inside poll().
    const bool logged = wait_until(
        [&] {
            (void)consumer.poll(50ms);
            return lines.count(failure) >= 2;
        },
        30s);
    for (int i = 0; i < 5; ++i) {
        (void)consumer.poll(20ms);  // serve what is left of the error events
    }
    INFO(lines.dump());
    REQUIRE(logged);
    // Each failure has its own text ("after Nms in state ..., N identical
    // error(s) suppressed"): none of them may appear twice.
    CHECK(lines.max_repeats_of(failure) == 1);
}
