// Checks of queues: depth and BUSY, poll's min/max/timeout rules, closing with ops in flight.
#include "check/check_context.hpp"
#include "check/check_ops.hpp"
#include "check/checks.hpp"

namespace mlps::core::check {

namespace {

constexpr uint64_t kForever = UINT64_MAX;

void checkQueueDepth(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const uint64_t size = roundUp(4096, tier->unit());
    Buffer buf = tier->buffer(size);
    fillPattern(buf.data(), 3, 0, size);
    const std::string keys[] = {"d0", "d1", "d2", "d3", "d4"};
    for (const uint32_t depth : {1u, 2u, 3u}) {
        auto q = tier->openQueue(depth);
        std::vector<mlps_io> ios;
        for (uint32_t i = 0; i <= depth; ++i) {
            ios.push_back(writeOp(keys[i], buf.data(), 0, size));
        }
        // Without polling, the queue takes exactly `depth` ops, then says BUSY (the wrapper
        // fails the check if it takes more).
        uint32_t next = 0;
        uint32_t accepted = 0;
        while (next < ios.size() &&
               q->submit(&ios[next], static_cast<uint32_t>(ios.size() - next), &accepted) ==
                   MLPS_OK) {
            next += accepted;
        }
        ctx.expect(next == depth,
                   "a queue opened with depth " + std::to_string(depth) + " takes " +
                       std::to_string(depth) + " op(s) before MLPS_BUSY",
                   "MLPS_BUSY after " + std::to_string(next));
        uint32_t none = 1;
        ctx.expect(q->submit(&ios[next], 1, &none) == MLPS_BUSY,
                   "MLPS_BUSY again while the queue is full",
                   "submit took the op");
        // Once polled, the op that did not fit goes in.
        while (q->outstanding() != 0) {
            q->poll(1, depth, kForever);
        }
        ctx.expect(q->submit(&ios[next], 1, &accepted) == MLPS_OK && accepted == 1,
                   "room again after poll",
                   "submit still refuses after every completion was polled");
        while (q->outstanding() != 0) {
            q->poll(1, depth, kForever);
        }
    }

    // Depth 0: the tier's default depth, or refused with MLPS_E_INVALID.
    void *queue = nullptr;
    mlps_error err{};
    ctx.step("open_queue(depth 0)");
    const mlps_status st = ctx.ops().open_queue(tier->self(), 0, &queue, &err);
    if (st == MLPS_E_INVALID) {
        ctx.expect(err.message[0] != '\0',
                   "a refused depth 0 comes with a message",
                   "err.message is empty");
        ctx.note(std::string("depth 0 refused: ") + err.message);
    } else {
        ctx.expect(st == MLPS_OK && queue != nullptr,
                   "open_queue(0) opens a queue of the tier's default depth or returns "
                   "MLPS_E_INVALID",
                   "it returned " + statusName(st));
        // One op: a wrapper of depth 1 is enough to run it.
        TierQueue q(ctx, ctx.ops(), tier->self(), queue, 1);
        expectStatus(ctx, q, writeOp(keys[0], buf.data(), 0, size), MLPS_OK);
        ctx.note("depth 0 opens the tier's default depth");
    }
    const uint32_t maxDepth = tier->info().max_queue_depth;
    if (maxDepth != 0 && maxDepth <= 65536) {
        auto q = tier->openQueue(maxDepth); // fails the check when refused
        expectStatus(ctx, *q, readOp(keys[0], buf.data(), 0, size), MLPS_OK);
    }
}

void checkPollEmpty(CheckContext &ctx) {
    auto tier = ctx.create();
    auto q = tier->openQueue(4);
    ctx.expect(q->poll(0, 4, 0, true).empty(), "nothing from a new queue", "completions came");
    q->poll(1, 4, 0, true);
    q->poll(1, 4, 1'000'000'000, true);
    q->poll(1, 4, kForever, true);
    if (tier->takesHostMemory()) {
        const uint64_t size = roundUp(512, tier->unit());
        Buffer buf = tier->buffer(size);
        fillPattern(buf.data(), 4, 0, size);
        expectStatus(ctx, *q, writeOp("e", buf.data(), 0, size), MLPS_OK);
        // Drained again: still never blocks.
        q->poll(1, 4, kForever, true);
        q->poll(4, 4, kForever, true);
    }
}

void checkPollSemantics(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const bool async = (tier->info().caps & MLPS_TIER_CAP_ASYNC) != 0;
    const uint64_t size = roundUp(4096, tier->unit());
    Buffer buf = tier->buffer(size);
    fillPattern(buf.data(), 5, 0, size);
    constexpr uint32_t kDepth = 8;
    constexpr uint32_t kOps = 6;
    auto q = tier->openQueue(kDepth);
    std::vector<std::string> keys;
    for (uint32_t i = 0; i < kOps; ++i) {
        keys.push_back("p" + std::to_string(i));
    }
    std::vector<mlps_io> ios;
    for (const auto &key : keys) {
        ios.push_back(writeOp(key, buf.data(), 0, size));
    }
    uint32_t accepted = 0;
    ctx.expect(q->submit(ios.data(), kOps, &accepted) == MLPS_OK && accepted == kOps,
               "a queue of depth 8 takes 6 ops at once",
               "it took " + std::to_string(accepted));
    if (!async) {
        // A synchronous tier did the work in submit(): everything is there at once.
        const auto now = q->poll(0, 2, 0, true);
        ctx.expect(now.size() == 2,
                   "a synchronous tier (no async cap) hands completions back at the next poll",
                   "poll(min 0, max 2, timeout 0) returned " + std::to_string(now.size()));
    } else {
        q->poll(0, 2, 0, true); // timeout 0: whatever is there, at once
    }
    const uint32_t left = q->outstanding();
    if (left > 0) {
        const auto one = q->poll(1, 1, kForever);
        ctx.expect(one.size() == 1,
                   "poll(min 1, max 1, forever) returns exactly 1",
                   "it returned " + std::to_string(one.size()));
    }
    const uint32_t rest = q->outstanding();
    const auto all = q->poll(rest, kDepth, kForever);
    ctx.expect(all.size() == rest,
               "poll(min " + std::to_string(rest) + ", forever) returns all " +
                   std::to_string(rest) + " outstanding",
               "it returned " + std::to_string(all.size()));
    q->poll(1, kDepth, kForever, true); // and then nothing, at once
}

void checkCloseInFlight(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    constexpr uint32_t kDepth = 8;
    const uint64_t size = roundUp(64 * 1024, tier->unit());
    std::vector<Buffer> bufs;
    std::vector<std::string> keys;
    std::vector<mlps_io> ios;
    for (uint32_t i = 0; i < kDepth; ++i) {
        bufs.push_back(tier->buffer(size));
        fillPattern(bufs.back().data(), 100 + i, 0, size);
        keys.push_back("c" + std::to_string(i));
    }
    for (uint32_t i = 0; i < kDepth; ++i) {
        ios.push_back(writeOp(keys[i], bufs[i].data(), 0, size, size));
    }
    {
        auto q = tier->openQueue(kDepth);
        uint32_t next = 0;
        uint32_t accepted = 0;
        while (next < kDepth && q->submit(&ios[next], kDepth - next, &accepted) == MLPS_OK) {
            next += accepted;
        }
        q->close(); // with everything outstanding; the buffers stay valid until it returns
    }
    // close_queue waited for them: each write happened completely or not at all.
    auto q = tier->openQueue(1);
    Buffer back = tier->buffer(size);
    uint32_t written = 0;
    for (uint32_t i = 0; i < kDepth; ++i) {
        const mlps_completion c = q->run(readOp(keys[i], back.data(), 0, size));
        if (c.status == MLPS_OK) {
            expectPattern(
                ctx, back.data(), 100 + i, 0, size, "a write closed in flight, read back");
            ++written;
        } else {
            ctx.expect(c.status == MLPS_E_NOT_FOUND,
                       "after close_queue, a write in flight is done (MLPS_OK) or never "
                       "happened (MLPS_E_NOT_FOUND)",
                       "reading " + keys[i] + " completed with " + statusName(c.status));
        }
    }
    ctx.note(std::to_string(written) + " of " + std::to_string(kDepth) +
             " writes in flight were done by close_queue");
}

} // namespace

void addQueueChecks(std::vector<CheckDef> &checks) {
    checks.push_back({"queue-depth",
                      "queues",
                      "a queue takes depth ops, then MLPS_BUSY; depth 0 has a meaning",
                      checkQueueDepth});
    checks.push_back({"poll-empty",
                      "queues",
                      "poll on an empty queue returns at once, whatever min_done and timeout",
                      checkPollEmpty});
    checks.push_back({"poll-min-max",
                      "queues",
                      "poll honours min_done, max_done and timeout 0; completions match ops",
                      checkPollSemantics});
    checks.push_back({"close-in-flight",
                      "queues",
                      "close_queue with ops in flight waits for them, then the tier works on",
                      checkCloseInFlight});
}

} // namespace mlps::core::check
