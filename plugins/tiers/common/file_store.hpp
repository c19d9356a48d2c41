// The file object store of the file tiers (posix-nvme, io_uring): the tier's folder (per run,
// or a persistent one), the object index, the capacity budget, the two layouts (`files`: one
// file per object; `extents`: extents of one preallocated data file), and the metadata half of
// every op. It moves no data: an I/O engine beneath it does (posix-nvme: a thread pool running
// pread/pwrite; io_uring: one ring per queue). See README.md in this folder.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <mlps/plugin.hpp>

#include "file_io.hpp"
#include "object_index.hpp"
#include "store_object.hpp"

namespace mlps::store {

using posix::SyncMode;
class ExtentStore;

enum class Layout { Files, Extents };

// What differs between the tiers built on the store: their name and the `direct` default.
struct StoreDefaults {
    const char *tierName; // the tier_name default and the name in messages
    bool direct;          // the `direct` default
};

// The store's options, parsed and checked (parseStoreSettings).
struct StoreSettings {
    std::string parent; // option path
    std::string tierName;
    bool direct = false;
    SyncMode syncMode = SyncMode::None;
    uint32_t fanout = 256;
    bool keep = false;
    bool preallocate = true;
    uint64_t chunkSize = 1 << 20;
    Layout layout = Layout::Extents; // files when persistent_folder is set and layout is not
    std::string persistentFolder;    // empty: a fresh per-run folder
    uint64_t capacity = 0;           // 0: the file system's free space at creation
};

// Reads the store's options (path, direct, sync, fanout, keep, preallocate, chunk_size, layout,
// persistent_folder, capacity, tier_name). Throws mlps::Error(MLPS_E_INVALID) naming the option.
StoreSettings parseStoreSettings(const Config &config, const StoreDefaults &defaults);

class FileStore {
  public:
    static constexpr uint32_t kDirectAlignment = 4096;

    // ABI 1.1 validate: the folder it would use exists and is writable; creates nothing.
    static void validate(const Config &config);

    // Creates (or opens, for a persistent folder) the tier's folder and, for `extents`, its
    // data file. Throws mlps::Error, leaving nothing behind.
    FileStore(const Host &host, StoreSettings settings);
    // Removes the folder unless keep or persistent (then only empty fan-out folders go).
    ~FileStore();
    FileStore(const FileStore &) = delete;
    FileStore &operator=(const FileStore &) = delete;

    const StoreSettings &settings() const noexcept { return settings_; }
    const std::string &dir() const noexcept { return dir_; }

    // The metadata half of an op, on the thread that submits: checks, lookup, creation,
    // capacity reservation, extent mapping, a DELETE's removal from the index (and its file's
    // rename to a tombstone name). MLPS_OK with target.work saying what the engine has left to
    // do; otherwise the op's final status, `err` its errno (or 0).
    mlps_status prepare(const mlps_io &io, Target &target, int &err) noexcept;

    // Engine halves that are not data transfers; each returns the op's status, `err` its errno.
    mlps_status syncAll(int &err) noexcept;                             // syncfs of the folder
    mlps_status unlinkRemoved(const Target &target, int &err) noexcept; // Work::Unlink
    // A WRITE of [.., end) of `object` completed: reads may now reach `end`.
    static void wrote(Object &object, uint64_t end) noexcept;

    // capacity, used, objects, location, alignment of mlps_tier_info (caps are the tier's).
    void fillInfo(mlps_tier_info &out) const;

  private:
    using Index = tiers::ShardedIndex<std::shared_ptr<Object>>;
    using Shard = Index::Shard;

    mlps_status prepareWrite(std::string_view key, const mlps_io &io, Target &target, int &err);
    mlps_status prepareRead(std::string_view key, const mlps_io &io, Target &target, int &err);
    mlps_status prepareSync(std::string_view key, Target &target, int &err);
    mlps_status remove(std::string_view key, Target &target, int &err);
    // The object of `key`, or with a persistent folder the one an earlier run left there
    // (adopted into the index); nullptr when there is none. The caller holds shard.mutex.
    std::shared_ptr<Object> findLocked(Shard &shard, std::string_view key);
    std::shared_ptr<Object> adoptLocked(Shard &shard, std::string_view key);
    // A new object's storage, `reservation` bytes; under the shard's mutex.
    mlps_status createFile(std::string_view key,
                           const mlps_io &io,
                           uint64_t reservation,
                           std::shared_ptr<Object> &out,
                           int &err);
    mlps_status createExtents(uint64_t reservation, std::shared_ptr<Object> &out, int &err);
    // Fills `target` for an op on [offset, offset + length) of `object`. Files: the cached fd
    // or one opened for the op (the open's status and errno). Extents: under the shard's
    // mutex, which guards the object's extent list.
    mlps_status leaseFile(const std::shared_ptr<Object> &object, Target &target, int &err) noexcept;
    void leaseExtents(const std::shared_ptr<Object> &object,
                      uint64_t offset,
                      uint64_t length,
                      Target &target);
    std::string pathFor(std::string_view key);
    int openFile(const std::string &path, bool create) noexcept; // fd or -errno
    void removeFolder() noexcept;

    Host host_;
    StoreSettings settings_;
    std::string dir_;
    int dirFd_ = -1;
    bool persistent_ = false;        // dir_ is the persistent_folder: never removed
    bool createdPersistent_ = false; // ... and this instance made it
    int openFlags_ = 0;
    std::string tombstonePrefix_; // <dir>/.mlps-deleted-<instance>-
    tiers::CapacityBudget budget_;
    std::atomic<uint64_t> objects_{0};
    std::atomic<uint64_t> nextUnique_{0};
    std::atomic<int> openFds_{0};
    int maxCachedFds_ = 0;
    std::unique_ptr<ExtentStore> extents_; // the extents layout; null for files
    Index index_;
};

} // namespace mlps::store
