#include "posix_tier.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <new>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "file_io.hpp"
#include "file_names.hpp"
#include "huge_buffer.hpp"
#include "posix_queue.hpp"
#include "tier_directory.hpp"

namespace mlps::posix {

FileObject::~FileObject() {
    if (fd >= 0) {
        ::close(fd);
        openFds.fetch_sub(1, std::memory_order_relaxed);
    }
}

Target &Target::operator=(Target &&other) noexcept {
    if (this != &other) {
        if (owned && fd >= 0) {
            ::close(fd);
        }
        object = std::move(other.object);
        fd = std::exchange(other.fd, -1);
        owned = std::exchange(other.owned, false);
    }
    return *this;
}

Target::~Target() {
    if (owned && fd >= 0) {
        ::close(fd);
    }
}

void PosixTier::validate(const Host & /*host*/, const Config &config) {
    if (!config.isSet("path")) {
        throw Error("option 'path' is required: an existing, writable directory", MLPS_E_INVALID);
    }
    try {
        checkParentDirectory(config.getString("path"));
    } catch (const Error &e) {
        throw Error(std::string("path: ") + e.what(), MLPS_E_INVALID, e.sysErrno());
    }
}

PosixTier::PosixTier(const Host &host, const Config &config)
    : host_(host), name_(config.isSet("tier_name") ? config.getString("tier_name") : "posix-nvme"),
      maxCachedFds_(fdBudget()) {
    if (!config.isSet("path")) {
        throw Error("option 'path' is required: an existing, writable directory", MLPS_E_INVALID);
    }
    const std::string parent = config.getString("path");
    direct_ = config.isSet("direct") && config.getBool("direct");
    syncMode_ = parseSyncMode(config.isSet("sync") ? config.getString("sync") : "none");
    const int64_t fanout = config.isSet("fanout") ? config.getInt("fanout") : 256;
    if (fanout < 0 || fanout > 65536) {
        throw Error("option 'fanout' must be between 0 and 65536", MLPS_E_INVALID);
    }
    fanout_ = static_cast<uint32_t>(fanout);
    keep_ = config.isSet("keep") && config.getBool("keep");
    preallocate_ = !config.isSet("preallocate") || config.getBool("preallocate");
    if (config.isSet("threads")) {
        const int64_t threads = config.getInt("threads");
        if (threads < 1 || threads > 1024) {
            throw Error("option 'threads' must be between 1 and 1024", MLPS_E_INVALID);
        }
        threads_ = static_cast<uint32_t>(threads);
    }
    if (config.isSet("chunk_size")) {
        chunkSize_ = config.getSize("chunk_size");
        if (chunkSize_ < kDirectAlignment || chunkSize_ > (1ull << 30) ||
            chunkSize_ % kDirectAlignment != 0) {
            throw Error("option 'chunk_size' must be a multiple of 4KiB between 4KiB and 1GiB",
                        MLPS_E_INVALID);
        }
    }
    openFlags_ = O_RDWR | O_CLOEXEC | (direct_ ? O_DIRECT : 0);

    checkParentDirectory(parent);
    const std::string persistent =
        config.isSet("persistent_folder") ? config.getString("persistent_folder") : "";
    persistent_ = !persistent.empty();
    dir_ = persistent_ ? openPersistentDirectory(parent, persistent, createdPersistent_)
                       : createTierDirectory(parent, name_, {runIdOf(host_), keep_});
    try {
        if (direct_) {
            probeDirectIo(dir_, kDirectAlignment);
        }
        const uint64_t capacity = config.isSet("capacity") ? config.getSize("capacity") : 0;
        budget_.setLimit(capacity != 0 ? capacity : freeBytes(dir_));
        dirFd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirFd_ < 0) {
            throw systemError("open " + dir_);
        }
    } catch (...) {
        if (!persistent_) {
            removeTree(dir_);
        } else if (createdPersistent_) {
            ::rmdir(dir_.c_str());
        }
        throw;
    }
    host_.log(MLPS_LOG_DEBUG,
              "tier '%s': files under %s (direct=%d, %u threads per queue, chunk %llu, "
              "capacity %llu bytes)",
              name_.c_str(),
              dir_.c_str(),
              direct_ ? 1 : 0,
              threads_,
              static_cast<unsigned long long>(chunkSize_),
              static_cast<unsigned long long>(budget_.limit()));
}

PosixTier::~PosixTier() {
    const uint64_t objects = objects_.load();
    const uint64_t used = budget_.used();
    for (Shard &shard : index_) {
        shard.objects.clear(); // closes the cached descriptors
    }
    if (dirFd_ >= 0) {
        ::close(dirFd_);
    }
    if (persistent_) {
        // The folder outlives the run, and so does every object left in it: what the
        // benchmark did not DELETE is there for the next run. Only empty fan-out folders go,
        // and the folder itself if this instance made it and nothing is left (rmdir removes
        // nothing else).
        for (uint32_t b = 0; b < fanout_; ++b) {
            ::rmdir((dir_ + "/" + bucketName(b, fanout_)).c_str());
        }
        if (createdPersistent_ && ::rmdir(dir_.c_str()) == 0) {
            return;
        }
        host_.log(MLPS_LOG_INFO,
                  "tier '%s': persistent folder %s keeps its objects",
                  name_.c_str(),
                  dir_.c_str());
        return;
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
    const std::string error = removeTree(dir_);
    if (!error.empty()) {
        host_.log(MLPS_LOG_WARN,
                  "tier '%s': could not remove %s: %s",
                  name_.c_str(),
                  dir_.c_str(),
                  error.c_str());
    }
}

void PosixTier::info(mlps_tier_info &out) {
    out.alignment = direct_ ? kDirectAlignment : 1;
    out.caps = MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT | MLPS_TIER_CAP_ASYNC |
               MLPS_TIER_CAP_BUFFER_ALLOC |
               (direct_ ? MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS : 0);
    out.capacity_bytes = budget_.limit();
    out.used_bytes = budget_.used();
    out.objects = objects_.load(std::memory_order_relaxed);
    out.max_queue_depth = kMaxQueueDepth;
    std::snprintf(out.location, sizeof out.location, "%s", dir_.c_str());
}

std::unique_ptr<TierPluginQueue> PosixTier::openQueue(uint32_t depth) {
    if (depth > kMaxQueueDepth) {
        throw Error("queue depth " + std::to_string(depth) +
                        " is above the posix-nvme tier's limit of " +
                        std::to_string(kMaxQueueDepth),
                    MLPS_E_INVALID);
    }
    return std::make_unique<PosixQueue>(*this, depth == 0 ? kDefaultQueueDepth : depth);
}

void *PosixTier::bufferAlloc(uint64_t size) {
    return allocateIoBuffer(size);
}

void PosixTier::bufferFree(void *buf, uint64_t size) noexcept {
    freeBuffer(buf, size);
}

std::shared_ptr<FileObject> PosixTier::find(std::string_view key) {
    Shard &shard = index_.shardFor(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.objects.find(key);
    if (it != shard.objects.end()) {
        return it->second;
    }
    return persistent_ ? adoptLocked(shard, key) : nullptr;
}

std::string PosixTier::pathFor(std::string_view key) {
    std::string path = dir_ + "/";
    if (fanout_ != 0) {
        path += bucketName(static_cast<uint32_t>(stableHash(key) % fanout_), fanout_);
        path += "/";
    }
    path += fileNameFor(key, nextUnique_.fetch_add(1, std::memory_order_relaxed));
    return path;
}

std::shared_ptr<FileObject> PosixTier::adoptLocked(Shard &shard, std::string_view key) {
    // Only keys whose file name is the key itself (fileNameFor: up to 100 bytes) can be found
    // again without an index; longer ones get a unique name and stay this instance's.
    if (key.size() > 100) {
        return nullptr;
    }
    std::string path = pathFor(key);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return nullptr;
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (!budget_.reserve(size)) {
        return nullptr;
    }
    auto object = std::make_shared<FileObject>(std::move(path), size, openFds_);
    object->size.store(size, std::memory_order_relaxed);
    shard.objects.emplace(std::string(key), object);
    objects_.fetch_add(1, std::memory_order_relaxed);
    return object;
}

int PosixTier::lease(std::shared_ptr<FileObject> object, Target &out) noexcept {
    if (object->fd >= 0) {
        out.fd = object->fd;
    } else {
        out.fd = ::open(object->path.c_str(), openFlags_);
        if (out.fd < 0) {
            return errno;
        }
        out.owned = true;
    }
    out.object = std::move(object);
    return 0;
}

mlps_status PosixTier::prepare(const mlps_io &io, Target &target, int &err) noexcept {
    err = 0;
    try {
        if (io.opcode == MLPS_IO_SYNC) {
            if (io.key == nullptr || io.key_len == 0) {
                return MLPS_OK; // the whole tier: syncTarget() runs syncfs
            }
            std::shared_ptr<FileObject> object = find(std::string_view(io.key, io.key_len));
            if (object == nullptr) {
                return MLPS_E_NOT_FOUND;
            }
            if (const int e = lease(std::move(object), target); e != 0) {
                err = e;
                return statusFromErrno(e);
            }
            return MLPS_OK;
        }
        if (io.key == nullptr || io.key_len == 0) {
            return MLPS_E_INVALID;
        }
        const std::string_view key(io.key, io.key_len);
        const bool moves = io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ;
        if (moves &&
            ((io.buf == nullptr && io.length != 0) || io.offset > UINT64_MAX - io.length)) {
            return MLPS_E_INVALID;
        }
        if (moves && direct_ &&
            ((reinterpret_cast<uintptr_t>(io.buf) | io.offset | io.length) % kDirectAlignment) !=
                0) {
            err = EINVAL; // O_DIRECT would refuse it anyway
            return MLPS_E_INVALID;
        }
        switch (io.opcode) {
        case MLPS_IO_WRITE:
            return prepareWrite(key, io, target, err);
        case MLPS_IO_READ:
            return prepareRead(key, io, target, err);
        case MLPS_IO_DELETE:
            return remove(key, target);
        default:
            return MLPS_E_INVALID;
        }
    } catch (const std::bad_alloc &) {
        err = ENOMEM;
        return MLPS_E_NO_MEMORY;
    } catch (...) {
        return MLPS_E_GENERIC;
    }
}

int PosixTier::createFile(const std::string &path) noexcept {
    const int createFlags = openFlags_ | O_CREAT | O_TRUNC;
    int fd = ::open(path.c_str(), createFlags, 0644);
    if (fd < 0 && errno == ENOENT && fanout_ != 0) {
        // Fan-out folders are made on first use: a tier holding a few objects creates a few
        // folders, not `fanout` of them (directory operations are slow on some file systems).
        const std::string bucket = path.substr(0, path.rfind('/'));
        if (::mkdir(bucket.c_str(), 0755) == 0 || errno == EEXIST) {
            fd = ::open(path.c_str(), createFlags, 0644);
        }
    }
    return fd >= 0 ? fd : -errno;
}

mlps_status
PosixTier::prepareWrite(std::string_view key, const mlps_io &io, Target &target, int &err) {
    const uint64_t end = io.offset + io.length;
    Shard &shard = index_.shardFor(key);
    std::shared_ptr<FileObject> object;
    std::lock_guard lock(shard.mutex);
    const auto it = shard.objects.find(key);
    if (it != shard.objects.end()) {
        object = it->second;
        const uint64_t reserved = object->reserved.load(std::memory_order_relaxed);
        if (end > reserved) { // growing past the reservation
            if (!budget_.reserve(end - reserved)) {
                return MLPS_E_NO_SPACE;
            }
            object->reserved.store(end, std::memory_order_relaxed);
        }
    } else {
        // Created under the index lock, as the io_uring tier does: a DELETE of the key (which
        // unlinks under the same lock) can never see a half-created object.
        const uint64_t reservation = std::max(io.object_size, end);
        if (!budget_.reserve(reservation)) {
            return MLPS_E_NO_SPACE;
        }
        std::string path = pathFor(key);
        try {
            object = std::make_shared<FileObject>(std::move(path), reservation, openFds_);
        } catch (...) {
            budget_.release(reservation);
            throw;
        }
        const int fd = createFile(object->path);
        if (fd < 0) {
            budget_.release(reservation);
            err = -fd;
            return statusFromErrno(err);
        }
        if (preallocate_ && io.object_size != 0) {
            // The announced size is allocated at once: later writes are overwrites, which the
            // kernel does without the inode-size update that slows extending O_DIRECT writes.
            if (::fallocate(fd, 0, 0, static_cast<off_t>(reservation)) != 0 &&
                errno != EOPNOTSUPP && errno != ENOSYS) {
                err = errno;
                ::close(fd);
                ::unlink(object->path.c_str());
                budget_.release(reservation);
                return statusFromErrno(err);
            }
        }
        if (openFds_.fetch_add(1, std::memory_order_relaxed) < maxCachedFds_) {
            object->fd = fd;
        } else {
            openFds_.fetch_sub(1, std::memory_order_relaxed);
            ::close(fd); // over budget: later ops open the file themselves
        }
        try {
            shard.objects.emplace(std::string(key), object);
        } catch (...) {
            budget_.release(reservation);
            ::unlink(object->path.c_str());
            throw;
        }
        objects_.fetch_add(1, std::memory_order_relaxed);
    }
    if (const int e = lease(std::move(object), target); e != 0) {
        err = e;
        return statusFromErrno(e);
    }
    return MLPS_OK;
}

mlps_status
PosixTier::prepareRead(std::string_view key, const mlps_io &io, Target &target, int &err) {
    std::shared_ptr<FileObject> object = find(key);
    if (object == nullptr) {
        return MLPS_E_NOT_FOUND;
    }
    const uint64_t size = object->size.load(std::memory_order_acquire);
    if (io.offset > size || io.length > size - io.offset) {
        return MLPS_E_RANGE;
    }
    if (const int e = lease(std::move(object), target); e != 0) {
        err = e;
        return statusFromErrno(e);
    }
    return MLPS_OK;
}

mlps_status PosixTier::remove(std::string_view key, Target &target) {
    Shard &shard = index_.shardFor(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.objects.find(key);
    if (it == shard.objects.end() && persistent_ && adoptLocked(shard, key) != nullptr) {
        it = shard.objects.find(key);
    }
    if (it == shard.objects.end()) {
        return MLPS_E_NOT_FOUND;
    }
    target.object = std::move(it->second);
    shard.objects.erase(it);
    target.object->deleted = true;
    budget_.release(target.object->reserved.exchange(0, std::memory_order_relaxed));
    objects_.fetch_sub(1, std::memory_order_relaxed);
    // The unlink itself is the queue's (unlinkTarget, on a worker): removing a large file frees
    // its blocks, tens to hundreds of milliseconds on ext4, which must not stall the thread that
    // submits. Every created file has a unique name, so a WRITE that re-creates the key at once
    // gets a new file whatever the unlink's timing.
    return MLPS_OK;
}

mlps_status PosixTier::unlinkTarget(const Target &target, int &err) noexcept {
    // Ops in flight on other queues hold the object and its fd; its blocks go when they finish.
    if (::unlink(target.object->path.c_str()) != 0 && errno != ENOENT) {
        err = errno;
        return statusFromErrno(err);
    }
    return MLPS_OK;
}

mlps_status PosixTier::syncTarget(const mlps_io & /*io*/, const Target &target, int &err) noexcept {
    const int rc = target.object == nullptr ? ::syncfs(dirFd_) : ::fdatasync(target.fd);
    if (rc != 0) {
        err = errno;
        return statusFromErrno(err);
    }
    return MLPS_OK;
}

int PosixTier::finishWrite(const mlps_io &io, const Target &target) noexcept {
    if (syncMode_ != SyncMode::None) {
        const int rc = syncMode_ == SyncMode::Fsync ? ::fsync(target.fd) : ::fdatasync(target.fd);
        if (rc != 0) {
            return errno;
        }
    }
    FileObject &object = *target.object;
    const uint64_t end = io.offset + io.length;
    uint64_t size = object.size.load(std::memory_order_relaxed);
    while (end > size && !object.size.compare_exchange_weak(size, end, std::memory_order_release)) {
    }
    return 0;
}

} // namespace mlps::posix
