// training's options, resolved against the workload table once (create, validate and plan).
#pragma once

#include <cstdint>
#include <string>

#include <mlps/plugin.hpp>

#include "workloads.hpp"

namespace mlps::training {

enum class Mode { Datagen, Run, Datasize };

struct Settings {
    std::string tier;
    Mode mode = Mode::Run;
    const Workload *workload = nullptr;
    uint64_t files = 0;
    uint64_t samplesPerFile = 0;
    uint64_t recordBytes = 0;
    uint32_t batch = 0;
    uint32_t readThreads = 0;
    uint64_t computeNs = 0;
    uint32_t epochs = 0;
    double au = 0;
    uint64_t transferSize = 0;
    uint32_t queueDepth = 0;
    uint32_t prefetch = 0;
    std::string folder;
    bool generate = false;
    bool deleteDataset = false;
    uint64_t hostMemory = 0; // per client host
    uint32_t hosts = 1;
    uint32_t accelerators = 0; // 0: the job's ranks

    // One sample's slot in its file: the record rounded up to `alignment`.
    uint64_t stride(uint64_t alignment) const {
        return alignment <= 1 ? recordBytes : (recordBytes + alignment - 1) / alignment * alignment;
    }
    uint64_t fileBytes(uint64_t alignment) const { return samplesPerFile * stride(alignment); }
    uint64_t totalSamples() const { return files * samplesPerFile; }
};

// Throws mlps::Error(MLPS_E_INVALID) starting with the option's name.
Settings parseSettings(const Config &config);
uint32_t findTier(const Host &host, const std::string &name);
const char *modeName(Mode m);
// The contiguous block of samples rank `rank` of `ranks` reads: [first, first + count).
void rankBlock(const Settings &s, uint32_t rank, uint32_t ranks, uint64_t &first, uint64_t &count);
// The key of dataset file `index`: "<folder>/img_<index>_of_<files>.<format>" (zero-padded).
std::string fileKey(const Settings &s, uint64_t index);

} // namespace mlps::training
