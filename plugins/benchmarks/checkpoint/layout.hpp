// How big a checkpoint is and which shards each rank writes: the model table of MLPerf Storage
// (reference/mlpstorage.md §4.5) and the per-rank sizes of mlpstorage's `checkpointing
// datasize`. Host-free, so the unit tests check it against the reference's published figures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlps::checkpoint {

// One row of the reference table. Sizes are the table's (model GB, optimizer GB), GB = 1e9.
struct Model {
    const char *name;
    uint32_t tp;          // tensor parallelism
    uint32_t pp;          // pipeline parallelism
    uint32_t closedProcs; // processes of a CLOSED run (TP x PP x DP)
    uint32_t zeroStage;   // 3: every rank writes model + optimizer shards; 1: see rankShards
    double modelGB;
    double optimizerGB;
};

// nullptr when `name` is not in the table.
const Model *findModel(std::string_view name) noexcept;
// "llama3-8b|llama3-70b|..." for messages.
std::string modelNames();

enum class Mode { Auto, Default, Subset };

struct Shard {
    std::string file; // name inside the step folder, as DLIO names it
    uint64_t bytes;
};

// The checkpoint a job of `ranks` processes writes.
struct Layout {
    const Model *model = nullptr;
    bool subset = false;      // ranks write the first `ranks` ranks' shards of the full layout
    uint32_t ranks = 0;       // processes that write
    uint32_t layoutProcs = 0; // processes of the full layout (closedProcs in subset mode)
    uint64_t modelBytes = 0;  // the full checkpoint's model part
    uint64_t optimizerBytes = 0;
    uint64_t alignment = 1; // every shard is rounded up to this (the tier's O_DIRECT unit)

    // The shards rank `rank` writes (rank < layoutProcs).
    std::vector<Shard> rankShards(uint32_t rank) const;
    uint64_t rankBytes(uint32_t rank) const;
    // What the job writes per checkpoint: the sum of rankBytes over `ranks`.
    uint64_t jobBytes() const;
};

// Throws mlps::Error(MLPS_E_INVALID) naming the option when the combination cannot be laid out
// (a rank count that is not a multiple of TP x PP, a subset larger than the model's layout).
// `explicitBytes` (0 = the table's) scales the full checkpoint to that size, keeping the model
// : optimizer ratio.
Layout makeLayout(
    const Model &model, uint32_t ranks, Mode mode, uint64_t explicitBytes, uint64_t alignment = 1);

} // namespace mlps::checkpoint
