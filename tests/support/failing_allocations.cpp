// The global operator new, replaced so that a test can make it fail on one
// thread. Every non-aligned form is replaced, new and delete alike, so that
// each pair stays matched (AddressSanitizer checks that); the aligned forms
// are left as they are.
#include "failing_allocations.hpp"

#include <cstdlib>
#include <new>

namespace {

thread_local bool failing = false;

void* allocate(std::size_t size) noexcept {
    return failing ? nullptr : std::malloc(size == 0 ? 1 : size);
}

void* allocate_or_throw(std::size_t size) {
    if (void* memory = allocate(size)) {
        return memory;
    }
    throw std::bad_alloc();
}

}  // namespace

namespace relkafka::test {

FailingAllocations::FailingAllocations() noexcept { failing = true; }
FailingAllocations::~FailingAllocations() { failing = false; }

}  // namespace relkafka::test

void* operator new(std::size_t size) { return allocate_or_throw(size); }
void* operator new[](std::size_t size) { return allocate_or_throw(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }

void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
