#include "device_pool.hpp"

#include <mlps/plugin.hpp>

namespace mlps::cuda {

DevicePool::DevicePool(const rt::Runtime &runtime, uint64_t bytes, int device)
    : runtime_(runtime), size_(bytes / kAlignment * kAlignment), allocator_(size_, kAlignment) {
    void *base = nullptr;
    const rt::Error err = runtime_.malloc(&base, size_);
    if (err != rt::kSuccess || base == nullptr) {
        runtime_.getLastError(); // an allocation failure is not sticky: clear it
        size_t free = 0, total = 0;
        runtime_.memGetInfo(&free, &total);
        throw Error("cannot reserve " + std::to_string(size_) +
                        " bytes of device memory on CUDA device " + std::to_string(device) + " (" +
                        std::to_string(free) + " of " + std::to_string(total) +
                        " bytes free): " + runtime_.describe(err) + ". Lower the tier's capacity.",
                    MLPS_E_NO_MEMORY);
    }
    base_ = static_cast<unsigned char *>(base);
}

DevicePool::~DevicePool() {
    if (base_ != nullptr) {
        runtime_.free(base_);
    }
}

bool DevicePool::allocate(uint64_t length, std::vector<Extent> &out) {
    std::lock_guard lock(mutex_);
    return allocator_.allocate(length, out);
}

void DevicePool::release(const std::vector<Extent> &extents) noexcept {
    std::lock_guard lock(mutex_);
    for (const Extent &e : extents) {
        allocator_.release(e);
    }
}

} // namespace mlps::cuda
