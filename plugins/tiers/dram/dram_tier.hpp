// The dram tier: objects in host memory, indexed by key, with an enforced capacity and an
// optional emulated device link (bandwidth + latency).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <mlps/tier.hpp>

#include "extent_pool.hpp"
#include "link_emulator.hpp"
#include "memory_block.hpp"

namespace mlps::dram {

// Hashes std::string and std::string_view alike, so lookups by an op's key bytes allocate
// nothing.
struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
        return std::hash<std::string_view>{}(key);
    }
};

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
    // The index is split in shards, each under its own mutex, so that threads working on
    // different objects rarely meet on a lock; copies happen outside any lock.
    static constexpr size_t kShards = 64;
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<MemoryBlock>, KeyHash, std::equal_to<>>
            objects;
    };

    Shard &shardFor(std::string_view key) noexcept {
        // The map hashes the key again with the same function; mixing the high bits here keeps
        // the shard choice independent of the bucket choice inside the shard.
        const size_t h = KeyHash{}(key);
        return shards_[(h ^ (h >> 29)) % kShards];
    }
    bool reserve(uint64_t bytes) noexcept;
    void unreserve(uint64_t bytes) noexcept;
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
    uint64_t capacity_ = 0;
    std::atomic<uint64_t> used_{0};
    std::atomic<uint64_t> objects_{0};
    LinkEmulator link_;
    ExtentPool pool_; // before shards_: destroyed after every block that uses it
    Shard shards_[kShards];
};

} // namespace mlps::dram
