// --dry-run: what a run of these options would do, without touching a tier: per tier limit,
// entry sizes (sampled from the workload's own random streams), offered load, peak host
// memory and disk space, and warnings when the spec cannot fit the machine.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kvcache.hpp"

namespace mlps::kvcache {

namespace {

using ordered = nlohmann::ordered_json;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

uint64_t memTotalBytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib >> unit) {
        if (key == "MemTotal:") {
            return kib * 1024;
        }
    }
    return 0;
}

std::string gib(double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f GiB", bytes / kGiB);
    return text;
}

// The entry sizes, think times and decode reads of requests drawn from the users' own random
// streams, as a run would draw them.
struct EntrySample {
    std::vector<uint64_t> sizes; // sorted
    double mean = 0;
    uint64_t maxEntry = 0;
    double meanThinkS = 0;
    double readsPerRequest = 0;
};

EntrySample sampleEntries(const Settings &s, uint64_t seed) {
    const Planner planner(s, 1);
    std::vector<User> users = makeUsers(s, seed, 0);
    EntrySample out;
    double thinkSum = 0;
    const size_t draws = 20000;
    Request r;
    for (size_t i = 0; i < draws && !users.empty(); ++i) {
        nextRequest(users[i % users.size()], s, r);
        thinkSum += static_cast<double>(r.thinkNs) / 1e9;
        const uint64_t size =
            planner.entrySize(r.phase == RequestPhase::Decode ? s.prepopulateTokens : r.context);
        out.sizes.push_back(size);
        if (!s.prefillOnly && r.phase != RequestPhase::Prefill) {
            out.readsPerRequest += decodeReads(r.generation, s.decodeBatch);
        }
    }
    std::sort(out.sizes.begin(), out.sizes.end());
    for (const uint64_t v : out.sizes) {
        out.mean += static_cast<double>(v);
    }
    const auto n = static_cast<double>(std::max<size_t>(out.sizes.size(), 1));
    out.mean /= n;
    out.maxEntry = out.sizes.empty() ? 0 : out.sizes.back();
    out.meanThinkS = thinkSum / n;
    out.readsPerRequest /= n;
    return out;
}

// What the source will produce on this rank (a fast pass over its input).
ordered sourceSection(const Settings &s, const SourceSummary &sum) {
    ordered source;
    source["kind"] = sourceName(s.source);
    if (s.source != SourceKind::Synthetic) {
        source["dataset_path"] = s.datasetPath;
        source["items_per_pass"] = sum.items;
        source["requests_per_pass"] = sum.requests;
        source["context_tokens_per_pass"] = sum.contextTokens;
        source["generated_tokens_per_pass"] = sum.generatedTokens;
        source["replay_cycles"] = s.replayCycles;
        if (s.source == SourceKind::Trace) {
            source["operation_bytes_per_pass"] = sum.opBytes;
        } else {
            // KV written when nothing hits (mooncake: each distinct block once).
            source["kv_bytes_per_pass"] = static_cast<double>(sum.entryTokens) *
                                          static_cast<double>(s.bytesPerToken) / s.tensorParallel;
        }
        if (s.source != SourceKind::ShareGpt) {
            source["trace_span_s"] = sum.spanS;
            source["trace_speedup"] = s.traceSpeedup;
        }
    }
    source["trace_only"] = s.traceOnly;
    return source;
}

ordered modelSection(const Settings &s) {
    ordered model;
    model["key"] = s.model.key;
    model["name"] = s.model.name;
    model["bytes_per_token"] = s.bytesPerToken;
    model["tensor_parallel"] = s.tensorParallel;
    return model;
}

ordered entrySizeSection(const EntrySample &sample) {
    const std::vector<uint64_t> &sizes = sample.sizes;
    ordered es;
    es["sampled_requests"] = sizes.size();
    es["min"] = sizes.empty() ? 0 : sizes.front();
    es["mean"] = sample.mean;
    es["p95"] = sizes.empty() ? 0 : sizes[sizes.size() * 95 / 100];
    es["max"] = sample.maxEntry;
    return es;
}

ordered offeredLoadSection(const Settings &s, const EntrySample &sample) {
    const double reqPerS = sample.meanThinkS > 0 ? s.users / sample.meanThinkS : 0;
    ordered load;
    load["arrivals"] = s.arrivals == Arrivals::Closed ? "closed" : "open";
    load["users"] = s.users;
    load["workers"] = s.workers;
    load["offered_requests_per_s"] = reqPerS;
    load["offered_write_gib_per_s"] = reqPerS * sample.mean / kGiB;
    load["decode_reads_per_request"] = sample.readsPerRequest;
    load["offered_read_gib_per_s"] = reqPerS * sample.mean * sample.readsPerRequest / kGiB;
    return load;
}

// What the tiers add up to, for the memory and disk sections.
struct TierTotals {
    double dramBytes = 0;
    double diskBytes = 0;
    bool diskUnbounded = false;
};

ordered tiersSection(
    const Host &host, const Settings &s, uint64_t maxEntry, TierTotals &totals, ordered &warnings) {
    const uint32_t n = host.tierCount();
    ordered tiers = ordered::array();
    for (uint32_t i = 0; i < n; ++i) {
        const mlps_tier_spec spec = host.tierSpec(i);
        const std::string name = spec.name != nullptr ? spec.name : "";
        const std::string plugin = spec.plugin != nullptr ? spec.plugin : "";
        const bool last = i + 1 == n;
        ordered t;
        t["name"] = name;
        t["plugin"] = plugin;
        if (spec.capacity_bytes != 0) {
            t["limit_bytes"] = spec.capacity_bytes;
        } else {
            t["limit_bytes"] = nullptr;
            t["limit"] = "95% of what the tier reports (dram: half the RAM; posix-nvme: free "
                         "space)";
        }
        const double limit = static_cast<double>(spec.capacity_bytes);
        if (!last && spec.capacity_bytes != 0) {
            t["fill_target_bytes"] = limit * s.eviction.targetUsage;
            if (static_cast<double>(maxEntry) > s.eviction.largeEntryLimit * limit) {
                warnings.push_back("tier '" + name + "': entries above " +
                                   gib(s.eviction.largeEntryLimit * limit) + " (the largest is " +
                                   gib(static_cast<double>(maxEntry)) +
                                   ") skip it and go to a slower tier");
            }
        }
        if (last && spec.capacity_bytes != 0 && maxEntry > spec.capacity_bytes) {
            warnings.push_back(
                "tier '" + name + "' (the last) is smaller than the largest entry (" +
                gib(static_cast<double>(maxEntry)) + "): such requests fail to allocate");
        }
        if ((spec.caps & MLPS_TIER_CAP_PERSISTENT) != 0) {
            if (spec.capacity_bytes == 0) {
                totals.diskUnbounded = true;
                warnings.push_back("tier '" + name +
                                   "' has no capacity: the cache may fill up to 95% of the free "
                                   "space of its file system; set tiers[" +
                                   std::to_string(i) + "].capacity");
            }
            totals.diskBytes += limit;
        } else if ((spec.caps & MLPS_TIER_CAP_DEVICE_MEMORY) == 0) {
            if (spec.capacity_bytes == 0) {
                warnings.push_back("tier '" + name +
                                   "' has no capacity: it may use up to half of the RAM");
            }
            totals.dramBytes += limit;
        }
        t["role"] = last ? "terminal: fills to 100%, evicts (deletes) its LRU entries"
                         : "fills to " +
                               std::to_string(static_cast<int>(s.eviction.targetUsage * 100)) +
                               "%, demotes its LRU entries to the next tier";
        tiers.push_back(t);
    }
    return tiers;
}

ordered memorySection(const Settings &s, const TierTotals &totals, ordered &warnings) {
    const double buffers =
        static_cast<double>(s.workers) * static_cast<double>(s.bufferBytesPerWorker()) +
        static_cast<double>(s.chunkSize);
    const double dramBytes = totals.dramBytes;
    ordered memory;
    memory["io_buffers_bytes"] = buffers;
    memory["dram_tiers_bytes"] = dramBytes;
    memory["peak_host_bytes_estimate"] = buffers + dramBytes + 64.0 * 1024 * 1024;
    const uint64_t total = memTotalBytes();
    memory["machine_memory_bytes"] = total;
    if (total != 0 && buffers + dramBytes > 0.9 * static_cast<double>(total)) {
        warnings.push_back("the dram tiers and I/O buffers (" + gib(buffers + dramBytes) +
                           ") need more than 90% of this machine's memory (" +
                           gib(static_cast<double>(total)) + ")");
    }
    return memory;
}

ordered diskSection(const TierTotals &totals) {
    ordered disk;
    disk["bytes_needed"] = totals.diskBytes;
    disk["bounded"] = !totals.diskUnbounded;
    return disk;
}

void addRunWarnings(const Settings &s, const mlps_run_info &info, ordered &warnings) {
    if (info.duration_ns == 0 && s.maxRequests == 0) {
        warnings.push_back("run.duration is 0 and max_requests is 0: the run would never end "
                           "(the run refuses to start)");
    }
    if (s.arrivals == Arrivals::Open && s.opLog.size() != 0) {
        warnings.push_back("op_log with open arrivals: the order depends on timing; use "
                           "arrivals: closed for a reproducible log");
    }
}

} // namespace

std::string buildPlan(const Host &host, const Config &config) {
    const Validated v = validateOptions(host, config);
    const Settings &s = v.settings;
    const mlps_run_info info = host.runInfo();
    ordered out;
    ordered warnings = ordered::array();
    out["source"] = sourceSection(s, v.source);
    const EntrySample sample = sampleEntries(s, info.seed);
    out["model"] = modelSection(s);
    out["entry_size_bytes"] = entrySizeSection(sample);
    out["offered_load"] = offeredLoadSection(s, sample);
    TierTotals totals;
    out["tiers"] = tiersSection(host, s, sample.maxEntry, totals, warnings);
    out["memory"] = memorySection(s, totals, warnings);
    out["disk"] = diskSection(totals);
    addRunWarnings(s, info, warnings);
    addFeaturePlan(host, s, Planner(s, 1), out, warnings);
    out["warnings"] = warnings;
    for (const auto &w : warnings) {
        host.log(MLPS_LOG_WARN, "%s", w.get<std::string>().c_str());
    }
    return out.dump();
}

} // namespace mlps::kvcache
