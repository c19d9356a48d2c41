// The io_uring tier: objects under a folder the tier owns, either one file per object (the
// posix-nvme layout) or extents of one data file (ExtentStore), data moved by io_uring reads and
// writes, one ring per queue. The index and the metadata operations (create, unlink) are shared by
// all queues; the data path is per queue and lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <mlps/tier.hpp>

#include "extent_allocator.hpp"
#include "file_io.hpp"
#include "object_index.hpp"

namespace mlps::uring {

// The extent allocator is shared with the cuda tier's device pool (../common).
using tiers::Extent;
using tiers::ExtentAllocator;
using tiers::mapRange;

using posix::SyncMode;
class ExtentStore;

// What both layouts keep per object: its capacity reservation and its written size. In-flight
// ops hold a shared_ptr, so a DELETE on another queue drops the object from the index while they
// still use its storage (an unlinked file's fd, or extents not yet given back).
struct Object {
    explicit Object(uint64_t reservation) : reserved(reservation) {}
    virtual ~Object() = default;
    Object(const Object &) = delete;
    Object &operator=(const Object &) = delete;

    std::atomic<uint64_t> reserved; // changed only under the shard's mutex
    bool deleted = false;           // guarded by the shard's mutex
    std::atomic<uint64_t> size{0};  // highest byte written by a completed write
};

// An object of the `files` layout: one file.
struct FileObject final : Object {
    FileObject(std::string filePath, uint64_t reservation)
        : Object(reservation), path(std::move(filePath)) {}
    ~FileObject() override;

    const std::string path;
    int fd = -1; // cached while the object lives; -1: over the fd budget
    std::atomic<int> *openFds = nullptr;
};

// What the data path needs to start an op: the object (kept alive by the op), an fd and, in the
// extents layout, where the op's bytes lie in the data file.
struct Target {
    std::shared_ptr<Object> object;
    int fd = -1;
    bool ownedFd = false; // opened for this op only: close it when the op completes
    // Empty: file offset = object offset (files layout). Otherwise the file ranges holding the
    // op's bytes, in order; chunks never cross from one to the next.
    std::vector<Extent> extents;
};

enum class Layout { Files, Extents };

struct TierSettings {
    bool direct = true;
    SyncMode syncMode = SyncMode::None;
    uint32_t ringEntries = 128;
    uint64_t chunkSize = 1 << 20;
    bool sqpoll = false;
    bool preallocate = true;
    Layout layout = Layout::Extents; // see README: measured
};

class UringTier final : public TierPlugin {
  public:
    // The folder it would use exists and is writable; creates nothing (ABI 1.1).
    static void validate(const Host &host, const Config &config);
    static constexpr uint32_t kMaxQueueDepth = 65536;
    static constexpr uint32_t kDefaultQueueDepth = 64;
    static constexpr uint32_t kDirectAlignment = 4096;

    UringTier(const Host &host, const Config &config);
    ~UringTier() override;

    void info(mlps_tier_info &out) override;
    std::unique_ptr<TierPluginQueue> openQueue(uint32_t depth) override;
    void *bufferAlloc(uint64_t size) override;
    void bufferFree(void *buf, uint64_t size) noexcept override;

    const TierSettings &settings() const noexcept { return settings_; }
    const Host &host() const noexcept { return host_; }

    // Metadata half of the ops, called by a queue inside submit(). They return MLPS_OK and fill
    // `target` when data must move, else the final status (and *sysErrno).
    mlps_status prepareWrite(std::string_view key, const mlps_io &io, Target &target, int &err);
    mlps_status prepareRead(std::string_view key, const mlps_io &io, Target &target, int &err);
    mlps_status prepareSync(std::string_view key, Target &target, int &err);
    mlps_status remove(std::string_view key, int &err);
    mlps_status syncAll(int &err);
    // A write of [.., end) of `object` completed.
    static void wrote(Object &object, uint64_t end) noexcept;

  private:
    using ObjectPtr = std::shared_ptr<Object>;
    using Index = tiers::ShardedIndex<ObjectPtr>;
    using Shard = Index::Shard;
    int openFile(const std::string &path, bool create) noexcept; // fd or -errno
    // A new object's storage, `reservation` bytes; under the shard's mutex.
    mlps_status createFile(
        std::string_view key, const mlps_io &io, uint64_t reservation, ObjectPtr &out, int &err);
    mlps_status createExtents(uint64_t reservation, ObjectPtr &out, int &err);
    // Fills `target` for an op on [offset, offset + length) of `object`. Files: the cached fd or
    // one opened for the op (0 or errno). Extents: under the shard's mutex, which guards the
    // object's extent list.
    int leaseFile(const ObjectPtr &object, Target &target) noexcept;
    void leaseExtents(const ObjectPtr &object, uint64_t offset, uint64_t length, Target &target);

    Host host_;
    std::string name_;
    std::string dir_;
    int dirFd_ = -1;
    TierSettings settings_;
    uint32_t fanout_ = 256;
    bool keep_ = false;
    int openFlags_ = 0;
    tiers::CapacityBudget budget_;
    std::atomic<uint64_t> objects_{0};
    std::atomic<uint64_t> nextUnique_{0};
    std::atomic<int> openFds_{0};
    int maxCachedFds_ = 0;
    std::unique_ptr<ExtentStore> extents_; // the extents layout; null for files
    Index index_;
};

} // namespace mlps::uring
