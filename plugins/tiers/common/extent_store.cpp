#include "extent_store.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <mlps/plugin.hpp>

namespace mlps::store {

namespace {
// The data file grows by its own size (so the number of fallocate calls stays logarithmic),
// at least 64 MiB and at most 1 GiB at a time: the tier does not take the file system's free
// space up front (its capacity defaults to all of it), yet allocation rarely waits for
// fallocate.
constexpr uint64_t kMinGrowth = 64ull << 20;
constexpr uint64_t kMaxGrowth = 1ull << 30;
} // namespace

ExtentObject::~ExtentObject() {
    store.release(extents);
}

ExtentStore::ExtentStore(const std::string &dir,
                         uint64_t capacity,
                         int openFlags,
                         uint64_t alignment)
    : path_(dir + "/extents.data"),
      allocator_((capacity + alignment - 1) / alignment * alignment, alignment) {
    fd_ = ::open(path_.c_str(), openFlags | O_CREAT | O_EXCL, 0644);
    if (fd_ < 0) {
        throw systemError("create " + path_);
    }
}

ExtentStore::~ExtentStore() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

int ExtentStore::extendFile(uint64_t end) noexcept {
    const uint64_t step = std::clamp(fileSize_, kMinGrowth, kMaxGrowth);
    const uint64_t target = std::max(end, std::min(allocator_.limit(), fileSize_ + step));
    for (const uint64_t want : {target, end}) {
        if (::fallocate(
                fd_, 0, static_cast<off_t>(fileSize_), static_cast<off_t>(want - fileSize_)) == 0) {
            fileSize_ = want;
            return 0;
        }
        const int e = errno;
        if (e == EOPNOTSUPP || e == ENOSYS) {
            // No preallocation here: a sparse file of that size (writes then allocate).
            if (::ftruncate(fd_, static_cast<off_t>(want)) != 0) {
                return errno;
            }
            fileSize_ = want;
            return 0;
        }
        if (e != ENOSPC && e != EDQUOT) {
            return e;
        }
        if (want == end) {
            return e; // not even what is needed now fits
        }
        // The step does not fit the file system: try again with just what is needed.
    }
    return ENOSPC;
}

mlps_status ExtentStore::grow(ExtentObject &object, uint64_t bytes, int &sysErrno) {
    std::lock_guard lock(mutex_);
    const uint64_t want = allocator_.roundUp(bytes);
    if (want <= object.allocated) {
        return MLPS_OK;
    }
    std::vector<Extent> fresh;
    if (!allocator_.allocate(want - object.allocated, fresh)) {
        return MLPS_E_NO_SPACE;
    }
    uint64_t end = 0;
    for (const Extent &e : fresh) {
        end = std::max(end, e.offset + e.length);
    }
    if (end > fileSize_) {
        if (const int e = extendFile(end); e != 0) {
            for (const Extent &x : fresh) {
                allocator_.release(x);
            }
            sysErrno = e;
            return e == ENOSPC || e == EDQUOT || e == EFBIG ? MLPS_E_NO_SPACE : MLPS_E_IO;
        }
    }
    object.extents.reserve(object.extents.size() + fresh.size());
    for (const Extent &e : fresh) {
        // A piece right behind the last extent just lengthens it (an object that grows while
        // its neighbour space is free stays one extent).
        if (!object.extents.empty() &&
            object.extents.back().offset + object.extents.back().length == e.offset) {
            object.extents.back().length += e.length;
        } else {
            object.extents.push_back(e);
        }
    }
    object.allocated = want;
    return MLPS_OK;
}

void ExtentStore::release(const std::vector<Extent> &extents) noexcept {
    std::lock_guard lock(mutex_);
    for (const Extent &e : extents) {
        try {
            allocator_.release(e);
        } catch (...) {
            // Out of memory for the free map: that range stays lost to this tier.
        }
    }
}

uint64_t ExtentStore::fileSize() {
    std::lock_guard lock(mutex_);
    return fileSize_;
}

uint64_t ExtentStore::freeBytes() {
    std::lock_guard lock(mutex_);
    return allocator_.freeBytes();
}

} // namespace mlps::store
