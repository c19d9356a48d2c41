#include "memory_block.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace mlps::dram {

namespace {
// Cache-line alignment keeps memcpy on its fast path.
constexpr uint64_t kAlignment = 64;
} // namespace

MemoryBlock::MemoryBlock(uint64_t capacity, ExtentPool &pool)
    : pool_(capacity >= ExtentPool::kExtentSize ? &pool : nullptr),
      extentSize_(ExtentPool::kExtentSize), capacity_(capacity) {
    if (pool_ != nullptr) {
        pool_->acquire((capacity + extentSize_ - 1) / extentSize_, extents_);
        return;
    }
    // The bytes are not zeroed up front, only gaps a write skips over (see write()).
    extentSize_ = std::max((capacity + kAlignment - 1) / kAlignment * kAlignment, kAlignment);
    void *data = std::aligned_alloc(kAlignment, extentSize_);
    if (data == nullptr) {
        throw std::bad_alloc();
    }
    extents_.push_back(static_cast<unsigned char *>(data));
}

MemoryBlock::~MemoryBlock() {
    if (pool_ != nullptr) {
        pool_->release(extents_);
    } else {
        std::free(extents_.front());
    }
}

void MemoryBlock::write(const void *src, uint64_t offset, uint64_t length) noexcept {
    const auto *from = static_cast<const unsigned char *>(src);
    const auto copyIn = [from](unsigned char *to, uint64_t bytes, uint64_t before) {
        std::memcpy(to, from + before, bytes);
    };
    const uint64_t end = offset + length;
    if (end <= size_.load(std::memory_order_acquire)) {
        forEachPiece(offset, length, copyIn);
        return;
    }
    std::lock_guard lock(extendMutex_);
    const uint64_t size = size_.load(std::memory_order_relaxed);
    if (offset > size) { // a hole reads as zeros, like a sparse file
        forEachPiece(size, offset - size, [](unsigned char *to, uint64_t bytes, uint64_t) {
            std::memset(to, 0, bytes);
        });
    }
    forEachPiece(offset, length, copyIn);
    if (end > size) {
        size_.store(end, std::memory_order_release);
    }
}

bool MemoryBlock::read(void *dst, uint64_t offset, uint64_t length) const noexcept {
    const uint64_t size = size_.load(std::memory_order_acquire);
    if (offset > size || length > size - offset) {
        return false;
    }
    auto *to = static_cast<unsigned char *>(dst);
    forEachPiece(offset, length, [to](unsigned char *from, uint64_t bytes, uint64_t before) {
        std::memcpy(to + before, from, bytes);
    });
    return true;
}

void MemoryBlock::copyInto(MemoryBlock &to) noexcept {
    std::lock_guard lock(extendMutex_);
    const uint64_t size = size_.load(std::memory_order_relaxed);
    forEachPiece(0, size, [&to](unsigned char *from, uint64_t bytes, uint64_t before) {
        to.forEachPiece(before, bytes, [from](unsigned char *into, uint64_t n, uint64_t done) {
            std::memcpy(into, from + done, n);
        });
    });
    to.size_.store(size, std::memory_order_release);
}

} // namespace mlps::dram
