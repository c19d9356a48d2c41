#include <cstring>

#include <doctest/doctest.h>

#include "results/metrics_json.hpp"

using mlps::core::fillMetricSummary;
using mlps::core::MetricKind;
using mlps::core::MetricsRegistry;
using mlps::core::metricsToJson;

TEST_CASE("metricsToJson: histogram and counter keys, per_s") {
    MetricsRegistry r;
    const uint32_t lat = r.registerMetric("read.latency", MetricKind::Histogram, "ns");
    const uint32_t bytes = r.registerMetric("read.bytes", MetricKind::Counter, "bytes");
    r.registerMetric("idle.latency", MetricKind::Histogram, "ns");
    r.setRecording(true);
    for (uint64_t v = 1; v <= 100; ++v) {
        r.record(lat, v);
        r.record(bytes, 1000);
    }
    const auto j = metricsToJson(r.list(), r.snapshot(0), 4.0);
    REQUIRE(j.is_object());
    REQUIRE(j.contains("read.latency"));
    const auto &h = j["read.latency"];
    for (const char *key : {"kind",
                            "unit",
                            "count",
                            "sum",
                            "min",
                            "max",
                            "mean",
                            "p50",
                            "p90",
                            "p95",
                            "p99",
                            "p99_9",
                            "p99_99",
                            "buckets"}) {
        INFO("key ", key);
        CHECK(h.contains(key));
    }
    CHECK(h.size() == 14);
    // Buckets: the non-empty ones in order, [low, high, count]; values 1..100 are exact
    // buckets (below 2^(kSubBits+1)), so one bucket per value.
    const auto &buckets = h["buckets"];
    REQUIRE(buckets.size() == 100);
    uint64_t total = 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
        CHECK(buckets[i][0] == i + 1);
        CHECK(buckets[i][1] == i + 1);
        total += buckets[i][2].get<uint64_t>();
    }
    CHECK(total == 100);
    CHECK(h["kind"] == "histogram");
    CHECK(h["unit"] == "ns");
    CHECK(h["count"] == 100);
    CHECK(h["sum"] == 5050);
    CHECK(h["min"] == 1);
    CHECK(h["max"] == 100);
    CHECK(h["mean"].get<double>() == doctest::Approx(50.5));
    CHECK(h["p50"].get<double>() == 50.0);
    CHECK(h["p99"].get<double>() == 99.0);
    CHECK(h["p99_99"].get<double>() == 100.0);

    const auto &c = j["read.bytes"];
    CHECK(c.size() == 4);
    CHECK(c["kind"] == "counter");
    CHECK(c["unit"] == "bytes");
    CHECK(c["total"] == 100000);
    CHECK(c["per_s"].get<double>() == doctest::Approx(25000.0));

    const auto &idle = j["idle.latency"];
    CHECK(idle["count"] == 0);
    CHECK(idle["min"] == 0); // not UINT64_MAX
    CHECK(idle["p99"].get<double>() == 0.0);
    CHECK(idle["buckets"].empty());

    const auto zero = metricsToJson(r.list(), r.snapshot(0), 0.0);
    CHECK(zero["read.bytes"]["per_s"].get<double>() == 0.0);
}

TEST_CASE("fillMetricSummary fills the fields struct_size covers") {
    MetricsRegistry r;
    const uint32_t lat = r.registerMetric("lat", MetricKind::Histogram, "ns");
    const uint32_t ops = r.registerMetric("ops", MetricKind::Counter, "ops");
    r.setRecording(true);
    for (uint64_t v = 1; v <= 1000; ++v) {
        r.record(lat, v);
    }
    r.record(ops, 50);
    const auto s = r.snapshot(0);

    mlps_metric_summary full;
    std::memset(&full, 0, sizeof full);
    full.struct_size = sizeof full;
    fillMetricSummary(s.values[lat], MetricKind::Histogram, 2.0, &full);
    CHECK(full.struct_size == sizeof full);
    CHECK(full.kind == MLPS_METRIC_HISTOGRAM);
    CHECK(full.count == 1000);
    CHECK(full.sum == 500500);
    CHECK(full.min == 1);
    CHECK(full.max == 1000);
    CHECK(full.mean == doctest::Approx(500.5));
    CHECK(full.p50 == doctest::Approx(500).epsilon(0.01));
    CHECK(full.p99 == doctest::Approx(990).epsilon(0.01));
    CHECK(full.rate_per_s == doctest::Approx(500.0));

    mlps_metric_summary counter;
    std::memset(&counter, 0, sizeof counter);
    counter.struct_size = sizeof counter;
    fillMetricSummary(s.values[ops], MetricKind::Counter, 2.0, &counter);
    CHECK(counter.kind == MLPS_METRIC_COUNTER);
    CHECK(counter.sum == 50);
    CHECK(counter.count == 1);
    CHECK(counter.rate_per_s == doctest::Approx(25.0));

    // An older, shorter struct: nothing past its end is touched.
    mlps_metric_summary old;
    std::memset(&old, 0xAB, sizeof old);
    old.struct_size = offsetof(mlps_metric_summary, mean);
    fillMetricSummary(s.values[lat], MetricKind::Histogram, 2.0, &old);
    CHECK(old.count == 1000);
    CHECK(old.max == 1000);
    uint64_t pattern;
    std::memset(&pattern, 0xAB, sizeof pattern);
    uint64_t meanBits;
    std::memcpy(&meanBits, &old.mean, sizeof meanBits);
    CHECK(meanBits == pattern);
    std::memcpy(&meanBits, &old.rate_per_s, sizeof meanBits);
    CHECK(meanBits == pattern);

    fillMetricSummary(s.values[lat], MetricKind::Histogram, 2.0, nullptr); // no crash
}

TEST_CASE("metricsToJson and fillMetricSummary: a gauge is its level, with no rate") {
    MetricsRegistry r;
    const uint32_t users = r.registerMetric("workload.active_users", MetricKind::Gauge, "users");
    r.setRecording(true);
    r.record(users, 12);
    r.record(users, 9);
    const auto snapshot = r.snapshot(0);
    const auto j = metricsToJson(r.list(), snapshot, 4.0);
    CHECK(j["workload.active_users"] ==
          nlohmann::json{{"kind", "gauge"}, {"unit", "users"}, {"value", 9}});
    mlps_metric_summary s{};
    s.struct_size = sizeof s;
    fillMetricSummary(snapshot.values[users], MetricKind::Gauge, 4.0, &s);
    CHECK(s.kind == 3);
    CHECK(s.sum == 9);
    CHECK(s.count == 2);
    CHECK(s.rate_per_s == 0.0);
}
