// What the io_uring tests of both layouts share: the tier under test in a folder with a given
// layout, page-aligned buffers for O_DIRECT, and a submit-everything-then-collect helper.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tier_conformance.hpp"

namespace mlps::test {

inline TierUnderTest uringTier(const std::string &dir,
                               const char *layout,
                               std::function<void(Options &)> more = nullptr) {
    TierUnderTest t;
    t.descriptor = loadPlugin("IO_URING_SO");
    t.addOptions = [dir, layout, more](Options &o) {
        o.string("path", dir, MLPS_OPT_PATH).string("layout", layout, MLPS_OPT_ENUM);
        if (more) {
            more(o);
        }
    };
    return t;
}

// Page-aligned bytes for O_DIRECT.
struct AlignedBuffer {
    explicit AlignedBuffer(size_t size)
        : data(static_cast<unsigned char *>(std::aligned_alloc(4096, size))), size(size) {
        REQUIRE(data != nullptr);
    }
    ~AlignedBuffer() { std::free(data); }
    AlignedBuffer(const AlignedBuffer &) = delete;
    AlignedBuffer &operator=(const AlignedBuffer &) = delete;
    unsigned char *data;
    size_t size;
};

// Submits every op (resubmitting after BUSY) and collects every completion.
inline std::vector<mlps_completion> runAll(TierQueueDriver &q, const std::vector<mlps_io> &ios) {
    std::vector<mlps_completion> out;
    size_t next = 0;
    while (out.size() < ios.size()) {
        if (next < ios.size()) {
            uint32_t accepted = 0;
            const mlps_status st =
                q.submit(&ios[next], static_cast<uint32_t>(ios.size() - next), &accepted);
            REQUIRE((st == MLPS_OK || st == MLPS_BUSY));
            next += accepted;
        }
        auto done = q.poll(1, 64, 30'000'000'000ull);
        REQUIRE((!done.empty() || next < ios.size()));
        out.insert(out.end(), done.begin(), done.end());
    }
    return out;
}

} // namespace mlps::test
