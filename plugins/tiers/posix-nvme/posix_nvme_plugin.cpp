// The posix-nvme tier plugin: its option schema, descriptor and the exported manifest.
#include <mlps/tier.hpp>

#include "posix_tier.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    {"path",
     MLPS_OPT_PATH,
     MLPS_OPT_F_REQUIRED,
     nullptr,
     nullptr,
     nullptr,
     nullptr,
     "An existing, writable directory. The tier creates its own folder "
     "mlps-<tier_name>-XXXXXX in it and removes it at the end unless keep: true."},
    {"direct",
     MLPS_OPT_BOOL,
     0,
     "false",
     nullptr,
     nullptr,
     nullptr,
     "Open files with O_DIRECT (bypass the page cache). Buffers, offsets and lengths must then "
     "be multiples of 4096 bytes; the file system must support O_DIRECT (tmpfs may not)."},
    {"sync",
     MLPS_OPT_ENUM,
     0,
     "none",
     nullptr,
     nullptr,
     "none|fdatasync|fsync",
     "Make every write durable before it completes: fdatasync or fsync after each write "
     "operation; none leaves it to the page cache (or to SYNC operations)."},
    {"fanout",
     MLPS_OPT_INT,
     0,
     "256",
     "0",
     "65536",
     nullptr,
     "Number of sub-folders object files are hashed into, so no folder grows huge; 0 puts "
     "every file in the tier's folder."},
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::tierDescriptor<mlps::posix::PosixTier>(
    "posix-nvme",
    "1.0.0",
    "Objects as files under a directory (pread/pwrite, optional O_DIRECT)",
    kOptions,
    MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT | MLPS_TIER_CAP_DIRECT_IO |
        MLPS_TIER_CAP_ALIGNED_BUFFERS);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
