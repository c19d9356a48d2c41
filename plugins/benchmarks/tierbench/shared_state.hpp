// What tierbench's worker threads share: the settings, the object keys, the metric ids and a
// few atomic tallies. Everything else a worker owns alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <mlps/plugin.hpp>

#include "data_pattern.hpp"
#include "settings.hpp"

namespace mlps::tierbench {

struct MetricIds {
    mlps_metric_id readLatency = 0;
    mlps_metric_id writeLatency = 0;
    mlps_metric_id readBytes = 0;
    mlps_metric_id writeBytes = 0;
    mlps_metric_id readOps = 0;
    mlps_metric_id writeOps = 0;
    mlps_metric_id errors = 0;
    mlps_metric_id verifyChecked = 0;
    mlps_metric_id verifyMismatched = 0;
};

// Which work a pass of the workers does.
enum class Workload {
    Precondition, // write every owned object once, sequentially; nothing recorded
    Measure       // the configured mode and pattern, recorded, until stop or total_bytes
};

struct SharedState {
    SharedState(const Host &h, Settings s, uint64_t seed)
        : host(h), settings(std::move(s)), data(seed), seed(seed) {}

    Host host;
    Settings settings;
    DataPattern data;
    uint64_t seed = 0;
    std::string tierName;
    uint32_t tierIndex = 0;
    uint32_t rank = 0;
    std::vector<std::string> keys; // one per object, stable: ops point into them
    // touched[i]: object i may exist in the tier. Written only by the thread owning object i,
    // read by the destructor after every worker has joined.
    std::vector<uint8_t> touched;
    MetricIds metrics;

    // Per pass.
    std::atomic<uint64_t> doneBytes{0}; // for the progress line
    uint64_t progressTotal = 0;
    std::string progressText;
    std::atomic<uint64_t> passErrors{0};

    // Over the run: only the first few problems are logged.
    std::atomic<uint32_t> loggedErrors{0};
    std::atomic<uint32_t> loggedMismatches{0};
};

} // namespace mlps::tierbench
