// The figures of a run, drawn from its summary.json, in the shapes that history, compare,
// repeat and export need: the headline (what a person looks at first), per-class figures (one
// spreadsheet row), every number (compare), and the settings that make two runs comparable.
// Everything here reads the summary only, so runs written by older versions still work: a
// figure a summary lacks is simply absent.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlps::core {

// One named figure: a number, or a word (a model name, "PASS").
struct Figure {
    std::string key;      // snake_case, units in the name: "requests_per_s", "read_gib_per_s"
    nlohmann::json value; // a number or a string
    std::string unit;     // for people: "GiB/s", "%", "" (the value of a fraction stays 0..1)
};

// kvcache: model, users, requests_per_s, cache_hit_rate, storage_health; tierbench: gib_per_s
// and per op class <class>_gib_per_s; any other benchmark: the job's bandwidth per class.
std::vector<Figure> headlineFigures(const nlohmann::json &summary);
// "llama3.1-8b, 10 users, 1.38 req/s, hit rate 57.1%, storage FAIL" / "2.06 GiB/s (read 2.06)"
std::string headlineText(const std::vector<Figure> &headline);
// {key: value}, in order: the form the run index and --json outputs carry.
nlohmann::json figuresObject(const std::vector<Figure> &figures);

// Per op class (and per tier for kvcache): bandwidth, IOPS and latency percentiles, keyed
// "<class>.<figure>" ("read.bandwidth_gib_per_s", "nvme.read.p99_ms").
std::vector<Figure> classFigures(const nlohmann::json &summary);

// kvcache only: the columns of the reference's spreadsheet export ("Model", "Num Users",
// "Requests/sec", "Storage Tier Read Total P95 (ms)", ...), where mlps has the figure. Empty
// for other benchmarks.
std::vector<Figure> referenceColumns(const nlohmann::json &summary);

// Every number of the run under a flat dotted name: timing, the job's bandwidth, every metric
// and every number of the benchmark's report. What `compare` puts side by side.
std::vector<std::pair<std::string, double>> allFigures(const nlohmann::json &summary);

// What the run was asked to do, flat: spec source and hash, --set values, benchmark and tier
// options, duration, ranks and hosts, versions. Two runs differ in what these differ in.
std::vector<std::pair<std::string, std::string>> runSettings(const nlohmann::json &summary);

} // namespace mlps::core
