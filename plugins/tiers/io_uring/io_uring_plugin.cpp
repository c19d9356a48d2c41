// The io_uring tier plugin: its option schema, descriptor and the exported manifest.
#include <mlps/tier.hpp>

#include "file_tier_options.hpp"
#include "uring_queue.hpp" // the queue type StoreTier::openQueue makes
#include "uring_tier.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    mlps::posix::kPathOption,
    mlps::posix::directOption("true"),
    {"queue_depth",
     MLPS_OPT_INT,
     0,
     "128",
     "1",
     "4096",
     nullptr,
     "Entries of each queue's ring: the most chunks one queue keeps in the kernel at once "
     "(the kernel rounds up to a power of two)."},
    mlps::posix::chunkSizeOption("Operations larger than this are split into chunks of this "
                                 "size, all kept in flight together (up to queue_depth)."),
    {"sqpoll",
     MLPS_OPT_BOOL,
     0,
     "false",
     nullptr,
     nullptr,
     nullptr,
     "A kernel thread polls each ring's submission queue (IORING_SETUP_SQPOLL): fewer system "
     "calls, one more busy CPU per queue while I/O flows."},
    mlps::posix::kPreallocateOption,
    mlps::posix::kSyncOption,
    mlps::posix::kFanoutOption,
    mlps::posix::kLayoutExtentsUnlessPersistent,
    mlps::posix::kPersistentFolderOption,
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::tierDescriptor<mlps::uring::UringTier>(
    "io_uring",
    "1.0.0",
    "Objects as files (or extents of one file) under a directory, asynchronous I/O through "
    "io_uring (O_DIRECT default)",
    kOptions,
    MLPS_TIER_CAP_ASYNC | MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT |
        MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS | MLPS_TIER_CAP_BUFFER_ALLOC);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
