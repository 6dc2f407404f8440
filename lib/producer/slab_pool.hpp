#pragma once

#include <atomic>
#include <cstddef>
#include <new>
#include <utility>

namespace relkafka::detail {

// Allocates objects of one type in slabs of N, for objects created on one
// thread and destroyed on another (a send and its delivery report). Each
// creating thread carves objects out of a slab of its own, without a lock or
// an atomic; the destroying side does one atomic decrement. A slab is one
// allocation for N objects and is freed by whichever thread drops its last
// reference. Slabs belong to no pool object: objects may outlive anything.
//
// make() and release() may run on any thread. A thread keeps at most one
// partly used slab, given up when the thread exits.
template <class T, std::size_t N = 1024>
class SlabPool {
    struct Slab;
    struct Slot {
        Slab* owner;
        alignas(T) unsigned char storage[sizeof(T)];
    };
    struct Slab {
        // One count per slot, plus one for being a thread's current slab.
        // Written by the destroying thread: kept off the slots' lines.
        alignas(64) std::atomic<std::size_t> live{N + 1};
        alignas(64) Slot slots[N];
    };

    static void unref(Slab* slab, std::size_t count = 1) noexcept {
        if (slab->live.fetch_sub(count) == count) {
            delete slab;
        }
    }

    // The calling thread's current slab and its next unused slot.
    struct ThreadSlab {
        Slab* slab = nullptr;
        std::size_t next = N;

        ThreadSlab() = default;
        ThreadSlab(const ThreadSlab&) = delete;
        ThreadSlab& operator=(const ThreadSlab&) = delete;
        ~ThreadSlab() {
            if (slab != nullptr) {
                unref(slab, N - next + 1);  // slots never handed out, and being current
            }
        }

        Slot* take() {
            if (next == N) {
                Slab* fresh = new Slab;  // slots stay uninitialised until used
                if (slab != nullptr) {
                    unref(slab);
                }
                slab = fresh;
                next = 0;
            }
            Slot* slot = &slab->slots[next++];
            slot->owner = slab;
            if (next + 2 < N) {
                __builtin_prefetch(&slab->slots[next + 2], 1);
            }
            return slot;
        }
    };

public:
    SlabPool() = delete;

    template <class... Args>
    static T* make(Args&&... args) {
        thread_local ThreadSlab local;
        Slot* slot = local.take();
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
};

}  // namespace relkafka::detail
