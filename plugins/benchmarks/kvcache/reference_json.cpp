#include "reference_json.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "report_parts.hpp"

namespace mlps::kvcache {

namespace {

using report::kGiB;
using report::ordered;

const char *const kRoles[] = {"gpu", "cpu", "storage"};

// The reference's six latency figures (ms), from kvcache's (which adds max and count).
ordered sixPercentiles(const nlohmann::json &ours) {
    ordered o;
    for (const char *p : {"mean", "p50", "p95", "p99", "p999", "p9999"}) {
        o[p] = ours.at(p);
    }
    return o;
}

// The reference's storage_health: criteria {name, target, actual, unit, passed}. A criterion
// without samples is not evaluated: passed null (never true), actual null.
ordered health(const std::vector<report::Criterion> &criteria, const nlohmann::json &ours) {
    ordered list = ordered::array();
    for (const auto &c : criteria) {
        ordered o;
        o["name"] = c.name;
        o["target"] = c.target;
        o["actual"] = c.evaluated ? ordered(c.actual) : ordered(nullptr);
        o["unit"] = c.unit;
        o["passed"] = c.evaluated ? ordered(c.passed) : ordered(nullptr);
        list.push_back(o);
    }
    ordered h;
    h["overall_status"] = ours.at("overall_status");
    h["criteria"] = list;
    h["passed_count"] = ours.at("passed_count");
    h["total_count"] = ours.at("total_count");
    return h;
}

ordered cacheStats(report::Inputs &in, const nlohmann::json &ours) {
    const nlohmann::json &cs = ours.at("cache_stats");
    const MetricIds &m = in.m;
    ordered out;
    out["cache_hit_rate"] = in.hitRate; // a ratio, 0 to 1
    out["cache_hits"] = in.hits;
    out["cache_misses"] = in.misses;
    for (const char *role : kRoles) {
        out[std::string(role) + "_entries"] = cs.value(std::string(role) + "_entries", 0);
    }
    out["gpu_memory_used_gb"] = cs.value("gpu_memory_used_gb", 0.0);
    out["cpu_memory_used_gb"] = cs.value("cpu_memory_used_gb", 0.0);
    out["offloads_cpu"] = cs.at("offloads_cpu");
    out["offloads_storage"] = cs.at("offloads_storage");
    out["storage_health"] = health(report::healthCriteria(in), cs.at("storage_health"));
    out["prefill_writes"] = cs.at("prefill_writes");
    out["decode_reads"] = cs.at("decode_reads");
    // Every role's keys, 0 where the spec has no such tier (the reference always has a cpu and
    // a storage tier, and tooling reads tier_gpu_* unconditionally).
    for (const char *role : kRoles) {
        const std::string base = std::string("tier_") + role;
        for (const char *key : {"_kv_bytes_written_gb",
                                "_kv_bytes_read_gb",
                                "_read_bandwidth_gbps",
                                "_write_bandwidth_gbps"}) {
            out[base + key] = cs.value(base + key, 0.0);
        }
    }
    // The prefix cache's hit breakdown, where kvcache's report has one.
    const nlohmann::json prefix = ours.value("prefix_cache_stats", nlohmann::json::object());
    const uint64_t systemHits = prefix.value("system_prompt_hits", uint64_t{0});
    const uint64_t phraseHits = prefix.value("common_phrase_hits", uint64_t{0});
    out["system_prompt_hits"] = systemHits;
    out["common_phrase_hits"] = phraseHits;
    // Hits on a request's own entries (decode reads): every hit that is neither a prefix
    // nor an earlier turn.
    const uint64_t others = systemHits + phraseHits + in.mtHits;
    out["user_cache_hits"] = prefix.contains("user_cache_hits")
                                 ? prefix.at("user_cache_hits").get<uint64_t>()
                                 : (in.hits > others ? in.hits - others : 0);
    out["multi_turn_hits"] = in.mtHits;
    out["total_read_bytes"] = in.totalReadBytes;
    out["total_write_bytes"] = in.totalWriteBytes;
    out["total_read_gb"] = static_cast<double>(in.totalReadBytes) / kGiB;
    out["total_write_gb"] = static_cast<double>(in.totalWriteBytes) / kGiB;
    out["read_write_ratio"] = cs.at("read_write_ratio");
    // Counts, as the reference reports them under these names (whole entries read / written,
    // demotions into a tier included in the writes as in kvcache's entry latencies).
    out["read_iops"] = in.readEntries;
    out["write_iops"] = in.writeEntries;
    // Tokens through the storage tier: its bytes (new entries, demotions in, reads) over the
    // KV bytes of one token.
    const int storage = report::roleIndex("storage", in.nTiers);
    double storageBytes = 0;
    if (storage >= 0) {
        const TierIds &ids = m.tiers[storage];
        storageBytes = static_cast<double>(in.sum(ids.cls[kClassWrite].bytes) +
                                           in.sum(ids.cls[kClassDemoteWrite].bytes) +
                                           in.sum(ids.cls[kClassRead].bytes));
    }
    const double entryBytesPerToken =
        static_cast<double>(in.s.bytesPerToken) / static_cast<double>(in.s.tensorParallel);
    out["storage_tokens_processed"] =
        entryBytesPerToken > 0 ? storageBytes / entryBytesPerToken : 0.0;
    // Per-operation (whole-entry) latency percentiles, only where there are samples, as the
    // reference emits them.
    for (const char *role : kRoles) {
        for (const char *side : {"read", "write"}) {
            for (const char *p : {"p50", "p95", "p99", "p999", "p9999"}) {
                const std::string key = std::string(role) + "_" + side + "_" + p + "_ms";
                if (cs.contains(key)) {
                    out[key] = cs.at(key);
                }
            }
        }
    }
    return out;
}

ordered qosMetrics(const nlohmann::json &ours) {
    ordered out;
    for (const auto &[name, q] : ours.items()) {
        ordered o;
        if (q.value("no_data", false)) {
            o["no_data"] = true;
            out[name] = o;
            continue;
        }
        o["total_requests"] = q.at("total_requests");
        ordered lat;
        for (const char *p : {"mean", "p50", "p95", "p99", "max"}) {
            lat[p] = q.at("latency_ms").at(p);
        }
        o["latency_ms"] = lat;
        ordered sla;
        for (const char *k : {"target_p95_ms", "actual_p95_ms", "compliance", "met"}) {
            sla[k] = q.at("sla").at(k);
        }
        o["sla"] = sla;
        out[name] = o;
    }
    return out;
}

} // namespace

std::string buildReference(Engine &engine,
                           const std::vector<std::string> &tierPlugins,
                           const std::string &reportText) {
    report::Inputs in(engine, tierPlugins);
    report::tiersSection(in); // the per-tier numbers and byte totals
    const nlohmann::json ours = nlohmann::json::parse(reportText);
    const nlohmann::json &summary = ours.at("summary");
    const double storageSeconds = static_cast<double>(in.storage.sum) / 1e9;
    const double generationSeconds = static_cast<double>(in.generation.sum) / 1e9;

    ordered s;
    for (const char *key : {"total_requests",
                            "total_tokens",
                            "elapsed_time",
                            "avg_throughput_tokens_per_sec",
                            "total_storage_io_time",
                            "storage_throughput_tokens_per_sec",
                            "requests_per_second"}) {
        s[key] = summary.at(key);
    }
    s["end_to_end_latency_ms"] = sixPercentiles(summary.at("end_to_end_latency_ms"));
    s["storage_io_latency_ms"] = sixPercentiles(summary.at("storage_io_latency_ms"));
    s["generation_latency_ms"] = sixPercentiles(summary.at("generation_latency_ms"));
    s["cache_stats"] = cacheStats(in, summary);
    s["qos_metrics"] = qosMetrics(summary.at("qos_metrics"));
    s["prefix_cache_stats"] = summary.value("prefix_cache_stats", nlohmann::json::object());
    s["autoscaling_stats"] = summary.value("autoscaling_stats", nlohmann::json::array());
    s["autoscaling_summary"] = summary.value("autoscaling_summary", nlohmann::json());
    s["multi_turn_stats"] = summary.at("multi_turn_stats");

    ordered out;
    out["requests_completed"] = summary.at("total_requests");
    out["total_tokens_generated"] = summary.at("total_tokens");
    out["total_storage_io_latency"] = storageSeconds;
    out["total_generation_latency"] = generationSeconds;
    // kvcache keeps histograms, not every sample: the reference's raw per-request lists are
    // empty (their percentiles are in summary.*_latency_ms).
    for (const char *list : {"end_to_end_latencies",
                             "storage_latencies",
                             "generation_latencies",
                             "prefill_latencies",
                             "decode_latencies",
                             "throughput_timeline"}) {
        out[list] = ordered::array();
    }
    out["multi_turn_cache_hits"] = in.mtHits;
    out["multi_turn_cache_misses"] = in.mtMisses;
    out["seed"] = in.info.seed;
    out["summary"] = s;
    out["mlps"] = {{"benchmark", "kvcache"},
                   {"run_id", in.info.run_id != nullptr ? in.info.run_id : ""},
                   {"format",
                    "the reference's results JSON; kvcache's own report is "
                    "summary.json's benchmark section"}};
    return out.dump(4);
}

void writeReference(Engine &engine,
                    const std::vector<std::string> &tierPlugins,
                    const std::string &reportText) {
    const Host &host = engine.host();
    const mlps_run_info info = host.runInfo();
    if (info.rank != 0 || info.results_dir == nullptr) {
        return;
    }
    const std::string path = std::string(info.results_dir) + "/reference.json";
    try {
        const std::string text = buildReference(engine, tierPlugins, reportText);
        std::ofstream out(path, std::ios::trunc);
        out << text << '\n';
        out.close();
        if (!out) {
            host.log(MLPS_LOG_WARN,
                     "%s not written: %s",
                     path.c_str(),
                     errno != 0 ? std::strerror(errno) : "write failed");
        }
    } catch (const std::exception &e) {
        host.log(MLPS_LOG_WARN, "%s not written: %s", path.c_str(), e.what());
    }
}

} // namespace mlps::kvcache
