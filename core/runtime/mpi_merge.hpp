// The end of a run across ranks: the job's timed window, the exact merge of every metric into
// rank 0, and each rank's own figures gathered for the per-rank and per-host breakdown. With
// one rank every step is local and the result is the same shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/job_figures.hpp"
#include "results/metrics_registry.hpp"
#include "runtime/comm.hpp"

namespace mlps::core {

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

} // namespace mlps::core
