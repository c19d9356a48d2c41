// Behaviour every tier of this release must show, run against dram and posix-nvme alike:
// byte-range round trips, NOT_FOUND/RANGE/NO_SPACE as completions, BUSY on a full queue,
// capacity freed by DELETE, concurrent queues, delete while reading.
#pragma once

#include <functional>
#include <memory>

#include "plugin_under_test.hpp"
#include "tier_driver.hpp"

namespace mlps::test {

// A created tier with the options it was created from (the config must outlive it).
struct TierInstance {
    std::unique_ptr<Options> options;
    std::unique_ptr<TierDriver> tier;
    TierDriver *operator->() const { return tier.get(); }
};

struct TierUnderTest {
    const mlps_plugin_descriptor *descriptor = nullptr;
    std::function<void(Options &)> addOptions; // plugin-specific options (path, ...)

    // Creates an instance with `capacity` (0: the tier's default); REQUIREs success.
    TierInstance create(FakeHost &host, uint64_t capacity = 0) const;
};

void checkRoundTripWithByteRanges(const TierUnderTest &t);
void checkNotFoundAndRangeAreCompletions(const TierUnderTest &t);
void checkCapacityIsEnforced(const TierUnderTest &t);
void checkBusyWhenQueueIsFull(const TierUnderTest &t);
void checkConcurrentQueues(const TierUnderTest &t);
void checkDeleteWhileReading(const TierUnderTest &t);
// Every check above, each as its own doctest SUBCASE (call it from a TEST_CASE).
void checkConformance(const TierUnderTest &t);

} // namespace mlps::test
