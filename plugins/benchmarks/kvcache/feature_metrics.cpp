#include "feature_metrics.hpp"

#include <utility>

#include "planner.hpp"

namespace mlps::kvcache {

FeatureMetricIds registerFeatureMetrics(const Host &host, const Settings &s) {
    FeatureMetricIds m;
    if (s.features.prefix.enabled) {
        m.prefix = true;
        m.prefixRequests = host.registerCounter("prefix_cache.requests", "requests");
        m.systemPromptHits = host.registerCounter("prefix_cache.system_prompt_hits", "reads");
        m.systemPromptMisses = host.registerCounter("prefix_cache.system_prompt_misses", "writes");
        m.prefixBytesSaved = host.registerCounter("prefix_cache.bytes_saved", "bytes");
    }
    if (s.features.rag.enabled) {
        m.rag = true;
        m.ragRetrievals = host.registerCounter("rag.retrievals", "requests");
        m.ragChunkReads = host.registerCounter("rag.chunk_reads", "reads");
        m.ragChunkHits = host.registerCounter("rag.chunk_hits", "reads");
    }
    m.activeUsers = host.registerGauge("workload.active_users", "users");
    if (s.arrivals == Arrivals::Open) {
        m.queueDepth = host.registerGauge("requests.queue_depth", "requests");
    }
    return m;
}

void recordFeatureStats(const Host &host, const FeatureMetricIds &m, const PlanStats &st) {
    if (m.prefix && st.prefixRequests != 0) {
        host.record(m.prefixRequests, st.prefixRequests);
        host.record(m.systemPromptHits, st.systemPromptHits);
        host.record(m.systemPromptMisses, st.systemPromptMisses);
        host.record(m.prefixBytesSaved, st.prefixBytesSaved);
    }
    if (m.rag && st.ragRetrievals != 0) {
        host.record(m.ragRetrievals, st.ragRetrievals);
        host.record(m.ragChunkReads, st.ragChunkReads);
        host.record(m.ragChunkHits, st.ragChunkHits);
    }
}

} // namespace mlps::kvcache
