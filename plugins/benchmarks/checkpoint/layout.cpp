#include "layout.hpp"

#include <cmath>

#include <mlps/plugin.hpp>

namespace mlps::checkpoint {

namespace {

// reference/mlpstorage.md §4.5: LLM_SIZE_BY_RANK (model GB, optimizer GB), TP x PP x DP, the
// CLOSED process count and the ZeRO stage of each DLIO workload.
constexpr Model kModels[] = {
    {"llama3-8b", 1, 1, 8, 3, 15, 90},
    {"llama3-70b", 8, 1, 64, 3, 130, 781},
    {"llama3-405b", 8, 32, 512, 1, 755, 4533},
    {"llama3-1t", 8, 64, 1024, 1, 2571, 15426},
};

// Share `index` of `total` split in `parts` whole bytes; the first ones take the remainder, so
// the shares add up to `total` exactly.
uint64_t share(uint64_t total, uint64_t parts, uint64_t index) {
    return total / parts + (index < total % parts ? 1 : 0);
}

uint64_t alignUp(uint64_t bytes, uint64_t alignment) {
    return alignment <= 1 ? bytes : (bytes + alignment - 1) / alignment * alignment;
}

Error invalid(const std::string &message) {
    return Error(message, MLPS_E_INVALID);
}

} // namespace

const Model *findModel(std::string_view name) noexcept {
    for (const Model &m : kModels) {
        if (name == m.name) {
            return &m;
        }
    }
    return nullptr;
}

std::string modelNames() {
    std::string out;
    for (const Model &m : kModels) {
        out += (out.empty() ? "" : "|") + std::string(m.name);
    }
    return out;
}

Layout makeLayout(
    const Model &model, uint32_t ranks, Mode mode, uint64_t explicitBytes, uint64_t alignment) {
    if (ranks == 0) {
        throw invalid("processes: must be at least 1");
    }
    const uint32_t group = model.tp * model.pp;
    Layout l;
    l.model = &model;
    l.ranks = ranks;
    l.alignment = alignment == 0 ? 1 : alignment;
    l.subset = mode == Mode::Subset || (mode == Mode::Auto && ranks < model.closedProcs);
    if (l.subset) {
        if (ranks > model.closedProcs) {
            throw invalid("mode: subset writes part of the " + std::to_string(model.closedProcs) +
                          "-process layout of " + model.name + ", but the job has " +
                          std::to_string(ranks) + " ranks");
        }
        l.layoutProcs = model.closedProcs;
    } else {
        if (ranks % group != 0) {
            throw invalid("processes: " + std::string(model.name) + " is sharded over TP x PP = " +
                          std::to_string(group) + " ranks; " + std::to_string(ranks) +
                          " ranks is not a multiple of it (use mode: subset, or " +
                          std::to_string(group) + "*k ranks)");
        }
        l.layoutProcs = ranks;
    }
    const double total = (model.modelGB + model.optimizerGB) * 1e9;
    const double scale = explicitBytes != 0 ? double(explicitBytes) / total : 1.0;
    l.modelBytes = static_cast<uint64_t>(std::llround(model.modelGB * 1e9 * scale));
    l.optimizerBytes = static_cast<uint64_t>(std::llround(model.optimizerGB * 1e9 * scale));
    if (explicitBytes != 0) {
        l.optimizerBytes = explicitBytes - l.modelBytes; // exact, whatever the rounding
    }
    return l;
}

std::vector<Shard> Layout::rankShards(uint32_t rank) const {
    const uint32_t group = model->tp * model->pp;
    const uint32_t mp = rank % group;
    const uint32_t dp = rank / group;
    const uint32_t pp = (rank / model->tp) % model->pp;
    const std::string prefix =
        "zero_pp_rank_" + std::to_string(dp) + "_mp_rank_" + std::to_string(mp);
    std::vector<Shard> shards;
    if (model->zeroStage == 3) {
        // ZeRO 3: the model's layers are sharded over every rank like the optimizer state.
        shards.push_back({prefix + "_model_states.pt",
                          alignUp(share(modelBytes, layoutProcs, rank), alignment)});
    } else if (rank < group) {
        // ZeRO 1 with pipeline stages: only the first data-parallel replica (dp 0) writes the
        // model, one file per (stage, tensor slice). DLIO writes one file per layer there.
        shards.push_back(
            {"layers_pp" + std::to_string(pp) + "-model_" + std::to_string(mp) + "_model_states.pt",
             alignUp(share(modelBytes, group, rank), alignment)});
    }
    shards.push_back({prefix + "_optim_states.pt",
                      alignUp(share(optimizerBytes, layoutProcs, rank), alignment)});
    return shards;
}

uint64_t Layout::rankBytes(uint32_t rank) const {
    uint64_t sum = 0;
    for (const Shard &s : rankShards(rank)) {
        sum += s.bytes;
    }
    return sum;
}

uint64_t Layout::jobBytes() const {
    // Ranks fall into few size classes; summing them one by one is cheap next to any I/O.
    uint64_t sum = 0;
    for (uint32_t r = 0; r < ranks; ++r) {
        sum += rankBytes(r);
    }
    return sum;
}

} // namespace mlps::checkpoint
