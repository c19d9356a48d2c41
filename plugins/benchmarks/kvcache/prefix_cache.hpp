// The prefix cache: a few shared system prompts, each one cache entry (kv_system_<n>) written
// by the first request that uses it and read by every later one (the reference's
// PrefixCacheManager, which never writes its entries and so never hits: reference study §3.7).
// A request with a system prompt keeps only the rest of its context in its own entry.
#pragma once

#include <cstdint>
#include <string>

#include "settings.hpp"
#include "tier_cache.hpp"

namespace mlps::kvcache {

struct PlanStats;

// Tokens of system prompt `prompt` (0-based): the option, or the reference's prompts' word
// counts ("You are a helpful assistant." 5, "... helping with coding tasks." 9, "... writing
// assistant." 6), repeated.
uint32_t systemPromptTokens(const PrefixCacheSettings &s, uint32_t prompt);
void systemPromptKey(uint32_t prompt, std::string &out);

// The prefix step of a request with a system prompt (r.systemPrompt != 0): a read of the
// prompt's entry when cached (a hit: its KV is not computed again), else its write (a miss;
// later requests hit). `size` is the prompt entry's bytes. Returns the prompt's tokens, which
// the request's own entry then leaves out.
uint32_t planSystemPrompt(const Settings &s,
                          uint32_t systemPrompt,
                          uint64_t size,
                          TierCache &cache,
                          Plan &out,
                          PlanStats &stats,
                          std::string &key);

} // namespace mlps::kvcache
