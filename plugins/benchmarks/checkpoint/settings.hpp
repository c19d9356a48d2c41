// checkpoint's options, parsed and checked once (create, validate and plan share it).
#pragma once

#include <cstdint>
#include <string>

#include <mlps/plugin.hpp>

#include "layout.hpp"

namespace mlps::checkpoint {

// What happens to the checkpoint folders at the end of a run.
enum class Cleanup {
    Auto,   // delete the steps this run wrote, unless it wrote without reading (a later run loads)
    Always, // also delete steps written by an earlier run that this run read
    Never
};

struct Settings {
    std::string tier; // empty: the first tier
    const Model *model = nullptr;
    Mode mode = Mode::Auto;
    uint64_t checkpointBytes = 0; // 0: the model table's size
    uint32_t processes = 0;       // 0: the job's rank count
    uint32_t writes = 0;
    uint32_t reads = 0;
    uint64_t betweenNs = 0;
    bool fsync = true;
    std::string folder;
    uint64_t ioSize = 0;
    uint32_t queueDepth = 0;
    uint32_t rankShift = 0;
    bool dropPageCache = false;
    Cleanup cleanup = Cleanup::Auto;
};

// Throws mlps::Error(MLPS_E_INVALID) starting with the option's name.
Settings parseSettings(const Config &config);

// The spec's tier index for `name` (empty: 0). Throws when there is no such tier.
uint32_t findTier(const Host &host, const std::string &name);

// The layout of this job: `processes` (or the world size) ranks. Throws on a mismatch.
Layout jobLayout(const Settings &s, uint32_t worldSize, uint64_t alignment);

// The key of a file in checkpoint `step` (1-based): "<folder>/step<i>/<file>".
std::string stepKey(const Settings &s, uint32_t step, const std::string &file);

} // namespace mlps::checkpoint
