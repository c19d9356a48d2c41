// Checks with several threads: queues of one instance used at once, deletes racing reads, and
// a short data-verified stress run.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "check/check_context.hpp"
#include "check/check_ops.hpp"
#include "check/checks.hpp"

namespace mlps::core::check {

namespace {

// Sets a flag when the scope ends, however it ends.
struct SetOnExit {
    std::atomic<bool> &flag;
    ~SetOnExit() { flag = true; }
};

// Runs `body(i)` on `n` threads; the first failure (or skip) of any thread ends the check
// after all joined.
template <class Body>
void onThreads(CheckContext &ctx, int n, Body body) {
    std::mutex mutex;
    std::optional<CheckFailure> failure;
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            try {
                body(i);
            } catch (const CheckFailure &f) {
                std::lock_guard lock(mutex);
                if (!failure) {
                    failure = f;
                }
            } catch (const std::exception &e) {
                std::lock_guard lock(mutex);
                if (!failure) {
                    failure = CheckFailure{"no exception", e.what()};
                }
            }
        });
    }
    ctx.step(std::to_string(n) + " threads, one queue each");
    for (auto &t : threads) {
        t.join();
    }
    if (failure) {
        // The other threads' failure, rethrown on the check's thread. It carries strings, so it
        // cannot be nothrow-copyable; the check runner catches it by reference.
        // NOLINTNEXTLINE(cert-err60-cpp,misc-throw-by-value-catch-by-reference)
        throw CheckFailure(*failure);
    }
}

void checkManyQueues(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const bool ranges = (tier->info().caps & MLPS_TIER_CAP_BYTE_RANGE) != 0;
    const uint64_t unit = tier->unit();
    constexpr int kThreads = 4;
    constexpr int kObjects = 6;
    const uint64_t slice = roundUp(16 * 1024, unit);
    const uint64_t objectSize = 4 * slice;
    onThreads(ctx, kThreads, [&](int id) {
        auto q = tier->openQueue(4);
        std::vector<std::string> keys;
        std::vector<Buffer> contents;
        std::vector<mlps_io> writes;
        for (int o = 0; o < kObjects; ++o) {
            keys.push_back("t" + std::to_string(id) + "/o" + std::to_string(o));
            contents.push_back(tier->buffer(objectSize));
            fillPattern(contents.back().data(), 1000 + id * 100 + o, 0, objectSize);
        }
        const uint64_t step = ranges ? slice : objectSize;
        for (int o = 0; o < kObjects; ++o) {
            for (uint64_t off = 0; off < objectSize; off += step) {
                writes.push_back(writeOp(keys[o], contents[o].data() + off, off, step, objectSize));
            }
        }
        for (const auto &c : q->runAll(writes)) {
            ctx.expect(c.status == MLPS_OK,
                       "writes from " + std::to_string(kThreads) + " threads at once succeed",
                       "a write completed with " + statusName(c.status));
        }
        Buffer back = tier->buffer(kObjects * objectSize);
        std::vector<mlps_io> reads;
        for (int o = 0; o < kObjects; ++o) {
            for (uint64_t off = 0; off < objectSize; off += step) {
                reads.push_back(readOp(keys[o], back.data() + o * objectSize + off, off, step));
            }
        }
        for (const auto &c : q->runAll(reads)) {
            ctx.expect(c.status == MLPS_OK,
                       "reads from " + std::to_string(kThreads) + " threads at once succeed",
                       "a read completed with " + statusName(c.status));
        }
        for (int o = 0; o < kObjects; ++o) {
            expectPattern(ctx,
                          back.data() + o * objectSize,
                          1000 + id * 100 + o,
                          0,
                          objectSize,
                          "a read of " + keys[o] + " (written while other queues wrote)");
        }
    });
    const mlps_tier_info info = tier->info();
    ctx.expect(info.objects == kThreads * kObjects &&
                   info.used_bytes >= kThreads * kObjects * objectSize,
               std::to_string(kThreads * kObjects) + " objects and their bytes counted",
               "objects " + std::to_string(info.objects) + ", used_bytes " +
                   std::to_string(info.used_bytes));
}

void checkDeleteWhileReading(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const uint64_t size = roundUp(64 * 1024, tier->unit());
    constexpr int kRounds = 100;
    Buffer content = tier->buffer(size);
    fillPattern(content.data(), 16, 0, size);
    {
        auto q = tier->openQueue(1);
        expectStatus(ctx, *q, writeOp("contended", content.data(), 0, size, size), MLPS_OK);
    }
    std::atomic<bool> writerDone{false};
    std::atomic<bool> readerStarted{false};
    std::atomic<int> reads{0};
    onThreads(ctx, 2, [&](int id) {
        // Whatever happens to one thread, the other does not wait for it for ever: the writer
        // ends the reader's loop, the reader lets the writer start.
        SetOnExit onExit{id == 0 ? writerDone : readerStarted};
        auto q = tier->openQueue(1);
        if (id == 0) {
            // Start once the reader runs, so that the rounds race reads, not an idle tier.
            while (!readerStarted) {
                std::this_thread::yield();
            }
            for (int i = 0; i < kRounds; ++i) {
                expectStatus(ctx, *q, deleteOp("contended"), MLPS_OK);
                expectStatus(ctx, *q, writeOp("contended", content.data(), 0, size, size), MLPS_OK);
            }
            return;
        }
        Buffer buf = tier->buffer(size);
        readerStarted = true;
        // Every read sees the whole object or none of it (NOT_FOUND, or RANGE while it fills).
        while (!writerDone) {
            const mlps_completion c = q->run(readOp("contended", buf.data(), 0, size));
            ++reads;
            if (c.status == MLPS_OK) {
                expectPattern(ctx, buf.data(), 16, 0, size, "a read racing delete and rewrite");
            } else {
                ctx.expect(c.status == MLPS_E_NOT_FOUND || c.status == MLPS_E_RANGE,
                           "a read racing a delete completes with MLPS_OK (whole object), "
                           "NOT_FOUND or RANGE",
                           "it completed with " + statusName(c.status));
            }
        }
    });
    const mlps_tier_info info = tier->info();
    ctx.expect(info.objects == 1 && info.used_bytes >= size,
               "one object at the end",
               "objects " + std::to_string(info.objects) + ", used_bytes " +
                   std::to_string(info.used_bytes));
    ctx.note(std::to_string(reads.load()) + " reads raced " + std::to_string(kRounds) +
             " delete+write rounds");
}

// A seeded mix of writes (whole objects, new versions), range reads, whole reads and deletes
// on 3 queues, 4 ops in flight each, every read checked against a model of what was written.
void checkStress(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const bool ranges = (tier->info().caps & MLPS_TIER_CAP_BYTE_RANGE) != 0;
    const uint64_t unit = tier->unit();
    constexpr int kThreads = 3;
    constexpr int kKeys = 8;
    constexpr int kRounds = 120;
    constexpr uint32_t kDepth = 4;
    const uint64_t maxSize = roundUp(256 * 1024, unit);
    std::atomic<uint64_t> ops{0};
    onThreads(ctx, kThreads, [&](int id) {
        std::mt19937_64 rng(1234 + id);
        auto q = tier->openQueue(kDepth);
        struct Model {
            std::string key;
            uint64_t size = 0; // 0: absent
            uint64_t tag = 0;
        };
        std::vector<Model> model(kKeys);
        std::vector<Buffer> writeBufs;
        std::vector<Buffer> readBufs;
        for (int k = 0; k < kKeys; ++k) {
            model[k].key = "s" + std::to_string(id) + "/" + std::to_string(k);
        }
        for (uint32_t i = 0; i < kDepth; ++i) {
            writeBufs.push_back(tier->buffer(maxSize));
            readBufs.push_back(tier->buffer(maxSize));
        }
        uint64_t nextTag = uint64_t(id) << 32;
        for (int round = 0; round < kRounds; ++round) {
            // Up to kDepth ops on distinct keys, in flight together.
            std::vector<int> keys(kKeys);
            for (int k = 0; k < kKeys; ++k) {
                keys[k] = k;
            }
            std::shuffle(keys.begin(), keys.end(), rng);
            std::vector<mlps_io> batch;
            struct Expect {
                int key;
                int kind; // 0 write, 1 read, 2 delete
                uint64_t offset, length, tag, size;
            };
            std::vector<Expect> expects;
            for (uint32_t i = 0; i < kDepth; ++i) {
                Model &m = model[keys[i]];
                const int dice = static_cast<int>(rng() % 10);
                if (m.size == 0 || dice < 4) {
                    const uint64_t size = unit * (1 + rng() % (maxSize / unit));
                    const uint64_t tag = ++nextTag;
                    fillPattern(writeBufs[i].data(), tag, 0, size);
                    if (m.size != 0 && m.size != size) {
                        // A new version of another size: delete first (in its own round trip).
                        expectStatus(ctx, *q, deleteOp(m.key), MLPS_OK);
                        m.size = 0;
                    }
                    batch.push_back(writeOp(m.key, writeBufs[i].data(), 0, size, size));
                    expects.push_back({keys[i], 0, 0, size, tag, size});
                } else if (dice < 9) {
                    uint64_t offset = 0;
                    uint64_t length = m.size;
                    if (ranges && dice >= 7) {
                        offset = unit * (rng() % (m.size / unit));
                        length = unit * (1 + rng() % ((m.size - offset) / unit));
                    }
                    batch.push_back(readOp(m.key, readBufs[i].data(), offset, length));
                    expects.push_back({keys[i], 1, offset, length, m.tag, m.size});
                } else {
                    batch.push_back(deleteOp(m.key));
                    expects.push_back({keys[i], 2, 0, 0, 0, 0});
                }
            }
            const auto done = q->runAll(batch);
            ops += done.size();
            for (size_t i = 0; i < done.size(); ++i) {
                const Expect &e = expects[i];
                Model &m = model[e.key];
                ctx.expect(done[i].status == MLPS_OK,
                           describeOp(batch[i]) + " completes with MLPS_OK",
                           "it completed with " + statusName(done[i].status));
                if (e.kind == 0) {
                    m.size = e.size;
                    m.tag = e.tag;
                } else if (e.kind == 1) {
                    expectPattern(ctx,
                                  readBufs[i].data(),
                                  e.tag,
                                  e.offset,
                                  e.length,
                                  "a stress read of " + m.key);
                } else {
                    m.size = 0;
                }
            }
        }
        for (const Model &m : model) {
            if (m.size != 0) {
                expectStatus(ctx, *q, deleteOp(m.key), MLPS_OK);
            }
        }
    });
    const mlps_tier_info info = tier->info();
    ctx.expect(info.objects == 0 && info.used_bytes == 0,
               "nothing held after deleting everything: used_bytes 0, objects 0",
               "objects " + std::to_string(info.objects) + ", used_bytes " +
                   std::to_string(info.used_bytes));
    ctx.note(std::to_string(ops.load()) + " ops verified");
}

} // namespace

void addConcurrencyChecks(std::vector<CheckDef> &checks) {
    checks.push_back({"many-queues",
                      "concurrency",
                      "4 threads, one queue each, write and read back at once",
                      checkManyQueues});
    checks.push_back({"delete-while-reading",
                      "concurrency",
                      "a read racing DELETE sees the whole object or none of it",
                      checkDeleteWhileReading});
    checks.push_back({"stress",
                      "concurrency",
                      "a seeded mix of ops on 3 queues, every byte read verified",
                      checkStress});
}

} // namespace mlps::core::check
