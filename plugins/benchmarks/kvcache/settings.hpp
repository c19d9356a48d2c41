// kvcache's options, read and checked once (by the constructor and by plan()).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <mlps/plugin.hpp>

#include "feature_settings.hpp"
#include "models.hpp"

namespace mlps::kvcache {

enum class Arrivals { Open, Closed };
// Where requests come from (source.hpp).
enum class SourceKind : uint8_t { Synthetic, ShareGpt, BurstGpt, Mooncake, Trace };
const char *sourceName(SourceKind kind);
enum class Profile : uint8_t { Chatbot = 0, Coding = 1, Document = 2 };
enum class Qos : uint8_t { Interactive = 0, Responsive = 1, Batch = 2 };
inline constexpr int kProfiles = 3;
inline constexpr int kQosClasses = 3;

struct ProfileRanges {
    const char *name = "";
    int64_t contextLo = 0, contextHi = 0; // tokens
    int64_t genLo = 0, genHi = 0;         // tokens
    double thinkLo = 0, thinkHi = 0;      // seconds
    double weight = 1;                    // relative share of users (reference: uniform)
};

struct QosClass {
    const char *name = "";
    int priority = 1;
    double share = 0;
    double targetP95Ms = 0;
    double targetP99Ms = 0;
};

struct EvictionParams {
    double targetUsage = 0.8;      // non-terminal tiers fill to this share of their limit
    double largeEntryLimit = 0.95; // a non-terminal tier refuses entries above this share
    double nearEmpty = 0.05;       // below this share a tier accepts without evicting
    uint32_t maxDepth = 10;        // waterfall recursion limit
};

struct Settings {
    ModelConfig model;
    uint64_t bytesPerToken = 0;
    uint32_t users = 100;
    uint32_t tensorParallel = 1;
    uint32_t workers = 0; // resolved: never 0 after parseSettings
    uint32_t queueDepth = 4;
    uint64_t chunkSize = 1ull << 20;
    Arrivals arrivals = Arrivals::Open;
    uint32_t maxQueue = 0;                  // resolved
    uint64_t virtualBandwidth = 2ull << 30; // bytes/s, closed arrivals' virtual clock
    std::string generationMode = "realistic";
    uint64_t tokenTimeNs = 30'000'000;
    std::string performanceProfile = "latency";
    bool multiTurn = true;
    uint32_t maxTurns = 50;
    double endConversation = 0.2;
    bool prefillOnly = false;
    bool decodeOnly = false;
    uint32_t decodeBatch = 32;
    uint32_t prefillOnlyThreshold = 10000;
    uint32_t maxConcurrentAllocs = 0;
    uint64_t maxRequests = 0;
    bool promoteOnRead = false;
    bool verify = false;
    std::string opLog;
    // Request sources other than synthetic (source.hpp) and trace mode.
    SourceKind source = SourceKind::Synthetic;
    std::string datasetPath; // the source's input file
    uint32_t maxConversations = 500;
    double requestRate = 0;     // sharegpt, open arrivals: requests/s over all users; 0 = no gap
    uint32_t replayCycles = 0;  // passes over the input; 0 = until the run ends
    double traceSpeedup = 1;    // timed sources: arrival = timestamp / speedup; 0 = no pacing
    uint32_t blockTokens = 512; // mooncake: tokens per hash id
    std::string ioTrace;        // the reference's --io-trace-log CSV (.zst: zstd)
    bool traceOnly = false;     // no I/O: plan every request on a virtual clock, log it
    uint32_t prepopulatePerUser = 10;
    uint32_t prepopulateTokens = 2048;
    std::array<ProfileRanges, kProfiles> profiles;
    std::array<QosClass, kQosClasses> qos;
    EvictionParams eviction;
    FeatureSettings features; // prefix cache, RAG, preconditioning, autoscaler

    // Chunk buffers a worker owns: queue_depth for writes plus queue_depth for reads and moves.
    uint64_t bufferBytesPerWorker() const { return 2ull * queueDepth * chunkSize; }
};

// The model table: built-in plus the spec's `models`.
ModelTable modelTable(const Config &config);
// Throws mlps::Error(MLPS_E_INVALID) with a message naming the option.
Settings parseSettings(const Config &config);

const char *profileName(int p);
const char *qosName(int q);

} // namespace mlps::kvcache
