// Turns one request into cache steps, following the reference's per-request sequence
// (reference doc section 3.4): multi-turn reads of every earlier turn, the prefill write, then
// 1 + ceil(generation / batch) whole-entry decode reads (or a write on a miss).
#pragma once

#include <cstdint>
#include <string>

#include "settings.hpp"
#include "tier_cache.hpp"
#include "workload.hpp"

namespace mlps::kvcache {

struct PlanStats {
    uint32_t hits = 0;
    uint32_t misses = 0;
    uint32_t multiTurnHits = 0;
    uint32_t multiTurnMisses = 0;
    uint32_t prefillWrites = 0;
    uint32_t decodeReads = 0;
    uint32_t writesSkipped = 0; // the key was cached already
    uint32_t allocFailures = 0; // no tier could take the entry
    // mooncake: the request's blocks found (read) and missed (written), the tokens of its
    // longest cached prefix, and the KV bytes it did not have to compute.
    uint32_t blockHits = 0;
    uint32_t blockMisses = 0;
    uint64_t prefixTokensHit = 0;
    uint64_t bytesSaved = 0;
    // Prefix cache (prefix_cache.hpp): requests with a system prompt, and whether its entry
    // was found (read) or written; the prompt KV bytes not written again.
    uint32_t prefixRequests = 0;
    uint32_t systemPromptHits = 0;
    uint32_t systemPromptMisses = 0;
    uint64_t prefixBytesSaved = 0;
    // RAG (rag.hpp): retrievals, the chunk reads they asked for, and those that hit.
    uint32_t ragRetrievals = 0;
    uint32_t ragChunkReads = 0;
    uint32_t ragChunkHits = 0;

    // Counts what a planned write came to: written, skipped (cached already) or refused.
    void countWrite(TierCache::WriteResult result) noexcept {
        switch (result) {
        case TierCache::WriteResult::Written:
            ++prefillWrites;
            break;
        case TierCache::WriteResult::Exists:
            ++writesSkipped;
            break;
        case TierCache::WriteResult::NoRoom:
            ++allocFailures;
            break;
        }
    }
};

class ReplayStore;
class RagLibrary;

class Planner {
  public:
    // alignment: entries are padded to it (the strictest tier's buffer/length alignment).
    Planner(const Settings &settings, uint64_t alignment)
        : settings_(settings), alignment_(alignment == 0 ? 1 : alignment) {}

    // Entry bytes for `tokens` of context: tokens x bytes per token / TP, padded.
    uint64_t entrySize(uint64_t tokens) const;
    // source: trace plans through `replay` (set by the engine), every other source through
    // the cache.
    void plan(const Request &r, TierCache &cache, Plan &out, PlanStats &stats);
    void setReplayStore(ReplayStore *replay) { replay_ = replay; }
    void setRagLibrary(const RagLibrary *rag) { rag_ = rag; } // rag: true only
    // Preconditioning: entry `index` (precond_<index>) of precondition_tokens tokens.
    void planPrecondition(uint64_t index, TierCache &cache, Plan &out, PlanStats &stats);
    // RAG ingestion of document `doc` (every chunk written).
    void planRagIngest(uint32_t doc, TierCache &cache, Plan &out, PlanStats &stats);
    // The decode_only pre-population: entry `index` of prepopulate_tokens tokens.
    void planPrepopulate(uint32_t index, TierCache &cache, Plan &out, PlanStats &stats);

  private:
    void planBlocks(const Request &r, TierCache &cache, Plan &out, PlanStats &stats);

    const Settings &settings_;
    uint64_t alignment_;
    std::string key_; // reused: no allocation per request once warm
    std::string turn_;
    ReplayStore *replay_ = nullptr;
    const RagLibrary *rag_ = nullptr;
    std::string featureKey_;
};

} // namespace mlps::kvcache
