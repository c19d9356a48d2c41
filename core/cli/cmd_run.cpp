// `mlpsrun run` and `mlpsrun validate`; with --hosts / -n (or the spec's launch section) and
// not already under mpiexec, `run` launches the job through mpiexec instead.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <mlps/host_api.h>

#include "cli/commands.hpp"
#include "cli/default_spec.hpp"
#include "cli/run_flags.hpp"
#include "results/repeat_stats.hpp"
#include "results/run_identity.hpp"
#include "results/run_index.hpp"
#include "results/run_summary.hpp"
#include "runtime/clock.hpp"
#include "runtime/comm.hpp"
#include "runtime/crash_handler.hpp"
#include "runtime/launcher.hpp"
#include "runtime/runner.hpp"
#include "runtime/sampler.hpp"
#include "runtime/signals.hpp"
#include "runtime/supervisor.hpp"
#include "spec/spec_parser.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"
#include "util/sys_info.hpp"

namespace fs = std::filesystem;

namespace mlps::core {

namespace {

constexpr const char *kDefaultSpecName = "<default spec>";

RunSpec loadSpec(const RunCommandOptions &options, const Comm &comm, const std::string &runId) {
    ExpandContext expand;
    expand.rank = comm.rank();
    expand.localRank = comm.localRank();
    expand.host = hostName();
    expand.runId = runId;
    expand.tmpdir = tempDir();
    RunSpec spec =
        !options.specText.empty()
            ? loadSpecText(options.specText, options.specName, options.overrides, expand)
        : options.specPath.empty()
            ? loadSpecText(defaultSpecText(), kDefaultSpecName, options.overrides, expand)
            : loadSpecFile(options.specPath, options.overrides, expand);
    if (!options.resultsDir.empty()) {
        spec.run.resultsDir = options.resultsDir;
        spec.root["run"]["results_dir"] = options.resultsDir;
    }
    return spec;
}

RunOptions runOptions(const RunCommandOptions &options) {
    RunOptions run;
    run.pluginPaths = options.pluginPaths;
    run.stonewall = options.stonewall;
    run.progress = options.progress ? ProgressMode::On
                                    : (options.quiet ? ProgressMode::Off : ProgressMode::Auto);
    return run;
}

std::string absolute(const std::string &path) {
    return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

// What each rank runs: this mlpsrun, the same spec and options, paths made absolute (ranks on
// other hosts start in the same directory only if it exists there).
std::vector<std::string> rankCommand(const RunCommandOptions &options) {
    std::vector<std::string> argv{selfExecutable()};
    for (int i = 0; i < options.verbose; ++i) {
        argv.emplace_back("-v");
    }
    argv.emplace_back("run");
    if (!options.specText.empty()) {
        argv.push_back(options.specPath); // a benchmark's name; its flags are in the --set list
    } else if (!options.specPath.empty()) {
        argv.push_back(absolute(options.specPath));
    }
    for (const auto &set : options.overrides) {
        argv.insert(argv.end(), {"--set", set});
    }
    for (const auto &dir : options.pluginPaths) {
        argv.insert(argv.end(), {"--plugin-path", absolute(dir)});
    }
    argv.insert(argv.end(),
                {"--results-dir",
                 absolute(options.resultsDir.empty() ? std::string() : options.resultsDir)});
    if (argv.back().empty()) {
        argv.resize(argv.size() - 2);
    }
    if (options.quiet) {
        argv.emplace_back("--quiet");
    }
    if (options.progress || options.progressTty) {
        argv.emplace_back("--progress");
    }
    if (options.progressTty) {
        argv.emplace_back("--progress-tty");
    }
    if (options.stonewall) {
        argv.emplace_back("--stonewall");
    }
    if (!options.runId.empty()) {
        argv.insert(argv.end(), {"--run-id", options.runId});
    }
    if (options.json) {
        argv.emplace_back("--json");
    }
    if (options.repeat != 0) {
        argv.insert(argv.end(), {"--repeat", std::to_string(options.repeat)});
    }
    // The ranks record what the user typed (-n, --hosts, ...), not only their own command
    // (left out of the command --dry-run prints for people).
    if (!options.dryRun) {
        argv.insert(argv.end(), {"--launched-as", shellCommand(recordedCommandLine())});
    }
    return argv;
}

// The exit code the job's summary.json records (rank 0 wrote it), or `fallback`. mpiexec says
// 137 when it killed the job after a rank died; the job itself says what happened.
int jobExitCode(const std::string &resultsFolder, int fallback) {
    std::ifstream in(resultsFolder + "/summary.json");
    const nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
    if (summary.is_object() && summary.contains("exit_code") &&
        summary["exit_code"].is_number_integer()) {
        return summary["exit_code"].get<int>();
    }
    return fallback;
}

int launch(const RunCommandOptions &options) {
    const std::string mpiexec = findMpiexec(options.launch.mpiBin);
    // The spec is checked here first: a typo should not start N processes to say so N times.
    auto world = Comm::createWorld();
    const std::string runId = newRunId();
    RunCommandOptions local = options;
    Runner runner(loadSpec(local, *world, runId), runOptions(local), *world, runId);
    runner.resolve();
    RunCommandOptions forRanks = options;
    forRanks.runId = runId;
    // The user watches this terminal; the ranks' stderr will be mpiexec's pipes.
    forRanks.progressTty = !options.quiet && (options.progressTty || progressOnTerminal());
    if (forRanks.resultsDir.empty()) {
        // The spec's results_dir is relative to where mlpsrun started; keep it so on every rank.
        forRanks.resultsDir = absolute(runner.spec().run.resultsDir);
    }
    const std::vector<std::string> argv =
        buildLaunchCommand(options.launch, mpiexec, isOpenMpi(mpiexec), rankCommand(forRanks));
    if (options.dryRun) {
        std::cout << shellCommand(argv) << '\n';
        return kExitOk;
    }
    if (options.launch.preflight) {
        preflightHosts(options.launch, selfExecutable(), runner.pluginFiles());
    }
    std::cerr << "mlpsrun: launching: " << shellCommand(argv) << std::endl;
    const int code = runLauncher(argv);
    return code == kExitOk ? code : jobExitCode(runner.plannedResultsFolder(), code);
}

// A run that ended before the results folder existed still goes into the history.
void recordFailure(const RunSpec &spec,
                   const std::string &runId,
                   const Comm &comm,
                   int exitCode,
                   const std::string &message) {
    try {
        RunIndex(spec.run.resultsDir)
            .append({{"id", runId},
                     {"time", utcTimestamp()},
                     {"benchmark", spec.benchmark.plugin},
                     {"spec", spec.sourceName},
                     {"spec_hash", specHash(spec.text)},
                     {"ranks", comm.size()},
                     {"hosts", {hostName()}},
                     {"status", exitCode == kExitInterrupted ? "interrupted" : "failed"},
                     {"partial", true},
                     {"exit_code", exitCode},
                     {"error", message},
                     {"result", nullptr},
                     {"identity",
                      {{"command_line", recordedCommandLine()},
                       {"sets", spec.overrides},
                       {"mlps", buildIdentity()}}}});
    } catch (const std::exception &e) {
        logWarn(std::string("run index not updated: ") + e.what());
    }
}

// The spec's launch section, under what the command line said (which wins key by key).
LaunchOptions launchSettings(const RunCommandOptions &options) {
    LaunchOptions merged = options.launch;
    if (Comm::launchedByMpi()) {
        return merged; // already a rank: never launch again
    }
    LaunchSettings spec;
    try {
        auto world = Comm::createWorld();
        spec = loadSpec(options, *world, "launch").launch;
    } catch (const Error &) {
        return merged; // the run itself reports the spec's mistakes
    }
    if (merged.hosts.empty()) {
        merged.hosts = spec.hosts;
    }
    if (merged.hostfile.empty()) {
        merged.hostfile = spec.hostfile;
    }
    if (merged.ranks == 0) {
        merged.ranks = spec.ranks;
    }
    if (merged.mpiBin.empty()) {
        merged.mpiBin = spec.mpiBin;
    }
    merged.oversubscribe = merged.oversubscribe || spec.oversubscribe;
    merged.allowRunAsRoot = merged.allowRunAsRoot || spec.allowRunAsRoot;
    merged.mpiParams.insert(merged.mpiParams.begin(), spec.mpiParams.begin(), spec.mpiParams.end());
    return merged;
}

// --print-spec: the spec as it would run (after flags and --set, validated), as YAML a file can
// hold.
int printSpec(const RunCommandOptions &options) {
    // Checked as `validate` checks it: what is printed runs.
    auto world = Comm::createWorld();
    Runner runner(loadSpec(options, *world, "print-spec"), runOptions(options), *world, newRunId());
    runner.resolve();
    const RunSpec &spec = runner.spec();
    YAML::Emitter out;
    out << spec.root;
    std::cout << "# " << spec.sourceName;
    for (const auto &set : options.overrides) {
        std::cout << " --set " << set;
    }
    std::cout << "\n" << out.c_str() << "\n";
    return kExitOk;
}

int runHere(const RunCommandOptions &options);

} // namespace

namespace {

struct SingleRun {
    int exitCode = kExitOk;
    bool agreed = true;      // every rank knows exitCode (so only rank 0 need exit with it)
    std::string summaryPath; // rank 0, when the run wrote one
};

// One run of the spec on this rank (all ranks of a job call it together).
SingleRun runOnce(const RunCommandOptions &options, Comm &comm, SummaryOutput output) {
    // Every rank uses rank 0's run id (the launcher's, when it named one): one results folder,
    // one history entry.
    std::string runId =
        comm.rank() == 0 ? (options.runId.empty() ? newRunId() : options.runId) : std::string();
    if (!comm.broadcast(runId, giveUpAfterStop())) {
        throw SystemError("the ranks of this job could not agree on a run id");
    }

    std::unique_ptr<RunSpec> loaded;
    std::unique_ptr<Runner> runner;
    int code = kExitOk;
    std::string message;
    try {
        loaded = std::make_unique<RunSpec>(loadSpec(options, comm, runId));
        RunOptions settings = runOptions(options);
        settings.output = output;
        runner = std::make_unique<Runner>(*loaded, settings, comm, runId);
        runner->resolve();
    } catch (const Error &e) {
        code = e.exitCode();
        message = e.what();
    } catch (const std::exception &e) {
        code = kExitSystem;
        message = e.what();
    }
    // Every rank resolved its spec and plugins (paths expand per rank), or nobody goes on.
    const std::vector<RankFailure> failures = agree(comm, code, message);
    if (!failures.empty()) {
        int worst = 0;
        for (const auto &f : failures) {
            worst = std::max(worst, f.exitCode);
        }
        // A spec or plugin that cannot be used is not a run: no history entry, no folder.
        if (comm.rank() == 0 && loaded && !options.dryRun && worst != kExitUsage &&
            worst != kExitPlugin) {
            recordFailure(*loaded, runId, comm, worst, describeFailures(failures, comm.size()));
        }
        // Rank 0 says it for the job; the others exit with the same code, silently.
        throw Error(comm.rank() == 0 ? describeFailures(failures, comm.size()) : std::string(),
                    worst);
    }
    if (options.dryRun) {
        if (comm.rank() == 0) {
            runner->printPlan(std::cout);
        }
        return {};
    }
    SingleRun result;
    uint64_t jobCode = static_cast<uint64_t>(runner->execute());
    if (runner->abandonedThreads()) {
        // A plugin thread never came back: destructors and MPI_Finalize would wait on it.
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        std::_Exit(static_cast<int>(jobCode));
    }
    if (comm.rank() == 0 && !runner->indexEntry().empty()) {
        result.summaryPath = runner->resultsDir() + "/summary.json";
    }
    // Leave together: Open MPI tears the whole job down (killing ranks still in MPI_Finalize,
    // or rank 0 still writing) as soon as one rank exits non-zero. So the ranks agree on the
    // job's exit code, and only rank 0 exits with it: mpiexec's status is then the job's.
    result.agreed = comm.size() > 1 && !comm.broken() &&
                    comm.allreduce(&jobCode, 1, MLPS_REDUCE_MAX, giveUpAfterStop());
    result.exitCode = static_cast<int>(jobCode);
    return result;
}

// --repeat N, else the spec's run.repeat (a spec that does not load says so in the run).
uint32_t repeatCount(const RunCommandOptions &options, const Comm &comm) {
    if (options.repeat != 0 || options.dryRun) {
        return std::max<uint32_t>(options.repeat, 1);
    }
    try {
        return loadSpec(options, comm, "repeat").run.repeat;
    } catch (const Error &) {
        return 1;
    }
}

SummaryOutput summaryOutput(const RunCommandOptions &options) {
    return options.json ? SummaryOutput::Json
                        : (options.quiet ? SummaryOutput::Path : SummaryOutput::Human);
}

// N runs of the spec, each its own result, then the repeat record on rank 0: written next to
// the runs (<results_dir>/<benchmark>/repeat-<id>/repeat.json) and printed.
int repeatRuns(const RunCommandOptions &options, Comm &comm, uint32_t repeat) {
    const bool root = comm.rank() == 0;
    const SummaryOutput each = options.json ? SummaryOutput::Nothing : summaryOutput(options);
    const std::string repeatId = "repeat-" + newRunId();
    std::vector<nlohmann::json> summaries;
    std::vector<std::string> paths;
    int worst = kExitOk;
    bool agreed = true;
    for (uint32_t i = 0; i < repeat; ++i) {
        if (root) {
            logInfo("repeat: run " + std::to_string(i + 1) + " of " + std::to_string(repeat));
        }
        SingleRun run;
        try {
            run = runOnce(options, comm, each);
        } catch (const Error &e) {
            if (summaries.empty()) {
                throw; // nothing to record: the usual message and exit code
            }
            // A later run that could not start: the runs made so far still get their record.
            if (e.what()[0] != '\0') {
                std::cerr << "mlpsrun: error: " << e.what() << '\n';
            }
            run.exitCode = e.exitCode();
            run.agreed = false;
        }
        agreed = run.agreed;
        worst = std::max(worst, run.exitCode);
        if (!run.summaryPath.empty()) {
            std::ifstream in(run.summaryPath);
            auto summary = nlohmann::json::parse(in, nullptr, false);
            if (!summary.is_discarded()) {
                summaries.push_back(std::move(summary));
                paths.push_back(run.summaryPath);
            }
        }
        // An interrupt or a broken setup ends the series; a failed run is one sample less.
        if (run.exitCode != kExitOk && run.exitCode != kExitRunFailed) {
            break;
        }
    }
    if (root && !summaries.empty()) {
        const nlohmann::json record = repeatRecord(repeatId, summaries, paths);
        const fs::path folder = fs::path(paths.front()).parent_path().parent_path() / repeatId;
        fs::create_directories(folder);
        writeJsonFile((folder / "repeat.json").string(), record);
        if (options.json) {
            std::cout << record.dump(2) << "\n";
        } else if (options.quiet) {
            std::cout << (folder / "repeat.json").string() << "\n";
        } else {
            std::cout << "\n";
            printRepeat(record, std::cout);
            std::cout << "  record: " << (folder / "repeat.json").string() << "\n";
        }
        std::cout.flush();
    }
    return comm.size() > 1 && agreed && !root ? kExitOk : worst;
}

} // namespace

int runCommand(const RunCommandOptions &given) {
    RunCommandOptions options = given;
    applyBenchmarkFlags(options);
    if (options.printSpec) {
        return printSpec(options);
    }
    options.launch = launchSettings(options);
    if (options.launch.wanted() && !Comm::launchedByMpi()) {
        return launch(options);
    }
    if (!options.dryRun && !Comm::launchedByMpi()) {
        // The run happens in a child the supervisor watches (crash, kill, hang: supervisor.hpp).
        return superviseRun([&options] { return runHere(options); });
    }
    return runHere(options);
}

namespace {

int runHere(const RunCommandOptions &options) {
    if (options.progressTty) {
        assumeProgressTerminal();
    }
    installStopSignalHandlers();
    installCrashHandler();
    if (Comm::launchedByMpi()) {
        installJobStopSignal();
    }
    if (!options.launchedAs.empty()) {
        recordLaunchCommand(options.launchedAs);
    }
    auto comm = Comm::createWorld();
    if (comm->rank() != 0 && options.verbose < 2) {
        // One voice per job: the other ranks say only what went wrong on them.
        Logger::instance().setLevel(LogLevel::Warn);
    }
    const uint32_t repeat = repeatCount(options, *comm);
    if (repeat > 1) {
        return repeatRuns(options, *comm, repeat);
    }
    const SingleRun run = runOnce(options, *comm, summaryOutput(options));
    return run.agreed && comm->rank() != 0 ? kExitOk : run.exitCode;
}

} // namespace

int validateCommand(const RunCommandOptions &given) {
    RunCommandOptions options = given;
    applyBenchmarkFlags(options);
    auto comm = Comm::createWorld();
    const std::string runId = newRunId();
    Runner runner(loadSpec(options, *comm, runId), runOptions(options), *comm, runId);
    runner.resolve();
    std::cout << runner.spec().sourceName << ": valid\n";
    return 0;
}

const char *defaultSpecText() {
    return kEmbeddedDefaultSpec;
}

} // namespace mlps::core
