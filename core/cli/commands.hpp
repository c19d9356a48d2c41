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
    std::string specPath;               // empty: the embedded default spec; or a benchmark name
    std::string specText;               // set: use this text (a benchmark's default spec)
    std::string specName;               // the source name of specText in messages
    std::vector<std::string> extraArgs; // --flags after a benchmark's name (run_flags.hpp)
    bool printSpec = false;             // --print-spec
    std::vector<std::string> overrides; // --set
    std::vector<std::string> pluginPaths;
    std::string resultsDir;
    bool dryRun = false;
    bool progress = false;
    bool progressTty = false; // hidden --progress-tty: draw in place although stderr is a pipe
    bool quiet = false;
    bool stonewall = false; // --stonewall (also run.stonewall in the spec)
    bool json = false;      // --json: summary.json (or the repeat record) on stdout
    uint32_t repeat = 0;    // --repeat N; 0 = the spec's run.repeat
    std::string launchedAs; // hidden --launched-as: the user's command, passed on to the ranks
    int verbose = 0;        // -v count, forwarded to the ranks when launching
    std::string runId;      // --run-id (hidden): the launcher names the job's run for its ranks
    LaunchOptions launch;   // --hosts, -n, ... (also the spec's launch section)
};

struct ReportCommandOptions {
    std::vector<std::string> runs; // run ids (or their beginning) or results folders
    std::string output = "report.html";
    std::string resultsDir = "results"; // where run ids are looked up
};

int runCommand(const RunCommandOptions &options);
int validateCommand(const RunCommandOptions &options);
int pluginsListCommand(const std::vector<std::string> &pluginPaths);
int pluginsInspectCommand(const std::string &file);
struct PluginsCheckOptions {
    std::string plugin; // FILE.so or a tier name
    std::vector<std::string> sets;
    std::vector<std::string> only;
    std::vector<std::string> pluginPaths;
    std::string deadline; // a duration; empty: the default
    std::string scratch;
    bool json = false;
    bool list = false;
};
// `mlpsrun plugins check`: 0 when every check passes, 1 when one fails.
int pluginsCheckCommand(const PluginsCheckOptions &options);
int describeCommand(const std::string &name, const std::vector<std::string> &pluginPaths);
// `mlpsrun clean`: removes tier folders of dead runs under each DIR (default: $TMPDIR).
int cleanCommand(const std::vector<std::string> &dirs, bool dryRun);
// `mlpsrun report RUN... -o FILE`: one self-contained HTML page with plots (cmd_report.cpp).
int reportCommand(const ReportCommandOptions &options);
// The embedded default spec, as `mlpsrun run` without a SPEC uses it.
const char *defaultSpecText();

} // namespace mlps::core
