#include "settings.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace mlps::kvcache {

namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string &what) {
    throw Error(what, MLPS_E_INVALID);
}

// Options are read with fallbacks so that a partial config (tests, older specs) still works;
// the core fills every default of the schema.
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

json parseJsonOption(const Config &c, std::string_view name) {
    const json parsed = json::parse(c.getString(name), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        invalid("option '" + std::string(name) + "': expected a mapping");
    }
    return parsed;
}

// [lo, hi] pair at `path`; integers when `integral`.
std::pair<double, double> range(const json &v, const std::string &path, bool integral) {
    if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number() ||
        (integral && (!v[0].is_number_integer() || !v[1].is_number_integer()))) {
        invalid(path + ": expected [low, high]" + (integral ? " (integers)" : "") + ", found " +
                v.dump());
    }
    const double lo = v[0].get<double>();
    const double hi = v[1].get<double>();
    if (lo < 0 || hi < lo || (integral && lo < 1)) {
        invalid(path + ": expected " + (integral ? "1 <= " : "0 <= ") + "low <= high, found " +
                v.dump());
    }
    return {lo, hi};
}

// [&name = name]: clang 14 (clang-tidy) cannot capture a structured binding itself.
void applyProfiles(Settings &s, const json &j) {
    for (const auto &[name, fields] : j.items()) {
        const auto it = std::find_if(s.profiles.begin(),
                                     s.profiles.end(),
                                     [&name = name](const auto &p) { return name == p.name; });
        const std::string path = "profiles." + name;
        if (it == s.profiles.end()) {
            invalid(path + ": unknown profile (known: chatbot, coding, document)");
        }
        if (!fields.is_object()) {
            invalid(path + ": expected a mapping");
        }
        for (const auto &[field, value] : fields.items()) {
            const std::string at = path + "." + field;
            if (field == "context") {
                const auto [lo, hi] = range(value, at, true);
                if (hi > 10'000'000) {
                    invalid(at + ": at most 10000000 tokens");
                }
                it->contextLo = static_cast<int64_t>(lo);
                it->contextHi = static_cast<int64_t>(hi);
            } else if (field == "generation") {
                const auto [lo, hi] = range(value, at, true);
                it->genLo = static_cast<int64_t>(lo);
                it->genHi = static_cast<int64_t>(hi);
            } else if (field == "think_time") {
                const auto [lo, hi] = range(value, at, false);
                if (hi > 3600) {
                    invalid(at + ": at most 3600 s");
                }
                it->thinkLo = lo;
                it->thinkHi = hi;
            } else if (field == "weight") {
                if (!value.is_number() || value.get<double>() < 0) {
                    invalid(at + ": expected a number >= 0");
                }
                it->weight = value.get<double>();
            } else {
                invalid(at + ": unknown field (known: context, generation, think_time, weight)");
            }
        }
    }
    double total = 0;
    for (const auto &p : s.profiles) {
        total += p.weight;
    }
    if (total <= 0) {
        invalid("profiles: at least one profile needs a weight above 0");
    }
}

void applyQos(Settings &s, const json &j) {
    for (const auto &[name, fields] : j.items()) {
        const auto it = std::find_if(
            s.qos.begin(), s.qos.end(), [&name = name](const auto &q) { return name == q.name; });
        const std::string path = "qos." + name;
        if (it == s.qos.end()) {
            invalid(path + ": unknown QoS class (known: interactive, responsive, batch)");
        }
        if (!fields.is_object()) {
            invalid(path + ": expected a mapping");
        }
        for (const auto &[field, value] : fields.items()) {
            const std::string at = path + "." + field;
            if (!value.is_number() || value.get<double>() < 0) {
                invalid(at + ": expected a number >= 0, found " + value.dump());
            }
            const double v = value.get<double>();
            if (field == "share") {
                if (v > 1) {
                    invalid(at + ": expected a share in [0, 1]");
                }
                it->share = v;
            } else if (field == "priority") {
                it->priority = static_cast<int>(v);
            } else if (field == "target_p95_ms") {
                it->targetP95Ms = v;
            } else if (field == "target_p99_ms") {
                it->targetP99Ms = v;
            } else {
                invalid(at + ": unknown field (known: share, priority, target_p95_ms, "
                             "target_p99_ms)");
            }
        }
    }
    double total = 0;
    for (const auto &q : s.qos) {
        total += q.share;
    }
    if (std::fabs(total - 1.0) > 1e-6) {
        invalid("qos: the shares of interactive, responsive and batch must add up to 1 (they add "
                "up to " +
                std::to_string(total) + ")");
    }
}

} // namespace

const char *sourceName(SourceKind kind) {
    static const char *const names[] = {"synthetic", "sharegpt", "burstgpt", "mooncake", "trace"};
    return names[static_cast<int>(kind)];
}

const char *profileName(int p) {
    static const char *const names[] = {"chatbot", "coding", "document"};
    return names[p];
}

const char *qosName(int q) {
    static const char *const names[] = {"interactive", "responsive", "batch"};
    return names[q];
}

ModelTable modelTable(const Config &config) {
    ModelTable table = builtinModels();
    if (config.isSet("models")) {
        mergeModels(table, config.getString("models"), "models");
    }
    return table;
}

Settings parseSettings(const Config &c) {
    Settings s;
    // The reference's user templates and QoS table (reference doc sections 3.1 and 3.2).
    s.profiles = {ProfileRanges{"chatbot", 512, 4096, 50, 200, 0.1, 0.5, 1},
                  ProfileRanges{"coding", 4096, 25000, 100, 500, 0.2, 1.0, 1},
                  ProfileRanges{"document", 4096, 16384, 200, 800, 0.3, 1.5, 1}};
    s.qos = {QosClass{"interactive", 3, 0.15, 50, 100},
             QosClass{"responsive", 2, 0.35, 100, 200},
             QosClass{"batch", 1, 0.50, 1000, 5000}};

    const ModelTable table = modelTable(c);
    const std::string modelKey = stringOr(c, "model", "llama3.1-8b");
    const auto model = table.find(modelKey);
    if (model == table.end()) {
        std::string known;
        for (const auto &[key, m] : table) {
            known += (known.empty() ? "" : ", ") + key;
        }
        invalid("option 'model': unknown model '" + modelKey + "' (known: " + known +
                "; add one with the option 'models')");
    }
    s.model = model->second;
    s.bytesPerToken = s.model.bytesPerToken();
    s.users = static_cast<uint32_t>(intOr(c, "users", 100));
    s.tensorParallel = static_cast<uint32_t>(intOr(c, "tensor_parallel", 1));
    s.queueDepth = static_cast<uint32_t>(intOr(c, "queue_depth", 4));
    s.chunkSize = c.isSet("chunk_size") ? c.getSize("chunk_size") : (1ull << 20);
    if (s.chunkSize % 4096 != 0 || s.chunkSize == 0) {
        invalid("option 'chunk_size': must be a positive multiple of 4KiB, found " +
                std::to_string(s.chunkSize) + " bytes");
    }
    const int64_t workers = intOr(c, "workers", 0);
    s.workers = workers > 0 ? static_cast<uint32_t>(workers) : std::min<uint32_t>(s.users, 16);
    const std::string arrivals = stringOr(c, "arrivals", "open");
    s.arrivals = arrivals == "closed" ? Arrivals::Closed : Arrivals::Open;
    const int64_t maxQueue = intOr(c, "max_queue", 0);
    s.maxQueue = maxQueue > 0 ? static_cast<uint32_t>(maxQueue) : std::max<uint32_t>(s.users, 1);
    if (c.isSet("virtual_bandwidth")) {
        s.virtualBandwidth = c.getBandwidth("virtual_bandwidth");
        if (s.virtualBandwidth == 0) {
            invalid("option 'virtual_bandwidth': must be above 0");
        }
    }
    s.generationMode = stringOr(c, "generation_mode", "realistic");
    s.tokenTimeNs = s.generationMode == "none"   ? 0
                    : s.generationMode == "fast" ? 2'000'000
                                                 : 30'000'000;
    if (c.isSet("token_time")) {
        s.tokenTimeNs = c.getDurationNs("token_time");
    }
    s.performanceProfile = stringOr(c, "performance_profile", "latency");
    s.multiTurn = boolOr(c, "multi_turn", true);
    s.maxTurns = static_cast<uint32_t>(intOr(c, "max_turns", 50));
    s.endConversation = floatOr(c, "end_conversation_probability", 0.2);
    s.prefillOnly = boolOr(c, "prefill_only", false);
    s.decodeOnly = boolOr(c, "decode_only", false);
    if (s.prefillOnly && s.decodeOnly) {
        invalid("options 'prefill_only' and 'decode_only' cannot both be true");
    }
    s.decodeBatch = static_cast<uint32_t>(intOr(c, "decode_batch_size", 32));
    s.prefillOnlyThreshold = static_cast<uint32_t>(intOr(c, "prefill_only_threshold", 10000));
    s.maxConcurrentAllocs = static_cast<uint32_t>(intOr(c, "max_concurrent_allocs", 0));
    s.maxRequests = static_cast<uint64_t>(intOr(c, "max_requests", 0));
    s.promoteOnRead = boolOr(c, "promote_on_read", false);
    s.verify = boolOr(c, "verify", false);
    s.opLog = stringOr(c, "op_log", "");
    s.eviction.targetUsage = floatOr(c, "eviction.target_usage_ratio", 0.8);
    s.eviction.largeEntryLimit = floatOr(c, "eviction.large_entry_limit_ratio", 0.95);
    s.eviction.maxDepth = static_cast<uint32_t>(intOr(c, "eviction.max_recursion_depth", 10));
    const std::string source = stringOr(c, "source", "synthetic");
    for (int k = 0; k <= static_cast<int>(SourceKind::Trace); ++k) {
        if (source == sourceName(static_cast<SourceKind>(k))) {
            s.source = static_cast<SourceKind>(k);
        }
    }
    s.datasetPath = stringOr(c, "dataset_path", "");
    if (s.source != SourceKind::Synthetic && s.datasetPath.empty()) {
        invalid("option 'dataset_path': source '" + source + "' needs an input file");
    }
    s.maxConversations = static_cast<uint32_t>(intOr(c, "max_conversations", 500));
    s.requestRate = floatOr(c, "request_rate", 0);
    s.replayCycles = static_cast<uint32_t>(intOr(c, "replay_cycles", 0));
    s.traceSpeedup = floatOr(c, "trace_speedup", 1);
    s.blockTokens = static_cast<uint32_t>(intOr(c, "block_tokens", 512));
    s.ioTrace = stringOr(c, "io_trace", "");
    s.traceOnly = boolOr(c, "trace_only", false);
    if (s.traceOnly && s.ioTrace.empty() && s.opLog.empty()) {
        invalid("option 'trace_only': performs no I/O, so it needs 'io_trace' or 'op_log' to "
                "write what it would do");
    }
    const bool timed = s.source == SourceKind::BurstGpt || s.source == SourceKind::Mooncake ||
                       s.source == SourceKind::Trace;
    if (timed && s.traceSpeedup == 0) {
        // No pacing (the reference's speedup 0): each user sends its next request as soon as
        // the previous one is done, which is what closed arrivals are.
        s.arrivals = Arrivals::Closed;
    }
    if (s.traceOnly && s.decodeOnly) {
        invalid("option 'trace_only': not with 'decode_only' (not done yet)");
    }
    if (s.source != SourceKind::Synthetic && s.decodeOnly) {
        invalid("option 'decode_only': only with source 'synthetic'");
    }
    if (c.isSet("profiles")) {
        applyProfiles(s, parseJsonOption(c, "profiles"));
    }
    if (c.isSet("qos")) {
        applyQos(s, parseJsonOption(c, "qos"));
    }
    s.features = parseFeatureSettings(c, s.users);
    if (s.traceOnly) {
        const FeatureSettings &f = s.features;
        const char *option = f.rag.enabled                             ? "rag"
                             : f.precondition.enabled                  ? "precondition"
                             : f.autoscaler.mode != AutoscaleMode::Off ? "autoscaler.mode"
                                                                       : nullptr;
        if (option != nullptr) {
            invalid(std::string("option '") + option +
                    "': not with 'trace_only' (not done yet: trace mode plans requests only)");
        }
    }
    return s;
}

} // namespace mlps::kvcache
