// The report's request-level sections: the reference's summary (throughput, latencies, QoS,
// multi-turn) and what it lacks (admission of open arrivals, entry sizes).
#include "report_parts.hpp"

namespace mlps::kvcache::report {

void addThroughputAndLatency(ordered &summary, const Inputs &in) {
    const MetricIds &m = in.m;
    const uint64_t requests = in.sum(m.requests);
    const uint64_t tokens = in.sum(m.tokensGenerated);
    const uint64_t contextTokens = in.sum(m.tokensContext);
    const double storageSeconds = static_cast<double>(in.storage.sum) / 1e9;
    summary["total_requests"] = requests;
    summary["total_tokens"] = tokens;
    summary["total_context_tokens"] = contextTokens;
    summary["elapsed_time"] = in.elapsed;
    summary["avg_throughput_tokens_per_sec"] = in.perS(static_cast<double>(tokens));
    summary["context_tokens_per_sec"] = in.perS(static_cast<double>(contextTokens));
    summary["total_storage_io_time"] = storageSeconds;
    // The reference's definition (generated tokens / summed per-request storage time across
    // concurrent requests): kept for comparison; it is not a throughput.
    summary["storage_throughput_tokens_per_sec"] =
        storageSeconds > 0 ? static_cast<double>(tokens) / storageSeconds : 0.0;
    summary["requests_per_second"] = in.perS(static_cast<double>(requests));
    summary["end_to_end_latency_ms"] = percentilesMs(in.e2e);
    summary["storage_io_latency_ms"] = percentilesMs(in.storage);
    summary["generation_latency_ms"] = percentilesMs(in.generation);
    summary["queue_wait_ms"] = percentilesMs(in.wait);
}

ordered qosSection(const Inputs &in) {
    const MetricIds &m = in.m;
    ordered qos;
    for (int q = 0; q < kQosClasses; ++q) {
        const QosClass &cls = in.s.qos[q];
        const uint64_t n = in.sum(m.qosOps[q]);
        ordered o;
        if (n == 0) {
            o["no_data"] = true;
            qos[qosName(q)] = o;
            continue;
        }
        const mlps_metric_summary l = in.read(m.qosLatency[q]);
        o["total_requests"] = n;
        o["priority"] = cls.priority;
        ordered lat;
        lat["mean"] = ms(l.mean);
        lat["p50"] = ms(l.p50);
        lat["p95"] = ms(l.p95);
        lat["p99"] = ms(l.p99);
        lat["max"] = ms(static_cast<double>(l.max));
        o["latency_ms"] = lat;
        const double over95 = static_cast<double>(in.sum(m.qosOverP95[q]));
        const double over99 = static_cast<double>(in.sum(m.qosOverP99[q]));
        ordered sla;
        sla["target_p95_ms"] = cls.targetP95Ms;
        sla["actual_p95_ms"] = ms(l.p95);
        sla["compliance"] = 1.0 - over95 / static_cast<double>(n);
        sla["met"] = 1.0 - over95 / static_cast<double>(n) >= 0.95;
        sla["target_p99_ms"] = cls.targetP99Ms;
        sla["actual_p99_ms"] = ms(l.p99);
        sla["p99_compliance"] = 1.0 - over99 / static_cast<double>(n);
        sla["p99_met"] = 1.0 - over99 / static_cast<double>(n) >= 0.99;
        o["sla"] = sla;
        qos[qosName(q)] = o;
    }
    return qos;
}

ordered multiTurnSection(const Inputs &in) {
    ordered mt;
    mt["cache_hits"] = in.mtHits;
    mt["cache_misses"] = in.mtMisses;
    mt["hit_rate"] = in.mtHits + in.mtMisses != 0
                         ? static_cast<double>(in.mtHits) / (in.mtHits + in.mtMisses)
                         : 0.0;
    return mt;
}

ordered admissionSection(const Inputs &in) {
    const Settings &s = in.s;
    ordered admission;
    admission["arrivals"] = s.arrivals == Arrivals::Closed ? "closed" : "open";
    admission["admitted_total"] = in.e.admittedTotal;
    admission["rejected"] = in.sum(in.m.rejected);
    admission["rejected_total"] = in.e.rejectedTotal;
    admission["peak_queue"] = in.e.peakQueue;
    admission["max_queue"] = s.maxQueue;
    admission["queue_wait_ms"] = percentilesMs(in.wait);
    return admission;
}

ordered entrySizeSection(const Inputs &in) {
    const mlps_metric_summary &sizes = in.entrySizes;
    ordered es;
    es["count"] = sizes.count;
    es["min"] = sizes.min;
    es["mean"] = sizes.mean;
    es["p50"] = sizes.p50;
    es["p95"] = sizes.p95;
    es["max"] = sizes.max;
    return es;
}

} // namespace mlps::kvcache::report
