// The bytes of one dram object: capacity is the object's reservation, size the highest byte
// written so far (reads past it fail with MLPS_E_RANGE). Objects from 2 MiB up live in extents
// of the tier's ExtentPool (reused after delete); smaller ones in one block from the C
// allocator, which reuses freed small blocks by itself.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "extent_pool.hpp"

namespace mlps::dram {

class MemoryBlock {
  public:
    // Throws std::bad_alloc. `pool` must outlive the block.
    MemoryBlock(uint64_t capacity, ExtentPool &pool);
    ~MemoryBlock();
    MemoryBlock(const MemoryBlock &) = delete;
    MemoryBlock &operator=(const MemoryBlock &) = delete;

    uint64_t capacity() const noexcept { return capacity_; }
    uint64_t size() const noexcept { return size_.load(std::memory_order_acquire); }

    // Copies [offset, offset + length) in; the caller checked that it fits the capacity.
    void write(const void *src, uint64_t offset, uint64_t length) noexcept;
    // False when [offset, offset + length) is not inside the written size.
    bool read(void *dst, uint64_t offset, uint64_t length) const noexcept;
    // Copies this block's written bytes into the larger `to` (growing an object).
    void copyInto(MemoryBlock &to) noexcept;

  private:
    // Calls visit(pointer, bytes, bytesBefore) for each extent-contiguous piece of the range.
    template <typename Visit>
    void forEachPiece(uint64_t offset, uint64_t length, Visit &&visit) const noexcept {
        uint64_t done = 0;
        while (done < length) {
            const uint64_t at = offset + done;
            const uint64_t inExtent = at % extentSize_;
            const uint64_t piece = std::min(length - done, extentSize_ - inExtent);
            visit(extents_[at / extentSize_] + inExtent, piece, done);
            done += piece;
        }
    }

    ExtentPool *pool_; // nullptr: one block from the C allocator
    std::vector<unsigned char *> extents_;
    uint64_t extentSize_;
    const uint64_t capacity_;
    std::atomic<uint64_t> size_{0};
    // Taken only by writes that move the end of the object, so that the gap they zero and the
    // new size are published together; writes inside the object copy without it.
    std::mutex extendMutex_;
};

} // namespace mlps::dram
