// The io_uring tier: the file object store (../common/file_store.hpp: both layouts, index,
// capacity, folder) over an io_uring I/O engine, one ring per queue (uring_queue.hpp). The
// store's metadata half runs in submit(); the data path is per queue and lock-free.
#pragma once

#include <cstdint>

#include "store_tier.hpp"

namespace mlps::uring {

using store::SyncMode;
class UringQueue;

// The engine's own options.
struct RingSettings {
    uint32_t ringEntries = 128;
    bool sqpoll = false;
};

class UringTier final : public store::StoreTier<UringTier, UringQueue> {
  public:
    static constexpr store::StoreDefaults kDefaults{"io_uring", true};
    static uint32_t caps(bool direct) noexcept;

    UringTier(const Host &host, const Config &config);

    const RingSettings &ring() const noexcept { return ring_; }

  private:
    static RingSettings ringOptions(const Config &config);
    // The store's settings, once the engine's options are good and the kernel gave a ring:
    // a kernel that refuses io_uring fails the tier before the store touches the file system.
    static store::StoreSettings checkedSettings(const Config &config);

    RingSettings ring_;
};

} // namespace mlps::uring
