// The dram tier plugin: its option schema, descriptor and the exported manifest.
#include <mlps/tier.hpp>

#include "dram_tier.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    {"emulate.bandwidth",
     MLPS_OPT_BANDWIDTH,
     0,
     nullptr,
     nullptr,
     nullptr,
     nullptr,
     "Emulate a device link of this bandwidth, shared by all queues of the tier: each "
     "transfer occupies the link for bytes/bandwidth. Unset: no bandwidth limit."},
    {"emulate.latency",
     MLPS_OPT_DURATION,
     0,
     "0s",
     "0s",
     "3600s",
     nullptr,
     "Emulated device latency added to every operation after its transfer; 0 = none. With "
     "neither emulate option set, operations complete inside submit()."},
    {"prefault",
     MLPS_OPT_BOOL,
     0,
     "false",
     nullptr,
     nullptr,
     nullptr,
     "Map and touch the whole capacity when the tier is created (not timed), so that the run "
     "measures copies, not the kernel zeroing pages a new object touches first. Commits "
     "`capacity` bytes of memory at once: set a capacity."},
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::tierDescriptor<mlps::dram::DramTier>(
    "dram",
    "1.0.0",
    "Objects in host memory, with optional bandwidth/latency device emulation",
    kOptions,
    MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_ASYNC);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
