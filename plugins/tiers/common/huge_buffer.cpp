#include "huge_buffer.hpp"

#include <cerrno>
#include <map>
#include <mutex>
#include <string>
#include <sys/mman.h>

#include <mlps/plugin.hpp>

namespace mlps::posix {

namespace {
constexpr uint64_t kHugePage = 2ull << 20;
constexpr uint64_t kPage = 4096;
// Buffers smaller than a huge page are carved, page-aligned, out of shared regions of this
// size: a 1 MiB buffer in its own 2 MiB huge page would double the benchmark's I/O memory
// (the whole page is faulted in on first touch).
constexpr uint64_t kRegion = 8 * kHugePage;

uint64_t roundUp(uint64_t size, uint64_t unit) noexcept {
    return size == 0 ? unit : (size + unit - 1) / unit * unit;
}

// `length` (a multiple of 2 MiB) of anonymous memory on a 2 MiB boundary, advised for THP.
void *mapHuge(uint64_t length) noexcept {
    // Map one huge page more than needed and trim both ends to a 2 MiB boundary.
    void *raw = ::mmap(
        nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        return nullptr;
    }
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
    if (aligned != start) {
        ::munmap(raw, aligned - start);
    }
    const uintptr_t end = start + length + kHugePage;
    if (end != aligned + length) {
        ::munmap(reinterpret_cast<void *>(aligned + length), end - (aligned + length));
    }
    // Advice only: without THP (or with "never") these are ordinary pages.
    ::madvise(reinterpret_cast<void *>(aligned), length, MADV_HUGEPAGE);
    return reinterpret_cast<void *>(aligned);
}

// The shared regions: a bump pointer in the current one, and how many pieces of each region
// are live. A region goes back to the system when its last piece is freed (the current one is
// rewound instead). Benchmarks allocate their buffers at start and free them at the end, so
// space freed in the middle of a region is not worth reusing.
struct Regions {
    std::mutex mutex;
    std::map<uintptr_t, uint64_t> live; // region base -> live pieces
    uintptr_t current = 0;
    uint64_t used = 0;
};

Regions &regions() {
    static Regions r;
    return r;
}

void *carve(uint64_t size) noexcept {
    const uint64_t need = roundUp(size, kPage);
    Regions &r = regions();
    std::lock_guard lock(r.mutex);
    if (r.current == 0 || r.used + need > kRegion) {
        void *fresh = mapHuge(kRegion);
        if (fresh == nullptr) {
            return nullptr;
        }
        if (r.current != 0 && r.live[r.current] == 0) {
            ::munmap(reinterpret_cast<void *>(r.current), kRegion);
            r.live.erase(r.current);
        }
        r.current = reinterpret_cast<uintptr_t>(fresh);
        r.used = 0;
        r.live[r.current] = 0;
    }
    void *piece = reinterpret_cast<void *>(r.current + r.used);
    r.used += need;
    ++r.live[r.current];
    return piece;
}

void release(void *buf) noexcept {
    Regions &r = regions();
    std::lock_guard lock(r.mutex);
    auto it = r.live.upper_bound(reinterpret_cast<uintptr_t>(buf));
    if (it == r.live.begin()) {
        return; // not ours: nothing to do
    }
    --it;
    if (--it->second != 0) {
        return;
    }
    if (it->first == r.current) {
        r.used = 0; // empty: the next buffers start at its beginning again
    } else {
        ::munmap(reinterpret_cast<void *>(it->first), kRegion);
        r.live.erase(it);
    }
}
} // namespace

void *allocateBuffer(uint64_t size) noexcept {
    try {
        return size < kHugePage ? carve(size) : mapHuge(roundUp(size, kHugePage));
    } catch (...) { // std::map's node allocation
        return nullptr;
    }
}

void freeBuffer(void *buf, uint64_t size) noexcept {
    if (buf == nullptr) {
        return;
    }
    if (size < kHugePage) {
        release(buf);
    } else {
        ::munmap(buf, roundUp(size, kHugePage));
    }
}

void *allocateIoBuffer(uint64_t size) {
    void *buf = allocateBuffer(size);
    if (buf == nullptr) {
        throw Error("cannot allocate a buffer of " + std::to_string(size) + " bytes",
                    MLPS_E_NO_MEMORY,
                    ENOMEM);
    }
    return buf;
}

} // namespace mlps::posix
