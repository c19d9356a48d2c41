#include "memory_block.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace mlps::dram {

namespace {
// Cache-line alignment keeps memcpy on its fast path. The memory comes from malloc (not a
// fresh mmap per object) so that deleted objects' pages are reused without page faults; the
// bytes are not zeroed up front, only gaps a write skips over (see write()).
constexpr uint64_t kAlignment = 64;
} // namespace

MemoryBlock::MemoryBlock(uint64_t capacity) : data_(nullptr), capacity_(capacity) {
    const uint64_t rounded = (capacity + kAlignment - 1) / kAlignment * kAlignment;
    data_ = static_cast<unsigned char *>(
        std::aligned_alloc(kAlignment, rounded ? rounded : kAlignment));
    if (data_ == nullptr) {
        throw std::bad_alloc();
    }
}

MemoryBlock::~MemoryBlock() {
    std::free(data_);
}

void MemoryBlock::write(const void *src, uint64_t offset, uint64_t length) noexcept {
    const uint64_t end = offset + length;
    if (end <= size_.load(std::memory_order_acquire)) {
        std::memcpy(data_ + offset, src, length);
        return;
    }
    std::lock_guard lock(extendMutex_);
    const uint64_t size = size_.load(std::memory_order_relaxed);
    if (offset > size) { // a hole reads as zeros, like a sparse file
        std::memset(data_ + size, 0, offset - size);
    }
    std::memcpy(data_ + offset, src, length);
    if (end > size) {
        size_.store(end, std::memory_order_release);
    }
}

bool MemoryBlock::read(void *dst, uint64_t offset, uint64_t length) const noexcept {
    const uint64_t size = size_.load(std::memory_order_acquire);
    if (offset > size || length > size - offset) {
        return false;
    }
    std::memcpy(dst, data_ + offset, length);
    return true;
}

void MemoryBlock::copyInto(MemoryBlock &to) noexcept {
    std::lock_guard lock(extendMutex_);
    const uint64_t size = size_.load(std::memory_order_relaxed);
    std::memcpy(to.data_, data_, size);
    to.size_.store(size, std::memory_order_release);
}

} // namespace mlps::dram
