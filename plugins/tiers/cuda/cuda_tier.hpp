// The cuda tier: objects in GPU memory (a device pool carved into extents), indexed by key with
// the capacity budget every tier shares; queues copy between host buffers and the pool on CUDA
// streams (cuda_queue.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <mlps/tier.hpp>

#include "cuda_api.hpp"
#include "device_pool.hpp"
#include "object_index.hpp"

namespace mlps::cuda {

struct QueueSettings {
    uint64_t chunkSize = 8ull << 20; // bytes per cudaMemcpyAsync
    uint32_t chunksInFlight = 32;    // per queue (queue_depth)
    uint32_t streams = 2;            // per queue
};

// What an op copies: the object (kept alive while the copy runs) and the device ranges of the
// op's bytes, in order.
struct Target {
    std::shared_ptr<DeviceObject> object;
    std::vector<Extent> pieces; // offsets into the pool
};

class CudaTier final : public TierPlugin {
  public:
    static constexpr uint32_t kMaxQueueDepth = 65536;
    static constexpr uint32_t kDefaultQueueDepth = 64;
    // `capacity` unset or 0: this share of the device memory free when the tier is created.
    // The rest stays for the CUDA context, other processes and the runtime's own allocations.
    static constexpr uint64_t kDefaultSharePercent = 80;

    CudaTier(const Host &host, const Config &config);
    ~CudaTier() override;

    void info(mlps_tier_info &out) override;
    std::unique_ptr<TierPluginQueue> openQueue(uint32_t depth) override;
    // Pinned (page-locked) host memory: copies from it run at the link's full speed, and it is
    // host memory every other tier may use.
    void *bufferAlloc(uint64_t size) override;
    void bufferFree(void *buf, uint64_t size) noexcept override;

    // Makes this tier's device current on the calling thread (the runtime's current device is
    // per thread; queues may move between threads).
    void bindThread() const noexcept;

    // Resolve an op's key to device ranges. NO_SPACE, NOT_FOUND, RANGE are returned, not thrown.
    mlps_status prepareWrite(std::string_view key, const mlps_io &io, Target &target) noexcept;
    mlps_status prepareRead(std::string_view key, const mlps_io &io, Target &target) noexcept;
    mlps_status remove(std::string_view key) noexcept;
    // A write completed: reads may now reach its end.
    static void wrote(DeviceObject &object, uint64_t end) noexcept;

    const rt::Runtime &runtime() const noexcept { return runtime_; }
    const DevicePool &pool() const noexcept { return *pool_; }
    const QueueSettings &settings() const noexcept { return settings_; }
    const Host &host() const noexcept { return host_; }
    const std::string &name() const noexcept { return name_; }
    int device() const noexcept { return device_; }

  private:
    using Index = tiers::ShardedIndex<std::shared_ptr<DeviceObject>>;

    Host host_;
    std::string name_;
    const rt::Runtime &runtime_;
    int device_ = 0;
    QueueSettings settings_;
    std::string location_;
    tiers::CapacityBudget budget_;
    std::atomic<uint64_t> objects_{0};
    std::unique_ptr<DevicePool> pool_; // before index_: outlives every object
    Index index_;
};

} // namespace mlps::cuda
