#include "planner.hpp"

#include "prefix_cache.hpp"
#include "rag.hpp"
#include "replay_store.hpp"

namespace mlps::kvcache {

uint64_t Planner::entrySize(uint64_t tokens) const {
    const uint64_t bytes = entryBytes(settings_.bytesPerToken, tokens, settings_.tensorParallel);
    return (bytes + alignment_ - 1) / alignment_ * alignment_;
}

// Mooncake's block-level reuse: each hash id is an entry of its own; a cached block is read (a
// hit), a missing one computed and written (a miss). No decode reads: the trace says nothing of
// them, and re-reading every block would hide the prefix reuse being measured.
void Planner::planBlocks(const Request &r, TierCache &cache, Plan &out, PlanStats &stats) {
    const uint64_t size = entrySize(settings_.blockTokens);
    bool prefix = true;
    for (const uint64_t id : r.payload->blocks) {
        blockKey(id, key_);
        if (cache.read(key_, OpPhase::Decode, out)) {
            ++stats.hits;
            ++stats.blockHits;
            stats.bytesSaved += size;
            if (prefix) {
                stats.prefixTokensHit += settings_.blockTokens;
            }
            continue;
        }
        prefix = false;
        ++stats.misses;
        ++stats.blockMisses;
        stats.countWrite(cache.write(key_, size, OpPhase::Prefill, out));
    }
}

void Planner::plan(const Request &r, TierCache &cache, Plan &out, PlanStats &stats) {
    const Settings &s = settings_;
    if (r.source == SourceKind::Trace) {
        for (const ReplayOp &op : r.payload->ops) {
            replay_->apply(op, out, stats);
        }
        return;
    }
    if (r.source == SourceKind::Mooncake) {
        planBlocks(r, cache, out, stats);
        return;
    }
    requestKey(r, s, key_);
    const bool decodeOnly = r.phase == RequestPhase::Decode;
    // 0. The shared system prompt, read when cached, written once when not; the request's own
    // entry then holds the rest of its context.
    uint32_t promptTokens = 0;
    if (r.systemPrompt != 0) {
        const uint32_t tokens = systemPromptTokens(s.features.prefix, r.systemPrompt - 1);
        promptTokens =
            planSystemPrompt(s, r.systemPrompt, entrySize(tokens), cache, out, stats, featureKey_);
    }
    // 1. Every earlier turn of the conversation, read in full when still cached.
    if (!decodeOnly && s.multiTurn && r.turn > 1) {
        for (uint32_t turn = 1; turn < r.turn; ++turn) {
            turnKeyOf(r, turn, turn_);
            if (cache.read(turn_, OpPhase::MultiTurn, out)) {
                ++stats.hits;
                ++stats.multiTurnHits;
            } else {
                ++stats.misses;
                ++stats.multiTurnMisses;
            }
        }
    }
    // 2. The prefill write of the whole context's KV.
    const uint32_t own = r.entryTokens != 0 ? r.entryTokens : r.context;
    const uint64_t size = entrySize(own > promptTokens ? own - promptTokens : 1);
    if (!decodeOnly) {
        stats.countWrite(cache.write(key_, size, OpPhase::Prefill, out));
    }
    // RAG: the retrieval's top_k chunks (the reference reads them after the prefill write).
    if (r.ragDoc != 0 && rag_ != nullptr) {
        rag_->planRetrieval(r.ragDoc, r.ragDraw, cache, out, stats, featureKey_);
    }
    // 3. Decode: one read, then on a hit max(1, ceil(gen / batch)) more whole-entry reads; a
    // miss writes the entry (the reference's allocate on miss). Requests of prefill_only_
    // threshold tokens or more do no decode (reference behaviour, kept).
    if (s.prefillOnly || r.phase == RequestPhase::Prefill) {
        return;
    }
    if (cache.read(key_, OpPhase::Decode, out)) {
        ++stats.hits;
        ++stats.decodeReads;
        const uint32_t more = decodeReads(r.generation, s.decodeBatch) - 1;
        for (uint32_t i = 0; i < more; ++i) {
            cache.read(key_, OpPhase::Decode, out);
            ++stats.hits;
            ++stats.decodeReads;
        }
    } else {
        ++stats.misses;
        if (!decodeOnly) {
            if (cache.write(key_, size, OpPhase::Prefill, out) == TierCache::WriteResult::Written) {
                ++stats.prefillWrites;
            } else {
                ++stats.allocFailures;
            }
        }
    }
}

void Planner::planPrecondition(uint64_t index, TierCache &cache, Plan &out, PlanStats &stats) {
    key_ = "precond_";
    key_ += std::to_string(index);
    if (cache.write(
            key_, entrySize(settings_.features.precondition.tokens), OpPhase::Prepopulate, out) ==
        TierCache::WriteResult::Written) {
        ++stats.prefillWrites;
    } else {
        ++stats.allocFailures;
    }
}

void Planner::planRagIngest(uint32_t doc, TierCache &cache, Plan &out, PlanStats &stats) {
    if (rag_ != nullptr) {
        rag_->planIngest(doc, *this, cache, out, stats);
    }
}

void Planner::planPrepopulate(uint32_t index, TierCache &cache, Plan &out, PlanStats &stats) {
    prepopKey(index, key_);
    if (cache.write(key_, entrySize(settings_.prepopulateTokens), OpPhase::Prepopulate, out) ==
        TierCache::WriteResult::Written) {
        ++stats.prefillWrites;
    } else {
        ++stats.allocFailures;
    }
}

} // namespace mlps::kvcache
