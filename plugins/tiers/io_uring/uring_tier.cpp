#include "uring_tier.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <new>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

// Shared with posix-nvme (compiled into this plugin too): the tier folder, file names, errno
// mapping. The two tiers lay objects out identically.
#include "extent_store.hpp"
#include "file_io.hpp"
#include "file_names.hpp"
#include "huge_buffer.hpp"
#include "tier_directory.hpp"
#include "uring_queue.hpp"
#include "uring_ring.hpp"

namespace mlps::uring {

using posix::fdBudget;
using posix::parseSyncMode;

FileObject::~FileObject() {
    if (fd >= 0) {
        ::close(fd);
        openFds->fetch_sub(1, std::memory_order_relaxed);
    }
}

void UringTier::validate(const Host & /*host*/, const Config &config) {
    if (!config.isSet("path")) {
        throw Error("option 'path' is required: an existing, writable directory", MLPS_E_INVALID);
    }
    try {
        posix::checkParentDirectory(config.getString("path"));
    } catch (const Error &e) {
        throw Error(std::string("path: ") + e.what(), MLPS_E_INVALID, e.sysErrno());
    }
}

UringTier::UringTier(const Host &host, const Config &config)
    : host_(host), name_(config.isSet("tier_name") ? config.getString("tier_name") : "io_uring"),
      maxCachedFds_(fdBudget()) {
    if (!config.isSet("path")) {
        throw Error("option 'path' is required: an existing, writable directory", MLPS_E_INVALID);
    }
    const std::string parent = config.getString("path");
    settings_.direct = !config.isSet("direct") || config.getBool("direct");
    settings_.syncMode = parseSyncMode(config.isSet("sync") ? config.getString("sync") : "none");
    settings_.sqpoll = config.isSet("sqpoll") && config.getBool("sqpoll");
    settings_.preallocate = !config.isSet("preallocate") || config.getBool("preallocate");
    if (config.isSet("layout")) {
        const std::string layout = config.getString("layout");
        if (layout != "files" && layout != "extents") {
            throw Error("option 'layout' must be files or extents, not '" + layout + "'",
                        MLPS_E_INVALID);
        }
        settings_.layout = layout == "extents" ? Layout::Extents : Layout::Files;
    }
    if (config.isSet("queue_depth")) {
        const int64_t entries = config.getInt("queue_depth");
        if (entries < 1 || entries > 4096) {
            throw Error("option 'queue_depth' must be between 1 and 4096", MLPS_E_INVALID);
        }
        settings_.ringEntries = static_cast<uint32_t>(entries);
    }
    if (config.isSet("chunk_size")) {
        settings_.chunkSize = config.getSize("chunk_size");
        if (settings_.chunkSize < kDirectAlignment || settings_.chunkSize > (1ull << 30) ||
            settings_.chunkSize % kDirectAlignment != 0) {
            throw Error("option 'chunk_size' must be a multiple of 4KiB between 4KiB and 1GiB",
                        MLPS_E_INVALID);
        }
    }
    const int64_t fanout = config.isSet("fanout") ? config.getInt("fanout") : 256;
    if (fanout < 0 || fanout > 65536) {
        throw Error("option 'fanout' must be between 0 and 65536", MLPS_E_INVALID);
    }
    fanout_ = static_cast<uint32_t>(fanout);
    keep_ = config.isSet("keep") && config.getBool("keep");
    openFlags_ = O_RDWR | O_CLOEXEC | (settings_.direct ? O_DIRECT : 0);

    // Refuse early, before touching the file system, when the kernel will not give us a ring.
    probeRing(settings_);
    posix::checkParentDirectory(parent);
    dir_ = posix::createTierDirectory(parent, name_, {posix::runIdOf(host_), keep_});
    try {
        if (settings_.direct) {
            posix::probeDirectIo(dir_, kDirectAlignment);
        }
        const uint64_t capacity = config.isSet("capacity") ? config.getSize("capacity") : 0;
        budget_.setLimit(capacity != 0 ? capacity : posix::freeBytes(dir_));
        dirFd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirFd_ < 0) {
            throw systemError("open " + dir_);
        }
        if (settings_.layout == Layout::Extents) {
            extents_ =
                std::make_unique<ExtentStore>(dir_, budget_.limit(), openFlags_, kDirectAlignment);
        }
    } catch (...) {
        if (dirFd_ >= 0) {
            ::close(dirFd_);
        }
        posix::removeTree(dir_);
        throw;
    }
    host_.log(MLPS_LOG_DEBUG,
              "tier '%s': %s under %s (io_uring, direct=%d, ring %u, chunk %llu, sqpoll=%d)",
              name_.c_str(),
              extents_ ? "extents of one file" : "files",
              dir_.c_str(),
              settings_.direct ? 1 : 0,
              settings_.ringEntries,
              static_cast<unsigned long long>(settings_.chunkSize),
              settings_.sqpoll ? 1 : 0);
}

UringTier::~UringTier() {
    const uint64_t objects = objects_.load();
    const uint64_t used = budget_.used();
    for (Shard &shard : index_) {
        shard.objects.clear(); // closes the cached descriptors, gives extents back
    }
    extents_.reset();
    if (dirFd_ >= 0) {
        ::close(dirFd_);
    }
    if (keep_) {
        host_.log(MLPS_LOG_INFO,
                  "tier '%s': keep: true, leaving %llu objects (%llu bytes reserved) in %s",
                  name_.c_str(),
                  static_cast<unsigned long long>(objects),
                  static_cast<unsigned long long>(used),
                  dir_.c_str());
        return;
    }
    const std::string error = posix::removeTree(dir_);
    if (!error.empty()) {
        host_.log(MLPS_LOG_WARN,
                  "tier '%s': could not remove %s: %s",
                  name_.c_str(),
                  dir_.c_str(),
                  error.c_str());
    }
}

void UringTier::info(mlps_tier_info &out) {
    out.alignment = settings_.direct ? kDirectAlignment : 1;
    out.caps = MLPS_TIER_CAP_ASYNC | MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT |
               (settings_.direct ? MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS : 0);
    out.capacity_bytes = budget_.limit();
    out.used_bytes = budget_.used();
    out.objects = objects_.load(std::memory_order_relaxed);
    out.max_queue_depth = kMaxQueueDepth;
    std::snprintf(out.location, sizeof out.location, "%s", dir_.c_str());
}

std::unique_ptr<TierPluginQueue> UringTier::openQueue(uint32_t depth) {
    if (depth > kMaxQueueDepth) {
        throw Error("queue depth " + std::to_string(depth) +
                        " is above the io_uring tier's limit of " + std::to_string(kMaxQueueDepth),
                    MLPS_E_INVALID);
    }
    return std::make_unique<UringQueue>(*this, depth == 0 ? kDefaultQueueDepth : depth);
}

void *UringTier::bufferAlloc(uint64_t size) {
    return posix::allocateIoBuffer(size);
}

void UringTier::bufferFree(void *buf, uint64_t size) noexcept {
    posix::freeBuffer(buf, size);
}

int UringTier::openFile(const std::string &path, bool create) noexcept {
    const int flags = openFlags_ | (create ? O_CREAT | O_TRUNC : 0);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0 && errno == ENOENT && create && fanout_ != 0) {
        // Fan-out folders are made on first use, as in posix-nvme.
        const std::string bucket = path.substr(0, path.rfind('/'));
        if (::mkdir(bucket.c_str(), 0755) == 0 || errno == EEXIST) {
            fd = ::open(path.c_str(), flags, 0644);
        }
    }
    return fd >= 0 ? fd : -errno;
}

int UringTier::leaseFile(const ObjectPtr &object, Target &target) noexcept {
    const auto &file = static_cast<const FileObject &>(*object);
    target.object = object;
    if (file.fd >= 0) {
        target.fd = file.fd;
        target.ownedFd = false;
        return 0;
    }
    const int fd = openFile(file.path, false);
    if (fd < 0) {
        return -fd;
    }
    target.fd = fd;
    target.ownedFd = true;
    return 0;
}

void UringTier::leaseExtents(const ObjectPtr &object,
                             uint64_t offset,
                             uint64_t length,
                             Target &target) {
    target.object = object;
    target.fd = extents_->fd();
    target.ownedFd = false;
    mapRange(static_cast<const ExtentObject &>(*object).extents, offset, length, target.extents);
}

mlps_status UringTier::createFile(
    std::string_view key, const mlps_io &io, uint64_t reservation, ObjectPtr &out, int &err) {
    std::string path = dir_ + "/";
    if (fanout_ != 0) {
        path += posix::bucketName(static_cast<uint32_t>(posix::stableHash(key) % fanout_), fanout_);
        path += "/";
    }
    path += posix::fileNameFor(key, nextUnique_.fetch_add(1, std::memory_order_relaxed));
    auto object = std::make_shared<FileObject>(std::move(path), reservation);
    object->openFds = &openFds_;
    const int fd = openFile(object->path, true);
    if (fd < 0) {
        err = -fd;
        return posix::statusFromErrno(err);
    }
    if (settings_.preallocate && io.object_size != 0) {
        // The announced size is allocated at once (and the file's size set): later writes are
        // overwrites, which the kernel does without the inode-size update that makes extending
        // O_DIRECT writes slow (on ext4 they go to io-wq workers).
        if (::fallocate(fd, 0, 0, static_cast<off_t>(reservation)) != 0 && errno != EOPNOTSUPP &&
            errno != ENOSYS) {
            err = errno;
            ::close(fd);
            ::unlink(object->path.c_str());
            return posix::statusFromErrno(err);
        }
    }
    if (openFds_.fetch_add(1, std::memory_order_relaxed) < maxCachedFds_) {
        object->fd = fd;
    } else {
        openFds_.fetch_sub(1, std::memory_order_relaxed);
        ::close(fd); // over budget: each op opens the file itself
    }
    out = std::move(object);
    return MLPS_OK;
}

mlps_status UringTier::createExtents(uint64_t reservation, ObjectPtr &out, int &err) {
    auto object = std::make_shared<ExtentObject>(*extents_, reservation);
    const mlps_status status = extents_->grow(*object, reservation, err);
    if (status == MLPS_OK) {
        out = std::move(object);
    }
    return status;
}

mlps_status
UringTier::prepareWrite(std::string_view key, const mlps_io &io, Target &target, int &err) {
    const uint64_t end = io.offset + io.length;
    Shard &shard = index_.shardFor(key);
    ObjectPtr object;
    {
        // Creation and growth happen under the shard's lock: they are metadata operations, rare
        // next to data transfers, and the lock keeps a concurrent op on the same key from seeing
        // a half-made object.
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it != shard.objects.end()) {
            object = it->second;
            const uint64_t reserved = object->reserved.load(std::memory_order_relaxed);
            if (end > reserved) { // growing past the reservation
                if (!budget_.reserve(end - reserved)) {
                    return MLPS_E_NO_SPACE;
                }
                if (extents_) {
                    mlps_status status = MLPS_E_NO_MEMORY;
                    try {
                        status = extents_->grow(static_cast<ExtentObject &>(*object), end, err);
                    } catch (const std::bad_alloc &) {
                        err = ENOMEM; // the allocator's maps; the reservation goes back
                    }
                    if (status != MLPS_OK) {
                        budget_.release(end - reserved);
                        return status;
                    }
                }
                object->reserved.store(end, std::memory_order_relaxed);
            }
        } else {
            const uint64_t reservation = std::max(io.object_size, end);
            if (!budget_.reserve(reservation)) {
                return MLPS_E_NO_SPACE;
            }
            mlps_status status = MLPS_OK;
            try {
                status = extents_ ? createExtents(reservation, object, err)
                                  : createFile(key, io, reservation, object, err);
                if (status == MLPS_OK) {
                    shard.objects.emplace(std::string(key), object);
                }
            } catch (...) {
                budget_.release(reservation);
                if (object != nullptr && !extents_) {
                    ::unlink(static_cast<const FileObject &>(*object).path.c_str());
                }
                throw;
            }
            if (status != MLPS_OK) {
                budget_.release(reservation);
                return status;
            }
            objects_.fetch_add(1, std::memory_order_relaxed);
        }
        if (extents_) {
            leaseExtents(object, io.offset, io.length, target);
            return MLPS_OK;
        }
    }
    if (const int e = leaseFile(object, target); e != 0) {
        err = e;
        return posix::statusFromErrno(e);
    }
    return MLPS_OK;
}

mlps_status
UringTier::prepareRead(std::string_view key, const mlps_io &io, Target &target, int &err) {
    Shard &shard = index_.shardFor(key);
    ObjectPtr object;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return MLPS_E_NOT_FOUND;
        }
        object = it->second;
        const uint64_t size = object->size.load(std::memory_order_acquire);
        if (io.offset > size || io.length > size - io.offset) {
            return MLPS_E_RANGE;
        }
        if (extents_) { // under the lock: a growing write on another queue changes the list
            leaseExtents(object, io.offset, io.length, target);
            return MLPS_OK;
        }
    }
    if (const int e = leaseFile(object, target); e != 0) {
        err = e;
        return posix::statusFromErrno(e);
    }
    return MLPS_OK;
}

mlps_status UringTier::prepareSync(std::string_view key, Target &target, int &err) {
    Shard &shard = index_.shardFor(key);
    ObjectPtr object;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return MLPS_E_NOT_FOUND;
        }
        object = it->second;
    }
    if (extents_) { // an fdatasync of the data file: it holds every object
        target.object = std::move(object);
        target.fd = extents_->fd();
        return MLPS_OK;
    }
    if (const int e = leaseFile(object, target); e != 0) {
        err = e;
        return posix::statusFromErrno(e);
    }
    return MLPS_OK;
}

mlps_status UringTier::remove(std::string_view key, int &err) {
    Shard &shard = index_.shardFor(key);
    ObjectPtr object;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return MLPS_E_NOT_FOUND;
        }
        object = std::move(it->second);
        shard.objects.erase(it);
        object->deleted = true;
        budget_.release(object->reserved.exchange(0, std::memory_order_relaxed));
        objects_.fetch_sub(1, std::memory_order_relaxed);
        if (extents_) {
            return MLPS_OK; // the extents go back when the last op holding the object is done
        }
        // Unlinked under the lock: a WRITE that re-creates the key right after must get a new
        // file, not truncate this one and then lose its name to our unlink. Ops in flight on
        // other queues hold the object and its fd; the blocks go when they finish.
        const auto &file = static_cast<const FileObject &>(*object);
        if (::unlink(file.path.c_str()) != 0 && errno != ENOENT) {
            err = errno;
            return posix::statusFromErrno(err);
        }
    }
    return MLPS_OK;
}

mlps_status UringTier::syncAll(int &err) {
    if (::syncfs(dirFd_) != 0) {
        err = errno;
        return posix::statusFromErrno(err);
    }
    return MLPS_OK;
}

void UringTier::wrote(Object &object, uint64_t end) noexcept {
    uint64_t size = object.size.load(std::memory_order_relaxed);
    while (end > size && !object.size.compare_exchange_weak(size, end, std::memory_order_release)) {
    }
}

} // namespace mlps::uring
