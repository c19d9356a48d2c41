#include "posix_tier.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <new>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_io.hpp"
#include "file_names.hpp"
#include "posix_queue.hpp"
#include "tier_directory.hpp"

namespace mlps::posix {

namespace {

mlps_completion done(const mlps_io &io, mlps_status status, int sysErrno = 0, uint64_t bytes = 0) {
    return mlps_completion{io.user_data, status, sysErrno, status == MLPS_OK ? bytes : 0};
}

mlps_completion failed(const mlps_io &io, int sysErrno) {
    return done(io, statusFromErrno(sysErrno), sysErrno);
}

SyncMode parseSyncMode(const std::string &text) {
    if (text.empty() || text == "none") {
        return SyncMode::None;
    }
    if (text == "fdatasync") {
        return SyncMode::Fdatasync;
    }
    if (text == "fsync") {
        return SyncMode::Fsync;
    }
    throw Error("option 'sync' must be none, fdatasync or fsync, not '" + text + "'",
                MLPS_E_INVALID);
}

// Cached descriptors stay well inside the process's limit: the runner and other tiers need
// descriptors too. Objects beyond the budget open their file per operation.
int fdBudget() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return 4096;
    }
    return static_cast<int>(std::min<rlim_t>(4096, limit.rlim_cur / 4));
}

void waitWhileCreating(const FileObject &object) noexcept {
    int state = object.state.load(std::memory_order_acquire);
    while (state == FileObject::kCreating) {
        object.state.wait(state, std::memory_order_acquire);
        state = object.state.load(std::memory_order_acquire);
    }
}

} // namespace

FileObject::~FileObject() {
    if (fd >= 0) {
        ::close(fd);
        openFds.fetch_sub(1, std::memory_order_relaxed);
    }
}

PosixTier::FdLease::~FdLease() {
    if (owned && fd >= 0) {
        ::close(fd);
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
    openFlags_ = O_RDWR | O_CLOEXEC | (direct_ ? O_DIRECT : 0);

    checkParentDirectory(parent);
    dir_ = createTierDirectory(parent, name_);
    try {
        if (direct_) {
            probeDirectIo(dir_, kDirectAlignment);
        }
        const uint64_t capacity = config.isSet("capacity") ? config.getSize("capacity") : 0;
        capacity_ = capacity != 0 ? capacity : freeBytes(dir_);
        dirFd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirFd_ < 0) {
            throw systemError("open " + dir_);
        }
    } catch (...) {
        removeTree(dir_);
        throw;
    }
    host_.log(MLPS_LOG_DEBUG,
              "tier '%s': files under %s (direct=%d, capacity %llu bytes)",
              name_.c_str(),
              dir_.c_str(),
              direct_ ? 1 : 0,
              static_cast<unsigned long long>(capacity_));
}

PosixTier::~PosixTier() {
    const uint64_t objects = objects_.load();
    const uint64_t used = used_.load();
    for (Shard &shard : shards_) {
        shard.objects.clear(); // closes the cached descriptors
    }
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
    out.caps = MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT |
               (direct_ ? MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS : 0);
    out.capacity_bytes = capacity_;
    out.used_bytes = used_.load(std::memory_order_relaxed);
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

bool PosixTier::reserve(uint64_t bytes) noexcept {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
        if (bytes > capacity_ - std::min(used, capacity_)) {
            return false;
        }
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
}

void PosixTier::unreserve(uint64_t bytes) noexcept {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
}

std::shared_ptr<FileObject> PosixTier::findReady(std::string_view key) {
    Shard &shard = shardFor(key);
    std::shared_ptr<FileObject> object;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return nullptr;
        }
        object = it->second;
    }
    waitWhileCreating(*object);
    return object->state.load(std::memory_order_acquire) == FileObject::kReady ? object : nullptr;
}

int PosixTier::lease(FileObject &object, FdLease &out) noexcept {
    if (object.fd >= 0) {
        out.fd = object.fd;
        return 0;
    }
    out.fd = ::open(object.path.c_str(), openFlags_);
    if (out.fd < 0) {
        return errno;
    }
    out.owned = true;
    return 0;
}

mlps_completion PosixTier::execute(const mlps_io &io) noexcept {
    try {
        if (io.opcode == MLPS_IO_SYNC) {
            return sync(io);
        }
        if (io.key == nullptr || io.key_len == 0) {
            return done(io, MLPS_E_INVALID);
        }
        const std::string_view key(io.key, io.key_len);
        const bool moves = io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ;
        if (moves &&
            ((io.buf == nullptr && io.length != 0) || io.offset > UINT64_MAX - io.length)) {
            return done(io, MLPS_E_INVALID);
        }
        if (moves && direct_ &&
            ((reinterpret_cast<uintptr_t>(io.buf) | io.offset | io.length) % kDirectAlignment) !=
                0) {
            return done(io, MLPS_E_INVALID, EINVAL); // O_DIRECT would refuse it anyway
        }
        switch (io.opcode) {
        case MLPS_IO_WRITE:
            return write(key, io);
        case MLPS_IO_READ:
            return read(key, io);
        case MLPS_IO_DELETE:
            return remove(key, io);
        default:
            return done(io, MLPS_E_INVALID);
        }
    } catch (const std::bad_alloc &) {
        return done(io, MLPS_E_NO_MEMORY, ENOMEM);
    } catch (...) {
        return done(io, MLPS_E_GENERIC);
    }
}

int PosixTier::create(Shard &shard,
                      std::string_view key,
                      const std::shared_ptr<FileObject> &object) {
    const int createFlags = openFlags_ | O_CREAT | O_TRUNC;
    int fd = ::open(object->path.c_str(), createFlags, 0644);
    if (fd < 0 && errno == ENOENT && fanout_ != 0) {
        // Fan-out folders are made on first use: a tier holding a few objects creates a few
        // folders, not `fanout` of them (directory operations are slow on some file systems).
        const std::string bucket = object->path.substr(0, object->path.rfind('/'));
        if (::mkdir(bucket.c_str(), 0755) == 0 || errno == EEXIST) {
            fd = ::open(object->path.c_str(), createFlags, 0644);
        }
    }
    if (fd < 0) {
        const int e = errno;
        {
            std::lock_guard lock(shard.mutex);
            const auto it = shard.objects.find(key);
            if (it != shard.objects.end() && it->second == object) {
                shard.objects.erase(it);
                object->deleted = true;
            }
        }
        // Whoever takes the reservation out (we, or a DELETE that got here first) frees it.
        unreserve(object->reserved.exchange(0));
        objects_.fetch_sub(1, std::memory_order_relaxed);
        object->state.store(FileObject::kFailed, std::memory_order_release);
        object->state.notify_all();
        return e;
    }
    if (openFds_.fetch_add(1, std::memory_order_relaxed) < maxCachedFds_) {
        object->fd = fd;
    } else {
        openFds_.fetch_sub(1, std::memory_order_relaxed);
        ::close(fd); // over budget: later ops open the file themselves
    }
    object->state.store(FileObject::kReady, std::memory_order_release);
    object->state.notify_all();
    return 0;
}

mlps_completion PosixTier::write(std::string_view key, const mlps_io &io) {
    const uint64_t end = io.offset + io.length;
    Shard &shard = shardFor(key);
    std::shared_ptr<FileObject> object;
    bool creator = false;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it != shard.objects.end()) {
            object = it->second;
        } else {
            const uint64_t reservation = std::max(io.object_size, end);
            if (!reserve(reservation)) {
                return done(io, MLPS_E_NO_SPACE);
            }
            const uint64_t unique = nextUnique_.fetch_add(1, std::memory_order_relaxed);
            std::string path = dir_ + "/";
            if (fanout_ != 0) {
                path += bucketName(static_cast<uint32_t>(stableHash(key) % fanout_), fanout_);
                path += "/";
            }
            path += fileNameFor(key, unique);
            try {
                object = std::make_shared<FileObject>(std::move(path), reservation, openFds_);
                shard.objects.emplace(std::string(key), object);
            } catch (...) {
                unreserve(reservation);
                throw;
            }
            objects_.fetch_add(1, std::memory_order_relaxed);
            creator = true;
        }
    }
    if (creator) {
        if (const int e = create(shard, key, object); e != 0) {
            return failed(io, e);
        }
    } else {
        waitWhileCreating(*object);
        if (object->state.load(std::memory_order_acquire) != FileObject::kReady) {
            return done(io, MLPS_E_NOT_FOUND);
        }
    }
    if (end > object->reserved.load(std::memory_order_relaxed)) { // growing past the reservation
        std::lock_guard lock(shard.mutex);
        if (object->deleted) {
            return done(io, MLPS_E_NOT_FOUND);
        }
        const uint64_t reserved = object->reserved.load(std::memory_order_relaxed);
        if (end > reserved) {
            if (!reserve(end - reserved)) {
                return done(io, MLPS_E_NO_SPACE);
            }
            object->reserved.store(end, std::memory_order_relaxed);
        }
    }
    FdLease fd;
    if (const int e = lease(*object, fd); e != 0) {
        return failed(io, e);
    }
    if (const int e = pwriteFull(fd.fd, io.buf, io.length, io.offset); e != 0) {
        return failed(io, e);
    }
    if (syncMode_ != SyncMode::None) {
        const int rc = syncMode_ == SyncMode::Fsync ? ::fsync(fd.fd) : ::fdatasync(fd.fd);
        if (rc != 0) {
            return failed(io, errno);
        }
    }
    uint64_t size = object->size.load(std::memory_order_relaxed);
    while (end > size &&
           !object->size.compare_exchange_weak(size, end, std::memory_order_release)) {
    }
    return done(io, MLPS_OK, 0, io.length);
}

mlps_completion PosixTier::read(std::string_view key, const mlps_io &io) {
    const std::shared_ptr<FileObject> object = findReady(key);
    if (object == nullptr) {
        return done(io, MLPS_E_NOT_FOUND);
    }
    const uint64_t size = object->size.load(std::memory_order_acquire);
    if (io.offset > size || io.length > size - io.offset) {
        return done(io, MLPS_E_RANGE);
    }
    FdLease fd;
    if (const int e = lease(*object, fd); e != 0) {
        return failed(io, e);
    }
    uint64_t moved = 0;
    if (const int e = preadFull(fd.fd, io.buf, io.length, io.offset, &moved); e != 0) {
        return failed(io, e);
    }
    if (moved != io.length) { // the file is shorter than what we wrote: changed behind our back
        return done(io, MLPS_E_IO, 0);
    }
    return done(io, MLPS_OK, 0, io.length);
}

mlps_completion PosixTier::remove(std::string_view key, const mlps_io &io) {
    Shard &shard = shardFor(key);
    std::shared_ptr<FileObject> object;
    uint64_t reserved = 0;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return done(io, MLPS_E_NOT_FOUND);
        }
        object = std::move(it->second);
        shard.objects.erase(it);
        object->deleted = true;
        reserved = object->reserved.exchange(0, std::memory_order_relaxed);
    }
    // Wait for a creation in progress so that the file is not created after our unlink.
    waitWhileCreating(*object);
    unreserve(reserved);
    if (object->state.load(std::memory_order_acquire) != FileObject::kReady) {
        return done(io, MLPS_E_NOT_FOUND); // its creation failed (and uncounted the object)
    }
    objects_.fetch_sub(1, std::memory_order_relaxed);
    // Ops still in flight on other queues keep the file open; its blocks go when they finish.
    if (::unlink(object->path.c_str()) != 0 && errno != ENOENT) {
        return failed(io, errno);
    }
    return done(io, MLPS_OK);
}

mlps_completion PosixTier::sync(const mlps_io &io) {
    if (io.key == nullptr || io.key_len == 0) { // the whole tier
        if (::syncfs(dirFd_) != 0) {
            return failed(io, errno);
        }
        return done(io, MLPS_OK);
    }
    const std::shared_ptr<FileObject> object = findReady(std::string_view(io.key, io.key_len));
    if (object == nullptr) {
        return done(io, MLPS_E_NOT_FOUND);
    }
    FdLease fd;
    if (const int e = lease(*object, fd); e != 0) {
        return failed(io, e);
    }
    if (::fdatasync(fd.fd) != 0) {
        return failed(io, errno);
    }
    return done(io, MLPS_OK);
}

} // namespace mlps::posix
