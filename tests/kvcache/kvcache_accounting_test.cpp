// Unit tests of kvcache's end-of-pass bookkeeping (issue 11 section 2): an entry whose move was
// cut off when a pass stopped stays where its bytes are, so the cache's entry counts per tier
// are what the tiers hold. The engine's part (marking placements written, failed, existing) is
// done by hand here, as the workers would.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tier_cache.hpp"

using namespace mlps::kvcache;

namespace {

TierCache cacheOf(std::vector<uint64_t> limits) {
    std::vector<TierCache::TierLimit> tiers;
    for (size_t i = 0; i < limits.size(); ++i) {
        tiers.push_back({"t" + std::to_string(i), limits[i]});
    }
    return TierCache(std::move(tiers), EvictionParams{}, false, "kv.");
}

// What a worker does with a write or a move that completed: the object exists, its bytes are
// there, and a finished move forgets where it came from.
void completed(const PlacementPtr &p) {
    p->exists = true;
    p->written = true;
    p->failed = false;
    p->movedFrom.reset();
}

// Writes `key` and completes its write.
PlacementPtr written(TierCache &cache, const std::string &key, uint64_t size) {
    Plan plan;
    REQUIRE(cache.write(key, size, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    const PlacementPtr p = plan.steps.back().target;
    completed(p);
    return p;
}

// Writes `key`, which demotes the LRU entry of tier 0: returns that move's step.
Step writeDemoting(TierCache &cache, const std::string &key, uint64_t size) {
    Plan plan;
    REQUIRE(cache.write(key, size, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    completed(plan.steps.back().target);
    REQUIRE(plan.steps.front().kind == StepKind::Move);
    return plan.steps.front();
}

} // namespace

TEST_CASE("a demotion cut off at the stop: the entry stays in its source tier") {
    for (const bool started : {false, true}) {
        CAPTURE(started);
        TierCache cache = cacheOf({1000, 2000});
        const PlacementPtr a = written(cache, "a", 300);
        written(cache, "b", 300);
        const Step move = writeDemoting(cache, "c", 300); // 900 > 800: 'a' moves to tier 1
        CHECK(move.target == a);
        CHECK(cache.tierOf("a") == 1);
        if (started) {
            // Abandoned mid-stream: part of the destination was written, then it failed.
            move.dest->exists = true;
            move.dest->written = true;
            move.dest->failed = true;
        } // else: never started, the destination was not even created
        cache.dropFailed();
        CHECK(cache.tierOf("a") == 0);
        CHECK(cache.entries(0) == 3);
        CHECK(cache.used(0) == 900);
        CHECK(cache.entries(1) == 0);
        CHECK(cache.used(1) == 0);
        CHECK(a->current);               // its object is kept...
        CHECK_FALSE(move.dest->current); // ... and the half-written copy is swept
        CHECK(a->movedFrom == nullptr);
    }
}

TEST_CASE("two moves of one entry both cut off: back to where the bytes are") {
    TierCache cache = cacheOf({1000, 1000, 4000});
    const PlacementPtr a = written(cache, "a", 300);
    // Every other write and move completes; both moves of 'a' (tier 0 -> 1 -> 2) are cut off.
    Plan plan;
    for (int i = 0; i < 8 && cache.tierOf("a") != 2; ++i) {
        REQUIRE(cache.write("k" + std::to_string(i), 300, OpPhase::Prefill, plan) ==
                TierCache::WriteResult::Written);
    }
    REQUIRE(cache.tierOf("a") == 2);
    std::vector<PlacementPtr> copiesOfA;
    for (const Step &s : plan.steps) {
        if (s.kind == StepKind::Write) {
            completed(s.target);
        } else if (s.kind == StepKind::Move && s.target->key == "a") {
            copiesOfA.push_back(s.dest);
        } else if (s.kind == StepKind::Move) {
            completed(s.dest);
        }
    }
    REQUIRE(copiesOfA.size() == 2);
    cache.dropFailed();
    CHECK(cache.tierOf("a") == 0);
    CHECK(a->current);
    for (const PlacementPtr &p : copiesOfA) {
        CHECK_FALSE(p->current);
    }
    uint64_t entries = 0;
    uint64_t used = 0;
    for (uint32_t t = 0; t < 3; ++t) {
        entries += cache.entries(t);
        used += cache.used(t);
    }
    CHECK(entries == cache.entrySizes().size());
    CHECK(used == 300 * entries);
}

TEST_CASE("a move whose source is gone, or a new entry cut off, is forgotten") {
    TierCache cache = cacheOf({1000, 2000});
    const PlacementPtr a = written(cache, "a", 300);
    written(cache, "b", 300);
    const Step move = writeDemoting(cache, "c", 300);
    a->exists = false; // the source was deleted (a move that failed on an I/O error)
    Plan plan;
    REQUIRE(cache.write("d", 100, OpPhase::Prefill, plan) == TierCache::WriteResult::Written);
    // 'd' was never written: the pass stopped first.
    cache.dropFailed();
    CHECK(cache.tierOf("a") == -1);
    CHECK(cache.tierOf("d") == -1);
    CHECK(cache.tierOf("b") == 0);
    CHECK(cache.entries(0) == 2);
    CHECK(cache.entries(1) == 0);
    CHECK(cache.used(1) == 0);
    CHECK_FALSE(move.dest->current);
}

TEST_CASE("a completed demotion stays in the slower tier") {
    TierCache cache = cacheOf({1000, 2000});
    written(cache, "a", 300);
    written(cache, "b", 300);
    const Step move = writeDemoting(cache, "c", 300);
    completed(move.dest);
    cache.dropFailed();
    CHECK(cache.tierOf("a") == 1);
    CHECK(cache.entries(0) == 2);
    CHECK(cache.entries(1) == 1);
    CHECK(move.dest->current);
    CHECK_FALSE(move.target->current);
}
