#include "extent_allocator.hpp"

#include <algorithm>
#include <cassert>
#include <iterator>

namespace mlps::tiers {

ExtentAllocator::ExtentAllocator(uint64_t limit, uint64_t alignment)
    : limit_(limit / alignment * alignment), alignment_(alignment), free_(0) {
    if (limit_ != 0) {
        insertFree(0, limit_);
    }
}

uint64_t ExtentAllocator::roundUp(uint64_t bytes) const noexcept {
    return (bytes + alignment_ - 1) / alignment_ * alignment_;
}

void ExtentAllocator::insertFree(uint64_t offset, uint64_t length) {
    byOffset_.emplace(offset, length);
    bySize_.emplace(length, offset);
    free_ += length;
}

void ExtentAllocator::eraseFree(std::map<uint64_t, uint64_t>::iterator it) {
    bySize_.erase({it->second, it->first});
    free_ -= it->second;
    byOffset_.erase(it);
}

Extent ExtentAllocator::take(std::set<std::pair<uint64_t, uint64_t>>::iterator range,
                             uint64_t length) {
    const auto [size, offset] = *range;
    assert(length <= size);
    eraseFree(byOffset_.find(offset));
    if (length < size) { // the front is used, the tail stays free
        insertFree(offset + length, size - length);
    }
    return {offset, length};
}

bool ExtentAllocator::allocate(uint64_t length, std::vector<Extent> &out) {
    const uint64_t need = roundUp(length);
    if (need == 0) {
        return true;
    }
    if (need > free_) {
        return false;
    }
    if (auto fit = bySize_.lower_bound({need, 0}); fit != bySize_.end()) {
        out.push_back(take(fit, need));
        return true;
    }
    // No single free range is large enough: the largest ones, until the length is covered.
    // (free_ >= need guarantees the loop ends.)
    uint64_t left = need;
    while (left != 0) {
        auto largest = std::prev(bySize_.end());
        const uint64_t piece = std::min(left, largest->first);
        out.push_back(take(largest, piece));
        left -= piece;
    }
    return true;
}

void ExtentAllocator::release(const Extent &extent) {
    assert(extent.offset % alignment_ == 0 && extent.length % alignment_ == 0);
    uint64_t offset = extent.offset;
    uint64_t length = extent.length;
    if (length == 0) {
        return;
    }
    auto next = byOffset_.lower_bound(offset);
    if (next != byOffset_.begin()) { // merge with the free range just before
        auto prev = std::prev(next);
        assert(prev->first + prev->second <= offset); // no double free
        if (prev->first + prev->second == offset) {
            offset = prev->first;
            length += prev->second;
            eraseFree(prev);
        }
    }
    if (next != byOffset_.end()) { // merge with the free range just after
        assert(extent.offset + extent.length <= next->first);
        if (next->first == offset + length) {
            length += next->second;
            eraseFree(next);
        }
    }
    insertFree(offset, length);
}

void mapRange(const std::vector<Extent> &extents,
              uint64_t offset,
              uint64_t length,
              std::vector<Extent> &out) {
    uint64_t base = 0; // object offset of the current extent
    for (const Extent &e : extents) {
        if (length == 0) {
            return;
        }
        if (offset < base + e.length) {
            const uint64_t skip = offset - base;
            const uint64_t piece = std::min(length, e.length - skip);
            out.push_back({e.offset + skip, piece});
            offset += piece;
            length -= piece;
        }
        base += e.length;
    }
    assert(length == 0);
}

} // namespace mlps::tiers
