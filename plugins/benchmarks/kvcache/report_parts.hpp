// kvcache's report, one function per section (report_*.cpp); buildReport (report.cpp) puts
// them together in the order summary.json shows them. Key names follow the reference's
// summary / summary.cache_stats where they exist (units as in the reference: _ms, _gb = GiB,
// _gbps = GiB/s), plus what the reference lacks: per-tier traffic classes with demotion I/O,
// queue wait, admission, entry sizes, verify.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine.hpp"

namespace mlps::kvcache::report {

using ordered = nlohmann::ordered_json;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// ---- formatting (report_format.cpp) ------------------------------------------------------
double ms(double ns);
__attribute__((format(printf, 1, 2))) std::string text(const char *format, ...);
// "850 us", "12.3 ms", "4.56 s": latencies from microseconds to minutes, readable at a glance.
std::string duration(double ns);
std::string size(double bytes);
ordered percentilesMs(const mlps_metric_summary &s);
// Roles of the reference's three tiers, counted from the slowest: storage, cpu, gpu ("" for
// a fourth tier and above).
std::string roleOf(size_t index, size_t count);
int roleIndex(const std::string &role, size_t count); // -1 when no tier has the role

// ---- what every section reads ------------------------------------------------------------
struct TierNumbers {
    mlps_metric_summary cls[kOpClasses];
    mlps_metric_summary readEntry, writeEntry;
};

struct Inputs {
    Inputs(Engine &engine, const std::vector<std::string> &tierPlugins);

    Engine &e;
    const Host &h;
    const Settings &s;
    const MetricIds &m;
    const std::vector<std::string> &tierPlugins;
    mlps_run_info info;
    double elapsed = 0; // the timed window, seconds
    size_t nTiers = 0;
    uint64_t users = 0; // the job's (merged over ranks)
    uint64_t hits = 0, misses = 0, mtHits = 0, mtMisses = 0;
    double hitRate = 0;
    mlps_metric_summary e2e, storage, generation, wait, entrySizes;
    // Filled by tiersSection, read by the sections after it.
    std::vector<TierNumbers> tiers;
    uint64_t totalReadBytes = 0, totalWriteBytes = 0, readEntries = 0, writeEntries = 0;

    mlps_metric_summary read(mlps_metric_id id) const { return h.read(id); }
    uint64_t sum(mlps_metric_id id) const { return h.read(id).sum; }
    double perS(double v) const { return elapsed > 0 ? v / elapsed : 0.0; }
    bool latencyProfile() const { return s.performanceProfile != "throughput"; }
};

// One storage-health criterion (reference section 5.5). A criterion without samples is not
// evaluated: it never passes.
struct Criterion {
    std::string name;
    double target;
    double actual;
    std::string unit;
    bool passed;
    std::string reason;
    bool evaluated = true;

    const char *status() const { return !evaluated ? "not evaluated" : passed ? "pass" : "fail"; }
};
// PASS (every criterion evaluated and passed), FAIL (one failed) or NOT EVALUATED.
const char *overallStatus(const std::vector<Criterion> &criteria);

// ---- sections ----------------------------------------------------------------------------
// report_run.cpp: what ran.
ordered modelSection(const Inputs &in);
ordered workloadSection(const Inputs &in);
ordered sourceSection(const Inputs &in);
ordered verifySection(const Inputs &in);
// report_tiers.cpp: benchmark.tiers[] (fills in.tiers and the byte totals) and
// summary.cache_stats without its storage_health.
ordered tiersSection(Inputs &in);
ordered cacheStatsSection(const Inputs &in);
// report_summary.cpp: the reference's summary: throughput and latencies, QoS, multi-turn;
// and what it lacks: admission, entry sizes.
void addThroughputAndLatency(ordered &summary, const Inputs &in);
ordered qosSection(const Inputs &in);
ordered multiTurnSection(const Inputs &in);
ordered admissionSection(const Inputs &in);
ordered entrySizeSection(const Inputs &in);
// report_health.cpp: summary.cache_stats.storage_health.
std::vector<Criterion> healthCriteria(const Inputs &in);
ordered healthSection(const Inputs &in, const std::vector<Criterion> &criteria);
// report_headline.cpp: the verdict mlpsrun prints under the first line of its summary.
std::vector<std::string> headline(const Inputs &in, const std::vector<Criterion> &criteria);

} // namespace mlps::kvcache::report
