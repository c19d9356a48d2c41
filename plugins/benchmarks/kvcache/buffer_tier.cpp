#include "buffer_tier.hpp"

#include "engine.hpp"

namespace mlps::kvcache {

namespace {

bool isHost(uint32_t kind) {
    return kind == MLPS_MEMORY_HOST || kind == MLPS_MEMORY_HOST_PINNED;
}

bool acceptedByAll(const std::vector<TierInfo> &tiers, uint32_t kind) {
    for (const TierInfo &t : tiers) {
        const mlps_tier_info info = Host::tierInfo(t.ref);
        // 0, or a 1.0 tier without the field: host memory, pinned or not.
        const uint32_t accepted =
            MLPS_HAS_FIELD(&info, mlps_tier_info, io_memory) && info.io_memory != 0
                ? info.io_memory
                : MLPS_MEMORY_HOST_KINDS;
        if ((accepted & MLPS_MEMORY_BIT(kind)) == 0) {
            return false;
        }
    }
    return true;
}

// The ABI promises nothing about the alignment of a tier's own buffers: look at one.
bool alignedEnough(const Host &host, uint32_t tier, uint32_t alignment, uint64_t chunkSize) {
    const HostBuffer probe(host, tier, chunkSize);
    return reinterpret_cast<uintptr_t>(probe.data()) % alignment == 0;
}

} // namespace

uint32_t chooseBufferTier(const Host &host,
                          const std::vector<TierInfo> &tiers,
                          uint32_t strictest,
                          uint32_t alignment,
                          uint64_t chunkSize) {
    const auto n = static_cast<uint32_t>(tiers.size());
    for (uint32_t i = 0; i < n; ++i) {
        if (host.bufferMemory(i) == MLPS_MEMORY_HOST_PINNED &&
            acceptedByAll(tiers, MLPS_MEMORY_HOST_PINNED) &&
            alignedEnough(host, i, alignment, chunkSize)) {
            host.log(MLPS_LOG_INFO,
                     "kvcache: I/O buffers are pinned host memory from tier '%s'",
                     tiers[i].name.c_str());
            return i;
        }
    }
    if (const uint32_t kind = host.bufferMemory(strictest);
        isHost(kind) && acceptedByAll(tiers, kind)) {
        return strictest; // the host's buffers for it are aligned for every tier
    }
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t kind = host.bufferMemory(i);
        if (isHost(kind) && acceptedByAll(tiers, kind) &&
            alignedEnough(host, i, alignment, chunkSize)) {
            return i;
        }
    }
    throw Error("kvcache needs I/O buffers of host memory that every tier accepts, aligned to " +
                    std::to_string(alignment) + " bytes; no tier of this spec gives them",
                MLPS_E_INVALID);
}

} // namespace mlps::kvcache
