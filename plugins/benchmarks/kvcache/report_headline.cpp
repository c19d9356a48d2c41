// The verdict for people: mlpsrun prints the report's "headline" under the first line of its
// summary (summary.json has everything): load, request latency, cache, storage health with
// each criterion, QoS per class, verify.
#include "report_parts.hpp"

namespace mlps::kvcache::report {

std::vector<std::string> headline(const Inputs &in, const std::vector<Criterion> &criteria) {
    const Settings &s = in.s;
    const MetricIds &m = in.m;
    const uint64_t requests = in.sum(m.requests);
    const uint64_t tokens = in.sum(m.tokensGenerated);
    const uint64_t contextTokens = in.sum(m.tokensContext);
    const uint64_t rejected = in.sum(m.rejected);
    std::vector<std::string> lines;
    lines.push_back(
        text("%s%s, %u users, %s arrivals: %llu requests (%.2f/s), %.1f "
             "generated tokens/s, %.0f context tokens/s",
             s.model.key.c_str(),
             s.source == SourceKind::Synthetic && !s.traceOnly
                 ? ""
                 : text(" (%s%s)", sourceName(s.source), s.traceOnly ? ", trace mode: no I/O" : "")
                       .c_str(),
             static_cast<unsigned>(in.users),
             s.arrivals == Arrivals::Closed ? "closed" : "open",
             static_cast<unsigned long long>(requests),
             in.perS(static_cast<double>(requests)),
             in.perS(static_cast<double>(tokens)),
             in.perS(static_cast<double>(contextTokens))));
    lines.push_back(text("request latency p50 %s p95 %s (storage p50 %s p95 %s; queue wait "
                         "p50 %s p95 %s)%s",
                         duration(in.e2e.p50).c_str(),
                         duration(in.e2e.p95).c_str(),
                         duration(in.storage.p50).c_str(),
                         duration(in.storage.p95).c_str(),
                         duration(in.wait.p50).c_str(),
                         duration(in.wait.p95).c_str(),
                         rejected != 0 ? text(", %llu rejected (queue full)",
                                              static_cast<unsigned long long>(rejected))
                                             .c_str()
                                       : ""));
    lines.push_back(
        text("cache hit rate %.1f%% (%llu of %llu reads; multi-turn %.1f%%), "
             "%llu demotions, %llu evictions, entries p50 %s max %s",
             in.hitRate * 100,
             static_cast<unsigned long long>(in.hits),
             static_cast<unsigned long long>(in.hits + in.misses),
             in.mtHits + in.mtMisses != 0 ? 100.0 * in.mtHits / (in.mtHits + in.mtMisses) : 0.0,
             static_cast<unsigned long long>(in.sum(m.demotions)),
             static_cast<unsigned long long>(in.sum(m.evictions)),
             size(in.entrySizes.p50).c_str(),
             size(static_cast<double>(in.entrySizes.max)).c_str()));
    if (m.hasBlocks) {
        const uint64_t bh = in.sum(m.blockHits);
        const uint64_t refs = bh + in.sum(m.blockMisses);
        lines.push_back(
            text("block reuse: %.1f%% of %llu block reads hit, prefix hit per "
                 "request mean %.0f tokens, %s of KV not recomputed",
                 refs != 0 ? 100.0 * static_cast<double>(bh) / static_cast<double>(refs) : 0.0,
                 static_cast<unsigned long long>(refs),
                 in.read(m.prefixTokensHit).mean,
                 size(static_cast<double>(in.sum(m.bytesSaved))).c_str()));
    }
    size_t passed = 0;
    size_t notEvaluated = 0;
    for (const auto &c : criteria) {
        passed += c.passed ? 1 : 0;
        notEvaluated += c.evaluated ? 0 : 1;
    }
    lines.push_back(text(
        "storage health (%s profile): %s, %zu of %zu criteria met%s",
        in.latencyProfile() ? "latency" : "throughput",
        overallStatus(criteria),
        passed,
        criteria.size(),
        notEvaluated != 0 ? text(", %zu not evaluated (no samples)", notEvaluated).c_str() : ""));
    for (const auto &c : criteria) {
        const std::string actual = !c.evaluated     ? std::string("no samples")
                                   : c.unit == "ms" ? duration(c.actual * 1e6)
                                                    : text("%.3g %s", c.actual, c.unit.c_str());
        lines.push_back(text("  %s %s: %s (%s)",
                             c.evaluated ? (c.passed ? "pass" : "FAIL") : "not evaluated",
                             c.name.c_str(),
                             actual.c_str(),
                             c.reason.c_str()));
    }
    for (int q = 0; q < kQosClasses; ++q) {
        const uint64_t n = in.sum(m.qosOps[q]);
        if (n == 0) {
            continue;
        }
        const mlps_metric_summary l = in.read(m.qosLatency[q]);
        const double compliance =
            1.0 - static_cast<double>(in.sum(m.qosOverP95[q])) / static_cast<double>(n);
        lines.push_back(text("QoS %-11s %5llu requests, p95 %s (target %s): %.1f%% within "
                             "target, %s",
                             qosName(q),
                             static_cast<unsigned long long>(n),
                             duration(l.p95).c_str(),
                             duration(s.qos[q].targetP95Ms * 1e6).c_str(),
                             compliance * 100,
                             compliance >= 0.95 ? "met" : "not met"));
    }
    if (s.verify) {
        lines.push_back(text("verify: %s checked, %llu bytes mismatched",
                             size(static_cast<double>(in.sum(m.verifyChecked))).c_str(),
                             static_cast<unsigned long long>(in.sum(m.verifyMismatched))));
    }
    return lines;
}

} // namespace mlps::kvcache::report
