// The report's per-tier sections: benchmark.tiers[] (every traffic class of every tier) and
// summary.cache_stats (the reference's tier roles and key names, plus demotion traffic).
#include <algorithm>
#include <utility>

#include "report_parts.hpp"

namespace mlps::kvcache::report {

ordered tiersSection(Inputs &in) {
    TierCache &cache = in.e.cache();
    ordered tiers = ordered::array();
    in.tiers.assign(in.nTiers, TierNumbers{});
    for (size_t t = 0; t < in.nTiers; ++t) {
        const TierIds &ids = in.m.tiers[t];
        const auto index = static_cast<uint32_t>(t);
        TierNumbers &n = in.tiers[t];
        ordered tier;
        tier["name"] = in.e.tierNames()[t];
        tier["plugin"] = in.tierPlugins[t];
        tier["role"] = roleOf(t, in.nTiers);
        tier["capacity_bytes"] = in.e.tiers()[t].capacity;
        tier["limit_bytes"] = cache.limit(index);
        tier["used_bytes"] = cache.used(index);
        tier["entries"] = cache.entries(index);
        // What the tier itself holds: the same count once the pass settled (a check on the
        // bookkeeping, and what a user sees in the tier).
        tier["objects_held"] = Host::tierInfo(in.e.tiers()[t].ref).objects;
        ordered classes;
        for (int c = 0; c < kOpClasses; ++c) {
            n.cls[c] = in.read(ids.cls[c].latency);
            const uint64_t bytes = c != kClassDelete ? in.sum(ids.cls[c].bytes) : 0;
            const uint64_t ops = in.sum(ids.cls[c].ops);
            ordered k;
            if (c != kClassDelete) {
                k["bytes"] = bytes;
                k["bandwidth_gib_per_s"] = in.perS(static_cast<double>(bytes)) / kGiB;
            }
            k["ops"] = ops;
            k["ops_per_s"] = in.perS(static_cast<double>(ops));
            k["latency_ms"] = percentilesMs(n.cls[c]);
            classes[opClassName(c)] = k;
            if (c == kClassRead) {
                in.totalReadBytes += bytes;
            } else if (c == kClassWrite) {
                in.totalWriteBytes += bytes;
            }
        }
        tier["classes"] = classes;
        n.readEntry = in.read(ids.readEntryLatency);
        n.writeEntry = in.read(ids.writeEntryLatency);
        in.readEntries += n.readEntry.count;
        in.writeEntries += n.writeEntry.count;
        tier["entry_read_latency_ms"] = percentilesMs(n.readEntry);
        tier["entry_write_latency_ms"] = percentilesMs(n.writeEntry);
        tiers.push_back(tier);
    }
    return tiers;
}

ordered cacheStatsSection(const Inputs &in) {
    TierCache &cache = in.e.cache();
    const MetricIds &m = in.m;
    const size_t nTiers = in.nTiers;
    ordered cs;
    cs["cache_hit_rate"] = in.hitRate;
    cs["cache_hits"] = in.hits;
    cs["cache_misses"] = in.misses;
    for (const char *role : {"gpu", "cpu", "storage"}) {
        const int t = roleIndex(role, nTiers);
        cs[std::string(role) + "_entries"] = t < 0 ? 0 : cache.entries(static_cast<uint32_t>(t));
    }
    for (const char *role : {"gpu", "cpu"}) {
        const int t = roleIndex(role, nTiers);
        cs[std::string(role) + "_memory_used_gb"] =
            t < 0 ? 0.0 : static_cast<double>(cache.used(static_cast<uint32_t>(t))) / kGiB;
    }
    // Entries demoted into a role's tier: moves that completed in the timed window (not the
    // planned ones, not warm-up's, not those cut off at the stop).
    const auto offloads = [&](const char *role) -> uint64_t {
        const int t = roleIndex(role, nTiers);
        return t > 0 ? in.sum(m.tiers[t].demoteEntries) : 0;
    };
    cs["offloads_cpu"] = offloads("cpu");
    cs["offloads_storage"] = offloads("storage");
    cs["evictions"] = in.sum(m.evictions);
    cs["demotions"] = in.sum(m.demotions);
    cs["promotions"] = in.sum(m.promotions);
    cs["prefill_writes"] = in.sum(m.prefillWrites);
    cs["decode_reads"] = in.sum(m.decodeReads);
    cs["writes_skipped_existing"] = in.sum(m.writesSkipped);
    cs["allocation_failures"] = in.sum(m.allocFailures);
    for (size_t t = 0; t < nTiers; ++t) {
        const std::string role = roleOf(t, nTiers);
        if (role.empty()) {
            continue;
        }
        const TierIds &ids = m.tiers[t];
        const double rd = static_cast<double>(in.sum(ids.cls[kClassRead].bytes));
        const double wr = static_cast<double>(in.sum(ids.cls[kClassWrite].bytes));
        const double dw = static_cast<double>(in.sum(ids.cls[kClassDemoteWrite].bytes) +
                                              in.sum(ids.cls[kClassPromoteWrite].bytes));
        const double dr = static_cast<double>(in.sum(ids.cls[kClassDemoteRead].bytes));
        cs["tier_" + role + "_kv_bytes_written_gb"] = wr / kGiB;
        cs["tier_" + role + "_kv_bytes_read_gb"] = rd / kGiB;
        cs["tier_" + role + "_read_bandwidth_gbps"] = in.perS(rd) / kGiB;
        cs["tier_" + role + "_write_bandwidth_gbps"] = in.perS(wr) / kGiB;
        // What the reference leaves out: the moves between tiers.
        cs["tier_" + role + "_demotion_bytes_written_gb"] = dw / kGiB;
        cs["tier_" + role + "_demotion_bytes_read_gb"] = dr / kGiB;
        cs["tier_" + role + "_total_write_bandwidth_gbps"] = in.perS(wr + dw) / kGiB;
        cs["tier_" + role + "_total_read_bandwidth_gbps"] = in.perS(rd + dr) / kGiB;
        const mlps_metric_summary &re = in.tiers[t].readEntry;
        const mlps_metric_summary &we = in.tiers[t].writeEntry;
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
    cs["multi_turn_hits"] = in.mtHits;
    cs["total_read_bytes"] = in.totalReadBytes;
    cs["total_write_bytes"] = in.totalWriteBytes;
    cs["total_read_gb"] = static_cast<double>(in.totalReadBytes) / kGiB;
    cs["total_write_gb"] = static_cast<double>(in.totalWriteBytes) / kGiB;
    cs["read_write_ratio"] = static_cast<double>(in.totalReadBytes) /
                             static_cast<double>(std::max<uint64_t>(in.totalWriteBytes, 1));
    // Rates (the reference reports counts under these names).
    cs["read_iops"] = in.perS(static_cast<double>(in.readEntries));
    cs["write_iops"] = in.perS(static_cast<double>(in.writeEntries));
    return cs;
}

} // namespace mlps::kvcache::report
