#include "results/summary_builder.hpp"

#include <mlps/plugin_abi.h>

#include "build_config.hpp"
#include "results/metrics_json.hpp"
#include "results/run_identity.hpp"
#include "results/run_summary.hpp"
#include "util/log.hpp"

namespace mlps::core {

namespace {

// Who ran what, when, and how it ended.
void addRunRecord(nlohmann::json &summary, const RunFacts &facts) {
    summary["schema"] = kSummarySchema;
    summary["mlps_version"] = MLPS_VERSION;
    summary["abi"] = {{"major", MLPS_ABI_MAJOR}, {"minor", MLPS_ABI_MINOR}};
    summary["run_id"] = facts.runId;
    summary["benchmark_name"] = facts.benchmarkName;
    summary["status"] = facts.status;
    summary["partial"] = facts.partial;
    summary["exit_code"] = facts.exitCode;
    summary["errors"] = facts.errors;
    summary["started_at"] = facts.startedAt;
    summary["ended_at"] = facts.endedAt;
    summary["results_dir"] = facts.resultsDir;
    summary["ranks"] = facts.ranks;
    summary["timing"] = {{"warmup_s", facts.warmupS},
                         {"duration_requested_s", facts.durationRequestedS},
                         {"timed_s", facts.timedS}};
    summary["spec"] = facts.spec;
    summary["plugins"] = {{"benchmark", facts.benchmarkPlugin}};
    summary["tiers"] = facts.tiers;
}

// The ranks that reported, plus, when the job broke before anything was gathered, the others'
// last progress as rank 0 saw it (marked so).
nlohmann::json perRankSection(const RunFacts &facts) {
    nlohmann::json perRank = nlohmann::json::array();
    for (const auto &rank : facts.perRank) {
        if (!rank.is_null()) {
            perRank.push_back(rank);
        }
    }
    if (facts.perRank.size() < facts.ranks && facts.clusterBroken) {
        for (uint32_t r = 1; r < facts.ranks; ++r) {
            nlohmann::json figures = nlohmann::json::object();
            if (r < facts.lastTotals.size()) {
                for (const auto &info : facts.metrics) {
                    if (info.kind == MetricKind::Counter && info.id < facts.lastTotals[r].size()) {
                        figures[info.name] = {{"total", facts.lastTotals[r][info.id]}};
                    }
                }
            }
            perRank.push_back({{"rank", r},
                               {"status", "unknown"},
                               {"last_progress", true},
                               {"metrics", figures}});
        }
    }
    return perRank;
}

nlohmann::json hostsSection(const RunFacts &facts) {
    nlohmann::json hosts = nlohmann::json::array();
    for (const auto &rank : facts.perRank) {
        if (!rank.is_null()) {
            hosts.push_back(rank.value("host", nlohmann::json::object()));
        }
    }
    return hosts;
}

// The job as a whole: how many ranks reported, whether the figures are merged, the timed window
// every rank agreed on and the bandwidth over it, and who is missing.
nlohmann::json jobSection(const RunFacts &facts) {
    size_t reported = 0;
    std::vector<uint32_t> silent;
    for (size_t r = 0; r < facts.perRank.size(); ++r) {
        if (facts.perRank[r].is_object()) {
            ++reported;
        } else if (facts.perRank[r].is_null()) {
            silent.push_back(uint32_t(r));
        }
    }
    nlohmann::json job = {{"ranks", facts.ranks},
                          {"ranks_reported", reported},
                          {"merged", facts.merged || facts.ranks == 1},
                          {"merge_s", facts.mergeS},
                          {"gather_s", facts.gatherS}};
    if (!facts.mpi.empty()) {
        job["mpi"] = facts.mpi;
    }
    if (facts.window) {
        const JobWindow &w = *facts.window;
        job["window"] = {{"earliest_start_s", double(w.earliestStartNs) / 1e9},
                         {"first_end_s", double(w.firstEndNs) / 1e9},
                         {"latest_end_s", double(w.latestEndNs) / 1e9},
                         {"aggregate_s", w.aggregateSeconds()},
                         {"first_done_s", w.firstDoneSeconds()}};
        job["bandwidth"] = bandwidthJson(facts.metrics, facts.final, facts.firstDoneTotals, w);
    }
    if (!silent.empty() || !facts.missingRanks.empty()) {
        job["missing_ranks"] = facts.missingRanks.empty() ? nlohmann::json(silent)
                                                          : nlohmann::json(facts.missingRanks);
    }
    return job;
}

} // namespace

nlohmann::json buildSummary(const RunFacts &facts) {
    nlohmann::json summary;
    addRunRecord(summary, facts);
    summary["hosts"] = hostsSection(facts);
    summary["metrics"] = metricsToJson(facts.metrics, facts.final, facts.timedS);
    summary["job"] = jobSection(facts);
    summary["per_rank"] = perRankSection(facts);
    summary["per_host"] = perHostJson(facts.perRank);
    if (facts.series != nullptr) {
        summary["timeseries"] = facts.series->summary();
        if (facts.ranks > 1) {
            summary["timeseries"]["ranks"] = "rank 0";
        }
    }
    summary["benchmark"] = facts.benchmarkReport;
    summary["identity"] = runIdentity(summary, facts.overrides);
    return summary;
}

bool writeTimeSeriesFile(const TimeSeries &series,
                         const std::string &folder,
                         const std::string &name,
                         const std::map<std::string, std::string> &attributes) {
    if (!TimeSeries::hdf5Available() || series.points().empty()) {
        return false;
    }
    try {
        series.writeHdf5(folder + "/" + name, attributes);
        return true;
    } catch (const std::exception &e) {
        logWarn(name + " not written: " + e.what());
        return false;
    }
}

} // namespace mlps::core
