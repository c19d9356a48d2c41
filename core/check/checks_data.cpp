// Checks of the bytes: round trips at many sizes, byte ranges, growth, errors as completions,
// SYNC.
#include <cstring>

#include "check/check_context.hpp"
#include "check/check_ops.hpp"
#include "check/checks.hpp"

namespace mlps::core::check {

namespace {

// Sizes around the edges that break allocators and chunking: 1 byte, a page and its
// neighbours, odd sizes, several MiB (tiers split ops into chunks and extents of 1-2 MiB).
std::vector<uint64_t> roundTripSizes(uint64_t unit) {
    if (unit > 1) {
        return {unit,
                2 * unit,
                3 * unit,
                17 * unit,
                roundUp(1 << 20, unit) + unit,
                roundUp(5 << 20, unit) + 3 * unit};
    }
    return {1, 100, 4095, 4096, 4097, 65543, (1 << 20) + 5, (5 << 20) + 3};
}

void checkRoundTrip(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const uint64_t unit = tier->unit();
    auto q = tier->openQueue(4);
    uint64_t total = 0;
    uint64_t tag = 0;
    const auto sizes = roundTripSizes(unit);
    for (const uint64_t size : sizes) {
        Buffer data = tier->buffer(size);
        Buffer back = tier->buffer(size);
        fillPattern(data.data(), ++tag, 0, size);
        const std::string key = "rt/" + std::to_string(size);
        expectStatus(ctx, *q, writeOp(key, data.data(), 0, size, size), MLPS_OK);
        std::memset(back.data(), 0, size);
        expectStatus(ctx, *q, readOp(key, back.data(), 0, size), MLPS_OK);
        expectPattern(ctx, back.data(), tag, 0, size, "a read of " + key);
        total += size;
    }
    // Keys are bytes, not C strings: a NUL and bytes no file name holds.
    const std::string binary("obj/\0..\xff", 8);
    const std::string sibling("obj/\0..\xfe", 8);
    const uint64_t size = roundUp(1000, unit);
    Buffer data = tier->buffer(size);
    Buffer back = tier->buffer(size);
    fillPattern(data.data(), 99, 0, size);
    expectStatus(ctx, *q, writeOp(binary, data.data(), 0, size, size), MLPS_OK);
    expectStatus(ctx, *q, readOp(binary, back.data(), 0, size), MLPS_OK);
    expectPattern(ctx, back.data(), 99, 0, size, "a read of a binary key");
    expectStatus(ctx,
                 *q,
                 readOp(sibling, back.data(), 0, size),
                 MLPS_E_NOT_FOUND,
                 "a key differing in its last byte is another object");
    total += size;
    const mlps_tier_info info = tier->info();
    ctx.expect(info.objects == sizes.size() + 1,
               "info.objects = " + std::to_string(sizes.size() + 1) + " objects written",
               "objects = " + std::to_string(info.objects));
    ctx.expect(info.used_bytes >= total,
               "info.used_bytes at least the " + std::to_string(total) + " bytes written",
               "used_bytes = " + std::to_string(info.used_bytes));
}

void checkByteRanges(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    if ((tier->info().caps & MLPS_TIER_CAP_BYTE_RANGE) == 0) {
        ctx.skip("no byte-range cap: whole objects only");
    }
    const uint64_t unit = tier->unit();
    const uint64_t slice = roundUp(4096, unit);
    const uint64_t objectSize = 4 * slice;
    Buffer content = tier->buffer(objectSize);
    fillPattern(content.data(), 1, 0, objectSize);
    auto q = tier->openQueue(4);
    // Slices out of order, each announcing the object's final size.
    for (const uint64_t s : {2, 0, 3, 1}) {
        expectStatus(ctx,
                     *q,
                     writeOp("r", content.data() + s * slice, s * slice, slice, objectSize),
                     MLPS_OK);
    }
    Buffer back = tier->buffer(objectSize);
    expectStatus(ctx, *q, readOp("r", back.data(), 0, objectSize), MLPS_OK);
    expectPattern(ctx, back.data(), 1, 0, objectSize, "a whole read after slice writes");
    // A range across slice edges, and (without alignment) at odd offsets.
    const uint64_t from = unit > 1 ? slice - unit : 5000;
    const uint64_t length = unit > 1 ? slice + 2 * unit : 3001;
    expectStatus(ctx, *q, readOp("r", back.data(), from, length), MLPS_OK);
    expectPattern(ctx, back.data(), 1, from, length, "a range read");
    // Overwrite a range in the middle and read across its edges.
    const uint64_t at = unit > 1 ? 2 * slice - unit : 6000;
    const uint64_t patchLength = unit > 1 ? 2 * unit : 100;
    Buffer patch = tier->buffer(patchLength);
    fillPattern(patch.data(), 2, at, patchLength);
    expectStatus(ctx, *q, writeOp("r", patch.data(), at, patchLength), MLPS_OK);
    const uint64_t around = unit > 1 ? unit : 100;
    expectStatus(ctx, *q, readOp("r", back.data(), at - around, patchLength + 2 * around), MLPS_OK);
    expectPattern(ctx, back.data(), 1, at - around, around, "bytes before an overwrite");
    expectPattern(ctx, back.data() + around, 2, at, patchLength, "an overwritten range");
    expectPattern(ctx,
                  back.data() + around + patchLength,
                  1,
                  at + patchLength,
                  around,
                  "bytes after an overwrite");
}

void checkGrowth(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    if ((tier->info().caps & MLPS_TIER_CAP_BYTE_RANGE) == 0) {
        ctx.skip("no byte-range cap: an object cannot be written past its end");
    }
    const uint64_t unit = tier->unit();
    const uint64_t first = roundUp(4096, unit);
    const uint64_t more = roundUp(3 << 20, unit); // across chunk and extent boundaries
    Buffer data = tier->buffer(first + more);
    fillPattern(data.data(), 8, 0, first + more);
    auto q = tier->openQueue(2);
    expectStatus(ctx, *q, writeOp("g", data.data(), 0, first, first), MLPS_OK);
    expectStatus(ctx,
                 *q,
                 writeOp("g", data.data() + first, first, more),
                 MLPS_OK,
                 "writing past the end grows the object");
    Buffer back = tier->buffer(first + more);
    expectStatus(ctx, *q, readOp("g", back.data(), 0, first + more), MLPS_OK);
    expectPattern(ctx, back.data(), 8, 0, first + more, "a read of a grown object");
    const mlps_tier_info info = tier->info();
    ctx.expect(info.used_bytes >= first + more && info.objects == 1,
               "used_bytes counts the grown size; still one object",
               "used_bytes " + std::to_string(info.used_bytes) + ", objects " +
                   std::to_string(info.objects));
}

void checkErrorsAsCompletions(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const uint64_t unit = tier->unit();
    const uint64_t size = roundUp(4096, unit);
    Buffer buf = tier->buffer(2 * size);
    fillPattern(buf.data(), 9, 0, size);
    auto q = tier->openQueue(4);
    expectStatus(ctx, *q, readOp("missing", buf.data(), 0, size), MLPS_E_NOT_FOUND);
    expectStatus(ctx, *q, deleteOp("missing"), MLPS_E_NOT_FOUND);
    expectStatus(ctx, *q, writeOp("small", buf.data(), 0, size, size), MLPS_OK);
    expectStatus(
        ctx, *q, readOp("small", buf.data(), 0, size + unit), MLPS_E_RANGE, "reading past the end");
    if ((tier->info().caps & MLPS_TIER_CAP_BYTE_RANGE) != 0) {
        expectStatus(ctx, *q, readOp("small", buf.data(), size, unit), MLPS_E_RANGE);
        expectStatus(ctx,
                     *q,
                     readOp("small", buf.data(), size - unit, 2 * unit),
                     MLPS_E_RANGE,
                     "a range that straddles the end");
    }
    const mlps_completion c = expectStatus(ctx, *q, readOp("small", buf.data(), 0, size), MLPS_OK);
    (void)c;
    expectPattern(ctx, buf.data(), 9, 0, size, "a read after refused reads");
    // An opcode from a future minor: a completion, not a crash or a failed submit.
    mlps_io unknown = deleteOp("small");
    unknown.opcode = 99;
    const mlps_completion u = q->run(unknown);
    ctx.expect(u.status == MLPS_E_NOT_SUPPORTED || u.status == MLPS_E_INVALID,
               "an unknown opcode completes with MLPS_E_NOT_SUPPORTED (or MLPS_E_INVALID)",
               "it completed with " + statusName(u.status));
    expectStatus(ctx, *q, readOp("small", buf.data(), 0, size), MLPS_OK, "still there");
}

void checkSync(CheckContext &ctx) {
    auto tier = ctx.create();
    requireHostMemory(ctx, *tier);
    const uint64_t size = roundUp(8192, tier->unit());
    Buffer buf = tier->buffer(size);
    fillPattern(buf.data(), 10, 0, size);
    auto q = tier->openQueue(4);
    const std::string key = "s";
    expectStatus(ctx, *q, writeOp(key, buf.data(), 0, size, size), MLPS_OK);
    expectStatus(ctx, *q, syncOp(&key), MLPS_OK, "SYNC of an object");
    expectStatus(ctx, *q, syncOp(nullptr), MLPS_OK, "SYNC of the whole tier (key NULL)");
    const std::string missing = "not-there";
    const mlps_completion c = q->run(syncOp(&missing));
    ctx.expect(c.status == MLPS_OK || c.status == MLPS_E_NOT_FOUND,
               "SYNC of a missing key completes with MLPS_OK or MLPS_E_NOT_FOUND",
               "it completed with " + statusName(c.status));
    expectStatus(ctx, *q, readOp(key, buf.data(), 0, size), MLPS_OK);
    expectPattern(ctx, buf.data(), 10, 0, size, "a read after SYNC");
}

} // namespace

void addDataChecks(std::vector<CheckDef> &checks) {
    checks.push_back({"round-trip",
                      "data",
                      "objects of many sizes (1 B to 5 MiB, binary keys) read back as written",
                      checkRoundTrip});
    checks.push_back({"byte-ranges",
                      "data",
                      "slices written out of order, ranges read and overwritten",
                      checkByteRanges});
    checks.push_back(
        {"growth", "data", "writing past the end grows an object, bytes kept", checkGrowth});
    checks.push_back({"errors-as-completions",
                      "data",
                      "NOT_FOUND, RANGE and an unknown opcode are completions, not failed submits",
                      checkErrorsAsCompletions});
    checks.push_back({"sync", "data", "SYNC of a key and of the whole tier completes", checkSync});
}

} // namespace mlps::core::check
