#pragma once

namespace relkafka::detail {

// Which producer's callbacks the current thread is running, if any: the
// producer's callback thread for its whole life, any other thread while it
// runs one of the producer's delivery, error or statistics callbacks (inside
// poll(), send_sync(), flush(), close(), or a send() that failed at once).
// From there a call that waits for callbacks, or destroys the handle whose
// poll is on the stack, would wait for itself or pull the handle from under
// librdkafka.
class CallbackScope {
public:
    explicit CallbackScope(const void* producer) noexcept : previous_(current_) {
        current_ = producer;
    }
    ~CallbackScope() { current_ = previous_; }
    CallbackScope(const CallbackScope&) = delete;
    CallbackScope& operator=(const CallbackScope&) = delete;

    static bool inside(const void* producer) noexcept { return current_ == producer; }

private:
    static inline thread_local const void* current_ = nullptr;
    const void* previous_;
};

}  // namespace relkafka::detail
