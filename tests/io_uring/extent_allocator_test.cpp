// The extents layout's allocator on its own: alignment, best fit, coalescing, NO_SPACE when
// full, fragmented free space still serving a large object, and no overlap over many random
// allocate/release cycles (checked against a byte map).
#include <algorithm>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "extent_allocator.hpp"

using mlps::tiers::Extent;
using mlps::tiers::ExtentAllocator;
using mlps::tiers::mapRange;

namespace {
constexpr uint64_t kBlock = 4096;

uint64_t total(const std::vector<Extent> &extents) {
    uint64_t sum = 0;
    for (const Extent &e : extents) {
        sum += e.length;
    }
    return sum;
}
} // namespace

TEST_CASE("extent allocator: aligned allocations, rounded up, within the limit") {
    ExtentAllocator a(10 * kBlock + 100, kBlock); // the limit is cut to whole blocks
    CHECK(a.limit() == 10 * kBlock);
    CHECK(a.freeBytes() == 10 * kBlock);
    std::vector<Extent> out;
    REQUIRE(a.allocate(1, out));
    REQUIRE(a.allocate(kBlock + 1, out));
    REQUIRE(out.size() == 2);
    CHECK(out[0] == Extent{0, kBlock});
    CHECK(out[1] == Extent{kBlock, 2 * kBlock});
    CHECK(a.freeBytes() == 7 * kBlock);
    for (const Extent &e : out) {
        CHECK(e.offset % kBlock == 0);
        CHECK(e.length % kBlock == 0);
    }
    std::vector<Extent> none;
    CHECK(a.allocate(0, none));
    CHECK(none.empty());
}

TEST_CASE("extent allocator: NO_SPACE when full, space back after release") {
    ExtentAllocator a(4 * kBlock, kBlock);
    std::vector<Extent> out;
    REQUIRE(a.allocate(4 * kBlock, out));
    CHECK(a.freeBytes() == 0);
    std::vector<Extent> more;
    CHECK_FALSE(a.allocate(1, more));
    CHECK(more.empty()); // a failed allocation hands out nothing
    a.release(out[0]);
    CHECK(a.allocate(4 * kBlock, more));
    CHECK(more.size() == 1);
    std::vector<Extent> tooMuch;
    CHECK_FALSE(a.allocate(5 * kBlock, tooMuch));
}

TEST_CASE("extent allocator: released neighbours coalesce, in any order") {
    ExtentAllocator a(8 * kBlock, kBlock);
    std::vector<Extent> blocks;
    for (int i = 0; i < 8; ++i) {
        REQUIRE(a.allocate(kBlock, blocks));
    }
    CHECK(a.freeRanges() == 0);
    a.release(blocks[1]);
    a.release(blocks[3]);
    CHECK(a.freeRanges() == 2);
    a.release(blocks[2]); // joins both neighbours
    CHECK(a.freeRanges() == 1);
    a.release(blocks[0]);
    a.release(blocks[4]);
    CHECK(a.freeRanges() == 1);
    std::vector<Extent> big;
    REQUIRE(a.allocate(5 * kBlock, big));
    CHECK(big == std::vector<Extent>{{0, 5 * kBlock}});
    for (int i = 5; i < 8; ++i) {
        a.release(blocks[i]);
    }
    a.release(big[0]);
    CHECK(a.freeRanges() == 1);
    CHECK(a.freeBytes() == 8 * kBlock);
}

TEST_CASE("extent allocator: best fit keeps large free ranges whole") {
    ExtentAllocator a(16 * kBlock, kBlock);
    std::vector<Extent> x;
    REQUIRE(a.allocate(2 * kBlock, x)); // [0,2)
    REQUIRE(a.allocate(kBlock, x));     // [2,3)
    REQUIRE(a.allocate(4 * kBlock, x)); // [3,7)
    REQUIRE(a.allocate(kBlock, x));     // [7,8); free: [8,16)
    a.release(x[0]);                    // free: [0,2), [8,16)
    a.release(x[2]);                    // free: [0,2), [3,7), [8,16)
    std::vector<Extent> y;
    REQUIRE(a.allocate(2 * kBlock, y));
    CHECK(y.back() == Extent{0, 2 * kBlock}); // the exact fit, not the front of a larger range
    REQUIRE(a.allocate(3 * kBlock, y));
    CHECK(y.back() == Extent{3 * kBlock, 3 * kBlock}); // the smallest range that fits
}

TEST_CASE("extent allocator: fragmented free space still serves a large object") {
    ExtentAllocator a(32 * kBlock, kBlock);
    std::vector<Extent> blocks;
    for (int i = 0; i < 32; ++i) {
        REQUIRE(a.allocate(kBlock, blocks));
    }
    for (int i = 0; i < 32; i += 2) { // every other block free: no two free blocks touch
        a.release(blocks[i]);
    }
    CHECK(a.freeRanges() == 16);
    std::vector<Extent> big;
    REQUIRE(a.allocate(16 * kBlock, big));
    CHECK(big.size() == 16);
    CHECK(total(big) == 16 * kBlock);
    CHECK(a.freeBytes() == 0);
    std::vector<Extent> none;
    CHECK_FALSE(a.allocate(kBlock, none));
}

TEST_CASE("extent allocator: no overlap across many random allocate/release cycles") {
    constexpr uint64_t kBlocks = 512;
    ExtentAllocator a(kBlocks * kBlock, kBlock);
    std::mt19937_64 rng(42);
    std::vector<std::vector<Extent>> live;
    std::vector<int> owner(kBlocks, -1); // which live allocation holds each block
    int nextId = 0;
    std::vector<int> ids;
    uint64_t used = 0;
    int failures = 0;
    for (int step = 0; step < 20000; ++step) {
        if (live.empty() || rng() % 3 != 0) {
            const uint64_t length = 1 + rng() % (24 * kBlock);
            std::vector<Extent> got;
            if (!a.allocate(length, got)) {
                ++failures;
                CHECK(a.freeBytes() < (length + kBlock - 1) / kBlock * kBlock);
                continue;
            }
            CHECK(total(got) == (length + kBlock - 1) / kBlock * kBlock);
            for (const Extent &e : got) {
                REQUIRE(e.offset % kBlock == 0);
                REQUIRE(e.length % kBlock == 0);
                REQUIRE(e.offset + e.length <= a.limit());
                for (uint64_t b = e.offset / kBlock; b < (e.offset + e.length) / kBlock; ++b) {
                    REQUIRE(owner[b] == -1); // handed out twice
                    owner[b] = nextId;
                }
            }
            used += total(got);
            live.push_back(std::move(got));
            ids.push_back(nextId++);
        } else {
            const size_t victim = rng() % live.size();
            for (const Extent &e : live[victim]) {
                for (uint64_t b = e.offset / kBlock; b < (e.offset + e.length) / kBlock; ++b) {
                    REQUIRE(owner[b] == ids[victim]);
                    owner[b] = -1;
                }
                a.release(e);
            }
            used -= total(live[victim]);
            live.erase(live.begin() + static_cast<long>(victim));
            ids.erase(ids.begin() + static_cast<long>(victim));
        }
        REQUIRE(a.freeBytes() + used == a.limit());
    }
    CHECK(failures > 0); // the space did fill up now and then
    for (const auto &extents : live) {
        for (const Extent &e : extents) {
            a.release(e);
        }
    }
    CHECK(a.freeRanges() == 1); // everything coalesced back into one range
    CHECK(a.freeBytes() == a.limit());
}

TEST_CASE("mapRange: an object range across extents becomes file ranges in order") {
    const std::vector<Extent> extents{{40960, 8192}, {0, 4096}, {8192, 12288}};
    std::vector<Extent> out;
    mapRange(extents, 0, 24576, out);
    CHECK(out == extents);
    out.clear();
    mapRange(extents, 4096, 8192, out); // the second half of the first, all of the second
    CHECK(out == std::vector<Extent>{{45056, 4096}, {0, 4096}});
    out.clear();
    mapRange(extents, 12288 + 100, 50, out); // inside the third, unaligned
    CHECK(out == std::vector<Extent>{{8192 + 100, 50}});
    out.clear();
    mapRange(extents, 8192, 0, out);
    CHECK(out.empty());
}
