// The subcommands of mlpsrun. Each returns the process exit code; errors of the core's
// hierarchy (util/errors.hpp) propagate to main(), which prints them once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/launcher.hpp"

namespace CLI {
class App;
}

namespace mlps::core {

// A subcommand that declares its own options (one file each): main() adds it, then calls
// run() when the command line chose it.
struct Subcommand {
    CLI::App *app = nullptr;
    std::function<int()> run;
};
// `history list|show`, `compare RUN RUN...`, `export RUN... --csv|--xlsx FILE`.
Subcommand addHistoryCommand(CLI::App &app);
Subcommand addCompareCommand(CLI::App &app);
Subcommand addExportCommand(CLI::App &app);

struct RunCommandOptions {
    std::string specPath;               // empty: the embedded default spec
    std::vector<std::string> overrides; // --set
    std::vector<std::string> pluginPaths;
    std::string resultsDir;
    bool dryRun = false;
    bool progress = false;
    bool quiet = false;
    bool stonewall = false; // --stonewall (also run.stonewall in the spec)
    bool json = false;      // --json: summary.json (or the repeat record) on stdout
    uint32_t repeat = 0;    // --repeat N; 0 = the spec's run.repeat
    std::string launchedAs; // hidden --launched-as: the user's command, passed on to the ranks
    int verbose = 0;        // -v count, forwarded to the ranks when launching
    LaunchOptions launch;   // --hosts, -n, ... (also the spec's launch section)
};

int runCommand(const RunCommandOptions &options);
int validateCommand(const RunCommandOptions &options);
int pluginsListCommand(const std::vector<std::string> &pluginPaths);
int pluginsInspectCommand(const std::string &file);
int describeCommand(const std::string &name, const std::vector<std::string> &pluginPaths);
// The embedded default spec, as `mlpsrun run` without a SPEC uses it.
const char *defaultSpecText();

} // namespace mlps::core
