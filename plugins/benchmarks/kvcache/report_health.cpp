// summary.cache_stats.storage_health: the reference's criteria (section 5.5) on whole-entry
// latencies of the storage (last) and CPU tiers and on the hit rate, or bandwidths in the
// throughput profile. As the reference says, not a pass/fail test of a product.
#include <algorithm>
#include <cstdio>

#include "report_parts.hpp"

namespace mlps::kvcache::report {

std::vector<Criterion> healthCriteria(const Inputs &in) {
    const MetricIds &m = in.m;
    std::vector<Criterion> criteria;
    const bool latencyProfile = in.latencyProfile();
    const int storageIdx = roleIndex("storage", in.nTiers);
    const int cpuIdx = roleIndex("cpu", in.nTiers);
    if (storageIdx >= 0) {
        const TierNumbers &st = in.tiers[storageIdx];
        const std::string name = in.e.tierNames()[storageIdx];
        if (latencyProfile) {
            const double w = ms(st.writeEntry.p95);
            const double r = ms(st.readEntry.p95);
            criteria.push_back(
                {"Storage write P95 < 500ms",
                 500,
                 w,
                 "ms",
                 w < 500,
                 st.writeEntry.count == 0
                     ? "no entry was written to tier '" + name + "'"
                     : "p95 of whole-entry writes (new and demoted) to tier '" + name + "'"});
            criteria.push_back({"Storage read P95 < 200ms",
                                200,
                                r,
                                "ms",
                                r < 200,
                                st.readEntry.count == 0
                                    ? "no entry was read from tier '" + name + "'"
                                    : "p95 of whole-entry reads from tier '" + name + "'"});
        } else {
            const TierIds &ids = m.tiers[storageIdx];
            const double rb =
                in.perS(static_cast<double>(in.sum(ids.cls[kClassRead].bytes))) / kGiB;
            const double wb =
                in.perS(static_cast<double>(in.sum(ids.cls[kClassWrite].bytes) +
                                            in.sum(ids.cls[kClassDemoteWrite].bytes))) /
                kGiB;
            criteria.push_back({"Storage read bandwidth > 0",
                                0,
                                rb,
                                "GiB/s",
                                rb > 0 || st.readEntry.count == 0,
                                "reads of tier '" + name + "'"});
            criteria.push_back({"Storage write bandwidth > 0",
                                0,
                                wb,
                                "GiB/s",
                                wb > 0 || st.writeEntry.count == 0,
                                "writes (new entries and demotions) to tier '" + name + "'"});
        }
    }
    if (latencyProfile && cpuIdx >= 0) {
        const TierNumbers &c = in.tiers[cpuIdx];
        if (c.readEntry.count + c.writeEntry.count != 0) {
            // The reference takes the p95 of reads and writes together; the host merges each
            // histogram separately, so the larger of the two p95s stands in (conservative).
            const double v = ms(std::max(c.readEntry.p95, c.writeEntry.p95));
            criteria.push_back(
                {"CPU RAM P95 < 150ms",
                 150,
                 v,
                 "ms",
                 v < 150,
                 "max of read and write p95 of tier '" + in.e.tierNames()[cpuIdx] + "'"});
        }
    }
    if (latencyProfile && in.hits + in.misses != 0) {
        criteria.push_back({"Cache hit rate > 30%",
                            30,
                            in.hitRate * 100,
                            "%",
                            in.hitRate > 0.3,
                            std::to_string(in.hits) + " hits of " +
                                std::to_string(in.hits + in.misses) + " cache reads"});
    }
    return criteria;
}

ordered healthSection(const Inputs &in, const std::vector<Criterion> &criteria) {
    ordered health;
    ordered list = ordered::array();
    ordered failedReasons = ordered::array();
    size_t passed = 0;
    for (const auto &c : criteria) {
        ordered o;
        o["name"] = c.name;
        o["target"] = c.target;
        o["actual"] = c.actual;
        o["unit"] = c.unit;
        o["passed"] = c.passed;
        o["detail"] = c.reason;
        list.push_back(o);
        passed += c.passed ? 1 : 0;
        if (!c.passed) {
            char line[256];
            std::snprintf(line,
                          sizeof line,
                          "%s: actual %.3g %s (%s)",
                          c.name.c_str(),
                          c.actual,
                          c.unit.c_str(),
                          c.reason.c_str());
            failedReasons.push_back(line);
        }
    }
    health["overall_status"] = passed == criteria.size() ? "PASS" : "FAIL";
    health["profile"] = in.latencyProfile() ? "latency" : "throughput";
    health["criteria"] = list;
    health["passed_count"] = passed;
    health["total_count"] = criteria.size();
    health["reasons"] = failedReasons;
    return health;
}

} // namespace mlps::kvcache::report
