#include "rag.hpp"

#include <algorithm>
#include <cstdio>

#include "planner.hpp"
#include "rng.hpp"

namespace mlps::kvcache {

namespace {

constexpr uint64_t kPurposeRagDocs = 41;
constexpr uint64_t kPurposeRagPick = 42;

} // namespace

RagLibrary::RagLibrary(const Settings &s, uint64_t seed) : settings_(s.features.rag) {
    const uint64_t byBytes = s.bytesPerToken != 0 ? settings_.maxChunkBytes / s.bytesPerToken : 1;
    chunkTokens_ = static_cast<uint32_t>(
        std::max<uint64_t>(1, std::min<uint64_t>(settings_.chunkTokens, byBytes)));
    // The reference's document sizes: large models (hidden_dim >= 8192 or >= 64 layers) get
    // 1024-4096 tokens, the others 4000-12000.
    const bool large = s.model.hiddenDim >= 8192 || s.model.numLayers >= 64;
    int64_t lo = settings_.docTokensMin != 0 ? settings_.docTokensMin : (large ? 1024 : 4000);
    int64_t hi = settings_.docTokensMax != 0 ? settings_.docTokensMax : (large ? 4096 : 12000);
    hi = std::max(hi, lo);
    for (uint32_t d = 0; d < settings_.docs; ++d) {
        Rng rng(streamSeed(seed, kPurposeRagDocs, d));
        docTokens_.push_back(static_cast<uint64_t>(rng.randint(lo, hi)));
    }
}

uint32_t RagLibrary::chunks(uint32_t doc) const {
    return static_cast<uint32_t>((docTokens_[doc] + chunkTokens_ - 1) / chunkTokens_);
}

uint32_t RagLibrary::chunkTokensOf(uint32_t doc, uint32_t chunk) const {
    const uint64_t before = uint64_t{chunk} * chunkTokens_;
    return static_cast<uint32_t>(std::min<uint64_t>(chunkTokens_, docTokens_[doc] - before));
}

void RagLibrary::chunkKey(uint32_t doc, uint32_t chunk, std::string &out) {
    char text[48];
    std::snprintf(text, sizeof text, "rag_doc_%04u_chunk_%u", doc, chunk);
    out = text;
}

void RagLibrary::planIngest(
    uint32_t doc, const Planner &planner, TierCache &cache, Plan &out, PlanStats &stats) const {
    std::string key;
    for (uint32_t c = 0; c < chunks(doc); ++c) {
        chunkKey(doc, c, key);
        stats.countWrite(
            cache.write(key, planner.entrySize(chunkTokensOf(doc, c)), OpPhase::Prepopulate, out));
    }
}

std::vector<uint32_t> RagLibrary::pick(uint32_t doc, uint64_t draw) const {
    const uint32_t n = chunks(doc);
    const uint32_t k = std::min(settings_.topK, n);
    std::vector<double> weight(n);
    for (uint32_t i = 0; i < n; ++i) {
        weight[i] = settings_.zipfian ? 1.0 / (i + 1) : 1.0;
    }
    // Weighted draws without replacement (numpy's choice(replace=False, p) draws the same way:
    // each pick renormalises over the chunks left).
    Rng rng(streamSeed(draw, kPurposeRagPick, doc));
    std::vector<uint32_t> out;
    out.reserve(k);
    double total = 0;
    for (double w : weight) {
        total += w;
    }
    while (out.size() < k) {
        double at = rng.uniform() * total;
        uint32_t i = 0;
        for (; i + 1 < n; ++i) {
            if (weight[i] > 0 && at < weight[i]) {
                break;
            }
            at -= weight[i];
        }
        while (weight[i] == 0) { // rounding ran past the end: the last chunk still left
            --i;
        }
        out.push_back(i);
        total -= weight[i];
        weight[i] = 0;
    }
    return out;
}

void RagLibrary::planRetrieval(uint32_t ragDoc,
                               uint64_t draw,
                               TierCache &cache,
                               Plan &out,
                               PlanStats &stats,
                               std::string &key) const {
    const uint32_t doc = ragDoc - 1;
    if (doc >= documents()) {
        return;
    }
    ++stats.ragRetrievals;
    for (const uint32_t c : pick(doc, draw)) {
        chunkKey(doc, c, key);
        ++stats.ragChunkReads;
        if (cache.read(key, OpPhase::Decode, out)) {
            ++stats.hits;
            ++stats.ragChunkHits;
        } else {
            ++stats.misses; // evicted: nothing to read (the reference's miss costs nothing)
        }
    }
}

} // namespace mlps::kvcache
