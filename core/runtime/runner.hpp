// One run of a spec on this rank: resolve plugins and options (nothing is created before that
// succeeds), then create the tiers and the benchmark, run the phases, and write the results
// folder (summary.json, spec.resolved.yaml, timeseries.h5, run.log) — also, marked partial,
// when the run fails or is interrupted.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/plugin_registry.hpp"
#include "runtime/comm.hpp"
#include "runtime/run_context.hpp"
#include "spec/run_spec.hpp"

namespace mlps::core {

struct RunFacts; // results/summary_builder.hpp

enum class ProgressMode { Auto, On, Off };
// What a run prints on stdout when it ends (logs and the progress line go to stderr): the
// human summary, the path of summary.json (-q), summary.json itself (--json), or nothing (the
// caller prints, e.g. a repeat's record).
enum class SummaryOutput { Human, Path, Json, Nothing };

struct RunOptions {
    std::vector<std::string> pluginPaths; // --plugin-path
    ProgressMode progress = ProgressMode::Auto;
    SummaryOutput output = SummaryOutput::Human;
    bool stonewall = false; // --stonewall: stop every rank when the first one finishes
};

class Runner {
  public:
    Runner(RunSpec spec, RunOptions options, Comm &comm, std::string runId);
    ~Runner();

    // Loads the plugins the spec names and validates every option. Throws ConfigError /
    // PluginError. Called by validate, --dry-run and execute().
    void resolve();
    // Prints what a run would do; creates nothing.
    void printPlan(std::ostream &out);
    // Runs; returns the exit code. Setup failures before the results folder exists throw. With
    // several ranks every rank calls it: the ranks agree that setup succeeded before anything
    // is timed, and rank 0 writes the one merged result (DESIGN.md §5).
    int execute();

    const std::string &resultsDir() const { return context_.resultsDir; }
    // Where execute() will put the results (after resolve()).
    std::string plannedResultsFolder() const { return resultsFolder(); }
    const RunSpec &spec() const { return spec_; }
    // The .so files of the benchmark and the tiers, once resolved (what every host needs).
    std::vector<std::string> pluginFiles() const;

    // What execute() recorded in the run index, for the caller's messages.
    const nlohmann::json &indexEntry() const { return indexEntry_; }
    // A plugin never returned from a call on a thread the core gave up on: the process must end
    // without running destructors (they would wait on it).
    bool abandonedThreads() const { return abandonedThreads_; }

  private:
    struct Outcome;
    void removeDeadRunLeftovers();
    void createTiers();
    void createBenchmark();
    void destroyBenchmark() noexcept;
    void destroyAll() noexcept;
    void destroyStuckTier(TierInstance &tier) noexcept;
    void validatePluginOptions();
    void saveRunState(const Outcome &outcome);
    void publishDeadline(uint64_t warmupNs);
    // The stages of execute(), in order.
    bool setUp(Outcome &outcome);
    void runStages(Outcome &outcome);
    void runPhases(Outcome &outcome);
    void noteRunFailures(Outcome &outcome);
    void collectMetrics(Outcome &outcome, MetricsSnapshot &local, MetricsSnapshot &final);
    void
    reportAndTearDown(Outcome &outcome, const MetricsSnapshot &local, const MetricsSnapshot &final);
    void gatherRankFigures(Outcome &outcome, const MetricsSnapshot &local);
    int writeResults(Outcome &outcome, const MetricsSnapshot &final);
    int writeRankSeries(const Outcome &outcome);
    void closeRun();

    nlohmann::json benchmarkReport(Outcome &outcome);
    void failOnErrorCounters(Outcome &outcome);
    bool agreeOrFail(Outcome &outcome, int code, const std::string &message);
    void mergeAcrossRanks(Outcome &outcome, MetricsSnapshot &metrics);
    std::string runReport(Outcome &outcome);
    nlohmann::json tierEntries();
    nlohmann::json rankReport(const Outcome &outcome, const MetricsSnapshot &local);
    RunFacts summaryFacts(Outcome &outcome, const MetricsSnapshot &final);
    void recordInIndex(const nlohmann::json &summary);
    std::string benchmarkPlan();
    std::string resultsFolder() const;

    RunSpec spec_;
    RunOptions options_;
    RunContext context_;
    std::unique_ptr<PluginRegistry> registry_;
    const LoadedPlugin *benchmark_ = nullptr;
    ResolvedOptions benchmarkOptions_;
    std::unique_ptr<class HostBinding> benchmarkHost_;
    void *benchmarkSelf_ = nullptr;
    std::unique_ptr<class JobControl> control_;
    uint64_t startBarrierNs_ = 0; // when the start barrier released this rank
    nlohmann::json indexEntry_;
    bool abandonedThreads_ = false;
};

// "20261127-024501-3fa2": sortable, unique enough for one results folder.
std::string newRunId();

} // namespace mlps::core
