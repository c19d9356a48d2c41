// The checkpoint benchmark plugin: its option schema, descriptor and the exported manifest.
#include <mlps/benchmark.hpp>

#include "checkpoint.hpp"

namespace {

constexpr mlps_option_spec kOptions[] = {
    {"tier",
     MLPS_OPT_STRING,
     0,
     nullptr,
     nullptr,
     nullptr,
     nullptr,
     "Name of the spec's tier to save to and load from. Unset: the first tier."},
    {"model",
     MLPS_OPT_ENUM,
     0,
     "llama3-8b",
     nullptr,
     nullptr,
     "llama3-8b|llama3-70b|llama3-405b|llama3-1t",
     "The MLPerf Storage checkpoint workload: its model and optimizer sizes (GB = 1e9 bytes), "
     "TP x PP, ZeRO stage and CLOSED process count come from the reference table."},
    {"mode",
     MLPS_OPT_ENUM,
     0,
     "auto",
     nullptr,
     nullptr,
     "auto|default|subset",
     "default: the job's ranks hold the whole checkpoint (ranks a multiple of TP x PP); subset: "
     "rank r writes what rank r of the model's CLOSED layout writes (a part of the checkpoint); "
     "auto: subset when the job has fewer ranks than the CLOSED count."},
    {"checkpoint_size",
     MLPS_OPT_SIZE,
     0,
     nullptr,
     "1MiB",
     nullptr,
     nullptr,
     "Size of the whole checkpoint instead of the model table's, split in the model's model : "
     "optimizer ratio and over ranks by the same rules (for small runs and tests)."},
    {"processes",
     MLPS_OPT_INT,
     0,
     "0",
     "0",
     "1048576",
     nullptr,
     "Rank count to size for in --dry-run (e.g. 512 for llama3-405b); a run needs 0 or the "
     "job's rank count."},
    {"num_checkpoints_write",
     MLPS_OPT_INT,
     0,
     "10",
     "0",
     "100000",
     nullptr,
     "Saves: checkpoint i goes to <folder>/step<i>/. 0: only load what an earlier run saved."},
    {"num_checkpoints_read",
     MLPS_OPT_INT,
     0,
     "10",
     "0",
     "100000",
     nullptr,
     "Loads of steps 1..n after the saves. Steps this run does not save must have been saved "
     "by an earlier run of as many ranks (checked before anything is timed)."},
    {"time_between_checkpoints",
     MLPS_OPT_DURATION,
     0,
     "5s",
     "0s",
     "1h",
     nullptr,
     "Pause between two saves (and two loads), as DLIO's sleep; not part of any duration."},
    {"fsync",
     MLPS_OPT_BOOL,
     0,
     "true",
     nullptr,
     nullptr,
     nullptr,
     "Make each file durable (a SYNC of it) before the save counts as done; the rules require "
     "it."},
    {"folder",
     MLPS_OPT_STRING,
     0,
     "checkpoint",
     nullptr,
     nullptr,
     nullptr,
     "Key prefix of the checkpoint in the tier: files are <folder>/step<i>/<shard file>."},
    {"io_size",
     MLPS_OPT_SIZE,
     0,
     "4MiB",
     "4KiB",
     "1GiB",
     nullptr,
     "Bytes per write or read operation (a multiple of the tier's alignment)."},
    {"queue_depth",
     MLPS_OPT_INT,
     0,
     "8",
     "1",
     "1024",
     nullptr,
     "Operations each rank keeps in flight."},
    {"recovery_rank_shift",
     MLPS_OPT_INT,
     0,
     "0",
     "0",
     "1048576",
     nullptr,
     "Loads read the shards of rank (r + shift) mod ranks, as a job restarted on other nodes "
     "would (0: each rank its own)."},
    {"drop_page_cache",
     MLPS_OPT_BOOL,
     0,
     "false",
     nullptr,
     nullptr,
     nullptr,
     "Before the loads, sync and drop the page cache (/proc/sys/vm/drop_caches, needs root); "
     "the report says whether it worked."},
    {"cleanup",
     MLPS_OPT_ENUM,
     0,
     "auto",
     nullptr,
     nullptr,
     "auto|always|never",
     "auto: delete the steps this run saved, unless it saved without loading (a later run "
     "loads them); always: also delete the steps it loaded; never: leave everything."},
};

constexpr mlps_plugin_descriptor kDescriptor =
    mlps::benchmarkDescriptor<mlps::checkpoint::Checkpoint>(
        "checkpoint",
        "0.1.0",
        "LLM checkpoint saves and loads as MLPerf Storage's checkpointing workload. Minimal "
        "version, it leaves out: one file per layer for ZeRO-1 models (it writes one model file "
        "per pipeline stage and tensor slice, same bytes), torch file contents (random bytes, "
        "not verified on load), the submission rules (CLOSED process counts, ranks per host, "
        "accelerator memory, when to drop caches), and a capacity check over all ranks of "
        "shared storage (each rank checks its own tier instance).",
        kOptions);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
