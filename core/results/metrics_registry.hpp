// The metrics of one rank: histograms and counters registered by plugins through the host API.
// record() is lock-free and may be called from any thread; registration takes a lock. Samples
// are kept only while recording is on (the TIMED and DRAIN phases).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "results/histogram.hpp"

namespace mlps::core {

// Same values as enum mlps_metric_kind. A gauge is a level (active users, queue depth): a record
// sets it; its snapshot's sum is the current value and count how often it was set, so merging
// snapshots (ranks) sums the levels.
enum class MetricKind { Histogram = 1, Counter = 2, Gauge = 3 };
const char *metricKindName(MetricKind kind); // "histogram", "counter", "gauge"

struct MetricInfo {
    uint32_t id;
    std::string name; // "read.latency", dotted, unique
    MetricKind kind;
    std::string unit; // "ns", "bytes", "ops"
};

// All metrics at one instant. Counters use HistogramSnapshot::sum/count only.
struct MetricsSnapshot {
    uint64_t timeNs = 0;
    std::vector<HistogramSnapshot> values; // indexed by metric id
    // Adds other's values (ranks, threads); timeNs becomes the later of the two. An empty
    // snapshot adopts other's metrics; otherwise both must hold the same number of metrics
    // (std::invalid_argument if not).
    void merge(const MetricsSnapshot &other);
};

class MetricsRegistry {
  public:
    static constexpr uint32_t kMaxMetrics = 512;

    MetricsRegistry();
    ~MetricsRegistry(); // out of line: Metric is complete only in the .cpp
    MetricsRegistry(const MetricsRegistry &) = delete;
    MetricsRegistry &operator=(const MetricsRegistry &) = delete;
    static constexpr size_t kMaxNameLength = 64;

    // Names are 1..64 characters of [a-z0-9_.]. Same name again: the same id. A bad name or
    // kind, a kind or unit mismatch with the earlier registration, or more than kMaxMetrics
    // metrics: std::invalid_argument saying which.
    uint32_t registerMetric(const std::string &name, MetricKind kind, const std::string &unit);
    // Lock-free. Histogram: one sample. Counter: adds value to sum and 1 to count. Gauge: sets
    // sum to value and adds 1 to count. Unknown ids and anything while recording is off are
    // ignored.
    void record(uint32_t id, uint64_t value) noexcept;
    void setRecording(bool on) noexcept { recording_.store(on, std::memory_order_relaxed); }
    bool recording() const noexcept { return recording_.load(std::memory_order_relaxed); }

    std::vector<MetricInfo> list() const;
    MetricsSnapshot snapshot(uint64_t timeNs) const;
    // Zeroes every metric's values; registrations and ids stay (plugins hold the ids). Call it
    // while nobody records.
    void reset();

  private:
    struct Metric;
    mutable std::mutex mutex_;
    std::vector<MetricInfo> infos_;
    std::unique_ptr<std::atomic<Metric *>[]> metrics_; // fixed slots: record() never locks
    std::vector<std::unique_ptr<Metric>> owned_;
    std::atomic<bool> recording_{false};
};

} // namespace mlps::core
