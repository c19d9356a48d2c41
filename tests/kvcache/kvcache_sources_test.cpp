// Unit tests of kvcache's request sources on the sample inputs of share/traces/ (made by
// tools/make-sample-traces): each source's request stream, computed independently here from
// the file; ShareGPT turn and context accounting; BurstGPT arrival times; Mooncake hit rate
// against the trace's own block reuse; the reference's io_trace layout; bad input, one message
// per case, naming file:line(:column).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "planner.hpp"
#include "replay_store.hpp"
#include "settings.hpp"
#include "source.hpp"
#include "text_input.hpp"
#include "tier_cache.hpp"
#include "workload.hpp"

using namespace mlps::kvcache;
using nlohmann::json;

namespace {

const std::string kTraces = MLPS_TRACES_DIR;

Settings settingsFor(SourceKind kind, const std::string &file, uint32_t users = 1) {
    Settings s;
    s.source = kind;
    s.datasetPath = kTraces + "/" + file;
    s.users = users;
    s.replayCycles = 1;
    s.bytesPerToken = 1024;
    s.qos = {QosClass{"interactive", 3, 0.15, 50, 100},
             QosClass{"responsive", 2, 0.35, 100, 200},
             QosClass{"batch", 1, 0.50, 1000, 5000}};
    return s;
}

std::vector<Request> drain(RequestSource &src, uint32_t lane = 0) {
    std::vector<Request> out;
    Request r;
    while (src.next(lane, r)) {
        out.push_back(r);
    }
    return out;
}

// A file in a fresh temporary folder.
struct TempFile {
    std::filesystem::path path;
    TempFile(const std::string &name, const std::string &text) {
        const auto dir =
            std::filesystem::temp_directory_path() / ("kvcache-src-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        path = dir / name;
        std::ofstream(path) << text;
    }
    ~TempFile() { std::filesystem::remove(path); }
};

std::string errorOf(SourceKind kind, const std::string &path) {
    Settings s = settingsFor(kind, "");
    s.datasetPath = path;
    try {
        scanSource(s, SourceContext{});
    } catch (const mlps::Error &e) {
        CHECK(e.code() == MLPS_E_INVALID);
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("token estimator: letters /4, digits /3, symbols and code points 1, spaces free") {
    CHECK(estimateTokens("") == 0);
    CHECK(estimateTokens("hello world") == 4); // 2 + 2
    CHECK(estimateTokens("a, b!") == 4);       // a , b !
    CHECK(estimateTokens("1234567") == 3);     // 3 digit groups
    CHECK(estimateTokens("caf\xc3\xa9") == 2); // "caf" + one code point
    CHECK(estimateTokens("   \n\t") == 0);
}

TEST_CASE("sharegpt: one conversation per user, context grows turn by turn") {
    const Settings s = settingsFor(SourceKind::ShareGpt, "sharegpt-sample.json");
    auto src = makeSource(s, SourceContext{});
    const auto got = drain(*src);
    // The expected stream, from the JSON itself.
    std::ifstream in(s.datasetPath);
    const json doc = json::parse(in);
    std::vector<Request> want;
    uint64_t conversation = 0;
    for (const auto &c : doc) {
        uint64_t history = 0;
        uint32_t previousAnswer = 0;
        uint32_t turn = 0;
        const auto &m = c["conversations"];
        bool any = false;
        for (size_t i = 0; i + 1 < m.size(); ++i) {
            if (m[i]["from"] != "human" || m[i + 1]["from"] != "gpt") {
                continue;
            }
            const uint32_t q =
                std::max<uint32_t>(1, estimateTokens(m[i]["value"].get<std::string>()));
            const uint32_t a =
                std::max<uint32_t>(1, estimateTokens(m[i + 1]["value"].get<std::string>()));
            Request r;
            r.turn = ++turn;
            r.context = static_cast<uint32_t>(std::min<uint64_t>(history + q, 16384));
            r.entryTokens = std::min<uint32_t>(previousAnswer + q, r.context);
            r.generation = std::min<uint32_t>(a, 2048);
            r.conversation = conversation;
            history += q + a;
            previousAnswer = a;
            want.push_back(r);
            any = true;
            ++i;
        }
        conversation += any ? 1 : 0;
    }
    REQUIRE(got.size() == want.size());
    REQUIRE(want.size() > 24);
    std::string key;
    for (size_t i = 0; i < want.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i].turn == want[i].turn);
        CHECK(got[i].context == want[i].context);
        CHECK(got[i].entryTokens == want[i].entryTokens);
        CHECK(got[i].generation == want[i].generation);
        CHECK(got[i].conversation == want[i].conversation);
        requestKey(got[i], Settings{}, key);
        CHECK(key == "sharegpt_" + std::to_string(want[i].conversation) + "_turn_" +
                         std::to_string(want[i].turn));
    }
    const SourceSummary sum = scanSource(s, SourceContext{});
    CHECK(sum.requests == want.size());
    CHECK(sum.items == 23); // one of the 24 conversations has no usable turn
}

TEST_CASE("sharegpt: a turn reads every earlier turn of its conversation") {
    Settings s = settingsFor(SourceKind::ShareGpt, "sharegpt-sample.json");
    s.prefillOnly = true;
    auto src = makeSource(s, SourceContext{});
    TierCache cache({{"t0", 1ull << 40}}, EvictionParams{}, false, "x.");
    Planner planner(s, 1);
    Request r;
    while (src->next(0, r)) {
        Plan plan;
        PlanStats st;
        planner.plan(r, cache, plan, st);
        CHECK(st.multiTurnHits == r.turn - 1);
        CHECK(st.prefillWrites == 1);
        CHECK(plan.steps.back().target->size == uint64_t{r.entryTokens} * 1024);
    }
}

TEST_CASE("burstgpt: arrivals at timestamp / speedup, one new key per row, cycles continue") {
    Settings s = settingsFor(SourceKind::BurstGpt, "burstgpt-sample.csv", 3);
    s.traceSpeedup = 2;
    s.replayCycles = 2;
    auto src = makeSource(s, SourceContext{});
    REQUIRE(src->timed());
    std::vector<std::vector<std::string>> rows;
    {
        std::ifstream in(s.datasetPath);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::vector<std::string> f;
            std::stringstream ss(line);
            std::string x;
            while (std::getline(ss, x, ',')) {
                f.push_back(x);
            }
            rows.push_back(f);
        }
    }
    REQUIRE(rows.size() == 200);
    const double t0 = std::stod(rows[0][0]);
    const double span = std::stod(rows.back()[0]) - t0;
    std::set<std::string> keys;
    std::string key;
    Request r;
    for (size_t i = 0; i < 2 * rows.size(); ++i) {
        REQUIRE(src->next(static_cast<uint32_t>(i % 3), r)); // any lane takes the next row
        const auto &row = rows[i % rows.size()];
        const double cycleBase = i < rows.size() ? 0 : span / 2;
        CHECK(std::fabs(static_cast<double>(r.atNs) / 1e9 -
                        (cycleBase + (std::stod(row[0]) - t0) / 2)) < 1e-6);
        CHECK(r.context == std::stoul(row[2]));
        CHECK(r.generation == std::stoul(row[3]));
        requestKey(r, s, key);
        CHECK(keys.insert(key).second);
    }
    CHECK_FALSE(src->next(0, r));
}

TEST_CASE("mooncake: the hit rate is the trace's block reuse") {
    for (const char *file : {"mooncake-sample.jsonl", "mooncake-slice.jsonl"}) {
        CAPTURE(file);
        Settings s = settingsFor(SourceKind::Mooncake, file);
        s.blockTokens = 512;
        auto src = makeSource(s, SourceContext{});
        TierCache cache({{"t0", 1ull << 50}}, EvictionParams{}, false, "x.");
        Planner planner(s, 1);
        uint64_t hits = 0, misses = 0, prefix = 0, saved = 0;
        Request r;
        while (src->next(0, r)) {
            Plan plan;
            PlanStats st;
            planner.plan(r, cache, plan, st);
            hits += st.blockHits;
            misses += st.blockMisses;
            prefix += st.prefixTokensHit;
            saved += st.bytesSaved;
            CHECK(st.hits == st.blockHits);
        }
        // Independently: a block reference hits when its id was seen on an earlier line (or
        // earlier on the same line); the prefix is the leading run of such ids.
        std::ifstream in(kTraces + "/" + file);
        std::string line;
        std::set<uint64_t> seen;
        uint64_t wantHits = 0, wantRefs = 0, wantPrefix = 0;
        while (std::getline(in, line)) {
            const json j = json::parse(line);
            bool leading = true;
            for (const auto &id : j["hash_ids"]) {
                const bool hit = !seen.insert(id.get<uint64_t>()).second;
                wantHits += hit ? 1 : 0;
                leading = leading && hit;
                wantPrefix += leading ? 512 : 0;
                ++wantRefs;
            }
        }
        CHECK(hits == wantHits);
        CHECK(hits + misses == wantRefs);
        CHECK(prefix == wantPrefix);
        CHECK(saved == wantHits * 512 * 1024);
        CHECK(wantHits > 0);
    }
}

TEST_CASE("trace: the reference's io_trace layout, one request per timestamp") {
    Settings s = settingsFor(SourceKind::Trace, "io-trace-sample.csv");
    auto src = makeSource(s, SourceContext{0, 0, 1, {"gpu", "cpu", "nvme"}});
    std::ifstream in(s.datasetPath);
    std::string line;
    std::getline(in, line);
    CHECK(line == "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase");
    std::vector<std::string> rows;
    while (std::getline(in, line)) {
        rows.push_back(line);
    }
    size_t row = 0;
    Request r;
    while (src->next(0, r)) {
        for (const ReplayOp &op : r.payload->ops) {
            REQUIRE(row < rows.size());
            std::stringstream ss(rows[row++]);
            std::string ts, kind, bytes, tier, key, phase;
            std::getline(ss, ts, ',');
            std::getline(ss, kind, ',');
            std::getline(ss, bytes, ',');
            std::getline(ss, tier, ',');
            std::getline(ss, key, ',');
            std::getline(ss, phase, ',');
            CHECK(op.kind == (kind == "Read" ? ReplayOp::Kind::Read : ReplayOp::Kind::Write));
            CHECK(op.bytes == std::stoull(bytes));
            CHECK("Tier-" + std::to_string(op.tier) == tier);
            CHECK(op.key == key);
            CHECK(op.phase == (phase == "Prefill"  ? OpPhase::Prefill
                               : phase == "Decode" ? OpPhase::Decode
                                                   : OpPhase::Evict));
        }
    }
    CHECK(row == rows.size());
}

TEST_CASE("trace: replaying an op_log gives back its operations") {
    Settings s = settingsFor(SourceKind::Trace, "op-log-sample.csv");
    auto src = makeSource(s, SourceContext{0, 0, 1, {"dram", "nvme"}});
    ReplayStore store({1ull << 40, 1ull << 40}, 1, "x.");
    Planner planner(s, 1);
    planner.setReplayStore(&store);
    std::ifstream in(s.datasetPath);
    std::string line;
    std::getline(in, line);
    std::vector<std::string> want;
    while (std::getline(in, line)) {
        want.push_back(line.substr(line.find(',') + 1)); // without the time
    }
    std::vector<std::string> got;
    TierCache unused({}, EvictionParams{}, false, "y.");
    Request r;
    uint64_t request = 0;
    while (src->next(0, r)) {
        Plan plan;
        PlanStats st;
        planner.plan(r, unused, plan, st);
        for (const Step &step : plan.steps) {
            const char *tiers[] = {"dram", "nvme"};
            std::string tier = tiers[step.target->tier];
            std::string op = step.kind == StepKind::Read    ? "read"
                             : step.kind == StepKind::Write ? "write"
                             : step.kind == StepKind::Move  ? "demote"
                                                            : "delete";
            if (step.kind == StepKind::Move) {
                tier += std::string(">") + tiers[step.dest->tier];
            }
            got.push_back(std::to_string(request) + "," + op + "," + tier + "," + step.target->key +
                          "," + std::to_string(step.target->size) + "," + opPhaseName(step.phase));
        }
        ++request;
    }
    CHECK(got == want);
}

TEST_CASE("MPI ranks take disjoint shares of the input") {
    for (const auto &input : {std::pair{SourceKind::BurstGpt, "burstgpt-sample.csv"},
                              std::pair{SourceKind::Mooncake, "mooncake-sample.jsonl"},
                              std::pair{SourceKind::ShareGpt, "sharegpt-sample.json"}}) {
        // Not a structured binding: clang 14 (clang-tidy) cannot capture one in a lambda.
        const SourceKind kind = input.first;
        const char *const file = input.second;
        CAPTURE(file);
        const Settings s = settingsFor(kind, file);
        // What a request is, whatever rank plays it: its lengths and arrival.
        const auto stream = [&](uint32_t rank, uint32_t world) {
            auto src = makeSource(s, SourceContext{0, rank, world, {}});
            std::multiset<std::tuple<uint32_t, uint32_t, uint64_t, uint32_t>> out;
            for (const Request &r : drain(*src)) {
                out.insert({r.context, r.generation, r.atNs, r.turn});
            }
            return out;
        };
        const auto all = stream(0, 1);
        auto r0 = stream(0, 2);
        const auto r1 = stream(1, 2);
        CHECK(!r0.empty());
        CHECK(!r1.empty());
        CHECK(r0.size() + r1.size() == all.size());
        r0.insert(r1.begin(), r1.end());
        CHECK(r0 == all);
        const SourceSummary a = scanSource(s, SourceContext{});
        const SourceSummary b = scanSource(s, SourceContext{0, 0, 2, {}});
        const SourceSummary c = scanSource(s, SourceContext{0, 1, 2, {}});
        CHECK(b.requests + c.requests == a.requests);
        CHECK(a.requests == all.size());
    }
}

TEST_CASE("bad input: one message per case, naming the file and line") {
    SUBCASE("empty files") {
        const TempFile e("empty.json", "");
        CHECK(errorOf(SourceKind::ShareGpt, e.path).find("the file is empty") != std::string::npos);
        CHECK(errorOf(SourceKind::BurstGpt, e.path).find("the file is empty") != std::string::npos);
        CHECK(errorOf(SourceKind::Mooncake, e.path).find("the file is empty") != std::string::npos);
        CHECK(errorOf(SourceKind::Trace, e.path).find("the file is empty") != std::string::npos);
    }
    SUBCASE("no usable conversations") {
        const TempFile f("none.json",
                         "[\n {\"conversations\": [{\"from\": \"gpt\", \"value\": \"x\"}]}\n]\n");
        CHECK(errorOf(SourceKind::ShareGpt, f.path).find("no usable conversations") !=
              std::string::npos);
    }
    SUBCASE("malformed JSON: line and column") {
        const TempFile f(
            "bad.json",
            "[\n {\"conversations\": [\n  {\"from\": \"human\" \"value\": \"x\"}]}\n]\n");
        const std::string e = errorOf(SourceKind::ShareGpt, f.path);
        CHECK(e.find(f.path.string() + ":3:") != std::string::npos);
        CHECK(e.find("malformed JSON") != std::string::npos);
        const TempFile g("bad.jsonl",
                         "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": "
                         "1, \"hash_ids\": [1]}\n{\"timestamp\": 2,, }\n");
        CHECK(errorOf(SourceKind::Mooncake, g.path).find(g.path.string() + ":2:") !=
              std::string::npos);
        const TempFile h("notalist.json", "{\"conversations\": []}");
        CHECK(errorOf(SourceKind::ShareGpt, h.path).find(":1:1: expected a JSON list") !=
              std::string::npos);
    }
    SUBCASE("unknown columns") {
        const TempFile f("cols.csv", "Timestamp,Model,Request tokens,Response tokens,Colour\n");
        const std::string e = errorOf(SourceKind::BurstGpt, f.path);
        CHECK(e.find(f.path.string() + ":1:") != std::string::npos);
        CHECK(e.find("unknown column 'Colour'") != std::string::npos);
        const TempFile g("cols2.csv", "Timestamp,Operation,Size,Tier,Key,Phase\n");
        CHECK(errorOf(SourceKind::Trace, g.path).find("unknown column 'Size'") !=
              std::string::npos);
        const TempFile h("field.jsonl",
                         "{\"timestamp\": 1, \"input_length\": 5, "
                         "\"output_length\": 1, \"hash_ids\": [1], \"x\": 2}\n");
        CHECK(errorOf(SourceKind::Mooncake, h.path).find("unknown field 'x'") != std::string::npos);
    }
    SUBCASE("non-monotonic timestamps") {
        const TempFile f("time.csv",
                         "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
                         "5,ChatGPT,10,2,12,Conversation log\n"
                         "4,ChatGPT,10,2,12,Conversation log\n");
        const std::string e = errorOf(SourceKind::BurstGpt, f.path);
        CHECK(e.find(f.path.string() + ":3:1: non-monotonic timestamps") != std::string::npos);
        const TempFile g("time.jsonl",
                         "{\"timestamp\": 9, \"input_length\": 5, \"output_length\": 1, "
                         "\"hash_ids\": [1]}\n{\"timestamp\": 2, \"input_length\": 5, "
                         "\"output_length\": 1, \"hash_ids\": [1]}\n");
        CHECK(errorOf(SourceKind::Mooncake, g.path).find(":2: non-monotonic timestamps") !=
              std::string::npos);
    }
    SUBCASE("a bad number names its column") {
        const TempFile f("num.csv",
                         "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
                         "5,ChatGPT,ten,2,12,Conversation log\n");
        CHECK(errorOf(SourceKind::BurstGpt, f.path).find(":2:11: Request tokens: expected") !=
              std::string::npos);
    }
}

TEST_CASE("input is streamed: long lines and files larger than the read buffer") {
    std::string text;
    for (int i = 0; i < 3000; ++i) {
        text += "{\"timestamp\": " + std::to_string(i) +
                ", \"input_length\": 1024, \"output_length\": 3, \"hash_ids\": [" +
                std::to_string(i % 7) + ", " + std::to_string(i) + "]}\n";
    }
    text += "{\"timestamp\": 5000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [";
    for (int i = 0; i < 20000; ++i) {
        text += std::to_string(i) + (i + 1 < 20000 ? "," : "");
    }
    text += "]}"; // the last line has no newline
    const TempFile f("big.jsonl", text);
    Settings s = settingsFor(SourceKind::Mooncake, "");
    s.datasetPath = f.path.string();
    const SourceSummary sum = scanSource(s, SourceContext{});
    CHECK(sum.requests == 3001);
    CHECK(sum.spanS == doctest::Approx(5.0));
}

TEST_CASE("sharegpt scanner: brackets, braces and escaped quotes inside strings") {
    const TempFile f("tricky.json",
                     "[{\"id\": \"a]}\", \"conversations\": [\n"
                     "  {\"from\": \"human\", \"value\": \"x } ] \\\" { [ \\\\\"},\n"
                     "  {\"from\": \"gpt\", \"value\": \"ok\"}]},\n"
                     " {\"conversations\": [{\"from\": \"human\", \"value\": \"q\"},"
                     " {\"from\": \"gpt\", \"value\": \"[{\"}]}]\n");
    Settings s = settingsFor(SourceKind::ShareGpt, "");
    s.datasetPath = f.path.string();
    auto src = makeSource(s, SourceContext{});
    const auto got = drain(*src);
    REQUIRE(got.size() == 2);
    CHECK(got[0].context == estimateTokens("x } ] \" { [ \\"));
    CHECK(got[1].conversation == 1);
    CHECK(got[1].generation == 2); // "[{": two symbols
}
