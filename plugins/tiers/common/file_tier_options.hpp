// Option schema entries of the file object store (file_store.hpp), shared by the tiers built on
// it (posix-nvme, io_uring), so that the same option means and says the same in both
// `mlpsrun describe` outputs. Where a default or the engine's part differs, a function takes it.
#pragma once

#include <mlps/plugin_abi.h>

namespace mlps::posix {

inline constexpr mlps_option_spec kPathOption = {
    "path",
    MLPS_OPT_PATH,
    MLPS_OPT_F_REQUIRED,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    "An existing, writable directory. The tier creates its own folder "
    "mlps-<tier_name>-XXXXXX in it and removes it at the end unless keep: true."};

// The tiers differ only in the default: io_uring is made for O_DIRECT, posix-nvme is not.
constexpr mlps_option_spec directOption(const char *defaultValue) {
    return {"direct",
            MLPS_OPT_BOOL,
            0,
            defaultValue,
            nullptr,
            nullptr,
            nullptr,
            "Open files with O_DIRECT (bypass the page cache). Buffers, offsets and lengths must "
            "then be multiples of 4096 bytes; the file system must support O_DIRECT (tmpfs may "
            "not)."};
}

inline constexpr mlps_option_spec kFanoutOption = {
    "fanout",
    MLPS_OPT_INT,
    0,
    "256",
    "0",
    "65536",
    nullptr,
    "Number of sub-folders object files are hashed into, so no folder grows huge; 0 puts "
    "every file in the tier's folder."};

inline constexpr mlps_option_spec kSyncOption = {
    "sync",
    MLPS_OPT_ENUM,
    0,
    "none",
    nullptr,
    nullptr,
    "none|fdatasync|fsync",
    "Make every write durable before it completes: fdatasync or fsync after each write "
    "operation's data; none leaves it to the page cache (or to SYNC operations)."};

inline constexpr mlps_option_spec kPreallocateOption = {
    "preallocate",
    MLPS_OPT_BOOL,
    0,
    "true",
    nullptr,
    nullptr,
    nullptr,
    "files layout: allocate an object's announced size (object_size) with fallocate when it is "
    "created, so later writes do not extend the file; ignored where the file system cannot. "
    "(The extents layout always allocates an object's space at creation.)"};

inline constexpr mlps_option_spec kPersistentFolderOption = {
    "persistent_folder",
    MLPS_OPT_STRING,
    0,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    "Use the folder <path>/<persistent_folder> (made if missing) instead of a fresh "
    "mlps-<tier_name>-XXXXXX, and never remove it: objects written there outlive the run and "
    "a later run (or another rank on the same folder) finds them by key. For checkpoints "
    "loaded in a later invocation and training datasets. keep is then moot; needs the files "
    "layout (the default when this is set)."};

// `chunk_size`: `how` says how the engine runs an operation's chunks.
constexpr mlps_option_spec chunkSizeOption(const char *how) {
    return {"chunk_size", MLPS_OPT_SIZE, 0, "1MiB", "4KiB", "1GiB", nullptr, how};
}

#define MLPS_LAYOUT_HELP                                                                           \
    "files: one file per object (objects visible as files, space given back to the file system "   \
    "on DELETE). extents: every object in one data file of the tier's folder, as 4KiB-aligned "    \
    "extents from an in-memory allocator (space reused after DELETE; the file grows in "           \
    "fallocated steps up to the capacity); object creation and deletion cost no file system "      \
    "metadata."

// `layout` defaulting to extents, except with persistent_folder (both engines). No schema default:
// the runner fills schema defaults in, and the store must see whether the spec chose one.
inline constexpr mlps_option_spec kLayoutExtentsUnlessPersistent = {
    "layout",
    MLPS_OPT_ENUM,
    0,
    nullptr,
    nullptr,
    nullptr,
    "files|extents",
    MLPS_LAYOUT_HELP " Default: extents, or files when persistent_folder is set."};

#undef MLPS_LAYOUT_HELP

} // namespace mlps::posix
