// mlpsrun: the command line. Parsing is CLI11's; every error of the core's hierarchy is caught
// here, once, and turned into one message and a documented exit code (DESIGN.md §6).
#include <CLI/CLI.hpp>
#include <iostream>

#include <mlps/plugin_abi.h>

#include "build_config.hpp"
#include "cli/commands.hpp"
#include "results/run_identity.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"

namespace {

using namespace mlps::core;

constexpr const char *kExitCodes = R"(Exit codes:
  0    ok (criteria not met is still 0: read the summary)
  1    the run failed (I/O errors, wrong data read back, an op past run.op_timeout, a crash,
       a kill or a hang); partial results are written and marked
  2    bad spec, option or command line (a plugin name no plugin has, options a plugin refuses)
  3    a plugin file could not be loaded
  4    system or setup error (a tier could not start, results could not be written)
  130  interrupted (Ctrl-C); results so far are written and marked partial
)";

std::string versionText() {
    const std::string git = buildIdentity().value("git", "");
    return std::string("mlpsrun ") + MLPS_VERSION + " (plugin ABI " +
           std::to_string(MLPS_ABI_MAJOR) + "." + std::to_string(MLPS_ABI_MINOR) +
           (git.empty() ? "" : ", git " + git) + ")";
}

// -n 0 would otherwise be refused with CLI::PositiveNumber's range, a 300-digit number.
CLI::Validator atLeastOneRank() {
    return CLI::Validator(
        [](std::string &value) -> std::string {
            size_t used = 0;
            long long n = 0;
            try {
                n = std::stoll(value, &used);
            } catch (const std::exception &) {
                used = 0;
            }
            if (used != value.size() || used == 0) {
                return "the number of ranks must be a whole number, not '" + value + "'";
            }
            if (n < 1) {
                return "the number of ranks must be at least 1, not " + value;
            }
            return {};
        },
        "",
        "at least 1");
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
        cmd->add_option("--run-id", options.runId, "The run id (set by the launcher for its ranks)")
            ->group("");
        // Hidden: set by `mlpsrun run -n N` on a terminal for its ranks (stderr is mpiexec's
        // pipe there), so that rank 0 draws its line in place.
        cmd->add_flag("--progress-tty", options.progressTty, "")->group("");
        auto *json = cmd->add_flag("--json",
                                   options.json,
                                   "Print summary.json (with --repeat: the repeat record) on "
                                   "stdout instead of the human summary; logs stay on stderr");
        json->excludes(quiet);
        cmd->add_option_function<std::string>(
               "--output-format",
               [&options](const std::string &format) { options.json = format == "json"; },
               "human (default) or json (the same as --json)")
            ->check(CLI::IsMember({"human", "json"}))
            ->type_name("FORMAT")
            ->excludes(quiet);
        cmd->add_option("--launched-as", options.launchedAs, "")->group(""); // for the ranks
        cmd->add_option("--repeat",
                        options.repeat,
                        "Run the spec N times, each its own result, then print and write a "
                        "repeat record: median, min, max and CV of the headline figures (also "
                        "run.repeat in the spec)")
            ->check(CLI::Range(1, 1000))
            ->type_name("N");
        cmd->add_flag("--stonewall",
                      options.stonewall,
                      "With several ranks: stop every rank when the first one finishes (also "
                      "run.stonewall in the spec)");
        auto &launch = options.launch;
        const char *group = "Launching on many ranks (runs mpiexec; see `Running on many hosts`)";
        // "h1,h2:4" or, as mlpstorage users type it, "h1 h2" (then SPEC goes before --hosts).
        cmd->add_option("--hosts",
                        launch.hosts,
                        "Run on these hosts through mpiexec: h1,h2:4 or h1 h2 (4 = slots on h2)")
            ->delimiter(',')
            ->type_name("HOST[:SLOTS]")
            ->allow_extra_args(true)
            ->group(group);
        cmd->add_option("-n,--np", launch.ranks, "Number of ranks (launches mpiexec -n N)")
            ->type_name("N")
            ->check(atLeastOneRank())
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
    recordCommandLine(argc, argv); // every run records what started it
    CLI::App app{"mlpsrun: storage benchmarks for AI workloads (KV-cache offload, training, "
                 "checkpoints, tier micro-benchmarks), driven by a YAML run spec and plugins.",
                 "mlpsrun"};
    app.set_version_flag("-V,--version", versionText());
    app.require_subcommand(1);
    int verbose = 0;
    app.add_flag("-v,--verbose", verbose, "More log output on stderr (repeat for debug)");
    // -v also after the subcommand (`mlpsrun run -v`): each subcommand has its own flag.
    int verboseAfter = 0;
    auto addVerbose = [&verboseAfter](CLI::App *cmd) {
        cmd->add_flag("-v,--verbose", verboseAfter, "More log output on stderr (repeat for debug)");
    };

    RunCommandOptions runOptions;
    auto *run = app.add_subcommand("run", "Run a spec (without SPEC: the built-in default spec)");
    run->add_option("SPEC",
                    runOptions.specPath,
                    "The run spec (YAML), or a benchmark's name (e.g. kvcache): its default spec, "
                    "with that benchmark's options as --flags (see --print-spec)")
        ->type_name("");
    addRunOptions(run, runOptions, true);
    run->add_flag("--print-spec",
                  runOptions.printSpec,
                  "Print the spec this run would use (YAML, after flags and --set) and exit");
    // Unknown --flags are a benchmark's options when SPEC names a benchmark (run_flags.cpp).
    run->allow_extras();
    run->footer(kExitCodes);

    RunCommandOptions validateOptions;
    auto *validate =
        app.add_subcommand("validate", "Check a spec and its plugins' options; run nothing");
    validate->add_option("SPEC", validateOptions.specPath, "The run spec (YAML)")
        ->type_name("")
        ->required();
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

    PluginsCheckOptions checkOptions;
    auto *check = plugins->add_subcommand(
        "check",
        "Certify a tier plugin: run the tier conformance suite against it in a scratch folder "
        "and print one line per check and a verdict (exit 0 only when every check passes, 1 "
        "when one fails)");
    check->add_option("PLUGIN", checkOptions.plugin, "A plugin file (FILE.so) or a tier name");
    check
        ->add_option("--set",
                     checkOptions.sets,
                     "A tier option for every instance the checks create: option=value "
                     "(repeatable), e.g. direct=false; capacity=SIZE sets the capacity of "
                     "checks that need none in particular (default 256MiB)")
        ->type_name("OPTION=VALUE")
        ->allow_extra_args(false);
    check->add_option("--check", checkOptions.only, "Run only this check (repeatable)")
        ->type_name("NAME")
        ->allow_extra_args(false);
    check
        ->add_option("--deadline",
                     checkOptions.deadline,
                     "Longest one check may take before it is killed and failed (default 60s); "
                     "a call that must return at once gets min(5s, this)")
        ->type_name("DURATION");
    check
        ->add_option("--scratch",
                     checkOptions.scratch,
                     "Make the scratch folder under DIR (default $TMPDIR or /tmp); PATH "
                     "options not given with --set point into it")
        ->type_name("DIR");
    check->add_flag("--json", checkOptions.json, "Print the report as JSON (for CI)");
    check->add_flag("--list", checkOptions.list, "List the checks and exit");
    check->add_option("--plugin-path", checkOptions.pluginPaths, "Look in DIR first (repeatable)")
        ->type_name("DIR");

    std::string describeName;
    std::vector<std::string> describePaths;
    auto *describe = app.add_subcommand(
        "describe", "A plugin's options: name, type, default, range or choices, help");
    describe->add_option("NAME", describeName, "A plugin name (see `mlpsrun plugins list`)")
        ->required();
    describe->add_option("--plugin-path", describePaths, "Look in DIR first (repeatable)")
        ->type_name("DIR");

    // Subcommands that declare their own options, one file each.
    const std::vector<Subcommand> subcommands = {
        addHistoryCommand(app), addCompareCommand(app), addExportCommand(app)};

    std::vector<std::string> cleanDirs;
    bool cleanDryRun = false;
    auto *clean = app.add_subcommand(
        "clean", "Remove tier folders that runs which died left behind (found by owner records)");
    clean->add_option("DIR", cleanDirs, "Where tier folders are (default: $TMPDIR or /tmp)")
        ->type_name("DIR");
    clean->add_flag("--dry-run", cleanDryRun, "Only say what would be removed");

    ReportCommandOptions reportOptions;
    auto *report = app.add_subcommand(
        "report", "One self-contained HTML page with plots of one or more runs (offline)");
    report
        ->add_option("RUN",
                     reportOptions.runs,
                     "A run id (or its beginning) or a results folder; several: one overlay too")
        ->type_name("")
        ->required();
    report
        ->add_option(
            "-o,--output", reportOptions.output, "The page to write (default: report.html)")
        ->type_name("FILE");
    report
        ->add_option("--results-dir",
                     reportOptions.resultsDir,
                     "Where run ids are looked up (default: results)")
        ->type_name("DIR");

    std::vector<CLI::App *> withVerbose = {
        run, validate, list, inspect, check, describe, report, clean};
    for (const Subcommand &sub : subcommands) {
        withVerbose.push_back(sub.app);
        for (CLI::App *child : sub.app->get_subcommands({})) {
            withVerbose.push_back(child);
        }
    }
    for (CLI::App *cmd : withVerbose) {
        addVerbose(cmd);
    }
    // Set last: subcommands copy their parent's footer when they are made, and the exit codes
    // belong under `mlpsrun --help` and `mlpsrun run --help`, not under every subcommand.
    app.footer(kExitCodes);

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
    verbose += verboseAfter;
    Logger::instance().setLevel(verbose >= 2   ? LogLevel::Debug
                                : verbose == 1 ? LogLevel::Info
                                               : LogLevel::Warn);
    try {
        if (*run) {
            runOptions.verbose = verbose;
            runOptions.extraArgs = run->remaining();
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
        if (*check) {
            return pluginsCheckCommand(checkOptions);
        }
        if (*describe) {
            return describeCommand(describeName, describePaths);
        }
        for (const auto &command : subcommands) {
            if (*command.app) {
                return command.run();
            }
        }
        if (*clean) {
            return cleanCommand(cleanDirs, cleanDryRun);
        }
        if (*report) {
            return reportCommand(reportOptions);
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
