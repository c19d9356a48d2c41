#include "cuda_tier.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "cuda_queue.hpp"

namespace mlps::cuda {

namespace {

std::string optionalString(const Config &config, std::string_view name) {
    return config.isSet(name) ? config.getString(name) : std::string();
}

std::string visibleDevicesNote() {
    const char *visible = std::getenv("CUDA_VISIBLE_DEVICES");
    return visible != nullptr ? std::string(" (CUDA_VISIBLE_DEVICES=") + visible + ")" : "";
}

} // namespace

CudaTier::CudaTier(const Host &host, const Config &config)
    : host_(host), name_(config.isSet("tier_name") ? config.getString("tier_name") : "cuda"),
      runtime_(rt::loadRuntime(optionalString(config, "runtime_library"))) {
    if (config.isSet("device")) {
        device_ = static_cast<int>(config.getInt("device"));
    }
    if (config.isSet("chunk_size")) {
        settings_.chunkSize = config.getSize("chunk_size");
    }
    if (config.isSet("queue_depth")) {
        settings_.chunksInFlight = static_cast<uint32_t>(config.getInt("queue_depth"));
    }
    if (config.isSet("streams")) {
        settings_.streams = static_cast<uint32_t>(config.getInt("streams"));
    }

    int count = 0;
    const rt::Error countErr = runtime_.getDeviceCount(&count);
    if (countErr != rt::kSuccess || count <= 0) {
        throw Error("no CUDA device visible: " +
                        (countErr != rt::kSuccess ? runtime_.describe(countErr)
                                                  : std::string("the runtime reports 0 devices")) +
                        visibleDevicesNote() + " [runtime " + runtime_.path + "]",
                    MLPS_E_NOT_FOUND);
    }
    if (device_ >= count) {
        throw Error("no CUDA device visible: option device is " + std::to_string(device_) +
                        " but only " + std::to_string(count) + " device(s) are visible (0.." +
                        std::to_string(count - 1) + ")" + visibleDevicesNote(),
                    MLPS_E_NOT_FOUND);
    }
    if (const rt::Error err = runtime_.setDevice(device_); err != rt::kSuccess) {
        throw Error("cannot use CUDA device " + std::to_string(device_) + ": " +
                        runtime_.describe(err),
                    MLPS_E_IO);
    }
    size_t free = 0, total = 0;
    if (const rt::Error err = runtime_.memGetInfo(&free, &total); err != rt::kSuccess) {
        throw Error("cannot read the memory of CUDA device " + std::to_string(device_) + ": " +
                        runtime_.describe(err),
                    MLPS_E_IO);
    }
    uint64_t capacity = config.isSet("capacity") ? config.getSize("capacity") : 0;
    if (capacity == 0) {
        constexpr uint64_t kRound = 2ull << 20;
        capacity = static_cast<uint64_t>(free) / 100 * kDefaultSharePercent / kRound * kRound;
        if (capacity == 0) {
            throw Error("CUDA device " + std::to_string(device_) + " has no free memory (" +
                            std::to_string(free) + " of " + std::to_string(total) + " bytes)",
                        MLPS_E_NO_MEMORY);
        }
    }
    if (capacity < DevicePool::kAlignment) {
        throw Error("capacity of a cuda tier must be at least " +
                        std::to_string(DevicePool::kAlignment) + " bytes",
                    MLPS_E_INVALID);
    }
    pool_ = std::make_unique<DevicePool>(runtime_, capacity, device_);
    budget_.setLimit(pool_->size());

    char pci[32] = "?";
    if (runtime_.deviceGetPCIBusId(pci, sizeof pci, device_) != rt::kSuccess) {
        std::snprintf(pci, sizeof pci, "?");
    }
    char location[256];
    std::snprintf(location,
                  sizeof location,
                  "CUDA device %d (PCI %s), runtime %d.%d",
                  device_,
                  pci,
                  runtime_.version / 1000,
                  runtime_.version % 1000 / 10);
    location_ = location;
    host_.log(MLPS_LOG_INFO,
              "tier '%s': %s, a pool of %llu bytes of device memory (%llu free of %llu), %u "
              "stream(s) and %u chunks of %llu bytes in flight per queue, runtime %s",
              name_.c_str(),
              location_.c_str(),
              static_cast<unsigned long long>(pool_->size()),
              static_cast<unsigned long long>(free),
              static_cast<unsigned long long>(total),
              settings_.streams,
              settings_.chunksInFlight,
              static_cast<unsigned long long>(settings_.chunkSize),
              runtime_.path.c_str());
}

CudaTier::~CudaTier() {
    bindThread();
    for (auto &shard : index_) {
        shard.objects.clear(); // extents back to the pool before the pool goes
    }
}

void CudaTier::bindThread() const noexcept {
    // cudaSetDevice is cheap but not free: skip it when this thread already talks to our device.
    thread_local const rt::Runtime *boundRuntime = nullptr;
    thread_local int boundDevice = -1;
    if (boundRuntime != &runtime_ || boundDevice != device_) {
        if (runtime_.setDevice(device_) == rt::kSuccess) {
            boundRuntime = &runtime_;
            boundDevice = device_;
        }
    }
}

void CudaTier::info(mlps_tier_info &out) {
    out.alignment = 1;
    out.caps = MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_ASYNC | MLPS_TIER_CAP_DEVICE_MEMORY |
               MLPS_TIER_CAP_BUFFER_ALLOC;
    out.capacity_bytes = budget_.limit();
    out.used_bytes = budget_.used();
    out.objects = objects_.load(std::memory_order_relaxed);
    out.max_queue_depth = kMaxQueueDepth;
    std::snprintf(out.location, sizeof out.location, "%s", location_.c_str());
    out.buffer_memory = MLPS_MEMORY_HOST_PINNED;
    out.io_memory = MLPS_MEMORY_HOST_KINDS; // device buffers (GPU to GPU) are not taken yet
}

std::unique_ptr<TierPluginQueue> CudaTier::openQueue(uint32_t depth) {
    if (depth > kMaxQueueDepth) {
        throw Error("queue depth " + std::to_string(depth) + " is above the cuda tier's limit of " +
                        std::to_string(kMaxQueueDepth),
                    MLPS_E_INVALID);
    }
    bindThread();
    return std::make_unique<CudaQueue>(*this, depth == 0 ? kDefaultQueueDepth : depth);
}

void *CudaTier::bufferAlloc(uint64_t size) {
    bindThread();
    void *buf = nullptr;
    const rt::Error err =
        runtime_.hostAlloc(&buf, std::max<uint64_t>(size, 1), rt::kHostAllocPortable);
    if (err != rt::kSuccess || buf == nullptr) {
        runtime_.getLastError();
        throw Error("tier '" + name_ + "': cannot allocate " + std::to_string(size) +
                        " bytes of pinned host memory: " + runtime_.describe(err),
                    MLPS_E_NO_MEMORY);
    }
    return buf;
}

void CudaTier::bufferFree(void *buf, uint64_t /*size*/) noexcept {
    if (buf != nullptr) {
        bindThread();
        runtime_.freeHost(buf);
    }
}

mlps_status
CudaTier::prepareWrite(std::string_view key, const mlps_io &io, Target &target) noexcept {
    const uint64_t end = io.offset + io.length;
    auto &shard = index_.shardFor(key);
    try {
        std::lock_guard lock(shard.mutex);
        auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            const uint64_t capacity = std::max(io.object_size, end);
            if (!budget_.reserve(capacity)) {
                return MLPS_E_NO_SPACE;
            }
            auto object = std::make_shared<DeviceObject>(*pool_);
            // Fragmentation, or extents still held by copies of deleted objects in flight: the
            // budget had room but the pool has not. NO_SPACE either way.
            if (!pool_->allocate(capacity, object->extents)) {
                budget_.release(capacity);
                return MLPS_E_NO_SPACE;
            }
            object->reserved = capacity;
            object->covered = pool_->roundUp(capacity);
            it = shard.objects.emplace(std::string(key), std::move(object)).first;
            objects_.fetch_add(1, std::memory_order_relaxed);
        }
        DeviceObject &object = *it->second;
        if (end > object.reserved) { // growing: more capacity, more extents (no copy)
            const uint64_t extra = end - object.reserved;
            if (!budget_.reserve(extra)) {
                return MLPS_E_NO_SPACE;
            }
            const uint64_t covered = pool_->roundUp(end);
            if (covered > object.covered &&
                !pool_->allocate(covered - object.covered, object.extents)) {
                budget_.release(extra);
                return MLPS_E_NO_SPACE;
            }
            object.reserved = end;
            object.covered = std::max(object.covered, covered);
        }
        target.pieces.clear();
        tiers::mapRange(object.extents, io.offset, io.length, target.pieces);
        target.object = it->second;
        return MLPS_OK;
    } catch (const std::bad_alloc &) {
        return MLPS_E_NO_MEMORY;
    }
}

mlps_status
CudaTier::prepareRead(std::string_view key, const mlps_io &io, Target &target) noexcept {
    auto &shard = index_.shardFor(key);
    try {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return MLPS_E_NOT_FOUND;
        }
        DeviceObject &object = *it->second;
        if (io.offset + io.length > object.size.load(std::memory_order_acquire)) {
            return MLPS_E_RANGE;
        }
        target.pieces.clear();
        tiers::mapRange(object.extents, io.offset, io.length, target.pieces);
        target.object = it->second;
        return MLPS_OK;
    } catch (const std::bad_alloc &) {
        return MLPS_E_NO_MEMORY;
    }
}

mlps_status CudaTier::remove(std::string_view key) noexcept {
    auto &shard = index_.shardFor(key);
    std::shared_ptr<DeviceObject> object;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return MLPS_E_NOT_FOUND;
        }
        object = std::move(it->second);
        shard.objects.erase(it);
        budget_.release(object->reserved);
    }
    objects_.fetch_sub(1, std::memory_order_relaxed);
    return MLPS_OK; // the extents go back to the pool here, or with the last copy in flight
}

void CudaTier::wrote(DeviceObject &object, uint64_t end) noexcept {
    uint64_t size = object.size.load(std::memory_order_relaxed);
    while (end > size && !object.size.compare_exchange_weak(size, end, std::memory_order_release)) {
    }
}

} // namespace mlps::cuda
