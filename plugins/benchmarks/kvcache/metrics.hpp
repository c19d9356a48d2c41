// The metrics kvcache records through the host (merged by the core across threads and ranks).
// Names follow the core's grouping rule: "<tier>.<class>.{bytes,ops,latency}" make one line
// per traffic class in the human summary.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <mlps/plugin.hpp>

#include "settings.hpp"

namespace mlps::kvcache {

// Traffic classes of a tier. Demotion and promotion I/O are classes of their own: the
// reference hides them.
enum OpClass : int {
    kClassRead = 0,     // hits: multi-turn and decode reads (and the read half of a promotion)
    kClassWrite,        // new entries: prefill writes (and pre-population)
    kClassDemoteRead,   // waterfall: reading the victim from the faster tier
    kClassDemoteWrite,  // ... and writing it to the slower one
    kClassPromoteWrite, // promote_on_read: writing a hit into the fastest tier
    kClassDelete,       // deleting an evicted or moved entry's object
    kOpClasses
};
const char *opClassName(int c);

struct ClassIds {
    mlps_metric_id latency = 0; // per chunk operation, submit to completion (ns)
    mlps_metric_id bytes = 0;
    mlps_metric_id ops = 0;
};

struct TierIds {
    std::array<ClassIds, kOpClasses> cls{};
    mlps_metric_id readEntryLatency = 0;  // a whole entry read (the reference's per-op latency)
    mlps_metric_id writeEntryLatency = 0; // a whole entry written (new, demoted or promoted)
    // Entries demoted into the tier: moves completed in the timed window (the offloads).
    mlps_metric_id demoteEntries = 0;
};

struct MetricIds {
    std::vector<TierIds> tiers;
    mlps_metric_id requests = 0, requestLatency = 0, storageLatency = 0, queueWait = 0,
                   generationLatency = 0, rejected = 0;
    mlps_metric_id tokensGenerated = 0, tokensContext = 0;
    mlps_metric_id hits = 0, misses = 0, multiTurnHits = 0, multiTurnMisses = 0, prefillWrites = 0,
                   decodeReads = 0, writesSkipped = 0, allocFailures = 0, evictions = 0,
                   demotions = 0, promotions = 0;
    // The users this rank simulates, recorded once when the timed phase starts: merged over the
    // ranks it is the job's user count (the report cannot tell a merged read from its own).
    mlps_metric_id users = 0;
    std::array<mlps_metric_id, kQosClasses> qosOps{}, qosLatency{}, qosOverP95{}, qosOverP99{};
    mlps_metric_id entrySize = 0;
    mlps_metric_id errors = 0, verifyChecked = 0, verifyMismatched = 0;
    // source: mooncake only (hasBlocks): block-level reuse.
    bool hasBlocks = false;
    mlps_metric_id blockHits = 0, blockMisses = 0, prefixTokensHit = 0, bytesSaved = 0;
};

// blocks: register the block-reuse metrics (source mooncake).
MetricIds
registerMetrics(const Host &host, const std::vector<std::string> &tierNames, bool blocks = false);

struct PlanStats;
// The per-request counters of a plan (hits, misses, writes, blocks): the worker after the I/O,
// trace mode at planning.
void recordPlanStats(const Host &host, const MetricIds &m, const PlanStats &st);

} // namespace mlps::kvcache
