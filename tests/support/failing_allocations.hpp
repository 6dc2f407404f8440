#pragma once

namespace relkafka::test {

// While one lives, every operator new on the constructing thread throws
// std::bad_alloc. Works only in executables linked with
// failing_allocations.cpp, which replaces the global operator new.
class FailingAllocations {
public:
    FailingAllocations() noexcept;
    ~FailingAllocations();
    FailingAllocations(const FailingAllocations&) = delete;
    FailingAllocations& operator=(const FailingAllocations&) = delete;
};

}  // namespace relkafka::test
