// The bytes of one dram object: an aligned block whose capacity is the object's reservation and
// whose size is the highest byte written so far (reads past it fail with MLPS_E_RANGE).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace mlps::dram {

class MemoryBlock {
  public:
    // Throws std::bad_alloc.
    explicit MemoryBlock(uint64_t capacity);
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
    unsigned char *data_;
    const uint64_t capacity_;
    std::atomic<uint64_t> size_{0};
    // Taken only by writes that move the end of the object, so that the gap they zero and the
    // new size are published together; writes inside the object copy without it.
    std::mutex extendMutex_;
};

} // namespace mlps::dram
