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
#include "results/run_index.hpp"
#include "runtime/clock.hpp"
#include "runtime/comm.hpp"
#include "runtime/crash_handler.hpp"
#include "runtime/launcher.hpp"
#include "runtime/run_summary.hpp"
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
    run.quiet = options.quiet;
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
                     {"result", nullptr}});
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
    auto comm = Comm::createWorld();
    if (comm->rank() != 0 && options.verbose < 2) {
        // One voice per job: the other ranks say only what went wrong on them.
        Logger::instance().setLevel(LogLevel::Warn);
    }
    // Every rank uses rank 0's run id (the launcher's, when it named one): one results folder,
    // one history entry.
    std::string runId =
        comm->rank() == 0 ? (options.runId.empty() ? newRunId() : options.runId) : std::string();
    if (!comm->broadcast(runId, giveUpAfterStop())) {
        throw SystemError("the ranks of this job could not agree on a run id");
    }

    std::unique_ptr<RunSpec> loaded;
    std::unique_ptr<Runner> runner;
    int code = kExitOk;
    std::string message;
    try {
        loaded = std::make_unique<RunSpec>(loadSpec(options, *comm, runId));
        runner = std::make_unique<Runner>(*loaded, runOptions(options), *comm, runId);
        runner->resolve();
    } catch (const Error &e) {
        code = e.exitCode();
        message = e.what();
    } catch (const std::exception &e) {
        code = kExitSystem;
        message = e.what();
    }
    // Every rank resolved its spec and plugins (paths expand per rank), or nobody goes on.
    const std::vector<RankFailure> failures = agree(*comm, code, message);
    if (!failures.empty()) {
        int worst = 0;
        for (const auto &f : failures) {
            worst = std::max(worst, f.exitCode);
        }
        // A spec or plugin that cannot be used is not a run: no history entry, no folder.
        if (comm->rank() == 0 && loaded && !options.dryRun && worst != kExitUsage &&
            worst != kExitPlugin) {
            recordFailure(*loaded, runId, *comm, worst, describeFailures(failures, comm->size()));
        }
        // Rank 0 says it for the job; the others exit with the same code, silently.
        throw Error(comm->rank() == 0 ? describeFailures(failures, comm->size()) : std::string(),
                    worst);
    }
    if (options.dryRun) {
        if (comm->rank() == 0) {
            runner->printPlan(std::cout);
        }
        return 0;
    }
    uint64_t jobCode = static_cast<uint64_t>(runner->execute());
    if (runner->abandonedThreads()) {
        // A plugin thread never came back: destructors and MPI_Finalize would wait on it.
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        std::_Exit(static_cast<int>(jobCode));
    }
    // Leave together: Open MPI tears the whole job down (killing ranks still in MPI_Finalize,
    // or rank 0 still writing) as soon as one rank exits non-zero. So the ranks agree on the
    // job's exit code, and only rank 0 exits with it: mpiexec's status is then the job's.
    if (comm->size() > 1 && !comm->broken() &&
        comm->allreduce(&jobCode, 1, MLPS_REDUCE_MAX, giveUpAfterStop()) && comm->rank() != 0) {
        return kExitOk;
    }
    return static_cast<int>(jobCode);
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
