// RAG (the reference's RAGDocumentManager, reference study §3.8): documents ingested as chunk
// entries (rag_doc_<dddd>_chunk_<j>) before warm-up, and retrievals that read top_k distinct
// chunks of one document (zipfian over the chunk index, or uniform) before the request's own
// context I/O. Document sizes come from the seed, so every run of a seed has the same library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "settings.hpp"
#include "tier_cache.hpp"

namespace mlps::kvcache {

struct PlanStats;
class Planner;

class RagLibrary {
  public:
    RagLibrary(const Settings &s, uint64_t seed);

    uint32_t documents() const { return static_cast<uint32_t>(docTokens_.size()); }
    // Tokens per full chunk: max(1, min(chunk_tokens, max_chunk_bytes / bytes_per_token)).
    uint32_t chunkTokens() const { return chunkTokens_; }
    uint64_t documentTokens(uint32_t doc) const { return docTokens_[doc]; }
    uint32_t chunks(uint32_t doc) const;
    uint32_t chunkTokensOf(uint32_t doc, uint32_t chunk) const; // the last chunk is partial
    static void chunkKey(uint32_t doc, uint32_t chunk, std::string &out);

    // Ingestion of document `doc`: a write of each of its chunks.
    void planIngest(
        uint32_t doc, const Planner &planner, TierCache &cache, Plan &out, PlanStats &stats) const;
    // The chunks a retrieval of `doc` reads: min(top_k, chunks) distinct ones, from `draw`.
    std::vector<uint32_t> pick(uint32_t doc, uint64_t draw) const;
    // A retrieval (r.ragDoc != 0): a read of each picked chunk (a miss when evicted).
    void planRetrieval(uint32_t ragDoc,
                       uint64_t draw,
                       TierCache &cache,
                       Plan &out,
                       PlanStats &stats,
                       std::string &key) const;

  private:
    const RagSettings &settings_;
    uint32_t chunkTokens_ = 1;
    std::vector<uint64_t> docTokens_;
};

} // namespace mlps::kvcache
