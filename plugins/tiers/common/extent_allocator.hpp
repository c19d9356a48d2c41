// Free-space bookkeeping of a byte space split among objects: which ranges of the io_uring
// tier's data file or of the cuda tier's device pool are free. Pure arithmetic (no file, no
// lock): the caller serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace mlps::tiers {

// A byte range of the data file.
struct Extent {
    uint64_t offset = 0;
    uint64_t length = 0;
    friend bool operator==(const Extent &, const Extent &) = default;
};

// Best-fit allocation over [0, limit) in units of `alignment` (every offset and length handed
// out is a multiple of it). Freed ranges are merged with free neighbours at once, so free space
// is never split more than the live allocations split it.
class ExtentAllocator {
  public:
    ExtentAllocator(uint64_t limit, uint64_t alignment);

    // Extents covering `length` bytes rounded up to the alignment, appended to `out`; false (and
    // `out` unchanged) when less than that is free. One extent when a free range is large enough
    // (the smallest such range, lowest offset first); otherwise the largest free ranges, so a
    // fragmented space still serves an object as long as enough bytes are free in total.
    bool allocate(uint64_t length, std::vector<Extent> &out);

    // Gives back a range from allocate(); merged with its free neighbours.
    void release(const Extent &extent);

    uint64_t alignment() const noexcept { return alignment_; }
    uint64_t limit() const noexcept { return limit_; }
    uint64_t freeBytes() const noexcept { return free_; }
    size_t freeRanges() const noexcept { return byOffset_.size(); }
    uint64_t roundUp(uint64_t bytes) const noexcept;

  private:
    Extent take(std::set<std::pair<uint64_t, uint64_t>>::iterator range, uint64_t length);
    void insertFree(uint64_t offset, uint64_t length);
    void eraseFree(std::map<uint64_t, uint64_t>::iterator it);

    uint64_t limit_;
    uint64_t alignment_;
    uint64_t free_;
    std::map<uint64_t, uint64_t> byOffset_;          // offset -> length: finds neighbours
    std::set<std::pair<uint64_t, uint64_t>> bySize_; // (length, offset): finds the best fit
};

// The file ranges that hold bytes [offset, offset + length) of an object stored in `extents`
// (in object order), appended to `out`. The range must lie inside the extents.
void mapRange(const std::vector<Extent> &extents,
              uint64_t offset,
              uint64_t length,
              std::vector<Extent> &out);

} // namespace mlps::tiers
