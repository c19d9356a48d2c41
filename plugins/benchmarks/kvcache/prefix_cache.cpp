#include "prefix_cache.hpp"

#include "planner.hpp"

namespace mlps::kvcache {

uint32_t systemPromptTokens(const PrefixCacheSettings &s, uint32_t prompt) {
    static constexpr uint32_t kReferenceWords[] = {5, 9, 6};
    return s.promptTokens != 0 ? s.promptTokens : kReferenceWords[prompt % 3];
}

void systemPromptKey(uint32_t prompt, std::string &out) {
    out = "kv_system_";
    out += std::to_string(prompt);
}

uint32_t planSystemPrompt(const Settings &s,
                          uint32_t systemPrompt,
                          uint64_t size,
                          TierCache &cache,
                          Plan &out,
                          PlanStats &stats,
                          std::string &key) {
    const uint32_t prompt = systemPrompt - 1;
    systemPromptKey(prompt, key);
    ++stats.prefixRequests;
    if (cache.read(key, OpPhase::Decode, out)) {
        ++stats.hits;
        ++stats.systemPromptHits;
        stats.prefixBytesSaved += size;
    } else {
        ++stats.misses;
        ++stats.systemPromptMisses;
        stats.countWrite(cache.write(key, size, OpPhase::Prefill, out));
    }
    return systemPromptTokens(s.features.prefix, prompt);
}

} // namespace mlps::kvcache
