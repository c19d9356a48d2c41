// What every tier of this release keeps about its objects: a key index split in shards (each
// under its own mutex, so that threads working on different objects rarely meet on a lock) and
// the capacity reservation the objects hold against the tier's limit. Header-only: the dram,
// posix-nvme and io_uring plugins each compile it in.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mlps::tiers {

// Hashes std::string and std::string_view alike, so lookups by an op's key bytes allocate
// nothing.
struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
        return std::hash<std::string_view>{}(key);
    }
};

template <typename Value>
class ShardedIndex {
  public:
    static constexpr size_t kShards = 64;
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Value, KeyHash, std::equal_to<>> objects;
    };

    Shard &shardFor(std::string_view key) noexcept {
        // The map hashes the key again with the same function; mixing the high bits here keeps
        // the shard choice independent of the bucket choice inside the shard.
        const size_t h = KeyHash{}(key);
        return shards_[(h ^ (h >> 29)) % kShards];
    }
    Shard *begin() noexcept { return shards_; }
    Shard *end() noexcept { return shards_ + kShards; }

  private:
    Shard shards_[kShards];
};

// Bytes reserved by objects against a limit; lock-free, shared by all queues.
class CapacityBudget {
  public:
    void setLimit(uint64_t limit) noexcept { limit_ = limit; }
    uint64_t limit() const noexcept { return limit_; }
    uint64_t used() const noexcept { return used_.load(std::memory_order_relaxed); }

    // False (nothing reserved) when `bytes` do not fit what is left.
    bool reserve(uint64_t bytes) noexcept {
        uint64_t used = used_.load(std::memory_order_relaxed);
        do {
            if (bytes > limit_ - std::min(used, limit_)) {
                return false;
            }
        } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
        return true;
    }
    void release(uint64_t bytes) noexcept { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  private:
    uint64_t limit_ = 0; // set before any queue runs
    std::atomic<uint64_t> used_{0};
};

} // namespace mlps::tiers
