// Small tools the checks share: ops, deterministic bytes, and comparing what came back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <mlps/plugin.h>

#include "check/check_context.hpp"

namespace mlps::core::check {

inline mlps_io writeOp(std::string_view key,
                       const void *buf,
                       uint64_t offset,
                       uint64_t length,
                       uint64_t objectSize = 0) {
    mlps_io io{};
    io.opcode = MLPS_IO_WRITE;
    io.key = key.data();
    io.key_len = static_cast<uint32_t>(key.size());
    io.buf = const_cast<void *>(buf);
    io.offset = offset;
    io.length = length;
    io.object_size = objectSize;
    return io;
}

inline mlps_io readOp(std::string_view key, void *buf, uint64_t offset, uint64_t length) {
    mlps_io io = writeOp(key, buf, offset, length);
    io.opcode = MLPS_IO_READ;
    return io;
}

inline mlps_io deleteOp(std::string_view key) {
    mlps_io io{};
    io.opcode = MLPS_IO_DELETE;
    io.key = key.data();
    io.key_len = static_cast<uint32_t>(key.size());
    return io;
}

inline mlps_io syncOp(const std::string *key) {
    mlps_io io{};
    io.opcode = MLPS_IO_SYNC;
    if (key != nullptr) {
        io.key = key->data();
        io.key_len = static_cast<uint32_t>(key->size());
    }
    return io;
}

// The byte at `offset` of object `tag`: every object and every offset differ, so a shifted,
// stale or foreign byte is caught.
inline unsigned char patternByte(uint64_t tag, uint64_t offset) {
    uint64_t x = (offset >> 3) * 0x9E3779B97F4A7C15ull ^ (tag + 1) * 0xD1B54A32D192ED03ull;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return static_cast<unsigned char>(x >> ((offset & 7) * 8));
}

inline void fillPattern(unsigned char *buf, uint64_t tag, uint64_t offset, uint64_t length) {
    for (uint64_t i = 0; i < length; ++i) {
        buf[i] = patternByte(tag, offset + i);
    }
}

// Fails the check at the first byte of buf that is not object `tag`'s byte at that offset.
inline void expectPattern(CheckContext &ctx,
                          const unsigned char *buf,
                          uint64_t tag,
                          uint64_t offset,
                          uint64_t length,
                          const std::string &what) {
    for (uint64_t i = 0; i < length; ++i) {
        const unsigned char want = patternByte(tag, offset + i);
        if (buf[i] != want) {
            char text[160];
            std::snprintf(text,
                          sizeof text,
                          "byte %llu of the object is 0x%02x, 0x%02x was written",
                          static_cast<unsigned long long>(offset + i),
                          buf[i],
                          want);
            ctx.fail(what + " returns the bytes written", what + ": " + text);
        }
    }
}

// Runs one op on `q` and fails the check unless it completes with `want`.
inline mlps_completion expectStatus(CheckContext &ctx,
                                    TierQueue &q,
                                    const mlps_io &io,
                                    mlps_status want,
                                    const std::string &why = "") {
    const mlps_completion c = q.run(io);
    if (c.status != want) {
        ctx.fail(describeOp(io) + " completes with " + statusName(want) +
                     (why.empty() ? "" : " (" + why + ")"),
                 "it completed with " + statusName(c.status) +
                     (c.sys_errno != 0 ? ", errno " + std::to_string(c.sys_errno) : ""));
    }
    return c;
}

} // namespace mlps::core::check

namespace mlps::core::check {

// Data checks fill and compare buffers with the CPU: a tier whose ops take device memory only
// cannot run them.
inline void requireHostMemory(CheckContext &ctx, TierInstance &tier) {
    if (!tier.takesHostMemory()) {
        ctx.skip("the tier's ops take no host memory (info.io_memory)");
    }
}

// `bytes` rounded up to the tier's unit (alignment of offsets and lengths).
inline uint64_t roundUp(uint64_t bytes, uint64_t unit) {
    return (bytes + unit - 1) / unit * unit;
}

} // namespace mlps::core::check
