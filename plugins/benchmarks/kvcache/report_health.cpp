// summary.cache_stats.storage_health: the reference's criteria (section 5.5) on whole-entry
// latencies of the storage (last) and CPU tiers and on the hit rate, or bandwidths in the
// throughput profile. A criterion with no samples is "not evaluated" (the reference passes
// it: a p95 of nothing is 0). As the reference says, not a pass/fail test of a product.
#include <algorithm>
#include <cstdio>

#include "report_parts.hpp"

namespace mlps::kvcache::report {

namespace {

Criterion notEvaluated(std::string name, double target, std::string unit, std::string why) {
    return {std::move(name), target, 0, std::move(unit), false, std::move(why), false};
}

} // namespace

const char *overallStatus(const std::vector<Criterion> &criteria) {
    bool allPassed = true;
    for (const auto &c : criteria) {
        if (c.evaluated && !c.passed) {
            return "FAIL";
        }
        allPassed = allPassed && c.evaluated;
    }
    return allPassed ? "PASS" : "NOT EVALUATED";
}

std::vector<Criterion> healthCriteria(const Inputs &in) {
    const MetricIds &m = in.m;
    std::vector<Criterion> criteria;
    const bool latencyProfile = in.latencyProfile();
    const int storageIdx = roleIndex("storage", in.nTiers);
    const int cpuIdx = roleIndex("cpu", in.nTiers);
    if (storageIdx >= 0) {
        const TierNumbers &st = in.tiers[storageIdx];
        const std::string name = in.e.tierNames()[storageIdx];
        const std::string noWrites = "no entry was written to tier '" + name + "'";
        const std::string noReads = "no entry was read from tier '" + name + "'";
        if (latencyProfile) {
            const double w = ms(st.writeEntry.p95);
            const double r = ms(st.readEntry.p95);
            criteria.push_back(
                st.writeEntry.count == 0
                    ? notEvaluated("Storage write P95 < 500ms", 500, "ms", noWrites)
                    : Criterion{"Storage write P95 < 500ms",
                                500,
                                w,
                                "ms",
                                w < 500,
                                "p95 of whole-entry writes (new and demoted) to tier '" + name +
                                    "'"});
            criteria.push_back(
                st.readEntry.count == 0
                    ? notEvaluated("Storage read P95 < 200ms", 200, "ms", noReads)
                    : Criterion{"Storage read P95 < 200ms",
                                200,
                                r,
                                "ms",
                                r < 200,
                                "p95 of whole-entry reads from tier '" + name + "'"});
        } else {
            const TierIds &ids = m.tiers[storageIdx];
            const double rb =
                in.perS(static_cast<double>(in.sum(ids.cls[kClassRead].bytes))) / kGiB;
            const double wb =
                in.perS(static_cast<double>(in.sum(ids.cls[kClassWrite].bytes) +
                                            in.sum(ids.cls[kClassDemoteWrite].bytes))) /
                kGiB;
            criteria.push_back(st.readEntry.count == 0
                                   ? notEvaluated("Storage read bandwidth > 0", 0, "GiB/s", noReads)
                                   : Criterion{"Storage read bandwidth > 0",
                                               0,
                                               rb,
                                               "GiB/s",
                                               rb > 0,
                                               "reads of tier '" + name + "'"});
            criteria.push_back(
                st.writeEntry.count == 0
                    ? notEvaluated("Storage write bandwidth > 0", 0, "GiB/s", noWrites)
                    : Criterion{"Storage write bandwidth > 0",
                                0,
                                wb,
                                "GiB/s",
                                wb > 0,
                                "writes (new entries and demotions) to tier '" + name + "'"});
        }
    }
    if (latencyProfile && cpuIdx >= 0) {
        const TierNumbers &c = in.tiers[cpuIdx];
        const std::string name = in.e.tierNames()[cpuIdx];
        if (c.readEntry.count + c.writeEntry.count == 0) {
            criteria.push_back(
                notEvaluated("CPU RAM P95 < 150ms",
                             150,
                             "ms",
                             "no entry was read from or written to tier '" + name + "'"));
        } else {
            // The reference takes the p95 of reads and writes together; the host merges each
            // histogram separately, so the larger of the two p95s stands in (conservative).
            const double v = ms(std::max(c.readEntry.p95, c.writeEntry.p95));
            criteria.push_back({"CPU RAM P95 < 150ms",
                                150,
                                v,
                                "ms",
                                v < 150,
                                "max of read and write p95 of tier '" + name + "'"});
        }
    }
    if (latencyProfile) {
        criteria.push_back(in.hits + in.misses == 0
                               ? notEvaluated("Cache hit rate > 30%", 30, "%", "no cache reads")
                               : Criterion{"Cache hit rate > 30%",
                                           30,
                                           in.hitRate * 100,
                                           "%",
                                           in.hitRate > 0.3,
                                           std::to_string(in.hits) + " hits of " +
                                               std::to_string(in.hits + in.misses) +
                                               " cache reads"});
    }
    return criteria;
}

ordered healthSection(const Inputs &in, const std::vector<Criterion> &criteria) {
    ordered health;
    ordered list = ordered::array();
    ordered reasons = ordered::array();
    size_t passed = 0;
    size_t notEvaluatedCount = 0;
    for (const auto &c : criteria) {
        ordered o;
        o["name"] = c.name;
        o["target"] = c.target;
        o["actual"] = c.evaluated ? ordered(c.actual) : ordered(nullptr);
        o["unit"] = c.unit;
        o["passed"] = c.passed;
        o["status"] = c.status();
        o["detail"] = c.reason;
        list.push_back(o);
        passed += c.passed ? 1 : 0;
        notEvaluatedCount += c.evaluated ? 0 : 1;
        char line[256];
        if (!c.evaluated) {
            std::snprintf(
                line, sizeof line, "%s: not evaluated (%s)", c.name.c_str(), c.reason.c_str());
            reasons.push_back(line);
        } else if (!c.passed) {
            std::snprintf(line,
                          sizeof line,
                          "%s: actual %.3g %s (%s)",
                          c.name.c_str(),
                          c.actual,
                          c.unit.c_str(),
                          c.reason.c_str());
            reasons.push_back(line);
        }
    }
    health["overall_status"] = overallStatus(criteria);
    health["profile"] = in.latencyProfile() ? "latency" : "throughput";
    health["criteria"] = list;
    health["passed_count"] = passed;
    health["not_evaluated_count"] = notEvaluatedCount;
    health["total_count"] = criteria.size();
    health["reasons"] = reasons;
    return health;
}

} // namespace mlps::kvcache::report
