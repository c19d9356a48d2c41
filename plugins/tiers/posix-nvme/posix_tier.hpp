// The posix-nvme tier: one file per object under a folder the tier owns, written and read with
// pread/pwrite (optionally O_DIRECT), completed synchronously inside submit().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <mlps/tier.hpp>

namespace mlps::posix {

enum class SyncMode { None, Fdatasync, Fsync };

// One object: its file, its capacity reservation and its written size.
struct FileObject {
    enum State : int { kCreating = 0, kReady = 1, kFailed = 2 };

    FileObject(std::string filePath, uint64_t reservation, std::atomic<int> &fdCount)
        : path(std::move(filePath)), reserved(reservation), openFds(fdCount) {}
    ~FileObject();
    FileObject(const FileObject &) = delete;
    FileObject &operator=(const FileObject &) = delete;

    const std::string path;
    std::atomic<uint64_t> reserved; // changed only under the shard's mutex
    bool deleted = false;           // guarded by the shard's mutex
    std::atomic<uint64_t> size{0};  // highest byte written
    // The creating op opens the file outside the index lock; other ops on the same key wait
    // for it to leave kCreating (atomic wait, no lock).
    std::atomic<int> state{kCreating};
    int fd = -1; // kept open while the object lives (set before state becomes kReady)
    std::atomic<int> &openFds;
};

struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
        return std::hash<std::string_view>{}(key);
    }
};

class PosixTier final : public TierPlugin {
  public:
    static constexpr uint32_t kMaxQueueDepth = 65536;
    static constexpr uint32_t kDefaultQueueDepth = 64;
    static constexpr uint32_t kDirectAlignment = 4096;

    PosixTier(const Host &host, const Config &config);
    ~PosixTier() override;

    void info(mlps_tier_info &out) override;
    std::unique_ptr<TierPluginQueue> openQueue(uint32_t depth) override;

    // Performs one op on the calling thread.
    mlps_completion execute(const mlps_io &io) noexcept;

  private:
    static constexpr size_t kShards = 64;
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<FileObject>, KeyHash, std::equal_to<>>
            objects;
    };
    // An fd for one op: the object's cached one, or one opened (and closed) for this op only.
    struct FdLease {
        int fd = -1;
        bool owned = false;
        FdLease() = default;
        FdLease(const FdLease &) = delete;
        FdLease &operator=(const FdLease &) = delete;
        ~FdLease();
    };

    Shard &shardFor(std::string_view key) noexcept {
        const size_t h = KeyHash{}(key);
        return shards_[(h ^ (h >> 29)) % kShards];
    }
    bool reserve(uint64_t bytes) noexcept;
    void unreserve(uint64_t bytes) noexcept;
    std::shared_ptr<FileObject> findReady(std::string_view key);
    int lease(FileObject &object, FdLease &out) noexcept; // 0 or errno

    mlps_completion write(std::string_view key, const mlps_io &io);
    mlps_completion read(std::string_view key, const mlps_io &io);
    mlps_completion remove(std::string_view key, const mlps_io &io);
    mlps_completion sync(const mlps_io &io);
    // Creates the object's file; on failure takes the object out of the index again.
    int create(Shard &shard, std::string_view key, const std::shared_ptr<FileObject> &object);

    Host host_;
    std::string name_;
    std::string dir_;
    int dirFd_ = -1;
    bool direct_ = false;
    SyncMode syncMode_ = SyncMode::None;
    uint32_t fanout_ = 0;
    bool keep_ = false;
    int openFlags_ = 0;
    uint64_t capacity_ = 0;
    std::atomic<uint64_t> used_{0};
    std::atomic<uint64_t> objects_{0};
    std::atomic<uint64_t> nextUnique_{0};
    std::atomic<int> openFds_{0};
    int maxCachedFds_ = 0;
    Shard shards_[kShards];
};

} // namespace mlps::posix
