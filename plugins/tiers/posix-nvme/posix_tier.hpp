// The posix-nvme tier: one file per object under a folder the tier owns, written and read with
// pread/pwrite (optionally O_DIRECT) by each queue's worker threads (see posix_queue.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <mlps/tier.hpp>

#include "file_io.hpp"
#include "object_index.hpp"

namespace mlps::posix {

// One object: its file, its capacity reservation and its written size.
struct FileObject {
    FileObject(std::string filePath, uint64_t reservation, std::atomic<int> &fdCount)
        : path(std::move(filePath)), reserved(reservation), openFds(fdCount) {}
    ~FileObject();
    FileObject(const FileObject &) = delete;
    FileObject &operator=(const FileObject &) = delete;

    const std::string path;
    std::atomic<uint64_t> reserved; // changed only under the shard's mutex
    bool deleted = false;           // guarded by the shard's mutex
    std::atomic<uint64_t> size{0};  // highest byte written
    int fd = -1; // kept open while the object lives (set before the object enters the index)
    std::atomic<int> &openFds;
};

// What an accepted data op works on: its object and an fd for it, the object's cached one or
// one opened for this op only (closed when the target goes).
struct Target {
    std::shared_ptr<FileObject> object;
    int fd = -1;
    bool owned = false;

    Target() = default;
    Target(Target &&other) noexcept { *this = std::move(other); }
    Target &operator=(Target &&other) noexcept;
    Target(const Target &) = delete;
    Target &operator=(const Target &) = delete;
    ~Target();
};

class PosixTier final : public TierPlugin {
  public:
    // The folder it would use exists and is writable; creates nothing (ABI 1.1).
    static void validate(const Host &host, const Config &config);
    static constexpr uint32_t kMaxQueueDepth = 65536;
    static constexpr uint32_t kDefaultQueueDepth = 64;
    static constexpr uint32_t kDirectAlignment = 4096;
    static constexpr uint32_t kDefaultThreads = 4;
    static constexpr uint64_t kDefaultChunkSize = 1 << 20;

    PosixTier(const Host &host, const Config &config);
    ~PosixTier() override;

    void info(mlps_tier_info &out) override;
    std::unique_ptr<TierPluginQueue> openQueue(uint32_t depth) override;
    // Huge-page-backed buffers, as the io_uring tier's: an O_DIRECT transfer pins its buffer's
    // pages, one step per 2 MiB page instead of 512 per 4 KiB ones.
    void *bufferAlloc(uint64_t size) override;
    void bufferFree(void *buf, uint64_t size) noexcept override;

    uint32_t threads() const noexcept { return threads_; }
    uint64_t chunkSize() const noexcept { return chunkSize_; }

    // The metadata part of an op, on the submitting thread: checks, lookup, creation, capacity
    // reservation, a DELETE's removal from the index. MLPS_OK with `target` set for an op whose
    // second part (data, sync, unlink) is still to run on a worker; else the op's final status
    // (`err`: its errno or 0).
    mlps_status prepare(const mlps_io &io, Target &target, int &err) noexcept;
    // The data part of a SYNC (a worker runs it). 0-errno contract as for prepare().
    mlps_status syncTarget(const mlps_io &io, const Target &target, int &err) noexcept;
    // DELETE's file half, on a worker: unlinks the removed object's file.
    mlps_status unlinkTarget(const Target &target, int &err) noexcept;
    // After all chunks of a WRITE succeeded: the sync mode's flush and the object's size.
    // Returns 0 or the errno.
    int finishWrite(const mlps_io &io, const Target &target) noexcept;

  private:
    using Index = tiers::ShardedIndex<std::shared_ptr<FileObject>>;
    using Shard = Index::Shard;
    std::shared_ptr<FileObject> find(std::string_view key);
    int lease(std::shared_ptr<FileObject> object, Target &out) noexcept; // 0 or errno

    mlps_status prepareWrite(std::string_view key, const mlps_io &io, Target &target, int &err);
    mlps_status prepareRead(std::string_view key, const mlps_io &io, Target &target, int &err);
    // DELETE's index half, in submit(): the object leaves the index and its reservation is
    // freed; `target` gets the object for unlinkTarget.
    mlps_status remove(std::string_view key, Target &target);
    // With a persistent folder: the object `key` left in it by an earlier run (or another
    // rank's tier on the same folder), entered into the index; nullptr when there is none.
    // The caller holds shard.mutex.
    std::shared_ptr<FileObject> adoptLocked(Shard &shard, std::string_view key);
    std::string pathFor(std::string_view key);
    // Opens (creates) an object's file, making its fan-out folder on first use; fd or -errno.
    int createFile(const std::string &path) noexcept;

    Host host_;
    std::string name_;
    std::string dir_;
    int dirFd_ = -1;
    bool direct_ = false;
    SyncMode syncMode_ = SyncMode::None;
    uint32_t fanout_ = 0;
    bool keep_ = false;
    bool persistent_ = false;        // dir_ is the persistent_folder: never removed
    bool createdPersistent_ = false; // ... and this instance made it
    bool preallocate_ = true;
    uint32_t threads_ = kDefaultThreads;
    uint64_t chunkSize_ = kDefaultChunkSize;
    int openFlags_ = 0;
    tiers::CapacityBudget budget_;
    std::atomic<uint64_t> objects_{0};
    std::atomic<uint64_t> nextUnique_{0};
    std::atomic<int> openFds_{0};
    int maxCachedFds_ = 0;
    Index index_;
};

} // namespace mlps::posix
