#include "results/metrics_registry.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace mlps::core {

// One metric, on its own cache lines so two hot metrics never share one (false sharing).
struct alignas(64) MetricsRegistry::Metric {
    explicit Metric(MetricKind k) : kind(k) {
        if (kind == MetricKind::Histogram) {
            histogram.emplace();
        }
    }

    const MetricKind kind;
    std::optional<Histogram> histogram; // histograms only: counters skip its 58 KiB of buckets
    alignas(64) std::atomic<uint64_t> sum{0};
    std::atomic<uint64_t> count{0};
};

const char *metricKindName(MetricKind kind) {
    switch (kind) {
    case MetricKind::Histogram:
        return "histogram";
    case MetricKind::Gauge:
        return "gauge";
    case MetricKind::Counter:
        break;
    }
    return "counter";
}

namespace {

const char *kindName(MetricKind kind) {
    return metricKindName(kind);
}

bool validName(const std::string &name) {
    if (name.empty() || name.size() > MetricsRegistry::kMaxNameLength) {
        return false;
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

} // namespace

void MetricsSnapshot::merge(const MetricsSnapshot &other) {
    if (values.empty()) {
        values = other.values;
    } else if (!other.values.empty()) {
        if (values.size() != other.values.size()) {
            throw std::invalid_argument("cannot merge metrics snapshots of " +
                                        std::to_string(values.size()) + " and " +
                                        std::to_string(other.values.size()) + " metrics");
        }
        for (size_t i = 0; i < values.size(); ++i) {
            values[i].merge(other.values[i]);
        }
    }
    timeNs = std::max(timeNs, other.timeNs);
}

MetricsRegistry::MetricsRegistry()
    : metrics_(std::make_unique<std::atomic<Metric *>[]>(kMaxMetrics)) {
    for (uint32_t i = 0; i < kMaxMetrics; ++i) {
        metrics_[i].store(nullptr, std::memory_order_relaxed);
    }
}

MetricsRegistry::~MetricsRegistry() = default;

uint32_t
MetricsRegistry::registerMetric(const std::string &name, MetricKind kind, const std::string &unit) {
    if (!validName(name)) {
        throw std::invalid_argument("metric name '" + name + "' is invalid: use 1 to " +
                                    std::to_string(kMaxNameLength) + " characters of [a-z0-9_.]");
    }
    if (kind != MetricKind::Histogram && kind != MetricKind::Counter && kind != MetricKind::Gauge) {
        throw std::invalid_argument("metric '" + name + "': unknown kind " +
                                    std::to_string(static_cast<int>(kind)) +
                                    " (expected 1 = histogram, 2 = counter or 3 = gauge)");
    }
    std::lock_guard lock(mutex_);
    for (const MetricInfo &info : infos_) {
        if (info.name != name) {
            continue;
        }
        if (info.kind != kind) {
            throw std::invalid_argument("metric '" + name + "' is already registered as a " +
                                        kindName(info.kind) + ", not a " + kindName(kind));
        }
        if (info.unit != unit) {
            throw std::invalid_argument("metric '" + name + "' is already registered with unit '" +
                                        info.unit + "', not '" + unit + "'");
        }
        return info.id;
    }
    if (infos_.size() >= kMaxMetrics) {
        throw std::invalid_argument("cannot register metric '" + name + "': at most " +
                                    std::to_string(kMaxMetrics) + " metrics per run");
    }
    const auto id = static_cast<uint32_t>(infos_.size());
    owned_.push_back(std::make_unique<Metric>(kind));
    infos_.push_back(MetricInfo{id, name, kind, unit});
    // Release: a thread that sees the pointer in record() sees a fully built metric.
    metrics_[id].store(owned_.back().get(), std::memory_order_release);
    return id;
}

void MetricsRegistry::record(uint32_t id, uint64_t value) noexcept {
    if (id >= kMaxMetrics || !recording_.load(std::memory_order_relaxed)) {
        return;
    }
    Metric *metric = metrics_[id].load(std::memory_order_acquire);
    if (metric == nullptr) {
        return;
    }
    if (metric->histogram) {
        metric->histogram->record(value);
    } else if (metric->kind == MetricKind::Gauge) {
        metric->sum.store(value, std::memory_order_relaxed);
        metric->count.fetch_add(1, std::memory_order_relaxed);
    } else {
        metric->sum.fetch_add(value, std::memory_order_relaxed);
        metric->count.fetch_add(1, std::memory_order_relaxed);
    }
}

std::vector<MetricInfo> MetricsRegistry::list() const {
    std::lock_guard lock(mutex_);
    return infos_;
}

MetricsSnapshot MetricsRegistry::snapshot(uint64_t timeNs) const {
    std::lock_guard lock(mutex_);
    MetricsSnapshot s;
    s.timeNs = timeNs;
    s.values.reserve(owned_.size());
    for (const auto &metric : owned_) {
        if (metric->histogram) {
            s.values.push_back(metric->histogram->snapshot());
        } else {
            HistogramSnapshot v;
            v.sum = metric->sum.load(std::memory_order_relaxed);
            v.count = metric->count.load(std::memory_order_relaxed);
            s.values.push_back(std::move(v));
        }
    }
    return s;
}

void MetricsRegistry::reset() {
    std::lock_guard lock(mutex_);
    for (const auto &metric : owned_) {
        if (metric->histogram) {
            metric->histogram->reset();
        }
        metric->sum.store(0, std::memory_order_relaxed);
        metric->count.store(0, std::memory_order_relaxed);
    }
}

} // namespace mlps::core
