// The subcommands of mlpsrun. Each returns the process exit code; errors of the core's
// hierarchy (util/errors.hpp) propagate to main(), which prints them once.
#pragma once

#include <string>
#include <vector>

namespace mlps::core {

struct RunCommandOptions {
    std::string specPath;               // empty: the embedded default spec
    std::vector<std::string> overrides; // --set
    std::vector<std::string> pluginPaths;
    std::string resultsDir;
    bool dryRun = false;
    bool progress = false;
    bool quiet = false;
};

int runCommand(const RunCommandOptions &options);
int validateCommand(const RunCommandOptions &options);
int pluginsListCommand(const std::vector<std::string> &pluginPaths);
int pluginsInspectCommand(const std::string &file);
int describeCommand(const std::string &name, const std::vector<std::string> &pluginPaths);
// The embedded default spec, as `mlpsrun run` without a SPEC uses it.
const char *defaultSpecText();

} // namespace mlps::core
