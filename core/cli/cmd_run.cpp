// `mlpsrun run` and `mlpsrun validate`.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/default_spec.hpp"
#include "runtime/comm.hpp"
#include "runtime/runner.hpp"
#include "runtime/signals.hpp"
#include "spec/spec_parser.hpp"
#include "util/log.hpp"
#include "util/sys_info.hpp"

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
        options.specPath.empty()
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
    run.progress = options.progress ? ProgressMode::On
                                    : (options.quiet ? ProgressMode::Off : ProgressMode::Auto);
    return run;
}

} // namespace

int runCommand(const RunCommandOptions &options) {
    auto comm = Comm::createWorld();
    const std::string runId = newRunId();
    Runner runner(loadSpec(options, *comm, runId), runOptions(options), *comm, runId);
    runner.resolve();
    if (options.dryRun) {
        runner.printPlan(std::cout);
        return 0;
    }
    installStopSignalHandlers();
    return runner.execute();
}

int validateCommand(const RunCommandOptions &options) {
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
