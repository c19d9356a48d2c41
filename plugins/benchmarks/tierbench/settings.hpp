// tierbench's options, read and checked once (by the constructor and by plan()).
#pragma once

#include <cstdint>
#include <string>

#include <mlps/plugin.hpp>

namespace mlps::tierbench {

enum class Mode { Write, Read, Mixed };
enum class Pattern { Sequential, Random };

struct Settings {
    std::string tier; // empty: the first tier of the spec
    Mode mode = Mode::Mixed;
    double readFraction = 0.7;
    Pattern pattern = Pattern::Sequential;
    uint64_t objectSize = 16ull << 20;
    uint64_t ioSize = 1ull << 20;
    uint32_t objects = 8;
    uint32_t threads = 1;
    uint32_t queueDepth = 4;
    uint64_t totalBytes = 0; // per phase; 0: until the phase's time is up
    bool verify = false;
    bool precondition = true;

    // Read and mixed modes write every object in prepare() unless precondition: false.
    bool preconditions() const { return mode != Mode::Write && precondition; }
    uint64_t objectSetBytes() const { return objectSize * objects; }
    uint64_t bufferBytes() const { return uint64_t{threads} * queueDepth * ioSize; }
};

// Throws mlps::Error(MLPS_E_INVALID) with a message naming the option.
Settings parseSettings(const Config &config);

const char *modeName(Mode mode);
const char *patternName(Pattern pattern);

// Index of the tier called `name` (empty: 0). Throws mlps::Error listing the tiers there are.
uint32_t findTier(const Host &host, const std::string &name);

} // namespace mlps::tierbench
