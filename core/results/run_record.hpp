// The record of a run that could not finish writing its own: `.run-state.json` in the results
// folder says what a run is (id, benchmark, spec, where its index and tier folders are) from
// the moment the folder exists; when the run crashes, is killed or hangs, the supervisor turns
// it into summary.json (status `crashed`, `killed` or `hung`, partial), a run.log line and a
// history entry, and removes the run's tier folders by their owner records.
#pragma once

#include <string>
#include <sys/types.h>

#include <nlohmann/json.hpp>

namespace mlps::core {

constexpr const char *kRunStateFile = ".run-state.json";

// Writes <resultsDir>/.run-state.json atomically. Throws SystemError.
void writeRunState(const std::string &resultsDir, const nlohmann::json &state);

// Writes what is missing of the record of the run in `resultsDir` whose process `deadPid` has
// ended: summary.json (unless `resultsWritten`), the history entry, the run.log line; removes
// the tier folders the state names that `deadPid` owned. Returns one line for the user.
std::string recordAbandonedRun(const std::string &resultsDir,
                               pid_t deadPid,
                               const std::string &status,
                               const std::string &message,
                               int exitCode,
                               bool resultsWritten);

} // namespace mlps::core
