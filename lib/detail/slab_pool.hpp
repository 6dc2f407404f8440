#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

namespace relkafka::detail {

// Allocates objects of one type in slabs of N, for objects created on one
// thread and destroyed on another (a send and its delivery report). A slab is
// one allocation for N objects and is freed by whichever thread destroys its
// last object, so the per-object cost is a mutex-protected bump on the
// creating side and an atomic decrement on the destroying side, instead of a
// malloc and a cross-thread free.
//
// make() is thread-safe; release() may run on any thread. Objects may outlive
// the pool: each slab counts its own live objects.
template <class T, std::size_t N = 1024>
class SlabPool {
    struct Slab;
    struct Slot {
        Slab* owner;
        alignas(T) unsigned char storage[sizeof(T)];
    };
    struct Slab {
        // One count per slot, plus one for being the pool's current slab.
        // Decremented by the destroying thread: kept off the line that the
        // creating thread writes for every object.
        alignas(64) std::atomic<std::size_t> live{N + 1};
        alignas(64) std::size_t next = 0;  // guarded by the pool's mutex
        Slot slots[N];
    };

    static void unref(Slab* slab) noexcept {
        if (slab->live.fetch_sub(1) == 1) {
            delete slab;
        }
    }

public:
    SlabPool() = default;
    ~SlabPool() {
        if (current_ != nullptr) {
            // Slots never handed out will never be released.
            const std::size_t unused = N - current_->next;
            if (current_->live.fetch_sub(unused + 1) == unused + 1) {
                delete current_;
            }
        }
    }
    SlabPool(const SlabPool&) = delete;
    SlabPool& operator=(const SlabPool&) = delete;

    template <class... Args>
    T* make(Args&&... args) {
        Slot* slot = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (current_ == nullptr || current_->next == N) {
                Slab* full = current_;
                current_ = new Slab;  // slots stay uninitialised until used
                if (full != nullptr) {
                    unref(full);
                }
            }
            slot = &current_->slots[current_->next++];
            slot->owner = current_;
        }
        try {
            return ::new (slot->storage) T(std::forward<Args>(args)...);
        } catch (...) {
            unref(slot->owner);
            throw;
        }
    }

    static void release(T* object) noexcept {
        Slot* slot = reinterpret_cast<Slot*>(reinterpret_cast<unsigned char*>(object) -
                                             offsetof(Slot, storage));
        object->~T();
        unref(slot->owner);
    }

private:
    std::mutex mutex_;
    Slab* current_ = nullptr;
};

}  // namespace relkafka::detail
