// The cuda tier's device memory: one cudaMalloc of the tier's capacity at creation, carved into
// extents by the shared best-fit allocator. Why one allocation and not cudaMalloc per object:
// cudaFree synchronises the whole device (it would stall every copy in flight on every DELETE),
// and the pool makes a run's memory footprint fixed and visible up front.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "cuda_api.hpp"
#include "extent_allocator.hpp"

namespace mlps::cuda {

using tiers::Extent;

class DevicePool {
  public:
    // cudaMalloc granularity: every extent starts on a 256-byte boundary, as cudaMalloc's own
    // allocations do, so copies run at full speed.
    static constexpr uint64_t kAlignment = 256;

    // Allocates `bytes` of device memory on the current device; throws mlps::Error
    // (MLPS_E_NO_MEMORY with the runtime's message) when the device cannot give it.
    DevicePool(const rt::Runtime &runtime, uint64_t bytes, int device);
    ~DevicePool();
    DevicePool(const DevicePool &) = delete;
    DevicePool &operator=(const DevicePool &) = delete;

    // Extents covering `length` bytes (rounded up to kAlignment) appended to `out`; false when
    // the pool has not that much free, even split.
    bool allocate(uint64_t length, std::vector<Extent> &out);
    void release(const std::vector<Extent> &extents) noexcept;

    unsigned char *at(uint64_t offset) const noexcept { return base_ + offset; }
    uint64_t size() const noexcept { return size_; }
    uint64_t roundUp(uint64_t bytes) const noexcept { return allocator_.roundUp(bytes); }

  private:
    const rt::Runtime &runtime_;
    unsigned char *base_ = nullptr;
    uint64_t size_;
    std::mutex mutex_;
    tiers::ExtentAllocator allocator_;
};

// One object's device memory. Ops in flight hold a reference, so a DELETE on another queue never
// hands the extents to a new object while a copy still uses them: they go back to the pool with
// the last reference.
struct DeviceObject {
    explicit DeviceObject(DevicePool &pool) : pool(pool) {}
    ~DeviceObject() { pool.release(extents); }
    DeviceObject(const DeviceObject &) = delete;
    DeviceObject &operator=(const DeviceObject &) = delete;

    DevicePool &pool;
    std::vector<Extent> extents;   // in object order; guarded by the index shard's mutex
    uint64_t reserved = 0;         // capacity held against the tier's budget; same guard
    uint64_t covered = 0;          // bytes the extents cover (reserved rounded up); same guard
    std::atomic<uint64_t> size{0}; // highest end of a completed write: reads stop there
};

} // namespace mlps::cuda
