// Headline, per-class and reference-column figures drawn from summaries, the repeat statistics
// and the CSV writer, on hand-made summaries (the e2e tests cover real runs).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "results/repeat_stats.hpp"
#include "results/result_export.hpp"
#include "results/run_figures.hpp"

using namespace mlps::core;
using json = nlohmann::json;

namespace {

json kvcacheSummary(double requestsPerS, double hitRate) {
    return {
        {"run_id", "k1"},
        {"benchmark_name", "kvcache"},
        {"status", "ok"},
        {"started_at", "2026-11-30T10:00:00.000Z"},
        {"timing", {{"duration_requested_s", 30.0}}},
        {"benchmark",
         {{"model", {{"key", "llama3.1-8b"}, {"tensor_parallel", 1}}},
          {"workload", {{"users", 40}, {"seed", 42}, {"performance_profile", "latency"}}},
          {"summary",
           {{"requests_per_second", requestsPerS},
            {"total_requests", 120},
            {"end_to_end_latency_ms", {{"mean", 5.0}, {"p95", 9.0}, {"p9999", 12.0}}},
            {"generation_latency_ms", {{"p999", 3.0}}},
            {"cache_stats",
             {{"cache_hit_rate", hitRate},
              {"storage_read_p95_ms", 1.5},
              {"tier_storage_read_bandwidth_gbps", 2.5},
              {"storage_entries", 17},
              {"storage_health", {{"overall_status", "PASS"}}}}},
            {"qos_metrics",
             {{"interactive", {{"total_requests", 3}, {"latency_ms", {{"p95", 4.0}}}}},
              {"batch", {{"no_data", true}}}}}}},
          {"tiers",
           json::array(
               {{{"name", "nvme"},
                 {"classes",
                  {{"read",
                    {{"ops", 10}, {"bandwidth_gib_per_s", 2.5}, {"latency_ms", {{"p99", 7.0}}}}},
                   {"write", {{"ops", 0}}}}}}})}}}};
}

json tierbenchSummary(double readGiBps) {
    return {{"run_id", "t1"},
            {"benchmark_name", "tierbench"},
            {"status", "ok"},
            {"benchmark",
             {{"mode", "read"},
              {"read",
               {{"bandwidth_gib_per_s", readGiBps},
                {"ops", 100},
                {"iops", 1000.0},
                {"latency_ns", {{"p50", 1000.0}, {"p99", 9000.0}}}}},
              {"write", {{"bandwidth_gib_per_s", 0.0}, {"ops", 0}}}}}};
}

const Figure *find(const std::vector<Figure> &figures, const std::string &key) {
    for (const auto &f : figures) {
        if (f.key == key) {
            return &f;
        }
    }
    return nullptr;
}

} // namespace

TEST_CASE("kvcache headline: model, users, requests/s, hit rate, storage health") {
    const auto h = headlineFigures(kvcacheSummary(1.5, 0.25));
    REQUIRE(h.size() == 5);
    CHECK(h[0].key == "model");
    CHECK(h[0].value == "llama3.1-8b");
    CHECK(h[1].value == 40);
    CHECK(h[2].value == 1.5);
    CHECK(h[3].value == 0.25);
    CHECK(h[4].value == "PASS");
    CHECK(headlineText(h) == "llama3.1-8b, 40 users, 1.5 req/s, hit rate 25.0%, storage PASS");
    // From the index the figures come back sorted by key: the text keeps its order.
    std::vector<Figure> sorted = h;
    std::sort(sorted.begin(), sorted.end(), [](const Figure &a, const Figure &b) {
        return a.key < b.key;
    });
    CHECK(headlineText(sorted) == headlineText(h));
}

TEST_CASE("tierbench headline: total GiB/s and each class that ran") {
    const auto h = headlineFigures(tierbenchSummary(2.0));
    REQUIRE(h.size() == 2);
    CHECK(h[0].key == "gib_per_s");
    CHECK(h[0].value == 2.0);
    CHECK(h[1].key == "read_gib_per_s"); // write had no ops: not a headline
    CHECK(headlineText(h) == "2 GiB/s (read 2)");
}

TEST_CASE("another benchmark's headline comes from the job's bandwidth") {
    const json s = {{"benchmark_name", "training"},
                    {"job",
                     {{"bandwidth",
                       {{"read", {{"bytes", 10}, {"aggregate_gib_per_s", 1.25}}},
                        {"write", {{"bytes", 0}, {"aggregate_gib_per_s", 0.0}}}}}}}};
    const auto h = headlineFigures(s);
    REQUIRE(h.size() == 2);
    CHECK(h[0].value == 1.25);
    CHECK(h[1].key == "read_gib_per_s");
}

TEST_CASE("per-class figures") {
    const auto t = classFigures(tierbenchSummary(2.0));
    REQUIRE(find(t, "read.bandwidth_gib_per_s") != nullptr);
    CHECK(find(t, "read.latency_p99_ns")->value == 9000.0);
    CHECK(find(t, "write.bandwidth_gib_per_s") == nullptr);
    const auto k = classFigures(kvcacheSummary(1, 0));
    CHECK(find(k, "nvme.read.p99_ms")->value == 7.0);
    CHECK(find(k, "nvme.write.ops_per_s") == nullptr);
    CHECK(find(k, "qos.interactive.p95_ms")->value == 4.0);
    CHECK(find(k, "qos.batch.requests") == nullptr);
}

TEST_CASE("kvcache: the reference's spreadsheet column names") {
    const auto c = referenceColumns(kvcacheSummary(1.5, 0.25));
    CHECK(find(c, "Model")->value == "llama3.1-8b");
    CHECK(find(c, "Num Users")->value == 40);
    CHECK(find(c, "Duration (s)")->value == 30.0);
    CHECK(find(c, "Requests/sec")->value == 1.5);
    CHECK(find(c, "Total Requests")->value == 120);
    CHECK(find(c, "E2E Latency Mean (ms)")->value == 5.0);
    CHECK(find(c, "E2E Latency P99.99 (ms)")->value == 12.0);
    CHECK(find(c, "Gen Latency P99.9 (ms)") == nullptr); // the reference stops at P99
    CHECK(find(c, "Storage Tier Read Total P95 (ms)")->value == 1.5);
    CHECK(find(c, "Tier Storage Read Bandwidth (GiB/s)")->value == 2.5);
    CHECK(find(c, "Storage Entries")->value == 17);
    CHECK(find(c, "Cache Hit Rate")->value == 0.25);
    CHECK(referenceColumns(tierbenchSummary(1)).empty());
}

TEST_CASE("repeat statistics: median, min, max, CV") {
    const json d = describeValues({3.0, 1.0, 2.0});
    CHECK(d["n"] == 3);
    CHECK(d["median"] == 2.0);
    CHECK(d["min"] == 1.0);
    CHECK(d["max"] == 3.0);
    CHECK(d["stddev"].get<double>() == doctest::Approx(1.0));
    CHECK(d["cv"].get<double>() == doctest::Approx(0.5));
    CHECK(describeValues({1.0, 3.0})["median"] == 2.0);
    CHECK(describeValues({4.0})["stddev"] == 0.0);
    CHECK(describeValues({0.0, 0.0})["cv"].is_null());

    json failed = tierbenchSummary(100.0);
    failed["status"] = "failed";
    const json record = repeatRecord(
        "repeat-x", {tierbenchSummary(1.0), tierbenchSummary(3.0), failed}, {"a", "b", "c"});
    CHECK(record["repeat"] == 3);
    CHECK(record["counted"] == 2);
    CHECK(record["runs"][2]["counted"] == false);
    CHECK(record["figures"]["gib_per_s"]["median"] == 2.0); // the failed run is left out
    std::ostringstream printed;
    printRepeat(record, printed);
    CHECK(printed.str().find("CV 70.71%") != std::string::npos);
}

TEST_CASE("export table and CSV: union of columns, quoting") {
    json odd = tierbenchSummary(1.0);
    odd["spec"] = {{"source", "my, \"odd\" spec.yaml"}};
    const ResultTable table = resultTable({kvcacheSummary(1, 0.5), odd});
    REQUIRE(table.rows.size() == 2);
    for (const auto &row : table.rows) {
        CHECK(row.size() == table.columns.size());
    }
    const auto path = std::filesystem::temp_directory_path() / "mlps-test-export.csv";
    writeCsv(table, path.string());
    std::ifstream in(path);
    std::string header;
    std::getline(in, header);
    CHECK(header.rfind("run_id,benchmark,started_at,status", 0) == 0);
    const std::string rest((std::istreambuf_iterator<char>(in)), {});
    CHECK(rest.find("\"my, \"\"odd\"\" spec.yaml\"") != std::string::npos);
    std::filesystem::remove(path);
}
