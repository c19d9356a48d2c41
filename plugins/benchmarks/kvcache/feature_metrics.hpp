// The metrics of the prefix cache, RAG and the autoscaler (registered only when the feature is
// on), and the gauges of the load: active users and, with open arrivals, the queue depth.
#pragma once

#include <mlps/plugin.hpp>

#include "settings.hpp"

namespace mlps::kvcache {

struct PlanStats;

struct FeatureMetricIds {
    bool prefix = false, rag = false;
    mlps_metric_id prefixRequests = 0, systemPromptHits = 0, systemPromptMisses = 0,
                   prefixBytesSaved = 0;
    mlps_metric_id ragRetrievals = 0, ragChunkReads = 0, ragChunkHits = 0;
    mlps_metric_id activeUsers = 0; // gauge: users sending requests now
    mlps_metric_id queueDepth = 0;  // gauge: requests waiting for a worker (open arrivals)
};

FeatureMetricIds registerFeatureMetrics(const Host &host, const Settings &s);
void recordFeatureStats(const Host &host, const FeatureMetricIds &m, const PlanStats &st);

} // namespace mlps::kvcache
