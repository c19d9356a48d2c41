// Unit tests of kvcache's prefix cache, RAG and autoscaler (host-free parts): the planner's
// steps for a request with a system prompt or a retrieval, the chunk picks, and the
// autoscaler's decisions on made-up windows (no clock: every sample carries its own time).
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "autoscaler.hpp"
#include "option_set.hpp"
#include "planner.hpp"
#include "prefix_cache.hpp"
#include "rag.hpp"
#include "settings.hpp"
#include "tier_cache.hpp"
#include "workload.hpp"

using namespace mlps::kvcache;
using mlps::kvcache::test::Options;

namespace {

TierCache bigCache() {
    return TierCache({{"t0", 1ull << 40}}, EvictionParams{}, false, "x.");
}

size_t keysLike(const Plan &plan, StepKind kind, const std::string &prefix) {
    size_t n = 0;
    for (const auto &s : plan.steps) {
        n += s.kind == kind && s.target->key.rfind(prefix, 0) == 0 ? 1 : 0;
    }
    return n;
}

AutoscaleSample sample(double latencyMs, Qos qos, uint64_t bytes, uint64_t doneNs) {
    return AutoscaleSample{static_cast<uint64_t>(latencyMs * 1e6), qos, bytes, doneNs};
}

} // namespace

TEST_CASE("prefix cache: the first request writes the system prompt, later ones read it") {
    Settings s = Options().boolean("multi_turn", false).parse();
    REQUIRE(s.features.prefix.enabled); // on by default, as the reference
    TierCache cache = bigCache();
    Planner planner(s, 1);
    PlanStats st;
    for (uint64_t i = 0; i < 4; ++i) {
        Request r;
        r.userRequest = i;
        r.context = 100;
        r.generation = 10;
        r.systemPrompt = 2; // prompt 1: the reference's second prompt, 9 tokens
        Plan plan;
        planner.plan(r, cache, plan, st);
        CHECK(keysLike(plan, StepKind::Write, "kv_system_") == (i == 0 ? 1 : 0));
        CHECK(keysLike(plan, StepKind::Read, "kv_system_") == (i == 0 ? 0 : 1));
    }
    CHECK(st.prefixRequests == 4);
    CHECK(st.systemPromptMisses == 1);
    CHECK(st.systemPromptHits == 3);
    CHECK(st.prefixBytesSaved == 3 * planner.entrySize(9));
    // The request's own entry leaves the prompt out.
    CHECK(cache.contains("user_0000_req_000000"));
    Plan plan;
    Request r;
    r.userRequest = 9;
    r.context = 100;
    r.generation = 10;
    r.systemPrompt = 2;
    planner.plan(r, cache, plan, st);
    for (const auto &step : plan.steps) {
        if (step.kind == StepKind::Write) {
            CHECK(step.target->size == planner.entrySize(100 - 9));
        }
    }
}

TEST_CASE("prefix cache: system prompts drawn with the asked probability, off when disabled") {
    Settings s =
        Options().real("system_prompt_hit_probability", 0.25).integer("system_prompts", 4).parse();
    int with = 0;
    std::set<uint32_t> prompts;
    for (uint64_t d = 0; d < 4000; ++d) {
        Request r;
        drawRequestFeatures(s, 7, 0, static_cast<uint32_t>(d % 10), d / 10, r);
        with += r.systemPrompt != 0 ? 1 : 0;
        if (r.systemPrompt != 0) {
            prompts.insert(r.systemPrompt);
        }
        CHECK(r.ragDoc == 0); // RAG is off by default
    }
    CHECK(with > 850);
    CHECK(with < 1150);
    CHECK(prompts == std::set<uint32_t>{1, 2, 3, 4});
    Settings off = Options().boolean("prefix_cache", false).parse();
    Request r;
    drawRequestFeatures(off, 7, 0, 0, 0, r);
    CHECK(r.systemPrompt == 0);
}

TEST_CASE("RAG: documents in chunks, a retrieval reads top_k distinct chunks") {
    Settings s = Options()
                     .str("model", "tiny-1b")
                     .boolean("rag", true)
                     .integer("rag_num_docs", 4)
                     .integer("rag_doc_tokens_min", 1000)
                     .integer("rag_doc_tokens_max", 2000)
                     .integer("rag_chunk_tokens", 128)
                     .integer("rag_top_k", 5)
                     .parse();
    RagLibrary lib(s, 3);
    REQUIRE(lib.documents() == 4);
    TierCache cache = bigCache();
    Planner planner(s, 1);
    planner.setRagLibrary(&lib);
    PlanStats ingest;
    uint64_t chunks = 0;
    for (uint32_t d = 0; d < 4; ++d) {
        CHECK(lib.documentTokens(d) >= 1000);
        CHECK(lib.documentTokens(d) <= 2000);
        CHECK(lib.chunks(d) == (lib.documentTokens(d) + 127) / 128);
        Plan plan;
        planner.planRagIngest(d, cache, plan, ingest);
        CHECK(keysLike(plan, StepKind::Write, "rag_doc_") == lib.chunks(d));
        chunks += lib.chunks(d);
    }
    CHECK(ingest.prefillWrites == chunks);
    PlanStats st;
    for (uint64_t draw = 0; draw < 200; ++draw) {
        const uint32_t doc = static_cast<uint32_t>(draw % 4);
        const auto picked = lib.pick(doc, draw);
        CHECK(picked.size() == 5);
        CHECK(std::set<uint32_t>(picked.begin(), picked.end()).size() == 5);
        Request r;
        r.userRequest = draw;
        r.context = 50;
        r.generation = 10;
        r.ragDoc = doc + 1;
        r.ragDraw = draw;
        Plan plan;
        planner.plan(r, cache, plan, st);
        CHECK(keysLike(plan, StepKind::Read, "rag_doc_") == 5);
    }
    CHECK(st.ragRetrievals == 200);
    CHECK(st.ragChunkReads == 1000);
    CHECK(st.ragChunkHits == 1000);
    // Zipfian: chunk 0 is picked more often than the last chunk.
    int first = 0, last = 0;
    for (uint64_t draw = 0; draw < 2000; ++draw) {
        for (uint32_t c : lib.pick(0, draw)) {
            first += c == 0 ? 1 : 0;
            last += c == lib.chunks(0) - 1 ? 1 : 0;
        }
    }
    CHECK(first > last);
}

TEST_CASE("autoscaler qos: up when far under target, down after two windows over") {
    std::array<QosClass, kQosClasses> qos = {QosClass{"interactive", 3, 0.15, 50, 100},
                                             QosClass{"responsive", 2, 0.35, 100, 200},
                                             QosClass{"batch", 1, 0.50, 1000, 5000}};
    AutoscalerSettings a;
    a.mode = AutoscaleMode::Qos;
    a.initialUsers = 4;
    a.window = 10;
    Autoscaler up(a, qos, 8);
    uint64_t t = 0;
    std::vector<uint32_t> users;
    for (int w = 0; w < 8; ++w) {
        for (int i = 0; i < 10; ++i) {
            up.observe(sample(1, Qos::Interactive, 1 << 20, t += 1000000), 0);
        }
        users.push_back(up.users());
    }
    CHECK(users == std::vector<uint32_t>{5, 6, 7, 8, 8, 8, 8, 8});
    CHECK(up.decisions().front().action == "scale_up");
    CHECK(up.decisions().back().action == "hold");

    a.initialUsers = 8;
    Autoscaler down(a, qos, 8);
    std::vector<std::string> actions;
    for (int w = 0; w < 7; ++w) {
        for (int i = 0; i < 10; ++i) {
            down.observe(sample(500, Qos::Interactive, 1 << 20, t += 1000000), 0);
        }
        actions.push_back(down.decisions().back().action);
    }
    // Over (10x the 50 ms target): a second window confirms, then 8 x 0.8 = 6, three windows
    // of cooldown, and again.
    CHECK(actions == std::vector<std::string>{
                         "hold", "scale_down", "hold", "hold", "hold", "hold", "scale_down"});
    CHECK(down.users() == 4);
    CHECK(down.decisions()[1].saturation == doctest::Approx(10.0));
}

TEST_CASE("autoscaler capacity: ramps while throughput rises, holds the sustainable count") {
    std::array<QosClass, kQosClasses> qos = {QosClass{"interactive", 3, 0.15, 1e6, 1e6},
                                             QosClass{"responsive", 2, 0.35, 1e6, 1e6},
                                             QosClass{"batch", 1, 0.50, 1e6, 1e6}};
    AutoscalerSettings a;
    a.mode = AutoscaleMode::Capacity;
    a.initialUsers = 1;
    a.window = 4;
    Autoscaler cap(a, qos, 100);
    uint64_t t = 0;
    // Throughput per window (bytes per ms of completions): rises with users up to 11, then flat.
    auto window = [&](uint64_t bytesPerRequest) {
        for (int i = 0; i < 4; ++i) {
            cap.observe(sample(1, Qos::Batch, bytesPerRequest, t += 1000000), 0);
        }
    };
    window(1000); // first: 1 -> 6 (at least 5)
    CHECK(cap.users() == 6);
    window(2000); // better: 6 -> 11
    CHECK(cap.users() == 11);
    window(3000); // better: 11 -> 16
    CHECK(cap.users() == 16);
    window(3000); // flat once: hold
    CHECK(cap.users() == 16);
    window(3010); // under 1 % better: flat twice, back to the best window's 11 users
    CHECK(cap.rampDone());
    CHECK(cap.users() == 11);
    CHECK(cap.peakUsers() == 11);
    CHECK(cap.decisions().back().action == "sustainable");
    window(9000); // the ramp is over: no more decisions
    CHECK(cap.users() == 11);
    CHECK(cap.decisions().size() == 5);
}
