#include "feature_settings.hpp"

#include <algorithm>
#include <string>

#include <mlps/plugin.hpp>

namespace mlps::kvcache {

namespace {

// Fallbacks as in settings.cpp: a partial config (unit tests) still works.
int64_t intOr(const Config &c, std::string_view name, int64_t fallback) {
    return c.isSet(name) ? c.getInt(name) : fallback;
}
bool boolOr(const Config &c, std::string_view name, bool fallback) {
    return c.isSet(name) ? c.getBool(name) : fallback;
}
double floatOr(const Config &c, std::string_view name, double fallback) {
    return c.isSet(name) ? c.getFloat(name) : fallback;
}
std::string stringOr(const Config &c, std::string_view name, std::string fallback) {
    return c.isSet(name) ? c.getString(name) : fallback;
}

} // namespace

FeatureSettings parseFeatureSettings(const Config &c, uint32_t users) {
    FeatureSettings f;
    PrefixCacheSettings &p = f.prefix;
    p.enabled = boolOr(c, "prefix_cache", true);
    p.prompts = static_cast<uint32_t>(intOr(c, "system_prompts", 3));
    p.promptTokens = static_cast<uint32_t>(intOr(c, "system_prompt_tokens", 0));
    p.probability = floatOr(c, "system_prompt_hit_probability", 0.2);

    RagSettings &r = f.rag;
    r.enabled = boolOr(c, "rag", false);
    r.docs = static_cast<uint32_t>(intOr(c, "rag_num_docs", 10));
    r.docTokensMin = static_cast<uint32_t>(intOr(c, "rag_doc_tokens_min", 0));
    r.docTokensMax = static_cast<uint32_t>(intOr(c, "rag_doc_tokens_max", 0));
    if (r.docTokensMin != 0 && r.docTokensMax != 0 && r.docTokensMax < r.docTokensMin) {
        throw Error("option 'rag_doc_tokens_max': " + std::to_string(r.docTokensMax) +
                        " is below rag_doc_tokens_min (" + std::to_string(r.docTokensMin) + ")",
                    MLPS_E_INVALID);
    }
    r.chunkTokens = static_cast<uint32_t>(intOr(c, "rag_chunk_tokens", 512));
    r.maxChunkBytes =
        c.isSet("rag_max_chunk_bytes") ? c.getSize("rag_max_chunk_bytes") : (256ull << 20);
    r.topK = static_cast<uint32_t>(intOr(c, "rag_top_k", 5));
    r.probability = floatOr(c, "rag_request_probability", 0.1);
    r.zipfian = stringOr(c, "rag_retrieval_distribution", "zipfian") == "zipfian";

    PreconditionSettings &pc = f.precondition;
    pc.enabled = boolOr(c, "precondition", false);
    pc.multiple = floatOr(c, "precondition_multiple", 2.0);
    pc.tokens = static_cast<uint32_t>(intOr(c, "precondition_tokens", 2048));

    AutoscalerSettings &a = f.autoscaler;
    const std::string mode = stringOr(c, "autoscaler.mode", "off");
    a.mode = mode == "qos"        ? AutoscaleMode::Qos
             : mode == "capacity" ? AutoscaleMode::Capacity
                                  : AutoscaleMode::Off;
    a.minUsers = static_cast<uint32_t>(intOr(c, "autoscaler.min_users", 1));
    a.window = static_cast<uint32_t>(intOr(c, "autoscaler.window", 50));
    a.targetSaturation = floatOr(c, "autoscaler.target_saturation", 0.8);
    const auto initial = static_cast<uint32_t>(intOr(c, "autoscaler.initial_users", 0));
    if (a.mode != AutoscaleMode::Off) {
        if (a.minUsers > users) {
            throw Error("option 'autoscaler.min_users': " + std::to_string(a.minUsers) +
                            " is more than 'users' (" + std::to_string(users) +
                            "), the most the autoscaler may run",
                        MLPS_E_INVALID);
        }
        if (initial > users) {
            throw Error("option 'autoscaler.initial_users': " + std::to_string(initial) +
                            " is more than 'users' (" + std::to_string(users) + ")",
                        MLPS_E_INVALID);
        }
        a.initialUsers = initial != 0                   ? std::max(initial, a.minUsers)
                         : a.mode == AutoscaleMode::Qos ? users
                                                        : a.minUsers;
    }
    return f;
}

} // namespace mlps::kvcache
