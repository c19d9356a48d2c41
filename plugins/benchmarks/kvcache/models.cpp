#include "models.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include <mlps/plugin.hpp>

#include "kvcache_models.hpp"

namespace mlps::kvcache {

namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string &what) {
    throw Error(what, MLPS_E_INVALID);
}

uint32_t positive(const json &value, const std::string &path, bool allowZero) {
    if (!value.is_number_integer() || value.get<int64_t>() < (allowZero ? 0 : 1) ||
        value.get<int64_t>() > 1'000'000) {
        invalid(path + ": expected an integer in [" + (allowZero ? "0" : "1") +
                ", 1000000], found " + value.dump());
    }
    return value.get<uint32_t>();
}

void applyFields(ModelConfig &m, const json &fields, const std::string &path) {
    if (!fields.is_object()) {
        invalid(path + ": expected a mapping of model fields, found " + fields.dump());
    }
    std::optional<uint64_t> expected;
    for (const auto &[field, value] : fields.items()) {
        const std::string at = path + "." + field;
        if (field == "name") {
            if (!value.is_string()) {
                invalid(at + ": expected a string");
            }
            m.name = value.get<std::string>();
        } else if (field == "num_layers") {
            m.numLayers = positive(value, at, false);
        } else if (field == "hidden_dim") {
            m.hiddenDim = positive(value, at, false);
        } else if (field == "num_heads") {
            m.numHeads = positive(value, at, false);
        } else if (field == "kv_heads") {
            m.kvHeads = positive(value, at, false);
        } else if (field == "kv_dim_per_head") {
            m.kvDimPerHead = positive(value, at, true);
        } else if (field == "kv_lora_rank") {
            m.kvLoraRank = positive(value, at, true);
        } else if (field == "qk_rope_head_dim") {
            m.qkRopeHeadDim = positive(value, at, true);
        } else if (field == "dtype") {
            const std::string d = value.is_string() ? value.get<std::string>() : "";
            if (d != "float32" && d != "float16" && d != "bfloat16" && d != "int8" && d != "fp8") {
                invalid(at + ": expected float32, float16, bfloat16, int8 or fp8, found " +
                        value.dump());
            }
            m.dtype = d;
        } else if (field == "attention_type") {
            const std::string a = value.is_string() ? value.get<std::string>() : "";
            if (a != "gqa" && a != "mha" && a != "mla") {
                invalid(at + ": expected gqa, mha or mla, found " + value.dump());
            }
            m.attention = a;
        } else if (field == "bytes_per_token") {
            if (!value.is_number_unsigned()) {
                invalid(at + ": expected a positive integer");
            }
            expected = value.get<uint64_t>();
        } else {
            invalid(at + ": unknown model field (known: name, num_layers, hidden_dim, num_heads, "
                         "kv_heads, kv_dim_per_head, dtype, attention_type, kv_lora_rank, "
                         "qk_rope_head_dim, bytes_per_token)");
        }
    }
    if (m.numLayers == 0 || m.hiddenDim == 0 || m.numHeads == 0 ||
        (m.attention != "mla" && m.kvHeads == 0)) {
        invalid(path + ": a model needs num_layers, hidden_dim, num_heads and kv_heads");
    }
    if (m.attention == "mla" && m.kvLoraRank + m.qkRopeHeadDim == 0) {
        invalid(path + ": an MLA model needs kv_lora_rank and qk_rope_head_dim");
    }
    if (m.bytesPerToken() == 0) {
        invalid(path + ": the model has 0 KV bytes per token (hidden_dim < num_heads?)");
    }
    if (expected && *expected != m.bytesPerToken()) {
        invalid(path + ".bytes_per_token: the formula gives " + std::to_string(m.bytesPerToken()) +
                ", the table says " + std::to_string(*expected));
    }
}

} // namespace

uint32_t ModelConfig::bytesPerElement() const {
    if (dtype == "float32") {
        return 4;
    }
    if (dtype == "int8" || dtype == "fp8") {
        return 1;
    }
    return 2; // float16, bfloat16
}

uint32_t ModelConfig::headDim() const {
    return kvDimPerHead > 0 ? kvDimPerHead : (numHeads != 0 ? hiddenDim / numHeads : 0);
}

uint64_t ModelConfig::bytesPerToken() const {
    if (attention == "mla") {
        return uint64_t{numLayers} * (kvLoraRank + qkRopeHeadDim) * bytesPerElement();
    }
    return uint64_t{numLayers} * kvHeads * headDim() * 2 * bytesPerElement();
}

void mergeModels(ModelTable &table, std::string_view text, const std::string &where) {
    const json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        invalid(where + ": expected a mapping of model names to model fields");
    }
    for (const auto &[key, fields] : parsed.items()) {
        if (!key.empty() && key[0] == '_') {
            continue; // comments
        }
        ModelConfig m;
        if (const auto it = table.find(key); it != table.end()) {
            m = it->second;
        } else {
            m.key = key;
            m.name = key;
        }
        applyFields(m, fields, where + "." + key);
        table[key] = std::move(m);
    }
}

const ModelTable &builtinModels() {
    static const ModelTable table = [] {
        ModelTable t;
        mergeModels(t, kEmbeddedModels, "share/models/models.json");
        return t;
    }();
    return table;
}

} // namespace mlps::kvcache
