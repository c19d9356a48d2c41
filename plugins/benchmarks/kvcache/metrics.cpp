#include "metrics.hpp"

#include <utility>

#include "planner.hpp"

namespace mlps::kvcache {

const char *opClassName(int c) {
    static const char *const names[] = {
        "read", "write", "demote_read", "demote_write", "promote_write", "delete"};
    return names[c];
}

MetricIds
registerMetrics(const Host &host, const std::vector<std::string> &tierNames, bool blocks) {
    MetricIds m;
    for (const auto &tier : tierNames) {
        TierIds t;
        for (int c = 0; c < kOpClasses; ++c) {
            const std::string base = tier + "." + opClassName(c);
            t.cls[c].latency = host.registerHistogram(base + ".latency", "ns");
            if (c != kClassDelete) {
                t.cls[c].bytes = host.registerCounter(base + ".bytes", "bytes");
            }
            t.cls[c].ops = host.registerCounter(base + ".ops", "ops");
        }
        t.readEntryLatency = host.registerHistogram(tier + ".read.entry_latency", "ns");
        t.writeEntryLatency = host.registerHistogram(tier + ".write.entry_latency", "ns");
        t.demoteEntries = host.registerCounter(tier + ".demote_write.entries", "entries");
        m.tiers.push_back(t);
    }
    m.users = host.registerCounter("workload.users", "users");
    m.requests = host.registerCounter("requests.ops", "requests");
    m.requestLatency = host.registerHistogram("requests.latency", "ns");
    m.storageLatency = host.registerHistogram("requests.storage_latency", "ns");
    m.queueWait = host.registerHistogram("requests.queue_wait", "ns");
    m.generationLatency = host.registerHistogram("requests.generation_latency", "ns");
    m.rejected = host.registerCounter("requests.rejected", "requests");
    m.tokensGenerated = host.registerCounter("tokens.generated", "tokens");
    m.tokensContext = host.registerCounter("tokens.context", "tokens");
    m.hits = host.registerCounter("cache.hits", "reads");
    m.misses = host.registerCounter("cache.misses", "reads");
    m.multiTurnHits = host.registerCounter("cache.multi_turn_hits", "reads");
    m.multiTurnMisses = host.registerCounter("cache.multi_turn_misses", "reads");
    m.prefillWrites = host.registerCounter("cache.prefill_writes", "writes");
    m.decodeReads = host.registerCounter("cache.decode_reads", "reads");
    m.writesSkipped = host.registerCounter("cache.writes_skipped", "writes");
    m.allocFailures = host.registerCounter("cache.alloc_failures", "writes");
    m.evictions = host.registerCounter("cache.evictions", "entries");
    m.demotions = host.registerCounter("cache.demotions", "entries");
    m.promotions = host.registerCounter("cache.promotions", "entries");
    for (int q = 0; q < kQosClasses; ++q) {
        const std::string base = std::string("qos.") + qosName(q);
        m.qosOps[q] = host.registerCounter(base + ".ops", "requests");
        m.qosLatency[q] = host.registerHistogram(base + ".latency", "ns");
        m.qosOverP95[q] = host.registerCounter(base + ".over_p95_target", "requests");
        m.qosOverP99[q] = host.registerCounter(base + ".over_p99_target", "requests");
    }
    m.entrySize = host.registerHistogram("cache.entry_size", "bytes");
    m.errors = host.registerCounter("errors", "ops");
    m.verifyChecked = host.registerCounter("verify.checked_bytes", "bytes");
    m.verifyMismatched = host.registerCounter("verify.mismatched_bytes", "bytes");
    if (blocks) {
        m.hasBlocks = true;
        m.blockHits = host.registerCounter("cache.block_hits", "blocks");
        m.blockMisses = host.registerCounter("cache.block_misses", "blocks");
        m.prefixTokensHit = host.registerHistogram("cache.prefix_tokens_hit", "tokens");
        m.bytesSaved = host.registerCounter("cache.bytes_saved", "bytes");
    }
    return m;
}

void recordPlanStats(const Host &host, const MetricIds &m, const PlanStats &st) {
    const std::pair<mlps_metric_id, uint64_t> counters[] = {{m.hits, st.hits},
                                                            {m.misses, st.misses},
                                                            {m.multiTurnHits, st.multiTurnHits},
                                                            {m.multiTurnMisses, st.multiTurnMisses},
                                                            {m.prefillWrites, st.prefillWrites},
                                                            {m.decodeReads, st.decodeReads},
                                                            {m.writesSkipped, st.writesSkipped},
                                                            {m.allocFailures, st.allocFailures}};
    for (const auto &[id, value] : counters) {
        if (value != 0) {
            host.record(id, value);
        }
    }
    if (m.hasBlocks) {
        const std::pair<mlps_metric_id, uint64_t> blocks[] = {{m.blockHits, st.blockHits},
                                                              {m.blockMisses, st.blockMisses},
                                                              {m.bytesSaved, st.bytesSaved}};
        for (const auto &[id, value] : blocks) {
            if (value != 0) {
                host.record(id, value);
            }
        }
        host.record(m.prefixTokensHit, st.prefixTokensHit);
    }
}

} // namespace mlps::kvcache
