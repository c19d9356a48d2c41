// Finding a past run from what a person types: a run id (or its beginning) in the run index,
// a run's results folder, or its summary.json. Used by history, compare and export.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "results/run_index.hpp"

namespace mlps::core {

struct LoadedRun {
    std::string id;          // the run id
    std::string summaryPath; // the summary.json read
    nlohmann::json summary;  // its content
};

// The one index entry whose id starts with `prefix`. Throws ConfigError (exit 2) when none
// does, or when the prefix matches several runs (naming them).
nlohmann::json findRunEntry(const RunIndex &index, const std::string &prefix);

// `run` is a folder holding summary.json, a summary.json file, or a run id (prefix) in the
// index of `resultsDir`. Throws ConfigError when none of these, or the summary is unreadable.
LoadedRun loadRun(const std::string &run, const std::string &resultsDir);

} // namespace mlps::core
