// The job-level figures of summary.json, built from data the runner has gathered (no MPI in
// here): the timed window every rank agreed on, each rank's own figures, the per-class
// bandwidth over that window, and the per-host grouping.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/metrics_registry.hpp"

namespace mlps::core {

// Times relative to the barrier the timed phase starts on (the same instant on every rank, to
// the barrier's skew): monotonic clocks of different hosts are not comparable, offsets from a
// common barrier are (IOR does the same).
struct JobWindow {
    uint64_t earliestStartNs = 0;
    uint64_t firstEndNs = 0; // the first rank done
    uint64_t latestEndNs = 0;
    double aggregateSeconds() const { return double(latestEndNs - earliestStartNs) / 1e9; }
    double firstDoneSeconds() const { return double(firstEndNs - earliestStartNs) / 1e9; }
};

// A rank's own figures for the breakdown: counters' totals, histograms' count/mean/p50/p99/max.
nlohmann::json rankMetricsJson(const std::vector<MetricInfo> &metrics,
                               const MetricsSnapshot &snapshot,
                               double timedSeconds);

// Per traffic class ("<class>.bytes" counters): total bytes, aggregate (= last-done) and
// first-done bandwidth. `firstDoneBytes` are the ranks' bytes at the first rank's end, summed.
nlohmann::json bandwidthJson(const std::vector<MetricInfo> &metrics,
                             const MetricsSnapshot &merged,
                             const std::vector<uint64_t> &firstDoneTotals,
                             const JobWindow &window);

// Groups the per-rank reports by hostname: inventory once, ranks, tier locations and file
// systems, summed bytes per class.
nlohmann::json perHostJson(const std::vector<nlohmann::json> &perRank);

} // namespace mlps::core
