// The cuda tier plugin: its option schema, descriptor and the exported manifest. Nothing here
// touches CUDA: the runtime is loaded when a tier is created, so `describe cuda` works anywhere.
#include <mlps/tier.hpp>

#include "cuda_tier.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    {"device",
     MLPS_OPT_INT,
     0,
     "0",
     "0",
     "1023",
     nullptr,
     "Index of the CUDA device that holds the objects, among the visible ones "
     "(CUDA_VISIBLE_DEVICES applies)."},
    {"runtime_library",
     MLPS_OPT_PATH,
     0,
     nullptr,
     nullptr,
     nullptr,
     nullptr,
     "The CUDA runtime to load (a path or a soname). Unset: $MLPS_CUDA_RUNTIME, else "
     "libcudart.so.13, .12, .11.0, libcudart.so, as the dynamic loader finds them."},
    {"chunk_size",
     MLPS_OPT_SIZE,
     0,
     "8MiB",
     "4KiB",
     "1GiB",
     nullptr,
     "Operations larger than this are split into copies of this size, spread over the queue's "
     "streams and kept in flight together (up to queue_depth)."},
    {"queue_depth",
     MLPS_OPT_INT,
     0,
     "32",
     "1",
     "4096",
     nullptr,
     "Copies (chunks) each queue keeps in flight on the device at once; one CUDA event each."},
    {"streams",
     MLPS_OPT_INT,
     0,
     "2",
     "1",
     "64",
     nullptr,
     "CUDA streams per queue; chunks go to them in turn."},
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::tierDescriptor<mlps::cuda::CudaTier>(
    "cuda",
    "1.0.0",
    "Objects in GPU memory (a device pool; capacity unset = 80% of the free device memory), "
    "copied from and to pinned host buffers on CUDA streams. Needs the CUDA runtime and a device "
    "when created, not to load. Not yet: device (GPU-to-GPU) buffers, several devices per tier",
    kOptions,
    MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_ASYNC | MLPS_TIER_CAP_DEVICE_MEMORY |
        MLPS_TIER_CAP_BUFFER_ALLOC);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
