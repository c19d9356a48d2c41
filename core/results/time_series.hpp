// Per-interval view of the metrics: the core snapshots the registry every interval (1 s by
// default) during the timed phase; each interval keeps counter deltas and histogram deltas
// (count, p50, p99, max). Written to timeseries.h5 (HDF5 C API, when built) and summarised in
// summary.json.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/metrics_registry.hpp"

namespace mlps::core {

struct TimeSeriesPoint {
    double startS; // since the timed phase started
    double lengthS;
    // Per metric id: counter delta (sum), histogram delta count, or a gauge's value at the
    // interval's end.
    std::vector<uint64_t> delta;
    // Histograms only (0 for counters).
    std::vector<double> p50, p99, max;
};

class TimeSeries {
  public:
    explicit TimeSeries(std::vector<MetricInfo> metrics) : metrics_(std::move(metrics)) {}
    // Add the interval between two snapshots of the same registry (times on the host clock).
    // Metrics missing from a snapshot (registered later) count as empty.
    void
    add(const MetricsSnapshot &previous, const MetricsSnapshot &current, uint64_t timedStartNs);
    const std::vector<MetricInfo> &metrics() const { return metrics_; }
    const std::vector<TimeSeriesPoint> &points() const { return points_; }
    // {"interval_s": mean interval, "points": n, "metrics": {name: ...}} with, for a counter,
    // {"min_per_s","mean_per_s","max_per_s","stddev_per_s"} over the intervals' rates and, for a
    // histogram, {"p99_min","p99_max"} over the intervals that hold samples and, for a gauge,
    // {"min","mean","max","last"} over the values at the intervals' ends.
    nlohmann::json summary() const;
    // Writes /metrics/<name> groups (attributes unit, kind; datasets start_s, length_s, then
    // delta (counters, histograms) or value (gauges) and, for histograms, p50, p99, max) and the
    // root attribute schema = "mlps-timeseries-1". Throws SystemError (a std::runtime_error) with
    // what failed and HDF5's reason, or saying the build has no HDF5. Defined in
    // time_series_hdf5.cpp. `attributes` go on the root as strings (run metadata: run_id,
    // benchmark, ranks, ...).
    void writeHdf5(const std::string &path,
                   const std::map<std::string, std::string> &attributes = {}) const;
    static bool hdf5Available();
    static constexpr const char *kHdf5Schema = "mlps-timeseries-1";

  private:
    std::vector<MetricInfo> metrics_;
    std::vector<TimeSeriesPoint> points_;
};

// The run metadata timeseries.h5 carries as root attributes, taken from the summary as built so
// far: run_id, benchmark, mlps_version, started_at, spec_hash, ranks, hosts, and series_ranks
// (whose series the file holds: "0", rank 0's, until the ranks' series are merged).
std::map<std::string, std::string> timeSeriesAttributes(const nlohmann::json &summary);

// One metric of a timeseries.h5 as read back (mlpsrun report). Histogram-only datasets are
// empty for counters; a gauge has `value` instead of `delta`.
struct TimeSeriesFileMetric {
    std::string name, unit, kind;
    std::vector<double> startS, lengthS, p50, p99, max;
    std::vector<uint64_t> delta;
    std::vector<uint64_t> value; // gauges: the level at each interval's end
};

struct TimeSeriesFile {
    std::map<std::string, std::string> attributes; // the root's string attributes
    std::vector<TimeSeriesFileMetric> metrics;     // in name order
};

// Reads a file TimeSeries::writeHdf5 wrote. Throws SystemError naming the file and what was
// wrong, or saying the build has no HDF5.
TimeSeriesFile readTimeSeriesHdf5(const std::string &path);

} // namespace mlps::core
