// The report's sections about what ran: the model, the workload, the request source, verify.
#include "report_parts.hpp"

namespace mlps::kvcache::report {

ordered modelSection(const Inputs &in) {
    const Settings &s = in.s;
    ordered model;
    model["key"] = s.model.key;
    model["name"] = s.model.name;
    model["bytes_per_token"] = s.bytesPerToken;
    model["tensor_parallel"] = s.tensorParallel;
    model["entry_bytes_per_token"] = static_cast<double>(s.bytesPerToken) / s.tensorParallel;
    return model;
}

ordered workloadSection(const Inputs &in) {
    const Settings &s = in.s;
    ordered workload;
    workload["users"] = in.users;
    workload["users_per_rank"] = s.users;
    workload["workers"] = s.workers;
    workload["arrivals"] = s.arrivals == Arrivals::Closed ? "closed" : "open";
    workload["max_queue"] = s.maxQueue;
    workload["generation_mode"] = s.generationMode;
    workload["token_time_ms"] = static_cast<double>(s.tokenTimeNs) / 1e6;
    workload["performance_profile"] = s.performanceProfile;
    workload["multi_turn"] = s.multiTurn;
    workload["prefill_only"] = s.prefillOnly;
    workload["decode_only"] = s.decodeOnly;
    workload["max_concurrent_allocs"] = s.maxConcurrentAllocs;
    workload["promote_on_read"] = s.promoteOnRead;
    workload["chunk_size_bytes"] = s.chunkSize;
    workload["queue_depth"] = s.queueDepth;
    workload["seed"] = in.info.seed;
    return workload;
}

ordered sourceSection(const Inputs &in) {
    const Settings &s = in.s;
    const MetricIds &m = in.m;
    ordered source;
    source["kind"] = sourceName(s.source);
    if (s.source != SourceKind::Synthetic) {
        source["dataset_path"] = s.datasetPath;
        source["replay_cycles"] = s.replayCycles;
        source["trace_speedup"] = s.traceSpeedup;
    }
    source["trace_only"] = s.traceOnly;
    if (!s.ioTrace.empty()) {
        source["io_trace"] = s.ioTrace;
    }
    if (m.hasBlocks) {
        // Block-level prefix reuse (mooncake): every hash id is an entry of block_tokens.
        const double blockHits = static_cast<double>(in.sum(m.blockHits));
        const double blockRefs = blockHits + static_cast<double>(in.sum(m.blockMisses));
        const mlps_metric_summary prefix = in.read(m.prefixTokensHit);
        ordered blocks;
        blocks["block_tokens"] = s.blockTokens;
        blocks["block_hits"] = in.sum(m.blockHits);
        blocks["block_misses"] = in.sum(m.blockMisses);
        blocks["block_hit_rate"] = blockRefs > 0 ? blockHits / blockRefs : 0.0;
        blocks["prefix_tokens_hit_per_request"] = {
            {"mean", prefix.mean}, {"p50", prefix.p50}, {"p95", prefix.p95}, {"max", prefix.max}};
        blocks["bytes_saved"] = in.sum(m.bytesSaved);
        source["blocks"] = blocks;
    }
    return source;
}

ordered verifySection(const Inputs &in) {
    ordered verify;
    verify["enabled"] = in.s.verify;
    verify["checked_bytes"] = in.sum(in.m.verifyChecked);
    verify["mismatched_bytes"] = in.sum(in.m.verifyMismatched);
    return verify;
}

} // namespace mlps::kvcache::report
