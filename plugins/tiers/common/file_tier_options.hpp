// Option schema entries shared by the file-backed tiers (posix-nvme, io_uring), so that the
// same option means and says the same in both `mlpsrun describe` outputs.
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

} // namespace mlps::posix
