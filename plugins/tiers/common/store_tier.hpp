// A tier made of the file object store and an I/O engine: what posix-nvme and io_uring share
// as TierPlugins (validate, info, queue limits, buffers). `Derived` names the tier (its
// kDefaults), its capabilities (caps(direct)) and its engine's queue type, built as
// Queue(Derived &, depth). Header-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <mlps/tier.hpp>

#include "file_store.hpp"
#include "huge_buffer.hpp"

namespace mlps::store {

template <typename Derived, typename Queue>
class StoreTier : public TierPlugin {
  public:
    static constexpr uint32_t kMaxQueueDepth = 65536;
    static constexpr uint32_t kDefaultQueueDepth = 64;

    // The folder it would use exists and is writable; creates nothing (ABI 1.1).
    static void validate(const Host & /*host*/, const Config &config) {
        FileStore::validate(config);
    }

    void info(mlps_tier_info &out) override {
        store_.fillInfo(out);
        out.caps = Derived::caps(store_.settings().direct);
        out.max_queue_depth = kMaxQueueDepth;
    }

    std::unique_ptr<TierPluginQueue> openQueue(uint32_t depth) override {
        if (depth > kMaxQueueDepth) {
            throw Error("queue depth " + std::to_string(depth) + " is above the " +
                            Derived::kDefaults.tierName + " tier's limit of " +
                            std::to_string(kMaxQueueDepth),
                        MLPS_E_INVALID);
        }
        return std::make_unique<Queue>(static_cast<Derived &>(*this),
                                       depth == 0 ? kDefaultQueueDepth : depth);
    }

    // Huge-page-backed buffers: an O_DIRECT transfer pins its buffer's pages, one step per
    // 2 MiB page instead of 512 per 4 KiB ones.
    void *bufferAlloc(uint64_t size) override { return posix::allocateIoBuffer(size); }
    void bufferFree(void *buf, uint64_t size) noexcept override { posix::freeBuffer(buf, size); }

    FileStore &store() noexcept { return store_; }

  protected:
    // The debug line of a created tier; `engine` describes the engine's settings.
    void logCreated(const Host &host, const std::string &engine) const {
        const StoreSettings &s = store_.settings();
        host.log(MLPS_LOG_DEBUG,
                 "tier '%s': %s under %s (%s, direct=%d, chunk %llu)",
                 s.tierName.c_str(),
                 s.layout == Layout::Extents ? "extents of one file" : "files",
                 store_.dir().c_str(),
                 engine.c_str(),
                 s.direct ? 1 : 0,
                 static_cast<unsigned long long>(s.chunkSize));
    }

    // `settings` come from parseStoreSettings(config, Derived::kDefaults), after the engine
    // checked its own options: the store makes the folder, so nothing may fail after it.
    StoreTier(const Host &host, StoreSettings settings) : store_(host, std::move(settings)) {}

    FileStore store_;
};

} // namespace mlps::store
