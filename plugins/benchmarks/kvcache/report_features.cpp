// The summary sections of the prefix cache, RAG, preconditioning and the autoscaler, with the
// reference's key names where it has them (prefix_cache_stats, autoscaling_stats,
// autoscaling_summary), and their headline lines.
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kvcache.hpp"
#include "prefix_cache.hpp"

namespace mlps::kvcache {

namespace {

using ordered = nlohmann::ordered_json;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string line(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

double ratio(double a, double b) {
    return b > 0 ? a / b : 0.0;
}

ordered setupJson(const SetupTally &t) {
    ordered o;
    o["seconds"] = t.seconds;
    o["bytes"] = t.plannedBytes;
    o["entries"] = t.entries;
    o["failures"] = t.failures;
    o["gib_per_s"] = ratio(static_cast<double>(t.plannedBytes) / kGiB, t.seconds);
    return o;
}

void prefixSection(Engine &e, ordered &summary, std::vector<std::string> &headline) {
    const Host &h = e.host();
    const FeatureMetricIds &f = e.featureMetrics();
    const PrefixCacheSettings &p = e.settings().features.prefix;
    ordered o;
    o["enabled"] = p.enabled;
    if (p.enabled) {
        const uint64_t requests = h.read(f.prefixRequests).sum;
        const uint64_t hits = h.read(f.systemPromptHits).sum;
        const uint64_t misses = h.read(f.systemPromptMisses).sum;
        o["system_prompts"] = p.prompts;
        o["system_prompt_probability"] = p.probability;
        o["requests_with_prefix"] = requests;
        o["prefix_hits"] = hits; // the reference's names: its detections, here real hits
        o["prefix_misses"] = misses;
        o["system_prompt_hits"] = hits;
        o["system_prompt_misses"] = misses;
        o["system_prompt_reuse"] = hits;
        o["common_phrase_hits"] = 0; // no common phrases (the reference's are always 0 too)
        o["common_phrase_reuse"] = 0;
        o["user_cache_hits"] = h.read(e.metrics().decodeReads).sum;
        o["multi_turn_hits"] = h.read(e.metrics().multiTurnHits).sum;
        o["bytes_saved"] = h.read(f.prefixBytesSaved).sum;
        o["hit_rate"] = ratio(static_cast<double>(hits), static_cast<double>(hits + misses));
        headline.push_back(
            line("prefix cache: %llu of %llu requests with a system prompt hit "
                 "it (%.1f%%), %.1f MiB of prompt KV not written again",
                 static_cast<unsigned long long>(hits),
                 static_cast<unsigned long long>(requests),
                 100 * ratio(static_cast<double>(hits), static_cast<double>(requests)),
                 static_cast<double>(h.read(f.prefixBytesSaved).sum) / (1 << 20)));
    }
    summary["prefix_cache_stats"] = o;
}

void ragSection(Engine &e, ordered &summary, std::vector<std::string> &headline) {
    const RagSettings &r = e.settings().features.rag;
    if (!r.enabled || e.rag() == nullptr) {
        summary["rag_stats"] = ordered{{"enabled", false}};
        return;
    }
    const Host &h = e.host();
    const FeatureMetricIds &f = e.featureMetrics();
    const RagLibrary &lib = *e.rag();
    uint64_t chunks = 0;
    for (uint32_t d = 0; d < lib.documents(); ++d) {
        chunks += lib.chunks(d);
    }
    const uint64_t retrievals = h.read(f.ragRetrievals).sum;
    const uint64_t reads = h.read(f.ragChunkReads).sum;
    const uint64_t hits = h.read(f.ragChunkHits).sum;
    ordered o;
    o["enabled"] = true;
    o["documents"] = lib.documents();
    o["chunk_tokens"] = lib.chunkTokens();
    o["chunks"] = chunks;
    o["top_k"] = r.topK;
    o["request_probability"] = r.probability;
    o["retrieval_distribution"] = r.zipfian ? "zipfian" : "uniform";
    ordered ingest = setupJson(e.ragIngestTally);
    ingest["documents"] = e.ragIngestTally.items;
    o["ingestion"] = ingest;
    o["retrievals"] = retrievals;
    o["chunk_reads"] = reads;
    o["chunk_hits"] = hits;
    o["chunk_misses"] = reads - hits;
    o["chunk_reads_per_retrieval"] =
        ratio(static_cast<double>(reads), static_cast<double>(retrievals));
    summary["rag_stats"] = o;
    headline.push_back(line("RAG: %u documents (%llu chunks) ingested in %.2f s; %llu "
                            "retrievals read %llu chunks (%.1f%% hit)",
                            lib.documents(),
                            static_cast<unsigned long long>(chunks),
                            e.ragIngestTally.seconds,
                            static_cast<unsigned long long>(retrievals),
                            static_cast<unsigned long long>(reads),
                            100 * ratio(static_cast<double>(hits), static_cast<double>(reads))));
}

void preconditionSection(Engine &e, ordered &summary, std::vector<std::string> &headline) {
    const PreconditionSettings &p = e.settings().features.precondition;
    const SetupTally &t = e.preconditionTally;
    if (!p.enabled || !t.ran) {
        summary["preconditioning"] = ordered{{"enabled", false}};
        return;
    }
    ordered o = setupJson(t);
    o["enabled"] = true;
    o["tier"] = e.tiers().back().name;
    o["tier_limit_bytes"] = e.tiers().back().limit;
    o["multiple"] = p.multiple;
    o["entry_tokens"] = p.tokens;
    o["target_bytes"] = t.targetBytes;
    o["written_multiple"] =
        ratio(static_cast<double>(t.plannedBytes), static_cast<double>(e.tiers().back().limit));
    o["reached"] = t.plannedBytes >= t.targetBytes;
    summary["preconditioning"] = o;
    headline.push_back(line("preconditioning: %.1f MiB (%.2f x tier %s) in %llu entries, %.2f s",
                            static_cast<double>(t.plannedBytes) / (1 << 20),
                            o["written_multiple"].get<double>(),
                            e.tiers().back().name.c_str(),
                            static_cast<unsigned long long>(t.entries),
                            t.seconds));
}

void autoscalerSection(Engine &e, ordered &summary, std::vector<std::string> &headline) {
    const Autoscaler *a = e.autoscaler();
    if (a == nullptr) {
        summary["autoscaling_stats"] = ordered::array();
        summary["autoscaling_summary"] = nullptr;
        return;
    }
    const bool capacity = a->settings().mode == AutoscaleMode::Capacity;
    const char *mode = capacity ? "capacity" : "qos";
    ordered stats = ordered::array();
    for (const AutoscaleDecision &d : a->decisions()) {
        ordered o;
        o["timestamp"] = d.timeS;
        o["requests_completed"] = d.requests;
        o["mode"] = mode;
        o["action"] = d.action;
        o["users_before"] = d.usersBefore;
        o["users"] = d.users;
        o["reason"] = d.reason;
        o["saturation_level"] = d.saturation;
        o["worst_p95_ms"] = d.worstP95Ms;
        o["throughput_bytes_per_sec"] = d.throughputBps;
        stats.push_back(o);
    }
    summary["autoscaling_stats"] = stats;
    ordered s;
    s["mode"] = mode;
    s["initial_users"] = a->initialUsers();
    s["final_users"] = a->users();
    s["max_users"] = a->maxUsers();
    s["window_requests"] = a->settings().window;
    s["total_scale_events"] = a->scaleEvents();
    if (capacity) {
        s["peak_user_count"] = a->peakUsers();
        s["peak_throughput_bytes_per_sec"] = a->peakThroughputBps();
        s["ramp_done"] = a->rampDone();
        s["sustainable_users"] = a->rampDone() ? ordered(a->users()) : ordered(nullptr);
        s["sustainable_throughput_bytes_per_sec"] = a->peakThroughputBps();
        s["sustainable_p95_ms"] = a->peakP95Ms();
    }
    summary["autoscaling_summary"] = s;
    headline.push_back(line(
        "autoscaler (%s): %u -> %u users in %llu changes over %zu decisions%s",
        mode,
        a->initialUsers(),
        a->users(),
        static_cast<unsigned long long>(a->scaleEvents()),
        a->decisions().size(),
        capacity && a->rampDone()
            ? line("; sustainable %u users at %.3g MB/s", a->users(), a->peakThroughputBps() / 1e6)
                  .c_str()
            : ""));
}

} // namespace

void addFeaturePlan(
    const Host &host, const Settings &s, const Planner &planner, ordered &plan, ordered &warnings) {
    const FeatureSettings &f = s.features;
    ordered out;
    ordered prefix;
    prefix["enabled"] = f.prefix.enabled;
    if (f.prefix.enabled) {
        ordered sizes = ordered::array();
        for (uint32_t p = 0; p < f.prefix.prompts && p < 16; ++p) {
            sizes.push_back(planner.entrySize(systemPromptTokens(f.prefix, p)));
        }
        prefix["system_prompts"] = f.prefix.prompts;
        prefix["system_prompt_hit_probability"] = f.prefix.probability;
        prefix["entry_bytes"] = sizes; // the first 16 prompts
    }
    out["prefix_cache"] = prefix;
    ordered rag;
    rag["enabled"] = f.rag.enabled;
    if (f.rag.enabled) {
        const RagLibrary lib(s, host.runInfo().seed);
        uint64_t chunks = 0, bytes = 0;
        for (uint32_t d = 0; d < lib.documents(); ++d) {
            chunks += lib.chunks(d);
            for (uint32_t c = 0; c < lib.chunks(d); ++c) {
                bytes += planner.entrySize(lib.chunkTokensOf(d, c));
            }
        }
        rag["documents"] = lib.documents();
        rag["chunks"] = chunks;
        rag["chunk_tokens"] = lib.chunkTokens();
        rag["ingest_bytes"] = bytes;
        uint64_t room = 0;
        bool bounded = true;
        for (uint32_t t = 0; t < host.tierCount(); ++t) {
            room += host.tierSpec(t).capacity_bytes;
            bounded = bounded && host.tierSpec(t).capacity_bytes != 0;
        }
        if (bounded && bytes > room) {
            warnings.push_back("rag: the documents' " + std::to_string(bytes) +
                               " bytes of chunks are more than the tiers' " + std::to_string(room) +
                               " bytes: ingestion evicts its own chunks and retrievals miss");
        }
        rag["top_k"] = f.rag.topK;
    }
    out["rag"] = rag;
    ordered pre;
    pre["enabled"] = f.precondition.enabled;
    if (f.precondition.enabled) {
        const uint32_t n = host.tierCount();
        const uint64_t capacity = n > 0 ? host.tierSpec(n - 1).capacity_bytes : 0;
        pre["multiple"] = f.precondition.multiple;
        pre["entry_bytes"] = planner.entrySize(f.precondition.tokens);
        if (capacity != 0) {
            pre["target_bytes"] =
                static_cast<uint64_t>(f.precondition.multiple * static_cast<double>(capacity));
        } else {
            pre["target_bytes"] = nullptr;
            warnings.push_back("precondition: the last tier has no capacity in the spec, so "
                               "preconditioning writes " +
                               std::to_string(f.precondition.multiple) +
                               " x what the tier reports (posix-nvme: its file system's free "
                               "space): set a capacity to bound it");
        }
    }
    out["precondition"] = pre;
    ordered scale;
    const AutoscalerSettings &a = f.autoscaler;
    scale["mode"] = a.mode == AutoscaleMode::Qos        ? "qos"
                    : a.mode == AutoscaleMode::Capacity ? "capacity"
                                                        : "off";
    if (a.mode != AutoscaleMode::Off) {
        scale["initial_users"] = a.initialUsers;
        scale["min_users"] = a.minUsers;
        scale["max_users"] = s.users;
        scale["window_requests"] = a.window;
    }
    out["autoscaler"] = scale;
    plan["features"] = out;
}

void addFeatureReport(Engine &e,
                      nlohmann::ordered_json &summary,
                      std::vector<std::string> &headline) {
    prefixSection(e, summary, headline);
    ragSection(e, summary, headline);
    preconditionSection(e, summary, headline);
    autoscalerSection(e, summary, headline);
}

} // namespace mlps::kvcache
