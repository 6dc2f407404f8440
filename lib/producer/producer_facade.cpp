// Producer: checks the handle (moved-from, empty callback), then forwards to
// Impl.
#include "relkafka/producer.hpp"

#include <memory>
#include <utility>

#include "detail/moved_from.hpp"
#include "detail/records.hpp"
#include "producer/producer_impl.hpp"

namespace relkafka {

namespace {

template <class ImplPtr>
auto& open_impl(const ImplPtr& impl, const char* call) {
    return detail::impl_of(impl, "Producer", call);
}

// Why a send with a callback is refused: out of line, so that send() pays
// one branch for both checks and no stack frame.
[[noreturn, gnu::cold, gnu::noinline]] void refuse_callback_send(bool moved_from) {
    if (moved_from) {
        throw UsageError("send() on a moved-from Producer");
    }
    throw UsageError(
        "send(): the delivery callback is empty, so the message's outcome would go nowhere: "
        "pass a callable, or use send(message) for a DeliveryFuture");
}

}  // namespace

Producer::Producer(ProducerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Producer::Producer(ProducerConfig config, std::vector<std::pair<std::string, std::string>> extra)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(extra))) {}

Producer::~Producer() {
    if (!impl_) {
        return;
    }
    if (impl_->serving_callbacks()) {
        Impl::close_later(std::move(impl_));
        return;
    }
    try {
        (void)impl_->close(impl_->config().close_timeout);
    } catch (...) {
        // close() throws only inside the callbacks, handled above; the
        // destructor must not throw in any case.
    }
}

Producer::Producer(Producer&&) noexcept = default;

Producer& Producer::operator=(Producer&& other) noexcept {
    if (this != &other) {
        Producer old(std::move(*this));
        impl_ = std::move(other.impl_);
    }
    return *this;
}

Delivery Producer::send_sync(Message message) {
    return open_impl(impl_, "send_sync()").send_sync(detail::view_of(message), &message);
}

DeliveryFuture Producer::send(Message message) {
    return open_impl(impl_, "send()").send_future(detail::view_of(message), &message);
}

void Producer::send(Message message, DeliveryCallback on_delivery) {
    if (!impl_ || !on_delivery) {
        refuse_callback_send(!impl_);
    }
    impl_->send(detail::view_of(message), &message, std::move(on_delivery));
}

Delivery Producer::send_sync(const MessageView& message) {
    return open_impl(impl_, "send_sync()").send_sync(message, nullptr);
}

DeliveryFuture Producer::send(const MessageView& message) {
    return open_impl(impl_, "send()").send_future(message, nullptr);
}

void Producer::send(const MessageView& message, DeliveryCallback on_delivery) {
    if (!impl_ || !on_delivery) {
        refuse_callback_send(!impl_);
    }
    impl_->send(message, nullptr, std::move(on_delivery));
}

Error Producer::flush(std::chrono::milliseconds timeout) {
    return open_impl(impl_, "flush()").flush(timeout);
}

std::vector<Delivery> Producer::close(std::chrono::milliseconds timeout) {
    return open_impl(impl_, "close()").close(timeout);
}

int Producer::poll(std::chrono::milliseconds timeout) {
    return open_impl(impl_, "poll()").poll(timeout);
}

Error Producer::wait_connected(std::chrono::milliseconds timeout) {
    return open_impl(impl_, "wait_connected()").wait_connected(timeout);
}

std::size_t Producer::in_flight() const { return open_impl(impl_, "in_flight()").in_flight(); }

ProducerCounters Producer::counters() const { return open_impl(impl_, "counters()").counters(); }

std::optional<Error> Producer::fatal_error() const {
    return open_impl(impl_, "fatal_error()").fatal_error();
}

bool Producer::closed() const noexcept { return !impl_ || impl_->closed(); }

rd_kafka_s* Producer::native_handle() const noexcept { return impl_ ? impl_->handle() : nullptr; }

}  // namespace relkafka
