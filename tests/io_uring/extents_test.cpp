// The io_uring tier with `layout: extents`: the shared conformance checks, O_DIRECT with many
// objects in flight, ops split at extent boundaries in a fragmented file, neighbours intact
// while their space is reused, deferred reuse while a read is in flight, whole-block rounding.
#include <cstring>
#include <filesystem>

#include <doctest/doctest.h>

#include "scratch_dir.hpp"
#include "tier_conformance.hpp"
#include "uring_test_support.hpp"

namespace fs = std::filesystem;
using namespace mlps::test;

namespace {

constexpr uint64_t kBlock = 4096;

// The extents layout.
TierUnderTest extentsIn(const std::string &dir, std::function<void(Options &)> more = nullptr) {
    return uringTier(dir, "extents", std::move(more));
}

// True when O_DIRECT works under `dir` (a tmpfs may refuse it).
bool directWorks(const TierUnderTest &t, const std::string &dir) {
    FakeHost host;
    Options probe;
    probe.tier("probe").string("path", dir, MLPS_OPT_PATH);
    return TierDriver(t.descriptor, host, probe.config()).created();
}

} // namespace

TEST_CASE("io_uring extents: conformance (buffered)") {
    ScratchDir dir;
    const std::vector<std::string> buffered = {"layout=extents", "direct=false"};
    SUBCASE("every check") {
        checkConformance("IO_URING_SO", buffered, dir.path());
    }
    SUBCASE("small chunks and a small ring") {
        auto small = buffered;
        small.insert(small.end(), {"chunk_size=4096", "queue_depth=2"});
        checkConformance(
            "IO_URING_SO", small, dir.path(), {"round-trip", "byte-ranges", "many-queues"});
    }
    SUBCASE("sync after every write") {
        auto synced = buffered;
        synced.push_back("sync=fdatasync");
        checkConformance("IO_URING_SO", synced, dir.path(), {"round-trip", "sync"});
    }
    CHECK(fs::is_empty(dir.path())); // every tier removed its folder
}

TEST_CASE("io_uring extents: one data file, many objects in flight with O_DIRECT, verified") {
    ScratchDir dir;
    const TierUnderTest t = extentsIn(
        dir.path(), [](Options &o) { o.size("chunk_size", 16384).integer("queue_depth", 8); });
    if (t.descriptor == nullptr) {
        return;
    }
    if (!directWorks(t, dir.path())) {
        MESSAGE("skipped: no O_DIRECT under " << dir.path());
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    CHECK(tier->info().alignment == 4096);
    constexpr int kObjects = 48;
    constexpr size_t kSize = 64 * 1024;
    AlignedBuffer data(kObjects * kSize), back(kObjects * kSize);
    std::vector<std::string> keys;
    for (int o = 0; o < kObjects; ++o) {
        keys.push_back("many-" + std::to_string(o));
        const auto content = pattern(300 + o, 0, kSize);
        std::memcpy(data.data + o * kSize, content.data(), kSize);
    }
    auto q = tier->openQueue(16);
    std::vector<mlps_io> writes, reads;
    for (int o = 0; o < kObjects; ++o) {
        writes.push_back(writeOp(keys[o], data.data + o * kSize, 0, kSize, kSize, o));
        reads.push_back(readOp(keys[o], back.data + o * kSize, 0, kSize, o));
    }
    for (const auto &c : runAll(*q, writes)) {
        CHECK(c.status == MLPS_OK);
    }
    for (const auto &c : runAll(*q, reads)) {
        CHECK(c.status == MLPS_OK);
        CHECK(c.bytes == kSize);
    }
    CHECK(std::memcmp(back.data, data.data, kObjects * kSize) == 0);
    CHECK(tier->info().objects == kObjects);
    CHECK(tier->info().used_bytes == kObjects * kSize);
    // One file in the tier's folder, whatever the number of objects.
    std::vector<fs::path> files;
    for (const auto &entry : fs::recursive_directory_iterator(tier->info().location)) {
        if (entry.path().filename() != ".mlps-owner") { // the folder's owner record
            files.push_back(entry.path());
        }
    }
    REQUIRE(files.size() == 1);
    CHECK(files[0].filename() == "extents.data");

    // Delete every other object, re-create them with other content: the neighbours still read
    // back intact, and so do the new objects (which took the freed space).
    std::vector<mlps_io> deletes, rewrites;
    for (int o = 0; o < kObjects; o += 2) {
        deletes.push_back(deleteOp(keys[o], o));
        const auto content = pattern(900 + o, 0, kSize);
        std::memcpy(data.data + o * kSize, content.data(), kSize);
        rewrites.push_back(writeOp(keys[o], data.data + o * kSize, 0, kSize, kSize, o));
    }
    for (const auto &c : runAll(*q, deletes)) {
        CHECK(c.status == MLPS_OK);
    }
    CHECK(tier->info().objects == kObjects / 2);
    for (const auto &c : runAll(*q, rewrites)) {
        CHECK(c.status == MLPS_OK);
    }
    std::memset(back.data, 0, back.size);
    for (const auto &c : runAll(*q, reads)) {
        CHECK(c.status == MLPS_OK);
    }
    CHECK(std::memcmp(back.data, data.data, kObjects * kSize) == 0);
    // The data file did not grow for the re-created objects: their space was reused.
    CHECK(fs::file_size(files[0]) <= (64u << 20));
}

TEST_CASE("io_uring extents: a fragmented file, an op spanning many extents, neighbours intact") {
    ScratchDir dir;
    const TierUnderTest t = extentsIn(dir.path(), [](Options &o) {
        o.integer("queue_depth", 4); // fewer SQEs than extents: pieces wait for room
    });
    if (t.descriptor == nullptr) {
        return;
    }
    if (!directWorks(t, dir.path())) {
        MESSAGE("skipped: no O_DIRECT under " << dir.path());
        return;
    }
    FakeHost host;
    constexpr int kBlocks = 32;
    TierInstance tier = t.create(host, kBlocks * kBlock);
    auto q = tier->openQueue(8);
    AlignedBuffer small(kBlocks * kBlock), back(kBlocks * kBlock);
    for (int i = 0; i < kBlocks; ++i) {
        const auto content = pattern(400 + i, 0, kBlock);
        std::memcpy(small.data + i * kBlock, content.data(), kBlock);
        REQUIRE(
            q->run(writeOp("b" + std::to_string(i), small.data + i * kBlock, 0, kBlock)).status ==
            MLPS_OK);
    }
    AlignedBuffer one(kBlock);
    CHECK(q->run(writeOp("full", one.data, 0, kBlock)).status == MLPS_E_NO_SPACE);
    for (int i = 0; i < kBlocks; i += 2) { // free space: 16 blocks, no two adjacent
        REQUIRE(q->run(deleteOp("b" + std::to_string(i))).status == MLPS_OK);
    }
    // 16 blocks in one op: one object over 16 extents, written and read in one op each (the
    // 1 MiB chunk is split at every extent boundary).
    constexpr size_t kBig = 16 * kBlock;
    const auto bigContent = pattern(500, 0, kBig);
    AlignedBuffer big(kBig);
    std::memcpy(big.data, bigContent.data(), kBig);
    REQUIRE(q->run(writeOp("big", big.data, 0, kBig, kBig)).status == MLPS_OK);
    CHECK(tier->info().used_bytes == kBlocks * kBlock);
    std::memset(back.data, 0, kBig);
    REQUIRE(q->run(readOp("big", back.data, 0, kBig)).status == MLPS_OK);
    CHECK(std::memcmp(back.data, bigContent.data(), kBig) == 0);
    // A range of it across extent boundaries.
    REQUIRE(q->run(readOp("big", back.data, 3 * kBlock, 5 * kBlock)).status == MLPS_OK);
    CHECK(std::memcmp(back.data, bigContent.data() + 3 * kBlock, 5 * kBlock) == 0);
    // The neighbours between its extents are untouched.
    for (int i = 1; i < kBlocks; i += 2) {
        CAPTURE(i);
        REQUIRE(q->run(readOp("b" + std::to_string(i), back.data, 0, kBlock)).status == MLPS_OK);
        CHECK(std::memcmp(back.data, small.data + i * kBlock, kBlock) == 0);
    }
    // Deleting everything gives the whole space back as one range: one object fills it.
    for (int i = 1; i < kBlocks; i += 2) {
        REQUIRE(q->run(deleteOp("b" + std::to_string(i))).status == MLPS_OK);
    }
    REQUIRE(q->run(deleteOp("big")).status == MLPS_OK);
    CHECK(tier->info().used_bytes == 0);
    CHECK(q->run(writeOp("all", back.data, 0, kBlocks * kBlock)).status == MLPS_OK);
}

TEST_CASE("io_uring extents: growth past the reservation, SYNC, and sub-block objects") {
    ScratchDir dir;
    const TierUnderTest t = extentsIn(dir.path(), [](Options &o) { o.boolean("direct", false); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host, 16 * kBlock);
    auto q = tier->openQueue(4);
    const auto content = pattern(600, 0, 12 * kBlock);
    // Two objects interleave their growth: each grows into extents that are not contiguous.
    for (int step = 0; step < 6; ++step) {
        for (const char *key : {"p", "q"}) {
            const uint64_t at = static_cast<uint64_t>(step) * kBlock;
            REQUIRE(q->run(writeOp(key, content.data() + at, at, kBlock)).status == MLPS_OK);
        }
    }
    CHECK(tier->info().used_bytes == 12 * kBlock);
    std::vector<unsigned char> back(6 * kBlock);
    for (const char *key : {"p", "q"}) {
        REQUIRE(q->run(readOp(key, back.data(), 0, back.size())).status == MLPS_OK);
        CHECK(std::memcmp(back.data(), content.data(), back.size()) == 0);
        const std::string k = key;
        CHECK(q->run(syncOp(&k)).status == MLPS_OK);
    }
    CHECK(q->run(syncOp(nullptr)).status == MLPS_OK);
    // Every object takes whole 4 KiB blocks: four 1-byte objects fill the last 4 blocks although
    // the byte count (used_bytes) says 4 bytes.
    for (int i = 0; i < 4; ++i) {
        CHECK(q->run(writeOp("tiny" + std::to_string(i), content.data(), 0, 1)).status == MLPS_OK);
    }
    CHECK(tier->info().used_bytes == 12 * kBlock + 4);
    const auto c = q->run(writeOp("tiny4", content.data(), 0, 1));
    CHECK(c.status == MLPS_E_NO_SPACE);
    CHECK(tier->info().objects == 6);
    // Growing within the object's last block needs no new space.
    CHECK(q->run(writeOp("tiny0", content.data(), 1, 100)).status == MLPS_OK);
}

TEST_CASE("io_uring extents: space of a deleted object is not reused while a read holds it") {
    ScratchDir dir;
    const TierUnderTest t = extentsIn(dir.path(), [](Options &o) { o.boolean("direct", false); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    constexpr size_t kSize = 16 * kBlock;
    TierInstance tier = t.create(host, kSize);
    auto reader = tier->openQueue(2);
    auto writer = tier->openQueue(2);
    const auto a = pattern(700, 0, kSize);
    const auto b = pattern(701, 0, kSize);
    REQUIRE(writer->run(writeOp("a", a.data(), 0, kSize)).status == MLPS_OK);
    // A read of "a" in flight on one queue (not polled: the op keeps the object) ...
    std::vector<unsigned char> back(kSize);
    const mlps_io read = readOp("a", back.data(), 0, kSize, 77);
    uint32_t accepted = 0;
    REQUIRE(reader->submit(&read, 1, &accepted) == MLPS_OK);
    REQUIRE(accepted == 1);
    // ... while another deletes it and wants its space: the capacity is free by the count, but
    // the extents come back only when the read is done.
    CHECK(writer->run(deleteOp("a")).status == MLPS_OK);
    CHECK(tier->info().used_bytes == 0);
    CHECK(writer->run(writeOp("b", b.data(), 0, kSize)).status == MLPS_E_NO_SPACE);
    const auto done = reader->poll(1, 1, 30'000'000'000ull);
    REQUIRE(done.size() == 1);
    CHECK(done[0].status == MLPS_OK);
    CHECK(back == a);
    CHECK(writer->run(writeOp("b", b.data(), 0, kSize)).status == MLPS_OK);
    REQUIRE(writer->run(readOp("b", back.data(), 0, kSize)).status == MLPS_OK);
    CHECK(back == b);
}

TEST_CASE("io_uring extents: the default layout; a bad layout is refused") {
    ScratchDir dir;
    const TierUnderTest t = extentsIn(dir.path());
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    Options o;
    o.tier("bad").string("path", dir.path(), MLPS_OPT_PATH).string("layout", "blob", MLPS_OPT_ENUM);
    TierDriver tier(t.descriptor, host, o.config());
    CHECK_FALSE(tier.created());
    CHECK(std::string(tier.error().message).find("layout") != std::string::npos);

    Options plain; // no layout option: extents
    plain.tier("plain").string("path", dir.path(), MLPS_OPT_PATH).boolean("direct", false);
    TierDriver def(t.descriptor, host, plain.config());
    REQUIRE(def.created());
    auto q = def.openQueue(2);
    const auto content = pattern(800, 0, 8192);
    REQUIRE(q->run(writeOp("k1", content.data(), 0, content.size())).status == MLPS_OK);
    REQUIRE(q->run(writeOp("k2", content.data(), 0, content.size())).status == MLPS_OK);
    std::vector<std::string> names;
    for (const auto &entry : fs::recursive_directory_iterator(def.info().location)) {
        if (entry.path().filename() != ".mlps-owner") { // the folder's owner record
            names.push_back(entry.path().filename());
        }
    }
    CHECK(names == std::vector<std::string>{"extents.data"});
}
