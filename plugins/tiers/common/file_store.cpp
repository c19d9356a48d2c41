#include "file_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <new>
#include <random>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "extent_store.hpp"
#include "file_names.hpp"
#include "tier_directory.hpp"

namespace mlps::store {

using posix::statusFromErrno;

namespace {

constexpr const char *kTombstone = ".mlps-deleted-";

// Files renamed by a DELETE whose unlink never ran (the process died in between): a persistent
// folder outlives such a run, so the next tier on it removes them. Another rank's tier on the
// same folder may be about to unlink one of them itself: it then meets ENOENT, which it ignores.
void sweepTombstones(const std::string &dir) noexcept {
    DIR *d = ::opendir(dir.c_str());
    if (d == nullptr) {
        return;
    }
    const std::string_view prefix(kTombstone);
    while (const dirent *entry = ::readdir(d)) {
        if (std::string_view(entry->d_name).substr(0, prefix.size()) == prefix) {
            ::unlinkat(::dirfd(d), entry->d_name, 0);
        }
    }
    ::closedir(d);
}

std::string instanceTag() {
    std::random_device random;
    const uint64_t tag = (uint64_t{random()} << 32) ^ random();
    char text[20];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(tag));
    return text;
}

} // namespace

FileObject::~FileObject() {
    if (fd >= 0) {
        ::close(fd);
        openFds.fetch_sub(1, std::memory_order_relaxed);
    }
}

Target &Target::operator=(Target &&other) noexcept {
    if (this != &other) {
        if (ownedFd && fd >= 0) {
            ::close(fd);
        }
        work = other.work;
        object = std::move(other.object);
        fd = std::exchange(other.fd, -1);
        ownedFd = std::exchange(other.ownedFd, false);
        extents = std::move(other.extents);
        unlinkPath = std::move(other.unlinkPath);
    }
    return *this;
}

Target::~Target() {
    if (ownedFd && fd >= 0) {
        ::close(fd);
    }
}

StoreSettings parseStoreSettings(const Config &config, const StoreDefaults &defaults) {
    if (!config.isSet("path")) {
        throw Error("option 'path' is required: an existing, writable directory", MLPS_E_INVALID);
    }
    StoreSettings s;
    s.parent = config.getString("path");
    s.tierName = config.isSet("tier_name") ? config.getString("tier_name") : defaults.tierName;
    s.direct = config.isSet("direct") ? config.getBool("direct") : defaults.direct;
    s.syncMode = posix::parseSyncMode(config.isSet("sync") ? config.getString("sync") : "none");
    s.preallocate = !config.isSet("preallocate") || config.getBool("preallocate");
    s.keep = config.isSet("keep") && config.getBool("keep");
    const int64_t fanout = config.isSet("fanout") ? config.getInt("fanout") : 256;
    if (fanout < 0 || fanout > 65536) {
        throw Error("option 'fanout' must be between 0 and 65536", MLPS_E_INVALID);
    }
    s.fanout = static_cast<uint32_t>(fanout);
    if (config.isSet("chunk_size")) {
        s.chunkSize = config.getSize("chunk_size");
        if (s.chunkSize < FileStore::kDirectAlignment || s.chunkSize > (1ull << 30) ||
            s.chunkSize % FileStore::kDirectAlignment != 0) {
            throw Error("option 'chunk_size' must be a multiple of 4KiB between 4KiB and 1GiB",
                        MLPS_E_INVALID);
        }
    }
    s.persistentFolder =
        config.isSet("persistent_folder") ? config.getString("persistent_folder") : "";
    // Extents unless chosen otherwise: on both engines the files layout's per-object create,
    // fallocate and unlink halve kvcache's storage bandwidth (share/doc/PERFORMANCE.md).
    if (config.isSet("layout")) {
        const std::string layout = config.getString("layout");
        if (layout != "files" && layout != "extents") {
            throw Error("option 'layout' must be files or extents, not '" + layout + "'",
                        MLPS_E_INVALID);
        }
        s.layout = layout == "extents" ? Layout::Extents : Layout::Files;
        if (s.layout == Layout::Extents && !s.persistentFolder.empty()) {
            throw Error("option 'persistent_folder' needs layout: files (the extents layout "
                        "keeps its index in memory, so a later run could not find the objects)",
                        MLPS_E_INVALID);
        }
    } else if (!s.persistentFolder.empty()) {
        s.layout = Layout::Files; // objects found again by key need one file per key
    }
    s.capacity = config.isSet("capacity") ? config.getSize("capacity") : 0;
    return s;
}

void FileStore::validate(const Config &config) {
    if (!config.isSet("path")) {
        throw Error("option 'path' is required: an existing, writable directory", MLPS_E_INVALID);
    }
    try {
        posix::checkParentDirectory(config.getString("path"));
    } catch (const Error &e) {
        throw Error(std::string("path: ") + e.what(), MLPS_E_INVALID, e.sysErrno());
    }
}

FileStore::FileStore(const Host &host, StoreSettings settings)
    : host_(host), settings_(std::move(settings)), maxCachedFds_(posix::fdBudget()) {
    openFlags_ = O_RDWR | O_CLOEXEC | (settings_.direct ? O_DIRECT : 0);
    posix::checkParentDirectory(settings_.parent);
    persistent_ = !settings_.persistentFolder.empty();
    dir_ = persistent_ ? posix::openPersistentDirectory(
                             settings_.parent, settings_.persistentFolder, createdPersistent_)
                       : posix::createTierDirectory(settings_.parent,
                                                    settings_.tierName,
                                                    {posix::runIdOf(host_), settings_.keep});
    try {
        tombstonePrefix_ = dir_ + "/" + kTombstone + instanceTag() + "-";
        if (persistent_) {
            sweepTombstones(dir_);
        }
        if (settings_.direct) {
            posix::probeDirectIo(dir_, kDirectAlignment);
        }
        budget_.setLimit(settings_.capacity != 0 ? settings_.capacity : posix::freeBytes(dir_));
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
        if (!persistent_) {
            posix::removeTree(dir_);
        } else if (createdPersistent_) {
            ::rmdir(dir_.c_str());
        }
        throw;
    }
}

FileStore::~FileStore() {
    const uint64_t objects = objects_.load();
    const uint64_t used = budget_.used();
    for (Shard &shard : index_) {
        shard.objects.clear(); // closes the cached descriptors, gives extents back
    }
    extents_.reset();
    if (dirFd_ >= 0) {
        ::close(dirFd_);
    }
    if (persistent_) {
        // The folder outlives the run, and so does every object left in it: what the
        // benchmark did not DELETE is there for the next run. Only empty fan-out folders go,
        // and the folder itself if this instance made it and nothing is left (rmdir removes
        // nothing else).
        for (uint32_t b = 0; b < settings_.fanout; ++b) {
            ::rmdir((dir_ + "/" + posix::bucketName(b, settings_.fanout)).c_str());
        }
        if (createdPersistent_ && ::rmdir(dir_.c_str()) == 0) {
            return;
        }
        host_.log(MLPS_LOG_INFO,
                  "tier '%s': persistent folder %s keeps its objects",
                  settings_.tierName.c_str(),
                  dir_.c_str());
        return;
    }
    if (settings_.keep) {
        host_.log(MLPS_LOG_INFO,
                  "tier '%s': keep: true, leaving %llu objects (%llu bytes reserved) in %s",
                  settings_.tierName.c_str(),
                  static_cast<unsigned long long>(objects),
                  static_cast<unsigned long long>(used),
                  dir_.c_str());
        return;
    }
    const std::string error = posix::removeTree(dir_);
    if (!error.empty()) {
        host_.log(MLPS_LOG_WARN,
                  "tier '%s': could not remove %s: %s",
                  settings_.tierName.c_str(),
                  dir_.c_str(),
                  error.c_str());
    }
}

void FileStore::fillInfo(mlps_tier_info &out) const {
    out.alignment = settings_.direct ? kDirectAlignment : 1;
    out.capacity_bytes = budget_.limit();
    out.used_bytes = budget_.used();
    out.objects = objects_.load(std::memory_order_relaxed);
    std::snprintf(out.location, sizeof out.location, "%s", dir_.c_str());
}

std::string FileStore::pathFor(std::string_view key) {
    std::string path = dir_ + "/";
    if (settings_.fanout != 0) {
        const auto bucket = static_cast<uint32_t>(posix::stableHash(key) % settings_.fanout);
        path += posix::bucketName(bucket, settings_.fanout);
        path += "/";
    }
    path += posix::fileNameFor(key, nextUnique_.fetch_add(1, std::memory_order_relaxed));
    return path;
}

int FileStore::openFile(const std::string &path, bool create) noexcept {
    const int flags = openFlags_ | (create ? O_CREAT | O_TRUNC : 0);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0 && errno == ENOENT && create && settings_.fanout != 0) {
        // Fan-out folders are made on first use: a tier holding a few objects creates a few
        // folders, not `fanout` of them (directory operations are slow on some file systems).
        const std::string bucket = path.substr(0, path.rfind('/'));
        if (::mkdir(bucket.c_str(), 0755) == 0 || errno == EEXIST) {
            fd = ::open(path.c_str(), flags, 0644);
        }
    }
    return fd >= 0 ? fd : -errno;
}

std::shared_ptr<Object> FileStore::findLocked(Shard &shard, std::string_view key) {
    const auto it = shard.objects.find(key);
    if (it != shard.objects.end()) {
        return it->second;
    }
    return persistent_ ? adoptLocked(shard, key) : nullptr;
}

std::shared_ptr<Object> FileStore::adoptLocked(Shard &shard, std::string_view key) {
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

mlps_status
FileStore::leaseFile(const std::shared_ptr<Object> &object, Target &target, int &err) noexcept {
    const auto &file = static_cast<const FileObject &>(*object);
    target.object = object;
    if (file.fd >= 0) {
        target.fd = file.fd;
        target.ownedFd = false;
        return MLPS_OK;
    }
    const int fd = openFile(file.path, false);
    if (fd < 0) {
        err = -fd;
        return statusFromErrno(err);
    }
    target.fd = fd;
    target.ownedFd = true;
    return MLPS_OK;
}

void FileStore::leaseExtents(const std::shared_ptr<Object> &object,
                             uint64_t offset,
                             uint64_t length,
                             Target &target) {
    target.object = object;
    target.fd = extents_->fd();
    target.ownedFd = false;
    tiers::mapRange(
        static_cast<const ExtentObject &>(*object).extents, offset, length, target.extents);
}

mlps_status FileStore::prepare(const mlps_io &io, Target &target, int &err) noexcept {
    err = 0;
    try {
        if (io.opcode == MLPS_IO_SYNC && (io.key == nullptr || io.key_len == 0)) {
            target.work = Work::SyncAll;
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
        if (moves && settings_.direct &&
            ((reinterpret_cast<uintptr_t>(io.buf) | io.offset | io.length) % kDirectAlignment) !=
                0) {
            err = EINVAL; // O_DIRECT would refuse it anyway
            return MLPS_E_INVALID;
        }
        switch (io.opcode) {
        case MLPS_IO_WRITE:
            target.work = Work::Data;
            return prepareWrite(key, io, target, err);
        case MLPS_IO_READ:
            target.work = Work::Data;
            return prepareRead(key, io, target, err);
        case MLPS_IO_SYNC:
            target.work = Work::SyncObject;
            return prepareSync(key, target, err);
        case MLPS_IO_DELETE:
            return remove(key, target, err);
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

mlps_status FileStore::createFile(std::string_view key,
                                  const mlps_io &io,
                                  uint64_t reservation,
                                  std::shared_ptr<Object> &out,
                                  int &err) {
    auto object = std::make_shared<FileObject>(pathFor(key), reservation, openFds_);
    const int fd = openFile(object->path, true);
    if (fd < 0) {
        err = -fd;
        return statusFromErrno(err);
    }
    if (settings_.preallocate && io.object_size != 0) {
        // The announced size is allocated at once (and the file's size set): later writes are
        // overwrites, which the kernel does without the inode-size update that makes extending
        // O_DIRECT writes slow (on ext4 they go to io_uring's io-wq workers).
        if (::fallocate(fd, 0, 0, static_cast<off_t>(reservation)) != 0 && errno != EOPNOTSUPP &&
            errno != ENOSYS) {
            err = errno;
            ::close(fd);
            ::unlink(object->path.c_str());
            return statusFromErrno(err);
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

mlps_status FileStore::createExtents(uint64_t reservation, std::shared_ptr<Object> &out, int &err) {
    auto object = std::make_shared<ExtentObject>(*extents_, reservation);
    const mlps_status status = extents_->grow(*object, reservation, err);
    if (status == MLPS_OK) {
        out = std::move(object);
    }
    return status;
}

mlps_status
FileStore::prepareWrite(std::string_view key, const mlps_io &io, Target &target, int &err) {
    const uint64_t end = io.offset + io.length;
    Shard &shard = index_.shardFor(key);
    std::shared_ptr<Object> object;
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
    return leaseFile(object, target, err);
}

mlps_status
FileStore::prepareRead(std::string_view key, const mlps_io &io, Target &target, int &err) {
    Shard &shard = index_.shardFor(key);
    std::shared_ptr<Object> object;
    {
        std::lock_guard lock(shard.mutex);
        object = findLocked(shard, key);
        if (object == nullptr) {
            return MLPS_E_NOT_FOUND;
        }
        const uint64_t size = object->size.load(std::memory_order_acquire);
        if (io.offset > size || io.length > size - io.offset) {
            return MLPS_E_RANGE;
        }
        if (extents_) { // under the lock: a growing write on another queue changes the list
            leaseExtents(object, io.offset, io.length, target);
            return MLPS_OK;
        }
    }
    return leaseFile(object, target, err);
}

mlps_status FileStore::prepareSync(std::string_view key, Target &target, int &err) {
    Shard &shard = index_.shardFor(key);
    std::shared_ptr<Object> object;
    {
        std::lock_guard lock(shard.mutex);
        object = findLocked(shard, key);
        if (object == nullptr) {
            return MLPS_E_NOT_FOUND;
        }
    }
    if (extents_) { // an fdatasync of the data file: it holds every object
        target.object = std::move(object);
        target.fd = extents_->fd();
        return MLPS_OK;
    }
    return leaseFile(object, target, err);
}

mlps_status FileStore::remove(std::string_view key, Target &target, int &err) {
    Shard &shard = index_.shardFor(key);
    std::lock_guard lock(shard.mutex);
    if (findLocked(shard, key) == nullptr) {
        return MLPS_E_NOT_FOUND;
    }
    const auto it = shard.objects.find(key);
    std::shared_ptr<Object> object = std::move(it->second);
    shard.objects.erase(it);
    object->deleted = true;
    budget_.release(object->reserved.exchange(0, std::memory_order_relaxed));
    objects_.fetch_sub(1, std::memory_order_relaxed);
    target.object = std::move(object); // ops in flight on other queues hold it too
    if (extents_) {
        target.work = Work::Done; // the extents go back when the last op holding it is done
        return MLPS_OK;
    }
    // The key's name is given up here, under the lock, by a rename (directory metadata, like
    // the create a WRITE does in submit()): a WRITE that re-creates the key at once then gets a
    // new file, where it would otherwise truncate this one and later lose it to our unlink
    // (keys up to 100 bytes always map to the same name). The unlink, and the last close that
    // frees the blocks (tens to hundreds of ms for a large file on ext4), are the engine's,
    // off the submitting thread.
    const auto &file = static_cast<const FileObject &>(*target.object);
    std::string tombstone =
        tombstonePrefix_ + std::to_string(nextUnique_.fetch_add(1, std::memory_order_relaxed));
    if (::rename(file.path.c_str(), tombstone.c_str()) != 0) {
        if (errno == ENOENT) { // removed behind our back: nothing left to unlink
            target.work = Work::Done;
            return MLPS_OK;
        }
        err = errno;
        return statusFromErrno(err);
    }
    target.work = Work::Unlink;
    target.unlinkPath = std::move(tombstone);
    return MLPS_OK;
}

mlps_status FileStore::unlinkRemoved(const Target &target, int &err) noexcept {
    if (::unlink(target.unlinkPath.c_str()) != 0 && errno != ENOENT) {
        err = errno;
        return statusFromErrno(err);
    }
    return MLPS_OK;
}

mlps_status FileStore::syncAll(int &err) noexcept {
    if (::syncfs(dirFd_) != 0) {
        err = errno;
        return statusFromErrno(err);
    }
    return MLPS_OK;
}

void FileStore::wrote(Object &object, uint64_t end) noexcept {
    uint64_t size = object.size.load(std::memory_order_relaxed);
    while (end > size && !object.size.compare_exchange_weak(size, end, std::memory_order_release)) {
    }
}

} // namespace mlps::store
