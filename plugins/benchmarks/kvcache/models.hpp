// The model table: KV bytes per token for each model (GQA/MHA and MLA formulas), from the
// table embedded at build time (share/models/models.json) plus models defined in the spec.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mlps::kvcache {

struct ModelConfig {
    std::string key;  // the id used in specs: "llama3.1-8b"
    std::string name; // for people: "Llama 3.1 8B"
    uint32_t numLayers = 0;
    uint32_t hiddenDim = 0;
    uint32_t numHeads = 0;
    uint32_t kvHeads = 0;
    uint32_t kvDimPerHead = 0; // 0: hiddenDim / numHeads
    std::string dtype = "float16";
    std::string attention = "gqa"; // gqa, mha or mla
    uint32_t kvLoraRank = 0;       // MLA only
    uint32_t qkRopeHeadDim = 0;    // MLA only

    uint32_t bytesPerElement() const;
    uint32_t headDim() const;
    // GQA/MHA: layers x kv_heads x head_dim x 2 (K and V) x bytes per element.
    // MLA: layers x (kv_lora_rank + qk_rope_head_dim) x bytes per element (no K/V pair).
    uint64_t bytesPerToken() const;
};

using ModelTable = std::map<std::string, ModelConfig, std::less<>>;

// Bytes of one KV entry: tokens x bytes per token / tensor parallel (integer division, as the
// reference does: each rank of a TP group holds its share).
constexpr uint64_t entryBytes(uint64_t bytesPerToken, uint64_t tokens, uint32_t tp) {
    return bytesPerToken * tokens / (tp == 0 ? 1 : tp);
}

// The built-in table (parsed from the embedded JSON once).
const ModelTable &builtinModels();

// Adds or overrides models from a JSON object {key: {field: value}}; an existing model keeps
// the fields not given. Throws mlps::Error(MLPS_E_INVALID) naming `where`.key.field on a bad
// value; a `bytes_per_token` field is a check: it must equal the formula's result.
void mergeModels(ModelTable &table, std::string_view json, const std::string &where);

} // namespace mlps::kvcache
