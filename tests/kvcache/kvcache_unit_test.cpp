// Unit tests of kvcache's internals (no host): models, settings, workload rules, the tier
// cache's LRU and waterfall, and the data generator. The plugin's host-free sources are
// compiled into this test directly.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "data_gen.hpp"
#include "kvcache_options.hpp"
#include "models.hpp"
#include "option_set.hpp"
#include "planner.hpp"
#include "rng.hpp"
#include "settings.hpp"
#include "tier_cache.hpp"
#include "workload.hpp"

using namespace mlps::kvcache;
using mlps::kvcache::test::Options;

namespace {

TierCache makeCache(std::vector<uint64_t> limits, bool promote = false) {
    std::vector<TierCache::TierLimit> tiers;
    for (size_t i = 0; i < limits.size(); ++i) {
        tiers.push_back({"t" + std::to_string(i), limits[i]});
    }
    return TierCache(std::move(tiers), EvictionParams{}, promote, "x.");
}

size_t count(const Plan &plan, StepKind kind) {
    size_t n = 0;
    for (const auto &s : plan.steps) {
        n += s.kind == kind ? 1 : 0;
    }
    return n;
}

} // namespace

TEST_CASE("bytes per token of every built-in model") {
    const std::map<std::string, uint64_t> expected = {
        {"tiny-1b", 24576},
        {"mistral-7b", 131072},
        {"llama2-7b", 524288},
        {"llama3.1-8b", 131072},
        {"llama3.1-70b-instruct", 327680},
        {"deepseek-v3", 70272}, // MLA: 61 x (512 + 64) x 2
        {"qwen3-32b", 262144},  // head_dim 128 (the code, not the README's 80)
        {"gpt-oss-120b", 73728},
        {"gpt-oss-20b", 49152},
    };
    const ModelTable &table = builtinModels();
    CHECK(table.size() == expected.size());
    for (const auto &[key, bpt] : expected) {
        const std::string &model = key; // clang 14 cannot capture a structured binding (INFO)
        INFO(model);
        REQUIRE(table.count(key) == 1);
        CHECK(table.find(key)->second.bytesPerToken() == bpt);
    }
    const ModelConfig &ds = table.find("deepseek-v3")->second;
    CHECK(ds.attention == "mla");
    CHECK(ds.bytesPerToken() == 61ull * (512 + 64) * 2);
}

TEST_CASE("describe lists every built-in model in the 'model' option's help") {
    std::string help;
    for (const auto &o : kOptions) {
        CHECK(o.help != nullptr);
        if (std::string(o.name) == "model") {
            help = o.help;
        }
    }
    for (const auto &[key, m] : builtinModels()) {
        const std::string &model = key; // clang 14 cannot capture a structured binding (INFO)
        INFO(model);
        CHECK(help.find(key + " (" + std::to_string(m.bytesPerToken())) != std::string::npos);
    }
}

TEST_CASE("tensor parallel divides every entry") {
    CHECK(entryBytes(131072, 1000, 1) == 131072000);
    CHECK(entryBytes(131072, 1000, 2) == 65536000);
    CHECK(entryBytes(131072, 1000, 8) == 16384000);
    CHECK(entryBytes(70272, 3, 4) == 70272 * 3 / 4);
    Settings s = Options().str("model", "llama3.1-8b").integer("tensor_parallel", 4).parse();
    Planner planner(s, 1);
    CHECK(planner.entrySize(1000) == 131072000 / 4);
    Planner aligned(s, 4096);
    CHECK(aligned.entrySize(1) % 4096 == 0);
    CHECK(aligned.entrySize(1) >= 131072 / 4);
}

TEST_CASE("models defined in the spec: added, overridden, checked") {
    Settings s = Options()
                     .str("model", "my-mla")
                     .str("models",
                          R"({"my-mla": {"num_layers": 10, "hidden_dim": 1024, "num_heads": 8,
                               "kv_heads": 8, "attention_type": "mla", "kv_lora_rank": 256,
                               "qk_rope_head_dim": 32, "dtype": "bfloat16"}})",
                          MLPS_OPT_JSON)
                     .parse();
    CHECK(s.bytesPerToken == 10 * (256 + 32) * 2);
    Settings o =
        Options().str("models", R"({"llama3.1-8b": {"dtype": "float32"}})", MLPS_OPT_JSON).parse();
    CHECK(o.bytesPerToken == 2 * 131072);
    const std::string bad =
        Options().str("models", R"({"llama3.1-8b": {"num_layer": 3}})", MLPS_OPT_JSON).error();
    CHECK(bad.find("models.llama3.1-8b.num_layer") != std::string::npos);
    const std::string mismatch =
        Options()
            .str("models",
                 R"({"tiny-1b": {"kv_heads": 8, "bytes_per_token": 24576}})",
                 MLPS_OPT_JSON)
            .error();
    CHECK(mismatch.find("bytes_per_token") != std::string::npos);
}

TEST_CASE("bad options are rejected with the key named") {
    CHECK(Options().str("model", "llama9").error().find("'model'") != std::string::npos);
    CHECK(Options()
              .str("profiles", R"({"coding": {"context": [100, 10]}})", MLPS_OPT_JSON)
              .error()
              .find("profiles.coding.context") != std::string::npos);
    CHECK(Options()
              .str("profiles", R"({"gaming": {}})", MLPS_OPT_JSON)
              .error()
              .find("profiles.gaming") != std::string::npos);
    CHECK(Options().str("qos", R"({"batch": {"share": 0.9}})", MLPS_OPT_JSON).error().find("qos") !=
          std::string::npos);
    CHECK(Options()
              .boolean("prefill_only", true)
              .boolean("decode_only", true)
              .error()
              .find("prefill_only") != std::string::npos);
    CHECK(Options().size("chunk_size", 5000).error().find("chunk_size") != std::string::npos);
}

TEST_CASE("users: deterministic from the seed, QoS mix 15/35/50") {
    Settings s = Options().integer("users", 10000).parse();
    const auto a = makeUsers(s, 42, 0);
    const auto b = makeUsers(s, 42, 0);
    const auto c = makeUsers(s, 43, 0);
    int qos[3] = {0, 0, 0};
    int profiles[3] = {0, 0, 0};
    bool differs = false;
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].contextLength == b[i].contextLength);
        CHECK(a[i].qos == b[i].qos);
        differs = differs || a[i].contextLength != c[i].contextLength;
        ++qos[static_cast<int>(a[i].qos)];
        ++profiles[static_cast<int>(a[i].profile)];
        const ProfileRanges &p = s.profiles[static_cast<int>(a[i].profile)];
        CHECK(a[i].contextLength >= p.contextLo);
        CHECK(a[i].contextLength <= p.contextHi);
    }
    CHECK(differs);
    CHECK(qos[0] > 1300);
    CHECK(qos[0] < 1700);
    CHECK(qos[1] > 3200);
    CHECK(qos[1] < 3800);
    CHECK(qos[2] > 4700);
    CHECK(qos[2] < 5300);
    for (int p : profiles) {
        CHECK(p > 3000);
    }
}

TEST_CASE("per-request rules: context in [L/4, L], prefill-only at the threshold") {
    Settings s = Options().integer("users", 50).parse();
    auto users = makeUsers(s, 7, 0);
    Request r;
    int prefillOnly = 0;
    for (int i = 0; i < 5000; ++i) {
        User &u = users[i % users.size()];
        nextRequest(u, s, r);
        CHECK(r.context >= std::max<uint32_t>(1, u.contextLength / 4));
        CHECK(r.context <= u.contextLength);
        CHECK(r.generation <= u.generationLength);
        CHECK((r.phase == RequestPhase::Prefill) == (r.context >= 10000));
        prefillOnly += r.phase == RequestPhase::Prefill ? 1 : 0;
        CHECK(r.turn >= 1);
        CHECK(r.turn <= 50);
    }
    CHECK(prefillOnly > 0);
}

TEST_CASE("decode read count: 1 + max(1, ceil(gen / batch))") {
    CHECK(decodeReads(128, 32) == 5); // the code's count (the proposal says 4)
    CHECK(decodeReads(100, 32) == 5);
    CHECK(decodeReads(10, 32) == 2);
    CHECK(decodeReads(1, 32) == 2);
    CHECK(decodeReads(64, 16) == 5);

    Settings s = Options().boolean("multi_turn", false).parse();
    TierCache cache = makeCache({1ull << 40});
    Planner planner(s, 1);
    Request r;
    r.context = 100;
    r.generation = 100;
    r.phase = RequestPhase::PrefillDecode;
    Plan plan;
    PlanStats st;
    planner.plan(r, cache, plan, st);
    CHECK(count(plan, StepKind::Write) == 1);
    CHECK(count(plan, StepKind::Read) == 5);
    CHECK(st.decodeReads == 5);
    // Prefill-only requests (context >= 10000) do no decode reads.
    r.userRequest = 1;
    r.context = 12000;
    r.phase = RequestPhase::Prefill;
    plan.clear();
    planner.plan(r, cache, plan, st);
    CHECK(count(plan, StepKind::Read) == 0);
    CHECK(count(plan, StepKind::Write) == 1);
}

TEST_CASE("multi-turn: turn n reads every earlier turn (triangular)") {
    Settings s = Options().integer("decode_batch_size", 1000000).parse();
    TierCache cache = makeCache({1ull << 40});
    Planner planner(s, 1);
    Plan plan;
    PlanStats st;
    size_t multiTurnReads = 0;
    for (uint32_t turn = 1; turn <= 4; ++turn) {
        Request r;
        r.user = 3;
        r.conversation = 0;
        r.turn = turn;
        r.context = 100;
        r.generation = 10;
        plan.clear();
        planner.plan(r, cache, plan, st);
        for (const auto &step : plan.steps) {
            multiTurnReads += step.phase == OpPhase::MultiTurn ? 1 : 0;
        }
    }
    CHECK(multiTurnReads == 0 + 1 + 2 + 3);
    CHECK(st.multiTurnHits == 6);
    CHECK(st.prefillWrites == 4);
    // Decode: 1 + max(1, ceil(10 / 1000000)) = 2 reads per turn.
    CHECK(st.decodeReads == 4 * 2);
    CHECK(cache.contains("conv_user_0003_0_turn_4"));
}

TEST_CASE("LRU order: reads make an entry the most recent; the terminal tier deletes its LRU") {
    TierCache cache = makeCache({300});
    Plan plan;
    for (const char *k : {"a", "b", "c"}) {
        CHECK(cache.write(k, 100, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    }
    CHECK(cache.lruOrder(0) == std::vector<std::string>{"a", "b", "c"});
    CHECK(cache.read("a", OpPhase::Decode, plan));
    CHECK(cache.lruOrder(0) == std::vector<std::string>{"b", "c", "a"});
    CHECK(cache.write("a", 100, OpPhase::Prefill, plan) == TierCache::WriteResult::Exists);
    plan.clear();
    CHECK(cache.write("d", 100, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    REQUIRE(plan.steps.size() == 2);
    CHECK(plan.steps[0].kind == StepKind::Delete);
    CHECK(plan.steps[0].target->key == "b");
    CHECK(plan.steps[0].allocBegin);
    CHECK(plan.steps[1].kind == StepKind::Write);
    CHECK(plan.steps[1].allocEnd);
    CHECK(!cache.contains("b"));
    CHECK(cache.lruOrder(0) == std::vector<std::string>{"c", "a", "d"});
    CHECK(cache.used(0) == 300);
    CHECK(cache.evictions() == 1);
    // An entry larger than the terminal tier is refused, not forced in.
    plan.clear();
    CHECK(cache.write("huge", 301, OpPhase::Prefill, plan) == TierCache::WriteResult::NoRoom);
    CHECK(plan.steps.empty());
}

TEST_CASE("waterfall: 80% fill target, demotion to the next tier, 95% large-entry rule") {
    TierCache cache = makeCache({1000, 1000, 2000});
    Plan plan;
    CHECK(cache.write("a", 300, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    CHECK(cache.write("b", 300, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    CHECK(cache.tierOf("b") == 0);
    plan.clear();
    // 900 > 800 (80% of tier 0): the LRU entry 'a' moves to tier 1.
    CHECK(cache.write("c", 300, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    REQUIRE(plan.steps.size() == 2);
    CHECK(plan.steps[0].kind == StepKind::Move);
    CHECK(plan.steps[0].target->key == "a");
    CHECK(plan.steps[0].target->tier == 0);
    CHECK(plan.steps[0].dest->tier == 1);
    CHECK(plan.steps[0].target->object != plan.steps[0].dest->object);
    CHECK(cache.tierOf("a") == 1);
    CHECK(cache.tierOf("c") == 0);
    CHECK(cache.used(0) == 600);
    CHECK(cache.used(1) == 300);
    CHECK(cache.demotionsFrom(0) == 1);
    // Above 95% of a non-terminal tier: straight to the next tier that takes it.
    plan.clear();
    CHECK(cache.write("big", 960, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    CHECK(cache.tierOf("big") == 2);
    // A cascade: filling tier 0 again pushes tier 1 over its target, which pushes to tier 2.
    for (int i = 0; i < 6; ++i) {
        cache.write("e" + std::to_string(i), 300, OpPhase::Prefill, plan);
    }
    CHECK(cache.demotionsFrom(1) > 0);
    for (uint32_t t = 0; t < 3; ++t) {
        CHECK(cache.used(t) <= cache.limit(t));
    }
    CHECK(static_cast<double>(cache.used(0)) <= 0.8 * 1000);
}

TEST_CASE("promote_on_read moves a hit into the fastest tier") {
    TierCache cache = makeCache({1000, 10000}, true);
    Plan plan;
    cache.write("a", 500, OpPhase::Prefill, plan);
    cache.write("b", 500, OpPhase::Prefill, plan); // 1000 > 800: 'a' goes to tier 1
    CHECK(cache.tierOf("a") == 1);
    plan.clear();
    CHECK(cache.read("a", OpPhase::Decode, plan));
    CHECK(cache.tierOf("a") == 0);
    CHECK(cache.tierOf("b") == 1); // demoted to make room
    CHECK(cache.promotions() == 1);
    bool promoted = false;
    for (const auto &s : plan.steps) {
        promoted = promoted || (s.kind == StepKind::Move && s.phase == OpPhase::Promote);
    }
    CHECK(promoted);
}

TEST_CASE("data: reproducible from (seed, key), dedup-resistant at 4 KiB, verified") {
    const uint64_t chunk = 256 * 1024;
    DataGen a(42, chunk);
    DataGen b(42, chunk);
    std::vector<unsigned char> x(chunk), y(chunk);
    a.fill(x.data(), hashKey("k1"), chunk * 3, chunk);
    b.fill(y.data(), hashKey("k1"), chunk * 3, chunk);
    CHECK(x == y);
    // stamp() on a primed buffer gives the same bytes as fill().
    std::vector<unsigned char> z(chunk);
    a.prime(z.data(), chunk);
    a.stamp(z.data(), hashKey("k1"), chunk * 3, chunk);
    CHECK(z == x);
    CHECK(a.mismatches(x.data(), hashKey("k1"), chunk * 3, chunk) == 0);
    x[5] ^= 1;
    x[chunk - 1] ^= 0xff;
    CHECK(a.mismatches(x.data(), hashKey("k1"), chunk * 3, chunk) == 2);
    CHECK(a.mismatches(y.data(), hashKey("k2"), chunk * 3, chunk) > 0);

    // 50 entries of 1 MiB (4 chunks each): distinct 4 KiB blocks.
    std::set<std::string> blocks;
    size_t total = 0;
    for (int e = 0; e < 50; ++e) {
        const uint64_t key = hashKey("entry_" + std::to_string(e));
        for (uint64_t off = 0; off < 4 * chunk; off += chunk) {
            a.fill(x.data(), key, off, chunk);
            for (uint64_t blk = 0; blk < chunk; blk += 4096) {
                blocks.insert(std::string(reinterpret_cast<char *>(x.data() + blk), 4096));
                ++total;
            }
        }
    }
    const double duplicates = 1.0 - static_cast<double>(blocks.size()) / static_cast<double>(total);
    CHECK(duplicates < 0.01);
    // A different seed gives different bytes for the same key.
    DataGen c(43, chunk);
    c.fill(y.data(), hashKey("k1"), 0, chunk);
    a.fill(x.data(), hashKey("k1"), 0, chunk);
    CHECK(x != y);
}
