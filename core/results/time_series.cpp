#include "results/time_series.hpp"

#include <algorithm>
#include <cmath>

namespace mlps::core {

namespace {

const HistogramSnapshot &valueOf(const MetricsSnapshot &s, uint32_t id) {
    static const HistogramSnapshot kEmpty;
    return id < s.values.size() ? s.values[id] : kEmpty;
}

double seconds(int64_t ns) {
    return static_cast<double>(ns) / 1e9;
}

} // namespace

void TimeSeries::add(const MetricsSnapshot &previous,
                     const MetricsSnapshot &current,
                     uint64_t timedStartNs) {
    TimeSeriesPoint p;
    // Signed differences: a snapshot taken just before the timed start gives a slightly
    // negative start rather than a wrapped one.
    p.startS = seconds(static_cast<int64_t>(previous.timeNs - timedStartNs));
    p.lengthS = seconds(static_cast<int64_t>(current.timeNs - previous.timeNs));
    const size_t n = metrics_.size();
    p.delta.assign(n, 0);
    p.p50.assign(n, 0.0);
    p.p99.assign(n, 0.0);
    p.max.assign(n, 0.0);
    for (size_t i = 0; i < n; ++i) {
        const MetricInfo &info = metrics_[i];
        const HistogramSnapshot &before = valueOf(previous, info.id);
        const HistogramSnapshot &now = valueOf(current, info.id);
        if (info.kind == MetricKind::Counter) {
            p.delta[i] = now.sum > before.sum ? now.sum - before.sum : 0;
            continue;
        }
        if (info.kind == MetricKind::Gauge) {
            p.delta[i] = now.sum; // the level at the interval's end
            continue;
        }
        const HistogramSnapshot d = now.since(before);
        p.delta[i] = d.count;
        if (d.count > 0) {
            p.p50[i] = d.percentile(0.50);
            p.p99[i] = d.percentile(0.99);
            p.max[i] = static_cast<double>(d.max);
        }
    }
    points_.push_back(std::move(p));
}

nlohmann::json TimeSeries::summary() const {
    double totalLength = 0;
    for (const TimeSeriesPoint &p : points_) {
        totalLength += p.lengthS;
    }
    nlohmann::json out = {
        {"interval_s", points_.empty() ? 0.0 : totalLength / static_cast<double>(points_.size())},
        {"points", points_.size()},
        {"metrics", nlohmann::json::object()},
    };
    nlohmann::json &metrics = out["metrics"];
    for (size_t i = 0; i < metrics_.size(); ++i) {
        const MetricInfo &info = metrics_[i];
        if (info.kind == MetricKind::Counter) {
            // Rates per interval; intervals of no length (two snapshots at once) carry none.
            std::vector<double> rates;
            for (const TimeSeriesPoint &p : points_) {
                if (p.lengthS > 0) {
                    rates.push_back(static_cast<double>(p.delta[i]) / p.lengthS);
                }
            }
            double lo = 0, hi = 0, mean = 0, var = 0;
            if (!rates.empty()) {
                const auto [mn, mx] = std::minmax_element(rates.begin(), rates.end());
                lo = *mn;
                hi = *mx;
                for (double r : rates) {
                    mean += r;
                }
                mean /= static_cast<double>(rates.size());
                for (double r : rates) {
                    var += (r - mean) * (r - mean);
                }
                var /= static_cast<double>(rates.size()); // population: all intervals are known
            }
            metrics[info.name] = {{"min_per_s", lo},
                                  {"mean_per_s", mean},
                                  {"max_per_s", hi},
                                  {"stddev_per_s", std::sqrt(var)}};
        } else if (info.kind == MetricKind::Gauge) {
            uint64_t lo = 0, hi = 0, last = 0;
            double mean = 0;
            for (size_t k = 0; k < points_.size(); ++k) {
                const uint64_t v = points_[k].delta[i];
                lo = k == 0 ? v : std::min(lo, v);
                hi = std::max(hi, v);
                mean += static_cast<double>(v);
                last = v;
            }
            if (!points_.empty()) {
                mean /= static_cast<double>(points_.size());
            }
            metrics[info.name] = {{"min", lo}, {"mean", mean}, {"max", hi}, {"last", last}};
        } else {
            double lo = 0, hi = 0;
            bool any = false;
            for (const TimeSeriesPoint &p : points_) {
                if (p.delta[i] == 0) {
                    continue; // an interval without samples has no p99
                }
                lo = any ? std::min(lo, p.p99[i]) : p.p99[i];
                hi = any ? std::max(hi, p.p99[i]) : p.p99[i];
                any = true;
            }
            metrics[info.name] = {{"p99_min", lo}, {"p99_max", hi}};
        }
    }
    return out;
}

std::map<std::string, std::string> timeSeriesAttributes(const nlohmann::json &summary) {
    auto text = [&](const char *key) -> std::string {
        const auto it = summary.find(key);
        if (it == summary.end() || it->is_null()) {
            return {};
        }
        return it->is_string() ? it->get<std::string>() : it->dump();
    };
    std::string hosts;
    for (const auto &host : summary.value("hosts", nlohmann::json::array())) {
        const std::string name = host.value("hostname", std::string("?"));
        if (hosts.find(name) == std::string::npos) {
            hosts += (hosts.empty() ? "" : ",") + name;
        }
    }
    const auto spec = summary.value("spec", nlohmann::json::object());
    return {{"run_id", text("run_id")},
            {"benchmark", text("benchmark_name")},
            {"mlps_version", text("mlps_version")},
            {"started_at", text("started_at")},
            {"spec_hash", spec.value("hash_fnv1a64", std::string())},
            {"ranks", text("ranks")},
            {"hosts", hosts},
            {"series_ranks", "0"}};
}

} // namespace mlps::core
