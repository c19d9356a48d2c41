// The settings of kvcache's prefix cache, RAG, preconditioning and autoscaler (issue 11 §1),
// kept apart from the core workload's settings. Defaults are the reference's
// (share/doc/kvcache.md of the reference study, sections 3.7, 3.8, 3.11 and 3.13).
#pragma once

#include <cstdint>

namespace mlps {
class Config;
} // namespace mlps

namespace mlps::kvcache {

struct PrefixCacheSettings {
    bool enabled = true;
    uint32_t prompts = 3;
    uint32_t promptTokens = 0; // 0: the reference's 5, 9 and 6 tokens
    double probability = 0.2;
};

struct RagSettings {
    bool enabled = false;
    uint32_t docs = 10;
    uint32_t docTokensMin = 0, docTokensMax = 0; // 0: the reference's, by model size
    uint32_t chunkTokens = 512;
    uint64_t maxChunkBytes = 256ull << 20;
    uint32_t topK = 5;
    double probability = 0.1;
    bool zipfian = true;
};

struct PreconditionSettings {
    bool enabled = false;
    double multiple = 2.0;
    uint32_t tokens = 2048;
};

enum class AutoscaleMode : uint8_t { Off, Qos, Capacity };

struct AutoscalerSettings {
    AutoscaleMode mode = AutoscaleMode::Off;
    uint32_t initialUsers = 0; // resolved by parseFeatureSettings: never 0 when on
    uint32_t minUsers = 1;
    uint32_t window = 50; // requests dispatched between decisions
    double targetSaturation = 0.8;
};

struct FeatureSettings {
    PrefixCacheSettings prefix;
    RagSettings rag;
    PreconditionSettings precondition;
    AutoscalerSettings autoscaler;
};

// Reads the options of kvcache_options.hpp's feature block; users is the user count (the most
// the autoscaler may run). Throws mlps::Error(MLPS_E_INVALID) naming the option.
FeatureSettings parseFeatureSettings(const Config &config, uint32_t users);

} // namespace mlps::kvcache
