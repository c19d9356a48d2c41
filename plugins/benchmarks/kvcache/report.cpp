// kvcache's report: the reference's summary / summary.cache_stats key names where they exist
// (units as in the reference: _ms, _gb = GiB, _gbps = GiB/s), plus what the reference lacks:
// per-tier traffic classes with demotion I/O, queue wait, admission, entry sizes, verify.
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kvcache.hpp"

namespace mlps::kvcache {

namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

double ms(double ns) {
    return ns / 1e6;
}

__attribute__((format(printf, 1, 2))) std::string text(const char *format, ...) {
    char buf[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    return buf;
}

// "850 us", "12.3 ms", "4.56 s": latencies from microseconds to minutes, readable at a glance.
std::string duration(double ns) {
    if (ns < 1e6) {
        return text("%.0f us", ns / 1e3);
    }
    if (ns < 1e9) {
        return text("%.1f ms", ns / 1e6);
    }
    return text("%.2f s", ns / 1e9);
}

std::string size(double bytes) {
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    return u == 0 ? text("%.0f B", bytes) : text("%.1f %s", bytes, units[u]);
}

ordered percentilesMs(const mlps_metric_summary &s) {
    ordered o;
    o["mean"] = ms(s.mean);
    o["p50"] = ms(s.p50);
    o["p95"] = ms(s.p95);
    o["p99"] = ms(s.p99);
    o["p999"] = ms(s.p999);
    o["p9999"] = ms(s.p9999);
    o["max"] = ms(static_cast<double>(s.max));
    o["count"] = s.count;
    return o;
}

// Roles of the reference's three tiers, counted from the slowest: storage, cpu, gpu.
std::string roleOf(size_t index, size_t count) {
    const size_t fromEnd = count - 1 - index;
    return fromEnd == 0 ? "storage" : fromEnd == 1 ? "cpu" : fromEnd == 2 ? "gpu" : "";
}

struct Criterion {
    std::string name;
    double target;
    double actual;
    std::string unit;
    bool passed;
    std::string reason;
};

} // namespace

std::string buildReport(Engine &e, const std::vector<std::string> &tierPlugins) {
    const Host &h = e.host();
    const Settings &s = e.settings();
    const MetricIds &m = e.metrics();
    const auto read = [&](mlps_metric_id id) { return h.read(id); };
    const auto sum = [&](mlps_metric_id id) { return h.read(id).sum; };
    const mlps_run_info info = h.runInfo();
    const double elapsed = info.timed_end_ns > info.timed_start_ns
                               ? static_cast<double>(info.timed_end_ns - info.timed_start_ns) / 1e9
                               : 0.0;
    const auto perS = [&](double v) { return elapsed > 0 ? v / elapsed : 0.0; };
    const size_t nTiers = e.tiers().size();
    TierCache &cache = e.cache();

    ordered out;
    ordered model;
    model["key"] = s.model.key;
    model["name"] = s.model.name;
    model["bytes_per_token"] = s.bytesPerToken;
    model["tensor_parallel"] = s.tensorParallel;
    model["entry_bytes_per_token"] = static_cast<double>(s.bytesPerToken) / s.tensorParallel;
    out["model"] = model;

    // Every rank runs `users` users: the job's count is the merged counter (this rank's own
    // report reads its own); 0 when the timed phase never started.
    const uint64_t recordedUsers = sum(m.users);
    const uint64_t users = recordedUsers != 0 ? recordedUsers : s.users;
    ordered workload;
    workload["users"] = users;
    workload["users_per_rank"] = s.users;
    workload["workers"] = s.workers;
    workload["arrivals"] = s.arrivals == Arrivals::Closed ? "closed" : "open";
    workload["max_queue"] = s.maxQueue;
    workload["generation_mode"] = s.generationMode;
    workload["token_time_ms"] = static_cast<double>(s.tokenTimeNs) / 1e6;
    workload["performance_profile"] = s.performanceProfile;
    workload["multi_turn"] = s.multiTurn;
    workload["prefill_only"] = s.prefillOnly;
    workload["decode_only"] = s.decodeOnly;
    workload["max_concurrent_allocs"] = s.maxConcurrentAllocs;
    workload["promote_on_read"] = s.promoteOnRead;
    workload["chunk_size_bytes"] = s.chunkSize;
    workload["queue_depth"] = s.queueDepth;
    workload["seed"] = info.seed;
    out["workload"] = workload;

    // ---- where the requests came from ----------------------------------------------------
    ordered source;
    source["kind"] = sourceName(s.source);
    if (s.source != SourceKind::Synthetic) {
        source["dataset_path"] = s.datasetPath;
        source["replay_cycles"] = s.replayCycles;
        source["trace_speedup"] = s.traceSpeedup;
    }
    source["trace_only"] = s.traceOnly;
    if (!s.ioTrace.empty()) {
        source["io_trace"] = s.ioTrace;
    }
    if (m.hasBlocks) {
        // Block-level prefix reuse (mooncake): every hash id is an entry of block_tokens.
        const double blockHits = static_cast<double>(sum(m.blockHits));
        const double blockRefs = blockHits + static_cast<double>(sum(m.blockMisses));
        const mlps_metric_summary prefix = read(m.prefixTokensHit);
        ordered blocks;
        blocks["block_tokens"] = s.blockTokens;
        blocks["block_hits"] = sum(m.blockHits);
        blocks["block_misses"] = sum(m.blockMisses);
        blocks["block_hit_rate"] = blockRefs > 0 ? blockHits / blockRefs : 0.0;
        blocks["prefix_tokens_hit_per_request"] = {
            {"mean", prefix.mean}, {"p50", prefix.p50}, {"p95", prefix.p95}, {"max", prefix.max}};
        blocks["bytes_saved"] = sum(m.bytesSaved);
        source["blocks"] = blocks;
    }
    out["source"] = source;

    // ---- per tier -----------------------------------------------------------------------
    ordered tiers = ordered::array();
    struct TierNumbers {
        mlps_metric_summary cls[kOpClasses];
        mlps_metric_summary readEntry, writeEntry;
    };
    std::vector<TierNumbers> tn(nTiers);
    uint64_t totalReadBytes = 0, totalWriteBytes = 0, readEntries = 0, writeEntries = 0;
    for (size_t t = 0; t < nTiers; ++t) {
        const TierIds &ids = m.tiers[t];
        ordered tier;
        tier["name"] = e.tierNames()[t];
        tier["plugin"] = tierPlugins[t];
        tier["role"] = roleOf(t, nTiers);
        tier["capacity_bytes"] = e.tiers()[t].capacity;
        tier["limit_bytes"] = cache.limit(static_cast<uint32_t>(t));
        tier["used_bytes"] = cache.used(static_cast<uint32_t>(t));
        tier["entries"] = cache.entries(static_cast<uint32_t>(t));
        ordered classes;
        for (int c = 0; c < kOpClasses; ++c) {
            TierNumbers &n = tn[t];
            n.cls[c] = read(ids.cls[c].latency);
            const uint64_t bytes = c != kClassDelete ? sum(ids.cls[c].bytes) : 0;
            const uint64_t ops = sum(ids.cls[c].ops);
            ordered k;
            if (c != kClassDelete) {
                k["bytes"] = bytes;
                k["bandwidth_gib_per_s"] = perS(static_cast<double>(bytes)) / kGiB;
            }
            k["ops"] = ops;
            k["ops_per_s"] = perS(static_cast<double>(ops));
            k["latency_ms"] = percentilesMs(n.cls[c]);
            classes[opClassName(c)] = k;
            if (c == kClassRead) {
                totalReadBytes += bytes;
            } else if (c == kClassWrite) {
                totalWriteBytes += bytes;
            }
        }
        tier["classes"] = classes;
        tn[t].readEntry = read(ids.readEntryLatency);
        tn[t].writeEntry = read(ids.writeEntryLatency);
        readEntries += tn[t].readEntry.count;
        writeEntries += tn[t].writeEntry.count;
        tier["entry_read_latency_ms"] = percentilesMs(tn[t].readEntry);
        tier["entry_write_latency_ms"] = percentilesMs(tn[t].writeEntry);
        tiers.push_back(tier);
    }

    // ---- the reference's summary --------------------------------------------------------
    const mlps_metric_summary e2e = read(m.requestLatency);
    const mlps_metric_summary storage = read(m.storageLatency);
    const mlps_metric_summary generation = read(m.generationLatency);
    const mlps_metric_summary wait = read(m.queueWait);
    const uint64_t requests = sum(m.requests);
    const uint64_t tokens = sum(m.tokensGenerated);
    const uint64_t contextTokens = sum(m.tokensContext);
    const uint64_t hits = sum(m.hits);
    const uint64_t misses = sum(m.misses);
    const uint64_t mtHits = sum(m.multiTurnHits);
    const uint64_t mtMisses = sum(m.multiTurnMisses);
    const double hitRate = hits + misses != 0 ? static_cast<double>(hits) / (hits + misses) : 0;
    const double storageSeconds = static_cast<double>(storage.sum) / 1e9;

    ordered summary;
    summary["total_requests"] = requests;
    summary["total_tokens"] = tokens;
    summary["total_context_tokens"] = contextTokens;
    summary["elapsed_time"] = elapsed;
    summary["avg_throughput_tokens_per_sec"] = perS(static_cast<double>(tokens));
    summary["context_tokens_per_sec"] = perS(static_cast<double>(contextTokens));
    summary["total_storage_io_time"] = storageSeconds;
    // The reference's definition (generated tokens / summed per-request storage time across
    // concurrent requests): kept for comparison; it is not a throughput.
    summary["storage_throughput_tokens_per_sec"] =
        storageSeconds > 0 ? static_cast<double>(tokens) / storageSeconds : 0.0;
    summary["requests_per_second"] = perS(static_cast<double>(requests));
    summary["end_to_end_latency_ms"] = percentilesMs(e2e);
    summary["storage_io_latency_ms"] = percentilesMs(storage);
    summary["generation_latency_ms"] = percentilesMs(generation);
    summary["queue_wait_ms"] = percentilesMs(wait);

    ordered cs;
    cs["cache_hit_rate"] = hitRate;
    cs["cache_hits"] = hits;
    cs["cache_misses"] = misses;
    const auto roleIndex = [&](const std::string &role) -> int {
        for (size_t t = 0; t < nTiers; ++t) {
            if (roleOf(t, nTiers) == role) {
                return static_cast<int>(t);
            }
        }
        return -1;
    };
    for (const char *role : {"gpu", "cpu", "storage"}) {
        const int t = roleIndex(role);
        cs[std::string(role) + "_entries"] = t < 0 ? 0 : cache.entries(static_cast<uint32_t>(t));
    }
    for (const char *role : {"gpu", "cpu"}) {
        const int t = roleIndex(role);
        cs[std::string(role) + "_memory_used_gb"] =
            t < 0 ? 0.0 : static_cast<double>(cache.used(static_cast<uint32_t>(t))) / kGiB;
    }
    // Demotions out of the tier above a role are the offloads into it.
    const int cpuIdx = roleIndex("cpu");
    const int storageIdx = roleIndex("storage");
    cs["offloads_cpu"] = cpuIdx > 0 ? cache.demotionsFrom(static_cast<uint32_t>(cpuIdx - 1)) : 0;
    cs["offloads_storage"] =
        storageIdx > 0 ? cache.demotionsFrom(static_cast<uint32_t>(storageIdx - 1)) : 0;
    cs["evictions"] = sum(m.evictions);
    cs["demotions"] = sum(m.demotions);
    cs["promotions"] = sum(m.promotions);
    cs["prefill_writes"] = sum(m.prefillWrites);
    cs["decode_reads"] = sum(m.decodeReads);
    cs["writes_skipped_existing"] = sum(m.writesSkipped);
    cs["allocation_failures"] = sum(m.allocFailures);
    for (size_t t = 0; t < nTiers; ++t) {
        const std::string role = roleOf(t, nTiers);
        if (role.empty()) {
            continue;
        }
        const TierIds &ids = m.tiers[t];
        const double rd = static_cast<double>(sum(ids.cls[kClassRead].bytes));
        const double wr = static_cast<double>(sum(ids.cls[kClassWrite].bytes));
        const double dw = static_cast<double>(sum(ids.cls[kClassDemoteWrite].bytes) +
                                              sum(ids.cls[kClassPromoteWrite].bytes));
        const double dr = static_cast<double>(sum(ids.cls[kClassDemoteRead].bytes));
        cs["tier_" + role + "_kv_bytes_written_gb"] = wr / kGiB;
        cs["tier_" + role + "_kv_bytes_read_gb"] = rd / kGiB;
        cs["tier_" + role + "_read_bandwidth_gbps"] = perS(rd) / kGiB;
        cs["tier_" + role + "_write_bandwidth_gbps"] = perS(wr) / kGiB;
        // What the reference leaves out: the moves between tiers.
        cs["tier_" + role + "_demotion_bytes_written_gb"] = dw / kGiB;
        cs["tier_" + role + "_demotion_bytes_read_gb"] = dr / kGiB;
        cs["tier_" + role + "_total_write_bandwidth_gbps"] = perS(wr + dw) / kGiB;
        cs["tier_" + role + "_total_read_bandwidth_gbps"] = perS(rd + dr) / kGiB;
        const mlps_metric_summary &re = tn[t].readEntry;
        const mlps_metric_summary &we = tn[t].writeEntry;
        const std::pair<const char *, const mlps_metric_summary *> sides[] = {{"read", &re},
                                                                              {"write", &we}};
        for (const auto &[side, sm] : sides) {
            if (sm->count == 0) {
                continue; // the reference emits these only when there are samples
            }
            const std::string base = role + "_" + side + "_";
            cs[base + "p50_ms"] = ms(sm->p50);
            cs[base + "p95_ms"] = ms(sm->p95);
            cs[base + "p99_ms"] = ms(sm->p99);
            cs[base + "p999_ms"] = ms(sm->p999);
            cs[base + "p9999_ms"] = ms(sm->p9999);
        }
    }
    cs["multi_turn_hits"] = mtHits;
    cs["total_read_bytes"] = totalReadBytes;
    cs["total_write_bytes"] = totalWriteBytes;
    cs["total_read_gb"] = static_cast<double>(totalReadBytes) / kGiB;
    cs["total_write_gb"] = static_cast<double>(totalWriteBytes) / kGiB;
    cs["read_write_ratio"] = static_cast<double>(totalReadBytes) /
                             static_cast<double>(std::max<uint64_t>(totalWriteBytes, 1));
    // Rates (the reference reports counts under these names).
    cs["read_iops"] = perS(static_cast<double>(readEntries));
    cs["write_iops"] = perS(static_cast<double>(writeEntries));

    // ---- storage_health -----------------------------------------------------------------
    std::vector<Criterion> criteria;
    const bool latencyProfile = s.performanceProfile != "throughput";
    if (storageIdx >= 0) {
        const TierNumbers &st = tn[storageIdx];
        const std::string name = e.tierNames()[storageIdx];
        if (latencyProfile) {
            const double w = ms(st.writeEntry.p95);
            const double r = ms(st.readEntry.p95);
            criteria.push_back(
                {"Storage write P95 < 500ms",
                 500,
                 w,
                 "ms",
                 w < 500,
                 st.writeEntry.count == 0
                     ? "no entry was written to tier '" + name + "'"
                     : "p95 of whole-entry writes (new and demoted) to tier '" + name + "'"});
            criteria.push_back({"Storage read P95 < 200ms",
                                200,
                                r,
                                "ms",
                                r < 200,
                                st.readEntry.count == 0
                                    ? "no entry was read from tier '" + name + "'"
                                    : "p95 of whole-entry reads from tier '" + name + "'"});
        } else {
            const double rb =
                perS(static_cast<double>(sum(m.tiers[storageIdx].cls[kClassRead].bytes))) / kGiB;
            const double wb =
                perS(static_cast<double>(sum(m.tiers[storageIdx].cls[kClassWrite].bytes) +
                                         sum(m.tiers[storageIdx].cls[kClassDemoteWrite].bytes))) /
                kGiB;
            criteria.push_back({"Storage read bandwidth > 0",
                                0,
                                rb,
                                "GiB/s",
                                rb > 0 || st.readEntry.count == 0,
                                "reads of tier '" + name + "'"});
            criteria.push_back({"Storage write bandwidth > 0",
                                0,
                                wb,
                                "GiB/s",
                                wb > 0 || st.writeEntry.count == 0,
                                "writes (new entries and demotions) to tier '" + name + "'"});
        }
    }
    if (latencyProfile && cpuIdx >= 0) {
        const TierNumbers &c = tn[cpuIdx];
        if (c.readEntry.count + c.writeEntry.count != 0) {
            // The reference takes the p95 of reads and writes together; the host merges each
            // histogram separately, so the larger of the two p95s stands in (conservative).
            const double v = ms(std::max(c.readEntry.p95, c.writeEntry.p95));
            criteria.push_back(
                {"CPU RAM P95 < 150ms",
                 150,
                 v,
                 "ms",
                 v < 150,
                 "max of read and write p95 of tier '" + e.tierNames()[cpuIdx] + "'"});
        }
    }
    if (latencyProfile && hits + misses != 0) {
        criteria.push_back(
            {"Cache hit rate > 30%",
             30,
             hitRate * 100,
             "%",
             hitRate > 0.3,
             std::to_string(hits) + " hits of " + std::to_string(hits + misses) + " cache reads"});
    }
    ordered health;
    ordered list = ordered::array();
    ordered failedReasons = ordered::array();
    size_t passed = 0;
    for (const auto &c : criteria) {
        ordered o;
        o["name"] = c.name;
        o["target"] = c.target;
        o["actual"] = c.actual;
        o["unit"] = c.unit;
        o["passed"] = c.passed;
        o["detail"] = c.reason;
        list.push_back(o);
        passed += c.passed ? 1 : 0;
        if (!c.passed) {
            char text[256];
            std::snprintf(text,
                          sizeof text,
                          "%s: actual %.3g %s (%s)",
                          c.name.c_str(),
                          c.actual,
                          c.unit.c_str(),
                          c.reason.c_str());
            failedReasons.push_back(text);
        }
    }
    health["overall_status"] = passed == criteria.size() ? "PASS" : "FAIL";
    health["profile"] = latencyProfile ? "latency" : "throughput";
    health["criteria"] = list;
    health["passed_count"] = passed;
    health["total_count"] = criteria.size();
    health["reasons"] = failedReasons;
    cs["storage_health"] = health;
    summary["cache_stats"] = cs;

    // ---- QoS ----------------------------------------------------------------------------
    ordered qos;
    for (int q = 0; q < kQosClasses; ++q) {
        const QosClass &cls = s.qos[q];
        const uint64_t n = sum(m.qosOps[q]);
        ordered o;
        if (n == 0) {
            o["no_data"] = true;
            qos[qosName(q)] = o;
            continue;
        }
        const mlps_metric_summary l = read(m.qosLatency[q]);
        o["total_requests"] = n;
        o["priority"] = cls.priority;
        ordered lat;
        lat["mean"] = ms(l.mean);
        lat["p50"] = ms(l.p50);
        lat["p95"] = ms(l.p95);
        lat["p99"] = ms(l.p99);
        lat["max"] = ms(static_cast<double>(l.max));
        o["latency_ms"] = lat;
        const double over95 = static_cast<double>(sum(m.qosOverP95[q]));
        const double over99 = static_cast<double>(sum(m.qosOverP99[q]));
        ordered sla;
        sla["target_p95_ms"] = cls.targetP95Ms;
        sla["actual_p95_ms"] = ms(l.p95);
        sla["compliance"] = 1.0 - over95 / static_cast<double>(n);
        sla["met"] = 1.0 - over95 / static_cast<double>(n) >= 0.95;
        sla["target_p99_ms"] = cls.targetP99Ms;
        sla["actual_p99_ms"] = ms(l.p99);
        sla["p99_compliance"] = 1.0 - over99 / static_cast<double>(n);
        sla["p99_met"] = 1.0 - over99 / static_cast<double>(n) >= 0.99;
        o["sla"] = sla;
        qos[qosName(q)] = o;
    }
    summary["qos_metrics"] = qos;

    ordered mt;
    mt["cache_hits"] = mtHits;
    mt["cache_misses"] = mtMisses;
    mt["hit_rate"] =
        mtHits + mtMisses != 0 ? static_cast<double>(mtHits) / (mtHits + mtMisses) : 0.0;
    summary["multi_turn_stats"] = mt;

    ordered admission;
    admission["arrivals"] = s.arrivals == Arrivals::Closed ? "closed" : "open";
    admission["admitted_total"] = e.admittedTotal;
    admission["rejected"] = sum(m.rejected);
    admission["rejected_total"] = e.rejectedTotal;
    admission["peak_queue"] = e.peakQueue;
    admission["max_queue"] = s.maxQueue;
    admission["queue_wait_ms"] = percentilesMs(wait);
    summary["admission"] = admission;

    const mlps_metric_summary sizes = read(m.entrySize);
    ordered es;
    es["count"] = sizes.count;
    es["min"] = sizes.min;
    es["mean"] = sizes.mean;
    es["p50"] = sizes.p50;
    es["p95"] = sizes.p95;
    es["max"] = sizes.max;
    summary["entry_size_bytes"] = es;
    out["summary"] = summary;
    out["tiers"] = tiers;

    ordered verify;
    verify["enabled"] = s.verify;
    verify["checked_bytes"] = sum(m.verifyChecked);
    verify["mismatched_bytes"] = sum(m.verifyMismatched);
    out["verify"] = verify;
    out["errors"] = sum(m.errors);
    out["abandoned_steps"] = e.abandonedSteps.load();

    // The verdict for people: mlpsrun prints "headline" under the first line of its summary
    // (summary.json has everything).
    std::vector<std::string> headline;
    headline.push_back(
        text("%s%s, %u users, %s arrivals: %llu requests (%.2f/s), %.1f "
             "generated tokens/s, %.0f context tokens/s",
             s.model.key.c_str(),
             s.source == SourceKind::Synthetic && !s.traceOnly
                 ? ""
                 : text(" (%s%s)", sourceName(s.source), s.traceOnly ? ", trace mode: no I/O" : "")
                       .c_str(),
             static_cast<unsigned>(users),
             s.arrivals == Arrivals::Closed ? "closed" : "open",
             static_cast<unsigned long long>(requests),
             perS(static_cast<double>(requests)),
             perS(static_cast<double>(tokens)),
             perS(static_cast<double>(contextTokens))));
    headline.push_back(text(
        "request latency p50 %s p95 %s (storage p50 %s p95 %s; queue wait "
        "p50 %s p95 %s)%s",
        duration(e2e.p50).c_str(),
        duration(e2e.p95).c_str(),
        duration(storage.p50).c_str(),
        duration(storage.p95).c_str(),
        duration(wait.p50).c_str(),
        duration(wait.p95).c_str(),
        sum(m.rejected) != 0
            ? text(", %llu rejected (queue full)", static_cast<unsigned long long>(sum(m.rejected)))
                  .c_str()
            : ""));
    headline.push_back(text("cache hit rate %.1f%% (%llu of %llu reads; multi-turn %.1f%%), "
                            "%llu demotions, %llu evictions, entries p50 %s max %s",
                            hitRate * 100,
                            static_cast<unsigned long long>(hits),
                            static_cast<unsigned long long>(hits + misses),
                            mtHits + mtMisses != 0 ? 100.0 * mtHits / (mtHits + mtMisses) : 0.0,
                            static_cast<unsigned long long>(sum(m.demotions)),
                            static_cast<unsigned long long>(sum(m.evictions)),
                            size(sizes.p50).c_str(),
                            size(static_cast<double>(sizes.max)).c_str()));
    if (m.hasBlocks) {
        const uint64_t bh = sum(m.blockHits);
        const uint64_t refs = bh + sum(m.blockMisses);
        headline.push_back(
            text("block reuse: %.1f%% of %llu block reads hit, prefix hit per "
                 "request mean %.0f tokens, %s of KV not recomputed",
                 refs != 0 ? 100.0 * static_cast<double>(bh) / static_cast<double>(refs) : 0.0,
                 static_cast<unsigned long long>(refs),
                 read(m.prefixTokensHit).mean,
                 size(static_cast<double>(sum(m.bytesSaved))).c_str()));
    }
    headline.push_back(text("storage health (%s profile): %s, %zu of %zu criteria met",
                            latencyProfile ? "latency" : "throughput",
                            passed == criteria.size() ? "PASS" : "FAIL",
                            passed,
                            criteria.size()));
    for (const auto &c : criteria) {
        const std::string actual =
            c.unit == "ms" ? duration(c.actual * 1e6) : text("%.3g %s", c.actual, c.unit.c_str());
        headline.push_back(text("  %s %s: %s (%s)",
                                c.passed ? "pass" : "FAIL",
                                c.name.c_str(),
                                actual.c_str(),
                                c.reason.c_str()));
    }
    for (int q = 0; q < kQosClasses; ++q) {
        const uint64_t n = sum(m.qosOps[q]);
        if (n == 0) {
            continue;
        }
        const mlps_metric_summary l = read(m.qosLatency[q]);
        const double compliance =
            1.0 - static_cast<double>(sum(m.qosOverP95[q])) / static_cast<double>(n);
        headline.push_back(text("QoS %-11s %5llu requests, p95 %s (target %s): %.1f%% within "
                                "target, %s",
                                qosName(q),
                                static_cast<unsigned long long>(n),
                                duration(l.p95).c_str(),
                                duration(s.qos[q].targetP95Ms * 1e6).c_str(),
                                compliance * 100,
                                compliance >= 0.95 ? "met" : "not met"));
    }
    if (s.verify) {
        headline.push_back(text("verify: %s checked, %llu bytes mismatched",
                                size(static_cast<double>(sum(m.verifyChecked))).c_str(),
                                static_cast<unsigned long long>(sum(m.verifyMismatched))));
    }
    addFeatureReport(e, out["summary"], headline);
    out["headline"] = headline;
    return out.dump();
}

} // namespace mlps::kvcache
