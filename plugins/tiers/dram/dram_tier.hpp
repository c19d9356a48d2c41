// The dram tier: objects in host memory, indexed by key, with an enforced capacity and an
// optional emulated device link (bandwidth + latency).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <mlps/tier.hpp>

#include "extent_pool.hpp"
#include "link_emulator.hpp"
#include "memory_block.hpp"
#include "object_index.hpp"

namespace mlps::dram {

class DramTier final : public TierPlugin {
  public:
    static constexpr uint32_t kMaxQueueDepth = 65536;
    static constexpr uint32_t kDefaultQueueDepth = 64;

    DramTier(const Host &host, const Config &config);
    ~DramTier() override;

    void info(mlps_tier_info &out) override;
    std::unique_ptr<TierPluginQueue> openQueue(uint32_t depth) override;

    // Performs one op on the calling thread; the completion's user_data is the op's.
    mlps_completion execute(const mlps_io &io) noexcept;
    LinkEmulator &link() noexcept { return link_; }

  private:
    using Index = tiers::ShardedIndex<std::shared_ptr<MemoryBlock>>;
    using Shard = Index::Shard;
    mlps_status write(std::string_view key, const mlps_io &io) noexcept;
    mlps_status read(std::string_view key, const mlps_io &io) noexcept;
    mlps_status remove(std::string_view key) noexcept;
    std::shared_ptr<MemoryBlock> find(Shard &shard, std::string_view key);
    // Replaces `block` by a copy of capacity `capacity`; nullptr when the object changed
    // meanwhile (the caller retries) and *status set when it cannot grow.
    std::shared_ptr<MemoryBlock> grow(Shard &shard,
                                      std::string_view key,
                                      const std::shared_ptr<MemoryBlock> &block,
                                      uint64_t capacity,
                                      mlps_status *status);

    Host host_;
    std::string name_;
    tiers::CapacityBudget budget_;
    std::atomic<uint64_t> objects_{0};
    LinkEmulator link_;
    ExtentPool pool_; // before index_: destroyed after every block that uses it
    // Copies happen outside the shards' locks.
    Index index_;
};

} // namespace mlps::dram
