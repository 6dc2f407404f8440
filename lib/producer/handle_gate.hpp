#pragma once

#include <atomic>
#include <thread>

namespace relkafka::detail {

// Keeps a librdkafka handle alive while calls on other threads use it.
//
// Each call that touches the handle enters first and leaves when done. close()
// shuts the gate to new work, finishes its own business, then retires the
// gate: from then on nobody enters, and once the last user has left the
// handle can be destroyed. Entering and leaving are one atomic add each, and
// no lock: send() pays nothing more than it did counting sends in progress.
//
// The count is incremented before the phase is read, and close() writes the
// phase before it reads the count (all sequentially consistent): either an
// entering call sees the new phase, or close() sees that call's count.
class HandleGate {
public:
    enum class Phase : int {
        Open,     // every call may enter
        Closing,  // only calls that read (and do not add work) may enter
        Retired,  // nobody enters: the handle is about to go
    };

    // For a call that gives the handle work (send, flush, poll...): fails
    // once closing has started.
    bool enter() noexcept { return enter_unless(Phase::Closing); }
    // For a call that only reads the handle: fails once it is retired.
    bool enter_to_read() noexcept { return enter_unless(Phase::Retired); }
    void leave() noexcept { users_.fetch_sub(1); }

    void start_closing() noexcept { phase_.store(Phase::Closing); }
    void retire() noexcept { phase_.store(Phase::Retired); }
    Phase phase() const noexcept { return phase_.load(); }

    // Whether any call is inside. After retire(), once false it stays false.
    bool busy() const noexcept { return users_.load() != 0; }
    void wait_until_idle() const noexcept {
        while (busy()) {
            std::this_thread::yield();
        }
    }

private:
    bool enter_unless(Phase refused) noexcept {
        users_.fetch_add(1);
        if (static_cast<int>(phase_.load()) >= static_cast<int>(refused)) {
            leave();
            return false;
        }
        return true;
    }

    std::atomic<int> users_{0};
    std::atomic<Phase> phase_{Phase::Open};
};

// A call inside the gate, for the scope of one call.
class GatePass {
public:
    GatePass(HandleGate& gate, bool entered) noexcept : gate_(entered ? &gate : nullptr) {}
    ~GatePass() {
        if (gate_ != nullptr) {
            gate_->leave();
        }
    }
    GatePass(const GatePass&) = delete;
    GatePass& operator=(const GatePass&) = delete;

    explicit operator bool() const noexcept { return gate_ != nullptr; }

private:
    HandleGate* gate_;
};

}  // namespace relkafka::detail
