// The posix-nvme tier: the file object store (../common/file_store.hpp: both layouts, index,
// capacity, folder) over a thread-pool I/O engine, each queue's workers moving the data with
// pread/pwrite (optionally O_DIRECT; see posix_queue.hpp).
#pragma once

#include <cstdint>

#include "store_tier.hpp"

namespace mlps::posix {

class PosixQueue;

class PosixTier final : public store::StoreTier<PosixTier, PosixQueue> {
  public:
    static constexpr uint32_t kDefaultThreads = 4;
    static constexpr store::StoreDefaults kDefaults{"posix-nvme", false};
    static uint32_t caps(bool direct) noexcept;

    PosixTier(const Host &host, const Config &config);

    uint32_t threads() const noexcept { return threads_; }

  private:
    // The store's settings, once `threads` is known to be good: a bad value leaves nothing.
    static store::StoreSettings checkedSettings(const Config &config);
    static uint32_t threadsOption(const Config &config);

    uint32_t threads_;
};

} // namespace mlps::posix
