// The tier under test, and the conformance suite every tier must pass: the checks of
// `mlpsrun plugins check` (core/check/), run here on in-tree tiers, each check a doctest
// assertion carrying the checker's own expected/happened message. The suite lives once, in the
// core, for the CLI and these tests alike.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

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

// Runs the `plugins check` suite on plugin file $envVar (skipped when unset: not built) with
// the tier options `sets` ("direct=false"), its scratch folder under `scratchRoot` (empty: the
// temporary folder), only the checks named in `only` (empty: all). One CHECK per check.
void checkConformance(const char *envVar,
                      const std::vector<std::string> &sets = {},
                      const std::string &scratchRoot = "",
                      const std::vector<std::string> &only = {});

} // namespace mlps::test
