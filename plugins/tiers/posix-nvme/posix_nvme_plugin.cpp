// The posix-nvme tier plugin: its option schema, descriptor and the exported manifest.
#include <mlps/tier.hpp>

#include "file_tier_options.hpp"
#include "posix_queue.hpp" // the queue type StoreTier::openQueue makes
#include "posix_tier.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    mlps::posix::kPathOption,
    mlps::posix::directOption("false"),
    mlps::posix::kSyncOption,
    mlps::posix::kFanoutOption,
    mlps::posix::kPersistentFolderOption,
    {"threads",
     MLPS_OPT_INT,
     0,
     "4",
     "1",
     "1024",
     nullptr,
     "Worker threads per queue that run the reads and writes (capped at the queue depth). "
     "submit() does the metadata (lookup, create, capacity) and returns at once; the workers "
     "move the data, so up to min(threads, queue_depth) chunks are in flight per queue."},
    mlps::posix::chunkSizeOption(
        "Operations larger than this are split into chunks of this size, run in parallel by the "
        "queue's workers; the operation completes when all its chunks did (first error wins)."),
    mlps::posix::kPreallocateOption,
    mlps::posix::kLayoutExtentsUnlessPersistent,
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::tierDescriptor<mlps::posix::PosixTier>(
    "posix-nvme",
    "1.0.0",
    "Objects as files (or extents of one file) under a directory, pread/pwrite by a thread "
    "pool (optional O_DIRECT)",
    kOptions,
    MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT | MLPS_TIER_CAP_ASYNC |
        MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS | MLPS_TIER_CAP_BUFFER_ALLOC);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
