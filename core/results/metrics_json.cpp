#include "results/metrics_json.hpp"

namespace mlps::core {

namespace {

double perSecond(uint64_t total, double seconds) {
    return seconds > 0 ? static_cast<double>(total) / seconds : 0.0;
}

// The non-empty buckets as [low, high, count] (inclusive bounds, in the metric's unit), in
// order: the exact distribution, for CDFs (mlpsrun report) and any later analysis.
nlohmann::json bucketsJson(const HistogramSnapshot &h) {
    nlohmann::json out = nlohmann::json::array();
    for (unsigned b = 0; b < h.counts.size(); ++b) {
        if (h.counts[b] != 0) {
            out.push_back({Histogram::bucketLow(b), Histogram::bucketHigh(b), h.counts[b]});
        }
    }
    return out;
}

nlohmann::json histogramJson(const HistogramSnapshot &h, const std::string &unit) {
    const bool empty = h.count == 0;
    return {
        {"kind", "histogram"},
        {"unit", unit},
        {"count", h.count},
        {"sum", h.sum},
        {"min", empty ? 0 : h.min},
        {"max", empty ? 0 : h.max},
        {"mean", h.mean()},
        {"p50", h.percentile(0.50)},
        {"p90", h.percentile(0.90)},
        {"p95", h.percentile(0.95)},
        {"p99", h.percentile(0.99)},
        {"p99_9", h.percentile(0.999)},
        {"p99_99", h.percentile(0.9999)},
        {"buckets", bucketsJson(h)},
    };
}

} // namespace

nlohmann::json metricsToJson(const std::vector<MetricInfo> &metrics,
                             const MetricsSnapshot &snapshot,
                             double timedSeconds) {
    nlohmann::json out = nlohmann::json::object();
    const HistogramSnapshot empty;
    for (const MetricInfo &info : metrics) {
        const HistogramSnapshot &h =
            info.id < snapshot.values.size() ? snapshot.values[info.id] : empty;
        if (info.kind == MetricKind::Histogram) {
            out[info.name] = histogramJson(h, info.unit);
        } else if (info.kind == MetricKind::Gauge) {
            // A level: its value when the snapshot was taken (merged: the ranks' sum).
            out[info.name] = {{"kind", "gauge"}, {"unit", info.unit}, {"value", h.sum}};
        } else {
            out[info.name] = {
                {"kind", "counter"},
                {"unit", info.unit},
                {"total", h.sum},
                {"per_s", perSecond(h.sum, timedSeconds)},
            };
        }
    }
    return out;
}

void fillMetricSummary(const HistogramSnapshot &value,
                       MetricKind kind,
                       double timedSeconds,
                       mlps_metric_summary *out) {
    if (out == nullptr) {
        return;
    }
    const bool histogram = kind == MetricKind::Histogram;
    const bool empty = value.count == 0;
    // Each field only if the caller's struct (maybe from an older minor) has room for it.
#define MLPS_FILL(field, expr)                                                                     \
    if (MLPS_HAS_FIELD(out, mlps_metric_summary, field)) {                                         \
        out->field = (expr);                                                                       \
    }
    MLPS_FILL(kind, static_cast<uint32_t>(kind));
    MLPS_FILL(count, value.count);
    MLPS_FILL(sum, value.sum);
    MLPS_FILL(min, histogram && !empty ? value.min : 0);
    MLPS_FILL(max, histogram && !empty ? value.max : 0);
    MLPS_FILL(mean, value.mean());
    MLPS_FILL(p50, histogram ? value.percentile(0.50) : 0.0);
    MLPS_FILL(p90, histogram ? value.percentile(0.90) : 0.0);
    MLPS_FILL(p95, histogram ? value.percentile(0.95) : 0.0);
    MLPS_FILL(p99, histogram ? value.percentile(0.99) : 0.0);
    MLPS_FILL(p999, histogram ? value.percentile(0.999) : 0.0);
    MLPS_FILL(p9999, histogram ? value.percentile(0.9999) : 0.0);
    MLPS_FILL(rate_per_s,
              kind == MetricKind::Gauge
                  ? 0.0 // a level has no rate
                  : perSecond(histogram ? value.count : value.sum, timedSeconds));
#undef MLPS_FILL
}

} // namespace mlps::core
