// What a run was, recorded with it so that any two results can be told apart later: the
// command line that started it, every --set, the spec's hash, the mlps build (version and git
// commit when built from a checkout) and plugin versions, and which ranks ran on which host.
// It goes into summary.json ("identity") and into the run index entry.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlps::core {

// main() records the command line once; runs read it back. Under mpiexec this is the rank's
// own command line (the spec path made absolute), which reruns the same run.
void recordCommandLine(int argc, const char *const *argv);
const std::vector<std::string> &recordedCommandLine();
// A rank started by `mlpsrun run -n N ...` also records the command the user typed (passed on
// by the launching mlpsrun), as identity.launched_as.
void recordLaunchCommand(const std::string &command);

// {"version", "git", "abi"}: git is `git describe --always --dirty` of the source tree at
// build time, "" when mlps was not built from a git checkout.
nlohmann::json buildIdentity();

// The identity of the run that `summary` describes (its spec, plugins, tiers and hosts already
// filled in), with the --set values it was given.
nlohmann::json runIdentity(const nlohmann::json &summary, const std::vector<std::string> &sets);

// What the run index entry carries beside its basic fields: {"identity", "headline"} (the
// headline figures, so that `history list` needs no summary.json).
nlohmann::json indexExtras(const nlohmann::json &summary);

} // namespace mlps::core
