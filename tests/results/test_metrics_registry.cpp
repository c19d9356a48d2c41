#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "results/metrics_registry.hpp"

using mlps::core::MetricKind;
using mlps::core::MetricsRegistry;
using mlps::core::MetricsSnapshot;

TEST_CASE("the same name returns the same id") {
    MetricsRegistry r;
    const uint32_t a = r.registerMetric("read.latency", MetricKind::Histogram, "ns");
    const uint32_t b = r.registerMetric("read.bytes", MetricKind::Counter, "bytes");
    CHECK(a != b);
    CHECK(r.registerMetric("read.latency", MetricKind::Histogram, "ns") == a);
    CHECK(r.registerMetric("read.bytes", MetricKind::Counter, "bytes") == b);
    const auto infos = r.list();
    REQUIRE(infos.size() == 2);
    CHECK(infos[a].name == "read.latency");
    CHECK(infos[a].kind == MetricKind::Histogram);
    CHECK(infos[a].unit == "ns");
    CHECK(infos[b].id == b);
}

TEST_CASE("bad names are refused") {
    MetricsRegistry r;
    const std::vector<std::string> bad = {
        "", "Read", "read-latency", "a b", "tier/read", "na\xc3\xafve", std::string(65, 'a')};
    for (const std::string &name : bad) {
        INFO("name '", name, "'");
        CHECK_THROWS_AS(r.registerMetric(name, MetricKind::Counter, "ops"), std::invalid_argument);
    }
    CHECK_NOTHROW(r.registerMetric(std::string(64, 'a'), MetricKind::Counter, "ops"));
    CHECK_NOTHROW(r.registerMetric("kv.tier_0.p99", MetricKind::Counter, "ops"));
    CHECK(r.list().size() == 2);
}

TEST_CASE("a kind or unit mismatch is refused with a clear message") {
    MetricsRegistry r;
    r.registerMetric("write.latency", MetricKind::Histogram, "ns");
    try {
        r.registerMetric("write.latency", MetricKind::Counter, "ns");
        FAIL("no exception");
    } catch (const std::invalid_argument &e) {
        const std::string msg = e.what();
        CHECK(msg.find("write.latency") != std::string::npos);
        CHECK(msg.find("histogram") != std::string::npos);
        CHECK(msg.find("counter") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(r.registerMetric("write.latency", MetricKind::Histogram, "us"),
                         doctest::Contains("unit 'ns'"),
                         std::invalid_argument);
    CHECK_THROWS_AS(r.registerMetric("x", static_cast<MetricKind>(7), "ns"), std::invalid_argument);
}

TEST_CASE("at most kMaxMetrics metrics") {
    MetricsRegistry r;
    for (uint32_t i = 0; i < MetricsRegistry::kMaxMetrics; ++i) {
        REQUIRE(r.registerMetric("m" + std::to_string(i), MetricKind::Counter, "ops") == i);
    }
    CHECK_THROWS_AS(r.registerMetric("one.more", MetricKind::Counter, "ops"),
                    std::invalid_argument);
    CHECK(r.registerMetric("m7", MetricKind::Counter, "ops") == 7); // re-registering still works
}

TEST_CASE("recording off ignores samples; unknown ids are ignored") {
    MetricsRegistry r;
    const uint32_t lat = r.registerMetric("lat", MetricKind::Histogram, "ns");
    const uint32_t ops = r.registerMetric("ops", MetricKind::Counter, "ops");
    CHECK_FALSE(r.recording());
    r.record(lat, 100);
    r.record(ops, 5);
    MetricsSnapshot s = r.snapshot(1);
    CHECK(s.values[lat].count == 0);
    CHECK(s.values[ops].sum == 0);

    r.setRecording(true);
    r.record(lat, 100);
    r.record(lat, 300);
    r.record(ops, 5);
    r.record(ops, 7);
    r.record(99, 1);                           // registered nowhere
    r.record(MetricsRegistry::kMaxMetrics, 1); // out of range
    r.record(UINT32_MAX, 1);
    r.setRecording(false);
    r.record(lat, 1000);

    s = r.snapshot(42);
    CHECK(s.timeNs == 42);
    REQUIRE(s.values.size() == 2);
    CHECK(s.values[lat].count == 2);
    CHECK(s.values[lat].sum == 400);
    CHECK(s.values[lat].min == 100);
    CHECK(s.values[lat].max == 300);
    CHECK(s.values[ops].sum == 12);
    CHECK(s.values[ops].count == 2);

    r.reset();
    s = r.snapshot(43);
    CHECK(s.values[lat].count == 0);
    CHECK(s.values[ops].sum == 0);
    CHECK(r.list().size() == 2); // registrations survive reset
}

TEST_CASE("concurrent record into a histogram and a counter") {
    MetricsRegistry r;
    const uint32_t lat = r.registerMetric("lat", MetricKind::Histogram, "ns");
    const uint32_t bytes = r.registerMetric("bytes", MetricKind::Counter, "bytes");
    r.setRecording(true);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&r, lat, bytes] {
            for (uint64_t i = 0; i < 20000; ++i) {
                r.record(lat, i);
                r.record(bytes, 4096);
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    const MetricsSnapshot s = r.snapshot(0);
    CHECK(s.values[lat].count == 80000);
    CHECK(s.values[lat].sum == 4 * (19999ull * 20000 / 2));
    CHECK(s.values[bytes].sum == 80000ull * 4096);
    CHECK(s.values[bytes].count == 80000);
}

TEST_CASE("snapshots merge by adding") {
    MetricsRegistry a, b;
    for (MetricsRegistry *r : {&a, &b}) {
        r->registerMetric("lat", MetricKind::Histogram, "ns");
        r->registerMetric("ops", MetricKind::Counter, "ops");
        r->setRecording(true);
    }
    a.record(0, 10);
    b.record(0, 20000);
    a.record(1, 3);
    b.record(1, 4);
    MetricsSnapshot m;
    m.merge(a.snapshot(5));
    m.merge(b.snapshot(9));
    CHECK(m.timeNs == 9);
    CHECK(m.values[0].count == 2);
    CHECK(m.values[0].min == 10);
    CHECK(m.values[0].max == 20000);
    CHECK(m.values[1].sum == 7);

    MetricsRegistry c;
    c.registerMetric("lat", MetricKind::Histogram, "ns");
    CHECK_THROWS_AS(m.merge(c.snapshot(1)), std::invalid_argument);
}

TEST_CASE("a gauge is set, not added; ranks' gauges merge as a sum") {
    MetricsRegistry a, b;
    const uint32_t users = a.registerMetric("workload.active_users", MetricKind::Gauge, "users");
    CHECK(b.registerMetric("workload.active_users", MetricKind::Gauge, "users") == users);
    CHECK_THROWS_WITH_AS(a.registerMetric("workload.active_users", MetricKind::Counter, "users"),
                         doctest::Contains("gauge"),
                         std::invalid_argument);
    a.setRecording(true);
    b.setRecording(true);
    a.record(users, 10);
    a.record(users, 7); // the level now: 7, not 17
    b.record(users, 5);
    MetricsSnapshot sa = a.snapshot(1);
    CHECK(sa.values[users].sum == 7);
    CHECK(sa.values[users].count == 2);
    sa.merge(b.snapshot(2));
    CHECK(sa.values[users].sum == 12); // 7 users on one rank + 5 on the other
    a.reset();
    CHECK(a.snapshot(3).values[users].sum == 0);
}
