// The posix-nvme tier plugin: its option schema, descriptor and the exported manifest.
#include <mlps/tier.hpp>

#include "file_tier_options.hpp"
#include "posix_tier.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    mlps::posix::kPathOption,
    mlps::posix::directOption("false"),
    {"sync",
     MLPS_OPT_ENUM,
     0,
     "none",
     nullptr,
     nullptr,
     "none|fdatasync|fsync",
     "Make every write durable before it completes: fdatasync or fsync after each write "
     "operation; none leaves it to the page cache (or to SYNC operations)."},
    mlps::posix::kFanoutOption,
    {"persistent_folder",
     MLPS_OPT_STRING,
     0,
     nullptr,
     nullptr,
     nullptr,
     nullptr,
     "Use the folder <path>/<persistent_folder> (made if missing) instead of a fresh "
     "mlps-<tier_name>-XXXXXX, and never remove it: objects written there outlive the run and "
     "a later run (or another rank on the same folder) finds them by key. For checkpoints "
     "loaded in a later invocation and training datasets. keep is then moot."},
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
    {"chunk_size",
     MLPS_OPT_SIZE,
     0,
     "1MiB",
     "4KiB",
     "1GiB",
     nullptr,
     "Operations larger than this are split into chunks of this size, run in parallel by the "
     "queue's workers; the operation completes when all its chunks did (first error wins)."},
    {"preallocate",
     MLPS_OPT_BOOL,
     0,
     "true",
     nullptr,
     nullptr,
     nullptr,
     "Allocate an object's announced size (object_size) with fallocate when it is created, so "
     "later writes do not extend the file."},
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::tierDescriptor<mlps::posix::PosixTier>(
    "posix-nvme",
    "1.0.0",
    "Objects as files under a directory (pread/pwrite by a thread pool, optional O_DIRECT)",
    kOptions,
    MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT | MLPS_TIER_CAP_ASYNC |
        MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS | MLPS_TIER_CAP_BUFFER_ALLOC);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
