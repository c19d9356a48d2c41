// The kvcache benchmark plugin: its option schema, descriptor and the exported manifest.
#include <mlps/benchmark.hpp>

#include "kvcache.hpp"
#include "kvcache_options.hpp"

namespace {

constexpr mlps_plugin_descriptor kDescriptor = mlps::benchmarkDescriptor<mlps::kvcache::KvCache>(
    "kvcache",
    "1.0.0",
    "KV-cache offload for LLM inference: users, multi-turn conversations, waterfall LRU "
    "tiers (MLPerf Storage v3 KV-cache successor); request sources synthetic, sharegpt, "
    "burstgpt, mooncake (block-level prefix reuse), trace (replay); trace mode (no I/O); a "
    "prefix cache that hits, RAG, preconditioning, an autoscaler that changes the users. Not "
    "yet: RAG, preconditioning and the autoscaler in trace mode",
    mlps::kvcache::kOptions);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
