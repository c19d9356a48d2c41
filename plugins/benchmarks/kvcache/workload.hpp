// The synthetic workload: users of the chatbot/coding/document profiles with a QoS class each,
// and the requests they make (reference doc section 3). Every user draws from its own random
// stream, so its request sequence depends on the seed only, never on thread timing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rng.hpp"
#include "settings.hpp"
#include "tier_cache.hpp"

namespace mlps::kvcache {

enum class RequestPhase : uint8_t {
    PrefillDecode, // write the context's KV, then decode reads
    Prefill,       // context >= prefill_only_threshold: write only
    Decode         // decode_only: reads of a pre-populated entry
};

struct User {
    uint32_t id = 0;
    Profile profile = Profile::Chatbot;
    Qos qos = Qos::Batch;
    uint32_t contextLength = 0; // the user's fixed context length L (tokens)
    uint32_t generationLength = 0;
    double thinkS = 0;
    Rng rng;
    uint64_t conversations = 0; // conversations started
    uint32_t turn = 0;          // turns of the open conversation; 0: none open
    uint64_t requests = 0;      // requests made
};

// One operation of a replayed trace (source: trace): what the trace says was done, to which
// tier (an index into the spec's tiers).
struct ReplayOp {
    enum class Kind : uint8_t { Read, Write, Delete, Move };
    Kind kind = Kind::Read;
    OpPhase phase = OpPhase::Decode;
    uint32_t tier = 0;
    uint32_t dest = 0; // Move: the destination tier
    uint64_t bytes = 0;
    std::string key;
};

// What a request carries besides its lengths, by source: Mooncake's prefix blocks, or a
// replayed trace's operations. Shared and immutable: requests are copied around.
struct RequestPayload {
    struct Turn {
        uint32_t question = 0; // tokens of the human message
        uint32_t answer = 0;   // tokens of the gpt reply
    };
    std::vector<Turn> turns;      // sharegpt: a conversation's usable (human, gpt) pairs
    std::vector<uint64_t> blocks; // mooncake: hash ids, one per block_tokens block
    std::vector<ReplayOp> ops;    // trace: the operations, in order
};

struct Request {
    SourceKind source = SourceKind::Synthetic;
    uint32_t user = 0;
    Qos qos = Qos::Batch;
    RequestPhase phase = RequestPhase::PrefillDecode;
    uint32_t context = 0;    // tokens
    uint32_t generation = 0; // tokens
    uint64_t conversation = 0;
    uint32_t turn = 0; // 0: not part of a conversation
    uint64_t userRequest = 0;
    uint32_t prepop = 0;  // decode_only: which pre-populated entry
    uint64_t thinkNs = 0; // gap between the user's previous request (or start) and this one
    // Timed sources (burstgpt, mooncake, trace): arrival in ns after the run's start, from the
    // trace's timestamps / trace_speedup (open arrivals).
    uint64_t atNs = 0;
    // ShareGPT: the tokens new in this turn (the previous answer and this question): the KV
    // this turn's entry holds; 0 = context (the whole context is new).
    uint32_t entryTokens = 0;
    uint64_t item = 0; // the source's item: burstgpt row, mooncake line, sharegpt conversation
    std::shared_ptr<const RequestPayload> payload;
    // Prefix cache and RAG (drawRequestFeatures): 0 = none, else 1 + the system prompt / the
    // RAG document the request uses; ragDraw seeds its choice of chunks.
    uint32_t systemPrompt = 0;
    uint32_t ragDoc = 0;
    uint64_t ragDraw = 0;
    // Filled by the scheduler.
    uint64_t seq = 0;
    uint64_t vtimeNs = 0;   // closed loop: virtual arrival time (the op log's clock)
    uint64_t arrivalNs = 0; // host clock
    uint64_t dispatchNs = 0;
};

// The user population of one rank: profile by weight, QoS by share, then the per-user fixed
// lengths and think time (reference: generate_mixed_users).
std::vector<User> makeUsers(const Settings &s, uint64_t seed, uint32_t rank);

// The user's next request: think, context in [L/4, L], generation in [G/4, G], phase, and the
// conversation bookkeeping (end with probability end_conversation_probability or after
// max_turns, else the next turn).
void nextRequest(User &user, const Settings &s, Request &out);

// The prefix cache's and RAG's draws for a request (its system prompt, its retrieval), from a
// stream of its own keyed by (seed, rank, lane, the lane's draw number): they never shift the
// source's own draws, and do not depend on thread timing. Mooncake, trace and decode_only
// requests get none (their I/O is the input's / the pre-populated entries').
void drawRequestFeatures(
    const Settings &s, uint64_t seed, uint32_t rank, uint32_t lane, uint64_t draw, Request &r);

// Reads a decode step makes of the entry: 1 + max(1, ceil(generation / batch)).
constexpr uint32_t decodeReads(uint32_t generation, uint32_t batch) {
    const uint32_t batched = (generation + batch - 1) / batch;
    return 1 + (batched < 1 ? 1 : batched);
}

// Keys as the reference spells them (minus its time-based conversation ids).
void requestKey(const Request &r, const Settings &s, std::string &out);
void turnKey(uint32_t user, uint64_t conversation, uint32_t turn, std::string &out);
// The key of turn `turn` of r's conversation, by source (synthetic: turnKey).
void turnKeyOf(const Request &r, uint32_t turn, std::string &out);
void blockKey(uint64_t hashId, std::string &out);
void prepopKey(uint32_t index, std::string &out);

} // namespace mlps::kvcache
