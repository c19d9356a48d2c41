#include "tier_conformance.hpp"

#include <atomic>
#include <cstring>
#include <thread>

#include <doctest/doctest.h>

namespace mlps::test {

namespace {
constexpr uint64_t kKiB = 1024;
} // namespace

TierInstance TierUnderTest::create(FakeHost &host, uint64_t capacity) const {
    TierInstance instance;
    instance.options = std::make_unique<Options>();
    instance.options->tier("under-test", capacity);
    if (addOptions) {
        addOptions(*instance.options);
    }
    instance.tier = std::make_unique<TierDriver>(descriptor, host, instance.options->config());
    INFO("create: " << instance.tier->error().message);
    REQUIRE(instance.tier->created());
    return instance;
}

void checkRoundTripWithByteRanges(const TierUnderTest &t) {
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(8);
    const uint64_t objectSize = 16 * kKiB;
    const auto content = pattern(1, 0, objectSize);
    // Binary keys with bytes a file name could not hold.
    const std::string key("obj/\0..\xff", 8);
    // Slices out of order, each announcing the object's final size.
    for (const uint64_t slice : {2, 0, 3, 1}) {
        const auto c = q->run(writeOp(
            key, content.data() + slice * 4 * kKiB, slice * 4 * kKiB, 4 * kKiB, objectSize, slice));
        CHECK(c.status == MLPS_OK);
        CHECK(c.bytes == 4 * kKiB);
    }
    std::vector<unsigned char> back(objectSize);
    auto c = q->run(readOp(key, back.data(), 0, objectSize, 7));
    CHECK(c.status == MLPS_OK);
    CHECK(c.bytes == objectSize);
    CHECK(back == content);

    std::vector<unsigned char> range(3000);
    c = q->run(readOp(key, range.data(), 5000, range.size()));
    CHECK(c.status == MLPS_OK);
    CHECK(std::memcmp(range.data(), content.data() + 5000, range.size()) == 0);

    // Overwrite an unaligned range in the middle and read across its edges.
    const auto patch = pattern(2, 0, 100);
    CHECK(q->run(writeOp(key, patch.data(), 6000, patch.size())).status == MLPS_OK);
    std::vector<unsigned char> around(300);
    CHECK(q->run(readOp(key, around.data(), 5900, around.size())).status == MLPS_OK);
    CHECK(std::memcmp(around.data(), content.data() + 5900, 100) == 0);
    CHECK(std::memcmp(around.data() + 100, patch.data(), 100) == 0);
    CHECK(std::memcmp(around.data() + 200, content.data() + 6100, 100) == 0);

    // A second key that differs only in its last byte is a different object.
    const std::string other("obj/\0..\xfe", 8);
    CHECK(q->run(readOp(other, range.data(), 0, 1)).status == MLPS_E_NOT_FOUND);

    const mlps_tier_info info = tier->info();
    CHECK(info.objects == 1);
    CHECK(info.used_bytes == objectSize);
    CHECK((info.caps & MLPS_TIER_CAP_BYTE_RANGE) != 0);
}

void checkNotFoundAndRangeAreCompletions(const TierUnderTest &t) {
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(4);
    std::vector<unsigned char> buf(8 * kKiB);
    CHECK(q->run(readOp("missing", buf.data(), 0, 4 * kKiB, 11)).status == MLPS_E_NOT_FOUND);
    CHECK(q->run(deleteOp("missing", 12)).status == MLPS_E_NOT_FOUND);

    const auto content = pattern(3, 0, 4 * kKiB);
    CHECK(q->run(writeOp("small", content.data(), 0, content.size())).status == MLPS_OK);
    CHECK(q->run(readOp("small", buf.data(), 4 * kKiB, 4 * kKiB)).status == MLPS_E_RANGE);
    CHECK(q->run(readOp("small", buf.data(), 2 * kKiB, 4 * kKiB)).status == MLPS_E_RANGE);
    const auto c = q->run(readOp("small", buf.data(), 0, 4 * kKiB));
    CHECK(c.status == MLPS_OK);
    CHECK(std::memcmp(buf.data(), content.data(), content.size()) == 0);
    // Writing past the end grows the object.
    CHECK(q->run(writeOp("small", content.data(), 4 * kKiB, 4 * kKiB)).status == MLPS_OK);
    CHECK(q->run(readOp("small", buf.data(), 0, 8 * kKiB)).status == MLPS_OK);
    CHECK(std::memcmp(buf.data() + 4 * kKiB, content.data(), content.size()) == 0);
    CHECK(q->run(readOp("small", buf.data(), 0, 8 * kKiB + 1)).status == MLPS_E_RANGE);
}

void checkCapacityIsEnforced(const TierUnderTest &t) {
    FakeHost host;
    TierInstance tier = t.create(host, 64 * kKiB);
    CHECK(tier->info().capacity_bytes == 64 * kKiB);
    auto q = tier->openQueue(4);
    const auto content = pattern(4, 0, 16 * kKiB);

    CHECK(q->run(writeOp("x", content.data(), 0, 4 * kKiB, 48 * kKiB)).status == MLPS_OK);
    CHECK(tier->info().used_bytes == 48 * kKiB); // the announced size is reserved at creation
    // Does not fit: a completion with NO_SPACE, not a refused submit.
    uint32_t accepted = 0;
    const mlps_io tooBig = writeOp("y", content.data(), 0, 4 * kKiB, 32 * kKiB, 5);
    REQUIRE(q->submit(&tooBig, 1, &accepted) == MLPS_OK);
    REQUIRE(accepted == 1);
    auto done = q->poll(1, 4, 30'000'000'000ull);
    REQUIRE(done.size() == 1);
    CHECK(done[0].user_data == 5);
    CHECK(done[0].status == MLPS_E_NO_SPACE);
    CHECK(tier->info().objects == 1);
    std::vector<unsigned char> buf(4 * kKiB);
    CHECK(q->run(readOp("y", buf.data(), 0, buf.size())).status == MLPS_E_NOT_FOUND);

    // Growing past the reservation needs room too.
    CHECK(q->run(writeOp("x", content.data(), 48 * kKiB, 16 * kKiB)).status == MLPS_OK);
    CHECK(tier->info().used_bytes == 64 * kKiB);
    CHECK(q->run(writeOp("x", content.data(), 64 * kKiB, 4 * kKiB)).status == MLPS_E_NO_SPACE);
    CHECK(q->run(readOp("x", buf.data(), 0, buf.size())).status == MLPS_OK);
    CHECK(std::memcmp(buf.data(), content.data(), buf.size()) == 0); // kept across growth

    // DELETE frees the capacity.
    CHECK(q->run(deleteOp("x")).status == MLPS_OK);
    CHECK(tier->info().used_bytes == 0);
    CHECK(tier->info().objects == 0);
    CHECK(q->run(writeOp("y", content.data(), 0, 4 * kKiB, 32 * kKiB)).status == MLPS_OK);
    CHECK(tier->info().used_bytes == 32 * kKiB);
}

void checkBusyWhenQueueIsFull(const TierUnderTest &t) {
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(2);
    const auto content = pattern(5, 0, 4 * kKiB);
    const std::string keys[] = {"b0", "b1", "b2"};
    const mlps_io ios[] = {writeOp(keys[0], content.data(), 0, content.size(), 0, 0),
                           writeOp(keys[1], content.data(), 0, content.size(), 0, 1),
                           writeOp(keys[2], content.data(), 0, content.size(), 0, 2)};
    uint32_t accepted = 99;
    CHECK(q->submit(ios, 3, &accepted) == MLPS_OK);
    CHECK(accepted == 2);
    CHECK(q->submit(&ios[2], 1, &accepted) == MLPS_BUSY);
    CHECK(accepted == 0);
    auto done = q->poll(2, 8, 30'000'000'000ull);
    REQUIRE(done.size() == 2);
    CHECK(done[0].user_data + done[1].user_data == 1);
    CHECK(q->submit(&ios[2], 1, &accepted) == MLPS_OK);
    CHECK(accepted == 1);
    done = q->poll(1, 8, 30'000'000'000ull);
    REQUIRE(done.size() == 1);
    CHECK(done[0].user_data == 2);
    CHECK(done[0].status == MLPS_OK);
    // Nothing in flight: poll returns at once with nothing, even when asked to wait.
    CHECK(q->poll(1, 8, 30'000'000'000ull).empty());
}

void checkConcurrentQueues(const TierUnderTest &t) {
    FakeHost host;
    TierInstance tier = t.create(host);
    constexpr int kThreads = 4;
    constexpr int kObjects = 6;
    constexpr uint64_t kObjectSize = 64 * kKiB;
    constexpr uint64_t kSlice = 16 * kKiB;
    constexpr uint32_t kDepth = 4;
    std::atomic<int> failures{0};
    auto worker = [&](int id) {
        // doctest assertions are not thread-safe: count failures, assert after the join.
        void *queue = nullptr;
        mlps_error err{};
        if (tier->ops()->open_queue(tier->self(), kDepth, &queue, &err) != MLPS_OK) {
            ++failures;
            return;
        }
        const mlps_tier_ops *ops = tier->ops();
        std::vector<std::string> keys;
        for (int o = 0; o < kObjects; ++o) {
            keys.push_back("t" + std::to_string(id) + "/o" + std::to_string(o));
        }
        const auto runAll = [&](std::vector<mlps_io> &ios) {
            size_t next = 0;
            uint32_t inFlight = 0;
            mlps_completion done[kDepth];
            while (next < ios.size() || inFlight != 0) {
                uint32_t accepted = 0;
                if (next < ios.size()) {
                    const auto n = static_cast<uint32_t>(ios.size() - next);
                    const mlps_status st = ops->submit(queue, &ios[next], n, &accepted);
                    if (st != MLPS_OK && st != MLPS_BUSY) {
                        ++failures;
                        return;
                    }
                    next += accepted;
                    inFlight += accepted;
                }
                uint32_t n = 0;
                ops->poll(queue, done, 1, kDepth, 30'000'000'000ull, &n);
                inFlight -= n;
                for (uint32_t i = 0; i < n; ++i) {
                    failures += done[i].status != MLPS_OK;
                }
            }
        };
        std::vector<std::vector<unsigned char>> contents;
        std::vector<mlps_io> writes;
        for (int o = 0; o < kObjects; ++o) {
            contents.push_back(pattern(static_cast<uint64_t>(id * 100 + o), 0, kObjectSize));
        }
        for (int o = 0; o < kObjects; ++o) {
            for (uint64_t off = 0; off < kObjectSize; off += kSlice) {
                writes.push_back(
                    writeOp(keys[o], contents[o].data() + off, off, kSlice, kObjectSize));
            }
        }
        runAll(writes);
        std::vector<unsigned char> back(kObjects * kObjectSize);
        std::vector<mlps_io> reads;
        for (int o = 0; o < kObjects; ++o) {
            for (uint64_t off = 0; off < kObjectSize; off += kSlice) {
                reads.push_back(readOp(keys[o], back.data() + o * kObjectSize + off, off, kSlice));
            }
        }
        runAll(reads);
        for (int o = 0; o < kObjects; ++o) {
            failures +=
                std::memcmp(back.data() + o * kObjectSize, contents[o].data(), kObjectSize) != 0;
        }
        ops->close_queue(tier->self(), queue);
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back(worker, i);
    }
    for (auto &th : threads) {
        th.join();
    }
    CHECK(failures.load() == 0);
    const mlps_tier_info info = tier->info();
    CHECK(info.objects == kThreads * kObjects);
    CHECK(info.used_bytes == kThreads * kObjects * kObjectSize);
}

void checkDeleteWhileReading(const TierUnderTest &t) {
    FakeHost host;
    TierInstance tier = t.create(host);
    constexpr uint64_t kSize = 64 * kKiB;
    constexpr int kRounds = 150;
    const std::string key = "contended";
    const auto content = pattern(6, 0, kSize);
    std::atomic<int> unexpected{0};
    std::atomic<int> okReads{0};
    std::atomic<bool> writerDone{false};
    {
        auto q = tier->openQueue(1);
        REQUIRE(q->run(writeOp(key, content.data(), 0, kSize, kSize)).status == MLPS_OK);
    }
    std::thread writer([&] {
        void *queue = nullptr;
        mlps_error err{};
        tier->ops()->open_queue(tier->self(), 1, &queue, &err);
        mlps_completion c{};
        uint32_t n = 0;
        for (int i = 0; i < kRounds; ++i) {
            const mlps_io ios[] = {deleteOp(key), writeOp(key, content.data(), 0, kSize, kSize)};
            for (const mlps_io &io : ios) {
                tier->ops()->submit(queue, &io, 1, &n);
                tier->ops()->poll(queue, &c, 1, 1, 30'000'000'000ull, &n);
                unexpected += c.status != MLPS_OK;
            }
        }
        tier->ops()->close_queue(tier->self(), queue);
        writerDone = true;
    });
    // Read until the writer is done: every read either sees the whole object or none of it.
    {
        void *queue = nullptr;
        mlps_error err{};
        tier->ops()->open_queue(tier->self(), 1, &queue, &err);
        std::vector<unsigned char> buf(kSize);
        mlps_completion c{};
        uint32_t n = 0;
        while (!writerDone) {
            const mlps_io io = readOp(key, buf.data(), 0, kSize);
            tier->ops()->submit(queue, &io, 1, &n);
            tier->ops()->poll(queue, &c, 1, 1, 30'000'000'000ull, &n);
            if (c.status == MLPS_OK) {
                ++okReads;
                unexpected += std::memcmp(buf.data(), content.data(), kSize) != 0;
            } else {
                // Between the delete and the write, or while the fresh object fills up.
                unexpected += c.status != MLPS_E_NOT_FOUND && c.status != MLPS_E_RANGE;
            }
        }
        tier->ops()->close_queue(tier->self(), queue);
    }
    writer.join();
    CHECK(unexpected.load() == 0);
    const mlps_tier_info info = tier->info();
    CHECK(info.objects == 1);
    CHECK(info.used_bytes == kSize);
}

void checkConformance(const TierUnderTest &t) {
    SUBCASE("round trip with byte ranges") {
        checkRoundTripWithByteRanges(t);
    }
    SUBCASE("NOT_FOUND and RANGE are completions") {
        checkNotFoundAndRangeAreCompletions(t);
    }
    SUBCASE("capacity") {
        checkCapacityIsEnforced(t);
    }
    SUBCASE("BUSY when the queue is full") {
        checkBusyWhenQueueIsFull(t);
    }
    SUBCASE("concurrent queues") {
        checkConcurrentQueues(t);
    }
    SUBCASE("delete while reading") {
        checkDeleteWhileReading(t);
    }
}

} // namespace mlps::test
