#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "build_config.hpp"
#include "results/time_series.hpp"

#if MLPS_HAVE_HDF5
#include <hdf5.h>
#endif

using mlps::core::MetricKind;
using mlps::core::MetricsRegistry;
using mlps::core::MetricsSnapshot;
using mlps::core::TimeSeries;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kStart = 5 * kSecond; // the timed phase's start on the host clock

// Three one-second intervals: bytes 1000, 3000, 2000; latencies 100.., 10000.., none.
TimeSeries makeSeries() {
    MetricsRegistry r;
    const uint32_t bytes = r.registerMetric("write.bytes", MetricKind::Counter, "bytes");
    const uint32_t lat = r.registerMetric("write.latency", MetricKind::Histogram, "ns");
    r.setRecording(true);
    TimeSeries ts(r.list());
    MetricsSnapshot prev = r.snapshot(kStart);
    const uint64_t perInterval[] = {1000, 3000, 2000};
    for (int i = 0; i < 3; ++i) {
        r.record(bytes, perInterval[i]);
        if (i == 0) {
            for (uint64_t v = 1; v <= 100; ++v) {
                r.record(lat, v);
            }
        } else if (i == 1) {
            for (uint64_t v = 1; v <= 100; ++v) {
                r.record(lat, 100 * v);
            }
        }
        MetricsSnapshot cur = r.snapshot(kStart + (i + 1) * kSecond);
        ts.add(prev, cur, kStart);
        prev = std::move(cur);
    }
    return ts;
}

// A gauge (active users) set to 4, then 6 and 6 again, then 3 within the intervals: each point
// keeps the level at its interval's end (6, 6, 3), never a sum or a difference.
TimeSeries makeGaugeSeries() {
    MetricsRegistry r;
    const uint32_t users = r.registerMetric("workload.active_users", MetricKind::Gauge, "users");
    r.setRecording(true);
    TimeSeries ts(r.list());
    MetricsSnapshot prev = r.snapshot(kStart);
    const std::vector<std::vector<uint64_t>> sets = {{4, 6}, {6}, {5, 3}};
    for (size_t i = 0; i < sets.size(); ++i) {
        for (uint64_t v : sets[i]) {
            r.record(users, v);
        }
        MetricsSnapshot cur = r.snapshot(kStart + (i + 1) * kSecond);
        ts.add(prev, cur, kStart);
        prev = std::move(cur);
    }
    return ts;
}

} // namespace

TEST_CASE("points hold per-interval deltas") {
    const TimeSeries ts = makeSeries();
    REQUIRE(ts.points().size() == 3);
    const auto &p = ts.points();
    CHECK(p[0].startS == doctest::Approx(0.0));
    CHECK(p[1].startS == doctest::Approx(1.0));
    CHECK(p[2].lengthS == doctest::Approx(1.0));
    CHECK(p[0].delta[0] == 1000);
    CHECK(p[1].delta[0] == 3000);
    CHECK(p[2].delta[0] == 2000);
    CHECK(p[0].p99[0] == 0.0); // counters carry no percentiles
    CHECK(p[0].delta[1] == 100);
    CHECK(p[0].p50[1] == 50.0);
    CHECK(p[0].p99[1] == 99.0);
    CHECK(p[0].max[1] == 100.0);
    CHECK(p[1].delta[1] == 100);
    CHECK(p[1].p99[1] == doctest::Approx(9900).epsilon(0.01));
    CHECK(p[1].max[1] == 10000.0);
    CHECK(p[2].delta[1] == 0);
    CHECK(p[2].p99[1] == 0.0);
}

TEST_CASE("a metric missing from the earlier snapshot counts from zero") {
    MetricsRegistry r;
    r.setRecording(true);
    const MetricsSnapshot before = r.snapshot(kStart);
    const uint32_t ops = r.registerMetric("ops", MetricKind::Counter, "ops");
    r.record(ops, 9);
    TimeSeries ts(r.list());
    ts.add(before, r.snapshot(kStart + kSecond), kStart);
    CHECK(ts.points().at(0).delta.at(0) == 9);
}

TEST_CASE("summary: counter rates and histogram p99 range") {
    const auto j = makeSeries().summary();
    CHECK(j["points"] == 3);
    CHECK(j["interval_s"].get<double>() == doctest::Approx(1.0));
    const auto &c = j["metrics"]["write.bytes"];
    CHECK(c["min_per_s"].get<double>() == doctest::Approx(1000));
    CHECK(c["mean_per_s"].get<double>() == doctest::Approx(2000));
    CHECK(c["max_per_s"].get<double>() == doctest::Approx(3000));
    CHECK(c["stddev_per_s"].get<double>() == doctest::Approx(816.4966).epsilon(1e-4));
    const auto &h = j["metrics"]["write.latency"];
    CHECK(h["p99_min"].get<double>() == 99.0); // the empty third interval is left out
    CHECK(h["p99_max"].get<double>() == doctest::Approx(9900).epsilon(0.01));

    const auto empty = TimeSeries(makeSeries().metrics()).summary();
    CHECK(empty["points"] == 0);
    CHECK(empty["interval_s"].get<double>() == 0.0);
    CHECK(empty["metrics"]["write.bytes"]["max_per_s"].get<double>() == 0.0);
}

TEST_CASE("gauge: the level at each interval's end, summarised as min/mean/max/last") {
    const TimeSeries ts = makeGaugeSeries();
    REQUIRE(ts.points().size() == 3);
    CHECK(ts.points()[0].delta[0] == 6);
    CHECK(ts.points()[1].delta[0] == 6);
    CHECK(ts.points()[2].delta[0] == 3);
    const auto g = ts.summary()["metrics"]["workload.active_users"];
    CHECK(g["min"] == 3);
    CHECK(g["max"] == 6);
    CHECK(g["last"] == 3);
    CHECK(g["mean"].get<double>() == doctest::Approx(5.0));
}

TEST_CASE("hdf5Available matches the build") {
    CHECK(TimeSeries::hdf5Available() == (MLPS_HAVE_HDF5 != 0));
}

#if MLPS_HAVE_HDF5

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "mlps-ts-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::string readStringAttribute(hid_t loc, const char *name) {
    const hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    REQUIRE(attr >= 0);
    const hid_t type = H5Aget_type(attr);
    std::string value(H5Tget_size(type), '\0');
    REQUIRE(H5Aread(attr, type, value.data()) >= 0);
    H5Tclose(type);
    H5Aclose(attr);
    return value.c_str(); // drop the terminator
}

template <typename T>
std::vector<T> readDataset(hid_t file, const char *path, hid_t memType) {
    const hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    REQUIRE(ds >= 0);
    const hid_t space = H5Dget_space(ds);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, nullptr);
    std::vector<T> out(n);
    if (n > 0) {
        REQUIRE(H5Dread(ds, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
    }
    H5Sclose(space);
    H5Dclose(ds);
    return out;
}

} // namespace

TEST_CASE("HDF5 round trip") {
    TempDir dir;
    const std::string path = (dir.path / "timeseries.h5").string();
    makeSeries().writeHdf5(path);

    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    CHECK(readStringAttribute(file, "schema") == "mlps-timeseries-1");
    const hid_t group = H5Gopen2(file, "/metrics/write.latency", H5P_DEFAULT);
    REQUIRE(group >= 0);
    CHECK(readStringAttribute(group, "kind") == "histogram");
    CHECK(readStringAttribute(group, "unit") == "ns");
    H5Gclose(group);

    CHECK(readDataset<uint64_t>(file, "/metrics/write.bytes/delta", H5T_NATIVE_UINT64) ==
          std::vector<uint64_t>{1000, 3000, 2000});
    CHECK(readDataset<double>(file, "/metrics/write.bytes/start_s", H5T_NATIVE_DOUBLE) ==
          std::vector<double>{0.0, 1.0, 2.0});
    CHECK(readDataset<double>(file, "/metrics/write.latency/max", H5T_NATIVE_DOUBLE) ==
          std::vector<double>{100.0, 10000.0, 0.0});
    CHECK(H5Lexists(file, "/metrics/write.bytes/p99", H5P_DEFAULT) == 0); // counters: none
    H5Fclose(file);

    // Zero points still make a valid file with empty datasets.
    const std::string emptyPath = (dir.path / "empty.h5").string();
    TimeSeries(makeSeries().metrics()).writeHdf5(emptyPath);
    const hid_t emptyFile = H5Fopen(emptyPath.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(emptyFile >= 0);
    CHECK(readDataset<double>(emptyFile, "/metrics/write.latency/p50", H5T_NATIVE_DOUBLE).empty());
    H5Fclose(emptyFile);
}

TEST_CASE("HDF5 metadata attributes and reading a file back") {
    TempDir dir;
    const std::string path = (dir.path / "timeseries.h5").string();
    makeSeries().writeHdf5(path, {{"run_id", "20261130-101010-abcd"}, {"series_ranks", "0"}});

    const auto file = mlps::core::readTimeSeriesHdf5(path);
    CHECK(file.attributes.at("schema") == "mlps-timeseries-1");
    CHECK(file.attributes.at("run_id") == "20261130-101010-abcd");
    CHECK(file.attributes.at("series_ranks") == "0");
    REQUIRE(file.metrics.size() == 2);
    const auto &bytes = file.metrics[0]; // in name order
    CHECK(bytes.name == "write.bytes");
    CHECK(bytes.kind == "counter");
    CHECK(bytes.unit == "bytes");
    CHECK(bytes.delta == std::vector<uint64_t>{1000, 3000, 2000});
    CHECK(bytes.startS == std::vector<double>{0.0, 1.0, 2.0});
    CHECK(bytes.p99.empty());
    const auto &lat = file.metrics[1];
    CHECK(lat.name == "write.latency");
    CHECK(lat.kind == "histogram");
    CHECK(lat.delta == std::vector<uint64_t>{100, 100, 0});
    CHECK(lat.max == std::vector<double>{100.0, 10000.0, 0.0});

    // Not an mlps file: said so, with the file's name.
    const std::string other = (dir.path / "other.h5").string();
    const hid_t f = H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(f >= 0);
    H5Fclose(f);
    CHECK_THROWS_WITH_AS(mlps::core::readTimeSeriesHdf5(other),
                         doctest::Contains("not an mlps time series"),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(mlps::core::readTimeSeriesHdf5((dir.path / "none.h5").string()),
                         doctest::Contains("cannot open"),
                         std::runtime_error);
}

TEST_CASE("HDF5: a gauge is kind 'gauge' with a 'value' dataset and reads back") {
    TempDir dir;
    const std::string path = (dir.path / "timeseries.h5").string();
    makeGaugeSeries().writeHdf5(path);
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t g = H5Gopen2(f, "/metrics/workload.active_users", H5P_DEFAULT);
    REQUIRE(g >= 0);
    CHECK(readStringAttribute(g, "kind") == "gauge");
    CHECK(H5Lexists(g, "delta", H5P_DEFAULT) == 0);
    H5Gclose(g);
    CHECK(readDataset<uint64_t>(f, "/metrics/workload.active_users/value", H5T_NATIVE_UINT64) ==
          std::vector<uint64_t>{6, 6, 3});
    H5Fclose(f);

    const auto file = mlps::core::readTimeSeriesHdf5(path);
    REQUIRE(file.metrics.size() == 1);
    CHECK(file.metrics[0].kind == "gauge");
    CHECK(file.metrics[0].value == std::vector<uint64_t>{6, 6, 3});
    CHECK(file.metrics[0].delta.empty());
}

TEST_CASE("HDF5 failures say what failed") {
    TempDir dir;
    const std::string path = (dir.path / "no-such-dir" / "timeseries.h5").string();
    const std::string expected = "cannot create '" + path + "'";
    CHECK_THROWS_WITH_AS(
        makeSeries().writeHdf5(path), doctest::Contains(expected.c_str()), std::runtime_error);
}

#else

TEST_CASE("without HDF5 writeHdf5 says so") {
    CHECK_THROWS_WITH_AS(
        makeSeries().writeHdf5("/tmp/x.h5"), doctest::Contains("without HDF5"), std::runtime_error);
}

#endif
