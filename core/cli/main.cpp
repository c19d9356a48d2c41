// mlpsrun: the command line. Parsing is CLI11's; every error of the core's hierarchy is caught
// here, once, and turned into one message and a documented exit code (DESIGN.md §6).
#include <CLI/CLI.hpp>
#include <iostream>

#include <mlps/plugin_abi.h>

#include "build_config.hpp"
#include "cli/commands.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"

namespace {

using namespace mlps::core;

constexpr const char *kExitCodes = R"(Exit codes:
  0    ok (criteria not met is still 0: read the summary)
  1    the run failed (I/O errors, a benchmark error); partial results are written and marked
  2    bad spec, option or command line
  3    a plugin could not be found or loaded
  4    system or setup error (a tier could not start, a folder could not be created)
  130  interrupted (Ctrl-C); results so far are written and marked partial
)";

std::string versionText() {
    return std::string("mlpsrun ") + MLPS_VERSION + " (plugin ABI " +
           std::to_string(MLPS_ABI_MAJOR) + "." + std::to_string(MLPS_ABI_MINOR) + ")";
}

void addRunOptions(CLI::App *cmd, RunCommandOptions &options, bool forRun) {
    cmd->add_option("--set",
                    options.overrides,
                    "Override a spec value: key.path=value (repeatable), e.g. run.duration=5s, "
                    "tiers[0].capacity=1GiB, tiers.fast.options.emulate.bandwidth=10GB/s")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
    cmd->add_option(
           "--plugin-path", options.pluginPaths, "Look for plugins in DIR first (repeatable)")
        ->type_name("DIR")
        ->allow_extra_args(false);
    if (forRun) {
        cmd->add_option("--results-dir",
                        options.resultsDir,
                        "Write results under DIR/<benchmark>/<run-id>/ (default: run.results_dir)")
            ->type_name("DIR");
        cmd->add_flag("--dry-run",
                      options.dryRun,
                      "Validate, print the plan (tiers, sizes, paths, duration) and exit; creates "
                      "nothing");
        auto *progress = cmd->add_flag(
            "--progress", options.progress, "Show the live progress line even when not on a TTY");
        auto *quiet =
            cmd->add_flag("-q,--quiet",
                          options.quiet,
                          "No progress line and no summary; print the path of summary.json");
        progress->excludes(quiet);
        cmd->add_flag("--stonewall",
                      options.stonewall,
                      "With several ranks: stop every rank when the first one finishes (also "
                      "run.stonewall in the spec)");
        auto &launch = options.launch;
        const char *group = "Launching on many ranks (runs mpiexec; see `Running on many hosts`)";
        cmd->add_option("--hosts",
                        launch.hosts,
                        "Run on these hosts through mpiexec: h1,h2:4 (4 = slots on h2)")
            ->delimiter(',')
            ->type_name("HOST[:SLOTS],...")
            ->allow_extra_args(false)
            ->group(group);
        cmd->add_option("-n,--np", launch.ranks, "Number of ranks (launches mpiexec -n N)")
            ->check(CLI::PositiveNumber)
            ->group(group);
        cmd->add_option("--hostfile", launch.hostfile, "mpiexec's hostfile")
            ->check(CLI::ExistingFile)
            ->group(group);
        cmd->add_option("--mpi-bin", launch.mpiBin, "The launcher to run (default: mpiexec)")
            ->type_name("PATH")
            ->group(group);
        cmd->add_flag(
               "--oversubscribe", launch.oversubscribe, "Allow more ranks than cores (Open MPI)")
            ->group(group);
        cmd->add_flag("--allow-run-as-root",
                      launch.allowRunAsRoot,
                      "Let Open MPI run as root (containers)")
            ->group(group);
        cmd->add_option("--mpi-param",
                        launch.mpiParams,
                        "key=value: an Open MPI MCA parameter (--mca key value); or an mpiexec "
                        "option, e.g. '--bind-to core' (repeatable)")
            ->type_name("KEY=VALUE")
            ->allow_extra_args(false)
            ->group(group);
        cmd->add_flag_callback(
               "--no-preflight",
               [&launch] { launch.preflight = false; },
               "Do not check that remote hosts are reachable and have mlpsrun and the plugins")
            ->group(group);
    }
}

} // namespace

static int runMlpsrun(int argc, char **argv) {
    CLI::App app{"mlpsrun: storage benchmarks for AI workloads (KV-cache offload, training, "
                 "checkpoints, tier micro-benchmarks), driven by a YAML run spec and plugins.",
                 "mlpsrun"};
    app.footer(kExitCodes);
    app.set_version_flag("-V,--version", versionText());
    app.require_subcommand(1);
    int verbose = 0;
    app.add_flag("-v,--verbose", verbose, "More log output on stderr (repeat for debug)");

    RunCommandOptions runOptions;
    auto *run = app.add_subcommand("run", "Run a spec (without SPEC: the built-in default spec)");
    run->add_option("SPEC", runOptions.specPath, "The run spec (YAML)")->type_name("SPEC");
    addRunOptions(run, runOptions, true);
    run->footer(kExitCodes);

    RunCommandOptions validateOptions;
    auto *validate =
        app.add_subcommand("validate", "Check a spec and its plugins' options; run nothing");
    validate->add_option("SPEC", validateOptions.specPath, "The run spec (YAML)")->required();
    addRunOptions(validate, validateOptions, false);

    auto *plugins = app.add_subcommand("plugins", "List or inspect plugins");
    plugins->require_subcommand(1);
    std::vector<std::string> listPaths;
    auto *list = plugins->add_subcommand(
        "list", "Every plugin found: name, kind, version, ABI, capabilities, path");
    list->add_option("--plugin-path", listPaths, "Look in DIR first (repeatable)")
        ->type_name("DIR");
    std::string inspectFile;
    auto *inspect = plugins->add_subcommand("inspect", "Load one .so and show what it declares");
    inspect->add_option("FILE", inspectFile, "A plugin file (.so)")->required();

    std::string describeName;
    std::vector<std::string> describePaths;
    auto *describe = app.add_subcommand(
        "describe", "A plugin's options: name, type, default, range or choices, help");
    describe->add_option("NAME", describeName, "A plugin name (see `mlpsrun plugins list`)")
        ->required();
    describe->add_option("--plugin-path", describePaths, "Look in DIR first (repeatable)")
        ->type_name("DIR");

    std::string historyDir = "results";
    auto *history = app.add_subcommand("history", "The runs recorded in a results folder");
    history->require_subcommand(1);
    size_t historyLimit = 0;
    auto *historyList = history->add_subcommand(
        "list", "Every run: id, start, benchmark, ranks, hosts, status, summary path");
    historyList->add_option("--results-dir", historyDir, "The results folder (default: results)")
        ->type_name("DIR");
    historyList->add_option("--last", historyLimit, "Only the last N runs")->type_name("N");
    std::string historyId;
    auto *historyShow =
        history->add_subcommand("show", "One run's record and summary (an id prefix will do)");
    historyShow->add_option("ID", historyId, "A run id, or its beginning")->required();
    historyShow->add_option("--results-dir", historyDir, "The results folder (default: results)")
        ->type_name("DIR");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        app.exit(e);
        return kExitUsage;
    }
    Logger::instance().setLevel(verbose >= 2   ? LogLevel::Debug
                                : verbose == 1 ? LogLevel::Info
                                               : LogLevel::Warn);
    try {
        if (*run) {
            runOptions.verbose = verbose;
            if (runOptions.quiet) {
                Logger::instance().setLevel(LogLevel::Warn);
            } else if (verbose == 0) {
                Logger::instance().setLevel(LogLevel::Info);
            }
            return runCommand(runOptions);
        }
        if (*validate) {
            return validateCommand(validateOptions);
        }
        if (*list) {
            return pluginsListCommand(listPaths);
        }
        if (*inspect) {
            return pluginsInspectCommand(inspectFile);
        }
        if (*describe) {
            return describeCommand(describeName, describePaths);
        }
        if (*historyList) {
            return historyListCommand(historyDir, historyLimit);
        }
        if (*historyShow) {
            return historyShowCommand(historyDir, historyId);
        }
    } catch (const Error &e) {
        // An empty message: another rank of the job has said it already.
        if (e.what()[0] != '\0') {
            std::cerr << "mlpsrun: error: " << e.what() << '\n';
        }
        return e.exitCode();
    } catch (const std::exception &e) {
        std::cerr << "mlpsrun: error: " << e.what() << '\n';
        return kExitSystem;
    }
    return kExitUsage;
}

// Nothing escapes main: an exception from building the command line (CLI11 throws on a
// construction mistake) or from a handler above still ends in a message and an exit code.
int main(int argc, char **argv) {
    try {
        return runMlpsrun(argc, argv);
    } catch (const std::exception &e) {
        std::cerr << "mlpsrun: error: " << e.what() << '\n';
    } catch (...) {
        std::cerr << "mlpsrun: error: an unknown exception\n";
    }
    return kExitSystem;
}
