// Memory for large dram objects, in 2 MiB extents that DELETE hands back for the next object.
// A fresh mapping per object (what malloc does above its mmap threshold) costs a page fault and
// a zeroed page per 4 KiB on first touch, and munmap on delete: measured, that was half the
// tier's CPU in a KV-cache run. Reused extents cost nothing; new ones come from 2 MiB-aligned
// arenas advised for transparent huge pages (one fault per 2 MiB where THP is enabled).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace mlps::dram {

class ExtentPool {
  public:
    static constexpr uint64_t kExtentSize = uint64_t{2} << 20;

    ExtentPool() = default;
    ~ExtentPool();
    ExtentPool(const ExtentPool &) = delete;
    ExtentPool &operator=(const ExtentPool &) = delete;

    // Maps and touches extents for at least `bytes` up front (MAP_POPULATE): later objects get
    // memory without page faults. Throws std::bad_alloc.
    void prefault(uint64_t bytes);
    // Appends `count` extents to `out`. Throws std::bad_alloc (taking none) when the system has
    // no memory left.
    void acquire(size_t count, std::vector<unsigned char *> &out);
    // Gives extents back for reuse; the memory stays mapped until the pool is destroyed (the
    // tier's capacity bounds how much it can hold).
    void release(const std::vector<unsigned char *> &extents) noexcept;

  private:
    struct Arena {
        void *base;
        size_t length;
    };
    void addArena(size_t minExtents, bool populate = false); // under mutex_

    std::mutex mutex_;
    std::vector<unsigned char *> free_;
    std::vector<Arena> arenas_;
    size_t totalExtents_ = 0;
};

} // namespace mlps::dram
