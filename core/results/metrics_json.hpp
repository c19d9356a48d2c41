// Metrics as results: JSON for summary.json and the C summary struct the host API's
// metric_read hands to plugins.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include <mlps/host_api.h>

#include "results/metrics_registry.hpp"

namespace mlps::core {

// An object keyed by metric name. Histograms: {"kind":"histogram","unit","count","sum","min",
// "max","mean","p50","p90","p95","p99","p99_9","p99_99"} in the metric's unit; counters:
// {"kind":"counter","unit","total","per_s"} with per_s = total / timedSeconds (0 if
// timedSeconds <= 0); gauges: {"kind":"gauge","unit","value"} (the level at the snapshot;
// merged over ranks, their sum). Metrics the snapshot lacks are reported empty.
nlohmann::json metricsToJson(const std::vector<MetricInfo> &metrics,
                             const MetricsSnapshot &snapshot,
                             double timedSeconds);

// Fills the fields of *out that out->struct_size covers (never struct_size itself). rate_per_s
// is sum / timedSeconds for a counter and count / timedSeconds (samples per second) for a
// histogram (0 for a gauge, whose sum is its current value); 0 if timedSeconds <= 0. For counters
// min, max and percentiles are 0 and mean is the mean increment.
void fillMetricSummary(const HistogramSnapshot &value,
                       MetricKind kind,
                       double timedSeconds,
                       mlps_metric_summary *out);

} // namespace mlps::core
