// summary.json (schema "mlps-summary-1", share/doc/results.md) built from what a run gathered:
// the runner collects the facts (RunFacts), these functions only shape them, one per section.
// Nothing here talks to other ranks or to plugins.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/job_figures.hpp"
#include "results/metrics_registry.hpp"
#include "results/time_series.hpp"

namespace mlps::core {

struct RunFacts {
    // What ran.
    std::string runId;
    std::string benchmarkName;
    nlohmann::json benchmarkPlugin;     // {name, version, path, abi, options}
    nlohmann::json spec;                // {source, hash_fnv1a64, seed}
    std::vector<std::string> overrides; // --set values as given
    std::string startedAt, endedAt, resultsDir;
    double warmupS = 0, durationRequestedS = 0, timedS = 0;

    // How it went.
    std::string status = "ok";
    bool partial = false;
    int exitCode = 0;
    std::vector<std::string> errors;

    // The job across ranks.
    uint32_t ranks = 1;
    std::string mpi;     // the MPI library, "" without
    bool merged = false; // rank 0 holds every rank's metrics
    bool clusterBroken = false;
    std::vector<nlohmann::json> perRank; // by rank; null: that rank never reported
    // Each rank's last progress (counter totals by metric id), when nothing could be gathered.
    std::vector<std::vector<uint64_t>> lastTotals;
    std::vector<uint32_t> missingRanks;
    std::optional<JobWindow> window;
    std::vector<uint64_t> firstDoneTotals; // counter totals (by metric id) at the first rank's end
    double mergeS = 0, gatherS = 0;

    // The figures.
    std::vector<MetricInfo> metrics;
    MetricsSnapshot final; // merged over ranks where `merged`
    nlohmann::json tiers = nlohmann::json::array();
    nlohmann::json benchmarkReport = nlohmann::json::object();
    const TimeSeries *series = nullptr; // rank 0's, when sampled
};

nlohmann::json buildSummary(const RunFacts &facts);

// Writes `series` to <folder>/<name> (HDF5, run metadata as root attributes) when this build has
// HDF5 and the series has points; false when it did not. A failure costs the file only (a
// warning in run.log), never the summary.
bool writeTimeSeriesFile(const TimeSeries &series,
                         const std::string &folder,
                         const std::string &name,
                         const std::map<std::string, std::string> &attributes);

} // namespace mlps::core
