// The end of a run across ranks: the job's timed window, the exact merge of every metric into
// rank 0, and each rank's own figures gathered for the per-rank and per-host breakdown. With
// one rank every step is local and the result is the same shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/metrics_registry.hpp"
#include "runtime/comm.hpp"

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

// Every rank: agrees on the window and checks that every rank registered the same metrics
// (names, kinds, units, order). False when the wait gave up; RunError when layouts differ.
bool agreeWindow(Comm &comm,
                 uint64_t startNs,
                 uint64_t endNs,
                 const std::vector<MetricInfo> &metrics,
                 JobWindow &window);

// Every rank: adds every rank's snapshot into rank 0's (histogram buckets, counts and sums
// added, min of mins, max of maxes): cluster percentiles are exact to the bucket. False when
// the wait gave up.
bool reduceMetrics(Comm &comm, const std::vector<MetricInfo> &metrics, MetricsSnapshot &snapshot);

// Every rank sends `mine` (a JSON object) to rank 0, which gets them by rank; a rank that never
// sent stays null. False when rank 0 gave up waiting (the nulls say who).
bool gatherRankReports(Comm &comm, const nlohmann::json &mine, std::vector<nlohmann::json> &all);

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
