// Checks of capacity: DELETE frees it, a full tier answers NO_SPACE as a completion, and an
// object larger than any free run fits in fragmented free space.
#include "check/check_context.hpp"
#include "check/check_ops.hpp"
#include "check/checks.hpp"

namespace mlps::core::check {

namespace {

constexpr uint64_t kMiB = 1 << 20;

// Writes object `key` of `size` bytes (tag `tag`) in ops of `chunk`, announcing the size.
// Returns the first status that is not MLPS_OK (or MLPS_OK).
mlps_status writeObject(
    TierQueue &q, const std::string &key, const Buffer &data, uint64_t size, uint64_t chunk) {
    std::vector<mlps_io> ios;
    for (uint64_t off = 0; off < size; off += chunk) {
        ios.push_back(writeOp(key, data.data() + off, off, std::min(chunk, size - off), size));
    }
    // One op after the other: the first refusal stops the object, as a benchmark would.
    for (const auto &io : ios) {
        const mlps_completion c = q.run(io);
        if (c.status != MLPS_OK) {
            return c.status;
        }
    }
    return MLPS_OK;
}

void checkDeleteFrees(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const uint64_t size = roundUp(256 * 1024, tier->unit());
    Buffer buf = tier->buffer(size);
    fillPattern(buf.data(), 11, 0, size);
    auto q = tier->openQueue(4);
    const std::string keys[] = {"f0", "f1", "f2", "f3"};
    for (const auto &key : keys) {
        expectStatus(ctx, *q, writeOp(key, buf.data(), 0, size, size), MLPS_OK);
    }
    const mlps_tier_info full = tier->info();
    ctx.expect(full.objects == 4 && full.used_bytes >= 4 * size,
               "4 objects, at least " + std::to_string(4 * size) + " bytes used",
               "objects " + std::to_string(full.objects) + ", used_bytes " +
                   std::to_string(full.used_bytes));
    expectStatus(ctx, *q, deleteOp(keys[0]), MLPS_OK);
    expectStatus(ctx, *q, deleteOp(keys[1]), MLPS_OK);
    const mlps_tier_info half = tier->info();
    ctx.expect(half.objects == 2 && half.used_bytes + 2 * size <= full.used_bytes,
               "2 objects left and at least " + std::to_string(2 * size) + " bytes freed",
               "objects " + std::to_string(half.objects) + ", used_bytes " +
                   std::to_string(full.used_bytes) + " -> " + std::to_string(half.used_bytes));
    expectStatus(ctx,
                 *q,
                 readOp(keys[0], buf.data(), 0, size),
                 MLPS_E_NOT_FOUND,
                 "a deleted object is gone");
    expectStatus(ctx, *q, deleteOp(keys[2]), MLPS_OK);
    expectStatus(ctx, *q, deleteOp(keys[3]), MLPS_OK);
    const mlps_tier_info empty = tier->info();
    ctx.expect(empty.objects == 0 && empty.used_bytes == 0,
               "nothing held once every object is deleted: used_bytes 0, objects 0",
               "objects " + std::to_string(empty.objects) + ", used_bytes " +
                   std::to_string(empty.used_bytes));
}

void checkNoSpace(CheckContext &ctx) {
    const uint64_t capacity = 4 * kMiB;
    auto tier = ctx.create(capacity);
    requireHostMemory(ctx, *tier);
    const uint64_t unit = tier->unit();
    const uint64_t chunk = roundUp(kMiB / 2, unit);
    const uint64_t cap = tier->info().capacity_bytes;
    const uint64_t bigA = roundUp(cap * 3 / 4, unit);
    const uint64_t bigB = roundUp(cap / 2, unit);
    Buffer a = tier->buffer(bigA);
    Buffer b = tier->buffer(bigB);
    fillPattern(a.data(), 12, 0, bigA);
    fillPattern(b.data(), 13, 0, bigB);
    auto q = tier->openQueue(2);
    mlps_status st = writeObject(*q, "a", a, bigA, chunk);
    ctx.expect(st == MLPS_OK,
               "an object of 3/4 of the capacity fits",
               "writing it completed with " + statusName(st));
    // B does not fit next to A: some write of it completes with NO_SPACE (the wrapper fails the
    // check if submit refuses it instead).
    st = writeObject(*q, "b", b, bigB, chunk);
    ctx.expect(st == MLPS_E_NO_SPACE,
               "a write past the capacity completes with MLPS_E_NO_SPACE",
               "writing an object of 1/2 of the capacity next to one of 3/4 ended with " +
                   statusName(st));
    const mlps_tier_info full = tier->info();
    ctx.expect(full.used_bytes <= full.capacity_bytes,
               "used_bytes never above capacity_bytes",
               "used_bytes " + std::to_string(full.used_bytes) + " of " +
                   std::to_string(full.capacity_bytes));
    Buffer back = tier->buffer(bigA);
    expectStatus(ctx,
                 *q,
                 readOp("a", back.data(), 0, bigA),
                 MLPS_OK,
                 "a refused write harms no other object");
    expectPattern(ctx, back.data(), 12, 0, bigA, "a read of the object written before NO_SPACE");
    // Space comes back with DELETE.
    expectStatus(ctx, *q, deleteOp("a"), MLPS_OK);
    const mlps_completion c = q->run(deleteOp("b")); // b may exist in part, or not at all
    ctx.expect(c.status == MLPS_OK || c.status == MLPS_E_NOT_FOUND,
               "deleting a partly written object completes with MLPS_OK or NOT_FOUND",
               "it completed with " + statusName(c.status));
    st = writeObject(*q, "b", b, bigB, chunk);
    ctx.expect(st == MLPS_OK,
               "after DELETE the space is there again",
               "writing the object again ended with " + statusName(st));
    expectStatus(ctx, *q, readOp("b", back.data(), 0, bigB), MLPS_OK);
    expectPattern(ctx, back.data(), 13, 0, bigB, "a read after the space came back");
}

void checkFragmented(CheckContext &ctx) {
    const uint64_t capacity = 16 * kMiB;
    auto tier = ctx.create(capacity);
    requireHostMemory(ctx, *tier);
    const uint64_t unit = tier->unit();
    const uint64_t small = roundUp(kMiB, unit);
    const uint64_t cap = tier->info().capacity_bytes;
    const uint64_t n = cap / small;
    Buffer piece = tier->buffer(small);
    fillPattern(piece.data(), 14, 0, small);
    auto q = tier->openQueue(4);
    for (uint64_t i = 0; i < n; ++i) {
        expectStatus(ctx,
                     *q,
                     writeOp("frag" + std::to_string(i), piece.data(), 0, small, small),
                     MLPS_OK,
                     "filling the tier with 1 MiB objects");
    }
    for (uint64_t i = 0; i < n; i += 2) {
        expectStatus(ctx, *q, deleteOp("frag" + std::to_string(i)), MLPS_OK);
    }
    // Half the capacity is free, in 1 MiB holes: an object of nearly that size must fit.
    const uint64_t big = (n / 2 - 1) * small;
    Buffer data = tier->buffer(big);
    fillPattern(data.data(), 15, 0, big);
    const mlps_status st = writeObject(*q, "big", data, big, small);
    ctx.expect(st == MLPS_OK,
               "an object larger than any free run fits in fragmented free space (kvcache "
               "entries reach GiBs: one contiguous run per object does not do)",
               "writing " + std::to_string(big) + " bytes into " + std::to_string(n / 2) +
                   " free 1 MiB holes ended with " + statusName(st));
    Buffer back = tier->buffer(big);
    expectStatus(ctx, *q, readOp("big", back.data(), 0, big), MLPS_OK);
    expectPattern(ctx, back.data(), 15, 0, big, "a read of an object in fragmented space");
    for (uint64_t i = 1; i < n; i += 2) {
        expectStatus(ctx, *q, readOp("frag" + std::to_string(i), piece.data(), 0, small), MLPS_OK);
        expectPattern(ctx, piece.data(), 14, 0, small, "a neighbour of the big object");
    }
}

} // namespace

void addCapacityChecks(std::vector<CheckDef> &checks) {
    checks.push_back({"delete-frees",
                      "capacity",
                      "DELETE frees capacity; used_bytes and objects follow",
                      checkDeleteFrees});
    checks.push_back({"no-space",
                      "capacity",
                      "a full tier answers MLPS_E_NO_SPACE as a completion; DELETE makes room",
                      checkNoSpace});
    checks.push_back({"fragmented-capacity",
                      "capacity",
                      "an object larger than any free run fits in fragmented space",
                      checkFragmented});
}

} // namespace mlps::core::check
