// The tierbench benchmark plugin: its option schema, descriptor and the exported manifest.
#include <mlps/benchmark.hpp>

#include "tierbench.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    {"tier",
     MLPS_OPT_STRING,
     0,
     nullptr,
     nullptr,
     nullptr,
     nullptr,
     "Name of the spec's tier to measure. Unset: the first tier."},
    {"mode",
     MLPS_OPT_ENUM,
     0,
     "mixed",
     nullptr,
     nullptr,
     "write|read|mixed",
     "write: only writes; read: only reads; mixed: each op is a read with probability "
     "read_fraction, else a write."},
    {"read_fraction", MLPS_OPT_FLOAT, 0, "0.7", "0", "1", nullptr, "Share of reads in mixed mode."},
    {"pattern",
     MLPS_OPT_ENUM,
     0,
     "sequential",
     nullptr,
     nullptr,
     "sequential|random",
     "sequential: each thread walks its objects slice by slice; random: a random object of the "
     "thread's and a random io_size-aligned offset for every op."},
    {"object_size", MLPS_OPT_SIZE, 0, "16MiB", "4KiB", "1TiB", nullptr, "Size of each object."},
    {"io_size",
     MLPS_OPT_SIZE,
     0,
     "1MiB",
     "1",
     "1GiB",
     nullptr,
     "Bytes per operation; must divide object_size (and be a multiple of the tier's alignment, "
     "4KiB for O_DIRECT)."},
    {"objects",
     MLPS_OPT_INT,
     0,
     "8",
     "1",
     "16777216",
     nullptr,
     "Number of objects; object i belongs to thread i % threads, so no two threads share one."},
    {"threads", MLPS_OPT_INT, 0, "1", "1", "256", nullptr, "Worker threads, one tier queue each."},
    {"queue_depth",
     MLPS_OPT_INT,
     0,
     "4",
     "1",
     "1024",
     nullptr,
     "Operations each thread keeps in flight."},
    {"total_bytes",
     MLPS_OPT_SIZE,
     0,
     nullptr,
     "1",
     nullptr,
     nullptr,
     "Stop a phase after this many bytes (rounded up to whole io_size ops, split evenly over "
     "the threads); the phase's duration still caps it. Unset: run for the phase's duration."},
    {"verify",
     MLPS_OPT_BOOL,
     0,
     "false",
     nullptr,
     nullptr,
     nullptr,
     "Check every byte read against the content written (a function of seed, object and "
     "offset); counts verify.checked_bytes and verify.mismatched_bytes."},
    {"precondition",
     MLPS_OPT_BOOL,
     0,
     "true",
     nullptr,
     nullptr,
     nullptr,
     "In read and mixed modes, write every object once in prepare() (not timed) so that reads "
     "find data."},
};

constexpr mlps_plugin_descriptor kDescriptor =
    mlps::benchmarkDescriptor<mlps::tierbench::Tierbench>(
        "tierbench",
        "1.0.0",
        "fio-like micro-benchmark of one tier: write/read/mixed, sequential/random, verify",
        kOptions);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
