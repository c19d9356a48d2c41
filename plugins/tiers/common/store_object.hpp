// What the file object store (file_store.hpp) keeps per object, and what an accepted op hands
// to an I/O engine: the object, a descriptor and, in the extents layout, where the op's bytes
// lie in the data file.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "extent_allocator.hpp"

namespace mlps::store {

using tiers::Extent;

// What both layouts keep per object: its capacity reservation and its written size. Ops in
// flight hold a shared_ptr, so a DELETE on another queue drops the object from the index while
// they still use its storage (an unlinked file's descriptor, or extents not yet given back).
struct Object {
    explicit Object(uint64_t reservation) : reserved(reservation) {}
    virtual ~Object() = default;
    Object(const Object &) = delete;
    Object &operator=(const Object &) = delete;

    std::atomic<uint64_t> reserved; // changed only under the shard's mutex
    bool deleted = false;           // guarded by the shard's mutex
    std::atomic<uint64_t> size{0};  // highest byte written by a completed write
};

// An object of the `files` layout: one file. Its descriptor stays open while the object lives
// (within the store's descriptor budget); the last reference closes it, which is when the
// kernel frees the blocks of a deleted file.
struct FileObject final : Object {
    FileObject(std::string filePath, uint64_t reservation, std::atomic<int> &fdCount)
        : Object(reservation), path(std::move(filePath)), openFds(fdCount) {}
    ~FileObject() override;

    const std::string path;
    int fd = -1; // -1: over the descriptor budget, each op opens the file itself
    std::atomic<int> &openFds;
};

// What is left of an accepted op once the store has done its metadata part in submit().
enum class Work : uint8_t {
    Done,       // nothing: complete it with MLPS_OK (a DELETE in the extents layout)
    Data,       // READ or WRITE: move io.length bytes (possibly 0) through `fd`
    SyncObject, // SYNC of a key: fdatasync `fd`
    SyncAll,    // SYNC without a key: FileStore::syncAll
    Unlink,     // DELETE in the files layout: unlink `unlinkPath` (FileStore::unlinkRemoved)
};

// Move-only; a descriptor opened for this op alone is closed when the target goes.
struct Target {
    Work work = Work::Done;
    std::shared_ptr<Object> object;
    int fd = -1;
    bool ownedFd = false;
    // Empty: file offset = object offset (files layout). Otherwise the file ranges holding the
    // op's bytes, in order (extents layout); no transfer crosses from one to the next.
    std::vector<Extent> extents;
    std::string unlinkPath; // Work::Unlink: the deleted object's file, under its tombstone name

    Target() = default;
    Target(Target &&other) noexcept { *this = std::move(other); }
    Target &operator=(Target &&other) noexcept;
    Target(const Target &) = delete;
    Target &operator=(const Target &) = delete;
    ~Target();
};

} // namespace mlps::store
