// The dram tier through its C ABI: the shared conformance checks, the default capacity and the
// device emulation.
#include <algorithm>
#include <cstring>
#include <unistd.h>

#include <doctest/doctest.h>

#include "tier_conformance.hpp"

using namespace mlps::test;

namespace {

TierUnderTest dram() {
    TierUnderTest t;
    t.descriptor = loadPlugin("DRAM_SO");
    return t;
}

constexpr uint64_t kHour = 3600ull * 1'000'000'000ull;

} // namespace

TEST_CASE("dram: descriptor") {
    const TierUnderTest t = dram();
    if (t.descriptor == nullptr) {
        return;
    }
    CHECK(std::strcmp(t.descriptor->name, "dram") == 0);
    CHECK((t.descriptor->caps & MLPS_TIER_CAP_BYTE_RANGE) != 0);
    bool latency = false, bandwidth = false;
    for (uint32_t i = 0; i < t.descriptor->n_options; ++i) {
        latency |= std::strcmp(t.descriptor->options[i].name, "emulate.latency") == 0;
        bandwidth |= std::strcmp(t.descriptor->options[i].name, "emulate.bandwidth") == 0;
    }
    CHECK(latency);
    CHECK(bandwidth);
}

TEST_CASE("dram: conformance (plugins check)") {
    checkConformance("DRAM_SO");
}

TEST_CASE("dram: conformance with emulated latency (asynchronous)") {
    checkConformance("DRAM_SO",
                     {"emulate.latency=20us"},
                     "",
                     {"queue-depth", "poll-min-max", "close-in-flight", "round-trip", "stress"});
}

TEST_CASE("dram: capacity 0 means half of physical memory") {
    const TierUnderTest t = dram();
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host, 0);
    const uint64_t half = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                          static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE)) / 2;
    const mlps_tier_info info = tier->info();
    CHECK(info.capacity_bytes == half);
    CHECK(std::strcmp(info.location, "host memory") == 0);
    CHECK(info.alignment == 1);
}

TEST_CASE("dram: SYNC is a no-op and a bad op is an INVALID completion") {
    const TierUnderTest t = dram();
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(4);
    CHECK(q->run(syncOp(nullptr)).status == MLPS_OK);
    const std::string key = "k";
    CHECK(q->run(syncOp(&key)).status == MLPS_OK);
    mlps_io bad = deleteOp(key, 3);
    bad.opcode = 99;
    CHECK(q->run(bad).status == MLPS_E_INVALID);
}

TEST_CASE("dram: refused options and queue depths") {
    const TierUnderTest t = dram();
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    Options zeroBandwidth;
    zeroBandwidth.tier("d").bandwidth("emulate.bandwidth", 0);
    TierDriver refused(t.descriptor, host, zeroBandwidth.config());
    CHECK_FALSE(refused.created());
    CHECK(refused.status() == MLPS_E_INVALID);
    CHECK(std::strstr(refused.error().message, "emulate.bandwidth") != nullptr);

    TierInstance tier = t.create(host);
    void *queue = nullptr;
    mlps_error err{};
    CHECK(tier->ops()->open_queue(tier->self(), 1u << 20, &queue, &err) == MLPS_E_INVALID);
    CHECK(std::strstr(err.message, "queue depth") != nullptr);
}

TEST_CASE("dram: emulation holds completions until their ready time") {
    TierUnderTest t = dram();
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    const auto content = pattern(9, 0, 64 * 1024);
    std::vector<unsigned char> back(content.size());

    SUBCASE("only an emulating instance is asynchronous") {
        CHECK((t.descriptor->caps & MLPS_TIER_CAP_ASYNC) != 0);
        TierInstance plain = t.create(host);
        CHECK((plain->info().caps & MLPS_TIER_CAP_ASYNC) == 0);
        t.addOptions = [](Options &o) { o.duration("emulate.latency", 1000); };
        TierInstance emulated = t.create(host);
        CHECK((emulated->info().caps & MLPS_TIER_CAP_ASYNC) != 0);
    }
    SUBCASE("a huge latency: nothing is ready at once") {
        t.addOptions = [](Options &o) { o.duration("emulate.latency", kHour); };
        TierInstance tier = t.create(host);
        auto q = tier->openQueue(4);
        const mlps_io io = writeOp("slow", content.data(), 0, content.size());
        uint32_t accepted = 0;
        REQUIRE(q->submit(&io, 1, &accepted) == MLPS_OK);
        REQUIRE(accepted == 1);
        CHECK(q->poll(0, 4, 0).empty());
        CHECK(q->poll(1, 4, 0).empty());
        CHECK(tier->info().objects == 1); // the bytes moved; only the completion waits
        // Closing the queue and destroying the tier do not wait an hour.
    }
    SUBCASE("a tiny bandwidth: nothing is ready at once") {
        t.addOptions = [](Options &o) { o.bandwidth("emulate.bandwidth", 1000); };
        TierInstance tier = t.create(host);
        auto q = tier->openQueue(4);
        const mlps_io io = writeOp("slow", content.data(), 0, content.size());
        uint32_t accepted = 0;
        REQUIRE(q->submit(&io, 1, &accepted) == MLPS_OK);
        CHECK(q->poll(0, 4, 0).empty());
    }
    SUBCASE("a tiny latency: poll with min 1 waits for it") {
        t.addOptions = [](Options &o) {
            o.duration("emulate.latency", 1000).bandwidth("emulate.bandwidth", 100ull << 30);
        };
        TierInstance tier = t.create(host);
        auto q = tier->openQueue(4);
        const auto c = q->run(writeOp("fast", content.data(), 0, content.size(), 0, 4));
        CHECK(c.status == MLPS_OK);
        CHECK(c.bytes == content.size());
        CHECK(q->run(readOp("fast", back.data(), 0, back.size())).status == MLPS_OK);
        CHECK(back == content);
    }
    SUBCASE("a shared link completes one queue's transfers in order") {
        t.addOptions = [](Options &o) { o.bandwidth("emulate.bandwidth", 4ull << 30); };
        TierInstance tier = t.create(host);
        auto q = tier->openQueue(8);
        const std::string keys[] = {"l0", "l1", "l2", "l3"};
        std::vector<mlps_io> ios;
        for (uint64_t i = 0; i < 4; ++i) {
            ios.push_back(writeOp(keys[i], content.data(), 0, content.size(), 0, i));
        }
        uint32_t accepted = 0;
        REQUIRE(q->submit(ios.data(), 4, &accepted) == MLPS_OK);
        REQUIRE(accepted == 4);
        std::vector<uint64_t> order;
        while (order.size() < 4) {
            for (const auto &c : q->poll(1, 8, 30'000'000'000ull)) {
                CHECK(c.status == MLPS_OK);
                order.push_back(c.user_data);
            }
        }
        CHECK(order == std::vector<uint64_t>{0, 1, 2, 3});
    }
}

TEST_CASE("dram: objects of several 2 MiB extents keep their bytes through reuse and growth") {
    const TierUnderTest t = dram();
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(8);
    constexpr uint64_t kMiB = 1 << 20;
    // 5 MiB + 3 bytes: three extents, the last one partly used; ops straddle extent edges.
    constexpr uint64_t kSize = 5 * kMiB + 3;
    const auto a = pattern(1, 0, kSize);
    REQUIRE(q->run(writeOp("a", a.data(), 0, kSize, kSize)).status == MLPS_OK);
    std::vector<unsigned char> back(kSize);
    REQUIRE(q->run(readOp("a", back.data(), 0, kSize)).status == MLPS_OK);
    CHECK(back == a);
    std::vector<unsigned char> edge(kMiB);
    REQUIRE(q->run(readOp("a", edge.data(), 2 * kMiB - 100, kMiB)).status == MLPS_OK);
    CHECK(std::equal(edge.begin(), edge.end(), a.begin() + 2 * kMiB - 100));

    // Deleting `a` hands its extents to `b`: `b` must read its own bytes, and a hole it skips
    // must read as zeros, not as a's leftovers.
    REQUIRE(q->run(deleteOp("a")).status == MLPS_OK);
    const auto b = pattern(2, 3 * kMiB, kMiB);
    REQUIRE(q->run(writeOp("b", b.data(), 3 * kMiB, kMiB, 4 * kMiB)).status == MLPS_OK);
    std::vector<unsigned char> whole(4 * kMiB);
    REQUIRE(q->run(readOp("b", whole.data(), 0, 4 * kMiB)).status == MLPS_OK);
    CHECK(std::all_of(whole.begin(), whole.begin() + 3 * kMiB, [](auto c) { return c == 0; }));
    CHECK(std::equal(b.begin(), b.end(), whole.begin() + 3 * kMiB));

    // Writing past the announced size grows the object across new extents, bytes kept.
    const auto tail = pattern(3, 4 * kMiB, 3 * kMiB);
    REQUIRE(q->run(writeOp("b", tail.data(), 4 * kMiB, 3 * kMiB)).status == MLPS_OK);
    std::vector<unsigned char> grown(7 * kMiB);
    REQUIRE(q->run(readOp("b", grown.data(), 0, 7 * kMiB)).status == MLPS_OK);
    CHECK(std::equal(b.begin(), b.end(), grown.begin() + 3 * kMiB));
    CHECK(std::equal(tail.begin(), tail.end(), grown.begin() + 4 * kMiB));
    CHECK(tier->info().used_bytes == 7 * kMiB);
}

TEST_CASE("dram: prefault maps the capacity up front and the tier works as usual") {
    TierUnderTest t = dram();
    if (t.descriptor == nullptr) {
        return;
    }
    t.addOptions = [](Options &o) { o.boolean("prefault", true); };
    FakeHost host;
    constexpr uint64_t kMiB = 1 << 20;
    TierInstance tier = t.create(host, 16 * kMiB);
    CHECK(tier->info().used_bytes == 0); // mapped, not reserved by any object
    auto q = tier->openQueue(4);
    const auto content = pattern(4, 0, 6 * kMiB);
    REQUIRE(q->run(writeOp("p", content.data(), 0, content.size(), content.size())).status ==
            MLPS_OK);
    std::vector<unsigned char> back(content.size());
    REQUIRE(q->run(readOp("p", back.data(), 0, back.size())).status == MLPS_OK);
    CHECK(back == content);
}
