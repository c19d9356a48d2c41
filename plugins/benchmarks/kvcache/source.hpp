// The request source: what the next request is, kept apart from how the cache serves it (in the
// spirit of fio's I/O engines). A source never touches a tier: it yields Requests, the planner
// turns them into cache steps, the workers do the I/O.
//
// Scheduling lanes: the engine keeps one request of every lane drawn ahead and orders lanes by
// arrival (open) or by a virtual clock (closed). Synthetic lanes are users with their own
// streams; file sources hand the next item of the input to whichever lane asks, so the order
// of requests is the input's, whatever the number of lanes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "settings.hpp"
#include "workload.hpp"

namespace mlps::kvcache {

class RequestSource {
  public:
    virtual ~RequestSource() = default;
    virtual uint32_t lanes() const = 0;
    // The lane's next request; false when the source has nothing more for it (ever).
    virtual bool next(uint32_t lane, Request &out) = 0;
    // Open arrivals: requests carry their arrival time (Request::atNs) instead of a gap after
    // the lane's previous request (Request::thinkNs).
    virtual bool timed() const { return false; }
};

// What a whole source will produce on this rank (the --dry-run plan; a fast pass over the file).
struct SourceSummary {
    uint64_t requests = 0; // one pass (replay_cycles multiplies it)
    uint64_t contextTokens = 0;
    uint64_t generatedTokens = 0;
    uint64_t entryTokens = 0; // tokens of KV written if nothing hits (blocks: unique blocks)
    uint64_t items = 0;       // conversations, rows, lines or operations
    uint64_t opBytes = 0;     // trace: bytes of the replayed operations
    double spanS = 0;         // timed sources: last - first timestamp, s
};

struct SourceContext {
    uint64_t seed = 0;
    uint32_t rank = 0;
    uint32_t world = 1;
    std::vector<std::string> tierNames; // trace: the names an op_log's tier column may use
};

std::unique_ptr<RequestSource> makeSource(const Settings &s, const SourceContext &ctx);
// Reads the whole input (this rank's share) once, checking every line: the validate hook,
// --dry-run and create() call it so that bad input stops the run before any tier exists.
SourceSummary scanSource(const Settings &s, const SourceContext &ctx);

// The deterministic token estimator of sharegpt (no tokenizer, no download): see sources.md.
uint32_t estimateTokens(std::string_view text);
// QoS of a file source's item: drawn from (seed, item), so it does not depend on call order.
Qos itemQos(const Settings &s, uint64_t seed, uint64_t item);

} // namespace mlps::kvcache
