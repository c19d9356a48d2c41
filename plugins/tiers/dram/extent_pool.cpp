#include "extent_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <sys/mman.h>

namespace mlps::dram {

namespace {
// New memory is mapped 64 MiB at a time: few mappings, and a small tier does not map much more
// than it uses.
constexpr size_t kArenaExtents = 32;
} // namespace

ExtentPool::~ExtentPool() {
    for (const Arena &arena : arenas_) {
        munmap(arena.base, arena.length);
    }
}

void ExtentPool::prefault(uint64_t bytes) {
    std::lock_guard lock(mutex_);
    addArena((bytes + kExtentSize - 1) / kExtentSize, true);
}

void ExtentPool::addArena(size_t minExtents, bool populate) {
    const size_t extents = std::max(minExtents, kArenaExtents);
    // One extent more than needed, so that the extents can start on a 2 MiB boundary: THP only
    // backs aligned 2 MiB ranges.
    const size_t length = (extents + 1) * kExtentSize;
    void *base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        throw std::bad_alloc();
    }
    arenas_.push_back(Arena{base, length});
    const auto address = reinterpret_cast<uintptr_t>(base);
    auto *first =
        reinterpret_cast<unsigned char *>((address + kExtentSize - 1) & ~(kExtentSize - 1));
    // Advice only: where THP is off or unsupported the extents are ordinary pages.
    madvise(first, extents * kExtentSize, MADV_HUGEPAGE);
    if (populate && madvise(first, extents * kExtentSize, MADV_POPULATE_WRITE) != 0) {
        if (errno != EINVAL) {
            throw std::bad_alloc(); // ENOMEM: the memory is not there (the arena stays mapped)
        }
        // Kernels before 5.14 lack MADV_POPULATE_WRITE: touch one byte per page instead.
        for (size_t at = 0; at < extents * kExtentSize; at += 4096) {
            first[at] = 0;
        }
    }
    // Room for every extent the pool owns, so that release() never allocates.
    totalExtents_ += extents;
    free_.reserve(totalExtents_);
    // Handed out from the lowest address up (the vector is used as a stack).
    for (size_t i = extents; i-- > 0;) {
        free_.push_back(first + i * kExtentSize);
    }
}

void ExtentPool::acquire(size_t count, std::vector<unsigned char *> &out) {
    std::lock_guard lock(mutex_);
    if (free_.size() < count) {
        addArena(count - free_.size());
    }
    out.insert(out.end(), free_.end() - static_cast<std::ptrdiff_t>(count), free_.end());
    free_.resize(free_.size() - count);
}

void ExtentPool::release(const std::vector<unsigned char *> &extents) noexcept {
    std::lock_guard lock(mutex_);
    // No allocation here: free_ has room for every extent the pool owns (addArena).
    free_.insert(free_.end(), extents.begin(), extents.end());
}

} // namespace mlps::dram
