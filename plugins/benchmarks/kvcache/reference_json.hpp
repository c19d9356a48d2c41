// reference.json: a kvcache run in the layout of the reference's results JSON (the MLPerf
// Storage v3 KV-cache benchmark's --output file), so that tooling written for it (its xlsx
// converter, scripts that read `requests_completed` or `summary.cache_stats.*`) reads a kvcache
// run unchanged: the reference's key paths, units and meanings (README, "reference.json").
// kvcache's own report (summary.json's `benchmark`) keeps its schema.
#pragma once

#include <string>
#include <vector>

#include "engine.hpp"

namespace mlps::kvcache {

// The document, built from the run's metrics and kvcache's own report (reportText, as
// buildReport returns it: sections other engineers add there, such as prefix_cache_stats or
// autoscaling_stats, are carried over when they exist).
std::string buildReference(Engine &engine,
                           const std::vector<std::string> &tierPlugins,
                           const std::string &reportText);
// Writes it to <results folder>/reference.json, next to summary.json: rank 0 only, nothing
// without a results folder (--dry-run). A file that cannot be written is a warning: the
// run's own results do not depend on it.
void writeReference(Engine &engine,
                    const std::vector<std::string> &tierPlugins,
                    const std::string &reportText);

} // namespace mlps::kvcache
