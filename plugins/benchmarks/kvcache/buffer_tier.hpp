// Which tier's buffer_alloc kvcache takes its I/O buffers from. Every buffer goes to every tier
// (an entry written to the first tier is demoted through the others) and is filled and checked
// by the CPU, so it must be host memory that every tier accepts (info.io_memory), aligned for
// the strictest tier.
#pragma once

#include <cstdint>
#include <vector>

#include <mlps/plugin.hpp>

namespace mlps::kvcache {

struct TierInfo;

// Prefers a tier that gives pinned host memory (a GPU tier: its copies run at full speed from
// it, and pinned memory is host memory to every other tier), when a probe buffer of
// `chunkSize` from it is aligned to `alignment`; else the strictest tier `strictest` (the
// host's buffers for it are aligned for everyone). Throws mlps::Error (MLPS_E_INVALID) when no
// tier gives host memory that all accept.
uint32_t chooseBufferTier(const Host &host,
                          const std::vector<TierInfo> &tiers,
                          uint32_t strictest,
                          uint32_t alignment,
                          uint64_t chunkSize);

} // namespace mlps::kvcache
