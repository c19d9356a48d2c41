// The `extents` layout of the file object store (both file tiers): every object lives in one
// data file of the tier's folder, as a list of 4 KiB-aligned extents handed out by an
// ExtentAllocator. The file grows in
// large fallocated steps as the allocator reaches past its end, up to the tier's capacity.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <mlps/plugin_abi.h>

#include "extent_allocator.hpp"
#include "store_object.hpp"

namespace mlps::store {

class ExtentStore;

// An object of the extents layout. Its extents go back to the store when the last reference
// goes: a DELETE drops the index's, ops in flight on other queues hold theirs, so space is
// reused only once nobody can still read or write it.
struct ExtentObject final : Object {
    ExtentObject(ExtentStore &owner, uint64_t reservation) : Object(reservation), store(owner) {}
    ~ExtentObject() override;

    ExtentStore &store;
    std::vector<Extent> extents; // in object order; guarded by the shard's mutex
    uint64_t allocated = 0;      // sum of the extents' lengths
};

class ExtentStore {
  public:
    // Creates the data file `<dir>/extents.data` (with `openFlags`: O_DIRECT or not) and an
    // allocator over `capacity` bytes. Throws mlps::Error.
    ExtentStore(const std::string &dir, uint64_t capacity, int openFlags, uint64_t alignment);
    ~ExtentStore();
    ExtentStore(const ExtentStore &) = delete;
    ExtentStore &operator=(const ExtentStore &) = delete;

    int fd() const noexcept { return fd_; }

    // Gives `object` extents for at least `bytes` (its new reservation). MLPS_E_NO_SPACE when
    // the allocator has too few free bytes (sysErrno 0) or the file system cannot grow the data
    // file (ENOSPC); the object is unchanged then.
    mlps_status grow(ExtentObject &object, uint64_t bytes, int &sysErrno);
    void release(const std::vector<Extent> &extents) noexcept;

    // Observers for tests and logs.
    uint64_t fileSize();
    uint64_t freeBytes();

  private:
    int extendFile(uint64_t end) noexcept; // 0 or errno; under mutex_

    std::string path_;
    int fd_ = -1;
    std::mutex mutex_; // the allocator and fileSize_
    tiers::ExtentAllocator allocator_;
    uint64_t fileSize_ = 0;
};

} // namespace mlps::store
