// kvcache's report (summary.json's `benchmark`): the sections of report_*.cpp in the order
// summary.json shows them (report_parts.hpp says what each holds).
#include "kvcache.hpp"
#include "report_parts.hpp"

namespace mlps::kvcache {

namespace report {

Inputs::Inputs(Engine &engine, const std::vector<std::string> &plugins)
    : e(engine), h(engine.host()), s(engine.settings()), m(engine.metrics()), tierPlugins(plugins),
      info(h.runInfo()) {
    elapsed = info.timed_end_ns > info.timed_start_ns
                  ? static_cast<double>(info.timed_end_ns - info.timed_start_ns) / 1e9
                  : 0.0;
    nTiers = e.tiers().size();
    // Every rank runs `users` users: the job's count is the merged counter (this rank's own
    // report reads its own); 0 when the timed phase never started.
    const uint64_t recordedUsers = sum(m.users);
    users = recordedUsers != 0 ? recordedUsers : s.users;
    hits = sum(m.hits);
    misses = sum(m.misses);
    mtHits = sum(m.multiTurnHits);
    mtMisses = sum(m.multiTurnMisses);
    hitRate = hits + misses != 0 ? static_cast<double>(hits) / (hits + misses) : 0;
    e2e = read(m.requestLatency);
    storage = read(m.storageLatency);
    generation = read(m.generationLatency);
    wait = read(m.queueWait);
    entrySizes = read(m.entrySize);
}

} // namespace report

std::string buildReport(Engine &e, const std::vector<std::string> &tierPlugins) {
    using namespace report;
    Inputs in(e, tierPlugins);
    ordered out;
    out["model"] = modelSection(in);
    out["workload"] = workloadSection(in);
    out["source"] = sourceSection(in);
    const ordered tiers = tiersSection(in);

    ordered summary;
    addThroughputAndLatency(summary, in);
    ordered cacheStats = cacheStatsSection(in);
    const std::vector<Criterion> criteria = healthCriteria(in);
    cacheStats["storage_health"] = healthSection(in, criteria);
    summary["cache_stats"] = cacheStats;
    summary["qos_metrics"] = qosSection(in);
    summary["multi_turn_stats"] = multiTurnSection(in);
    summary["admission"] = admissionSection(in);
    summary["entry_size_bytes"] = entrySizeSection(in);
    out["summary"] = summary;
    out["tiers"] = tiers;
    out["verify"] = verifySection(in);
    out["errors"] = in.sum(in.m.errors);
    out["abandoned_steps"] = e.abandonedSteps.load();
    std::vector<std::string> lines = headline(in, criteria);
    addFeatureReport(e, out["summary"], lines);
    out["headline"] = lines;
    return out.dump();
}

} // namespace mlps::kvcache
