/*
 * mlps host API, version 1.1: everything a plugin may ask of the runner. Plugins never link MPI,
 * HDF5, yaml-cpp or the core; they reach them through this table, which the core passes to
 * create() and which outlives the instance. Every function takes `host->ctx` first.
 *
 * A plugin built against a newer minor must check MLPS_HAS_FIELD(host, struct mlps_host_api,
 * fn) before calling a function this header appends later.
 */
#ifndef MLPS_HOST_API_H
#define MLPS_HOST_API_H

#include <mlps/benchmark_abi.h>
#include <mlps/plugin_abi.h>
#include <mlps/tier_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mlps_log_level {
    MLPS_LOG_ERROR = 0,
    MLPS_LOG_WARN = 1,
    MLPS_LOG_INFO = 2,
    MLPS_LOG_DEBUG = 3
};

enum mlps_reduce_op { MLPS_REDUCE_SUM = 1, MLPS_REDUCE_MIN = 2, MLPS_REDUCE_MAX = 3 };

enum mlps_metric_kind {
    /* Log-linear histogram of values (latencies in ns, sizes in bytes): mergeable exactly. */
    MLPS_METRIC_HISTOGRAM = 1,
    /* Monotonic sum (bytes, ops, errors); also sampled into the time series. */
    MLPS_METRIC_COUNTER = 2,
    /* ABI 1.1: a level such as active users or queue depth: `metric_record` sets the current
     * value (it does not add); the time series keeps the value at each interval's end; merged
     * across ranks as a sum. Read back, `sum` is the current value and `count` the number of
     * times it was set. */
    MLPS_METRIC_GAUGE = 3
};

typedef uint32_t mlps_metric_id;

/* A merged metric as read back for the report. Percentiles are exact to the histogram bucket
 * (relative error <= 1/128, see share/doc/histograms.md). For counters only `sum` is meaningful,
 * with `rate_per_s` = sum over the timed window. */
struct mlps_metric_summary {
    uint32_t struct_size;
    uint32_t kind;
    uint64_t count;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
    double mean;
    double p50, p90, p95, p99, p999, p9999;
    double rate_per_s;
};

/* A tier as the benchmark sees it: call ops directly on `self` (no host indirection). */
struct mlps_tier_ref {
    uint32_t struct_size;
    uint32_t index;   /* position in the spec's tiers list, 0 = fastest */
    const char *name; /* the spec's tier name */
    const char *plugin;
    void *self;
    const struct mlps_tier_ops *ops;
};

/* A tier as the spec declares it (available in --dry-run too). */
struct mlps_tier_spec {
    uint32_t struct_size;
    uint32_t index;
    const char *name;
    const char *plugin;
    uint64_t capacity_bytes; /* 0 = not given in the spec */
    uint64_t caps;           /* the plugin descriptor's caps */
};

struct mlps_run_info {
    uint32_t struct_size;
    uint32_t rank;
    uint32_t world_size;
    uint32_t reserved;
    uint64_t seed;
    uint64_t duration_ns; /* timed phase length; 0 = until the benchmark's work is done */
    uint64_t warmup_ns;
    uint64_t timed_start_ns; /* host clock; 0 until the timed phase starts */
    uint64_t timed_end_ns;   /* 0 until it ends */
    const char *run_id;
    const char *results_dir; /* this run's results folder; NULL in --dry-run */
};

struct mlps_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    void *ctx;

    /* Logging goes to stderr and run.log, prefixed with the plugin's name. */
    void (*log)(void *ctx, int32_t level, const char *message);
    /* Monotonic clock in nanoseconds, the one every timestamp of the run uses. */
    uint64_t (*now_ns)(void *ctx);
    mlps_status (*run_info)(void *ctx, struct mlps_run_info *out);

    /* Collectives over all ranks (a world of one without MPI). Every rank must call them in
     * the same order. */
    mlps_status (*barrier)(void *ctx);
    mlps_status (*allreduce_u64)(void *ctx, uint64_t *values, uint32_t n, int32_t op);

    /* Metrics, owned by the core. Register during create()/prepare(); record from any thread
     * (lock-free). Samples recorded outside the TIMED and DRAIN phases are discarded. `unit`
     * is free text that ends up in the results ("ns", "bytes"). Registering the same name
     * twice returns the same id. Two counter names fail the run (exit 1, status `failed`) when
     * their merged sum is non-zero: `errors` / `*.errors` (I/O errors) and `mismatched_bytes` /
     * `*.mismatched_bytes` (data read back that differs from what was written). */
    mlps_status (*metric_register)(
        void *ctx, const char *name, int32_t kind, const char *unit, mlps_metric_id *id);
    void (*metric_record)(void *ctx, mlps_metric_id id, uint64_t value);
    mlps_status (*metric_read)(void *ctx, mlps_metric_id id, struct mlps_metric_summary *out);

    /* Nonzero once the current phase's time is up or the user interrupted the run. */
    int32_t (*should_stop)(void *ctx);
    /* Optional detail for the live progress line: work done of total (total 0 = unknown). */
    void (*progress)(void *ctx, uint64_t done, uint64_t total, const char *text);

    /* The tiers of the spec, fastest first. */
    uint32_t (*tier_count)(void *ctx);
    mlps_status (*tier_get)(void *ctx, uint32_t index, struct mlps_tier_ref *out);
    mlps_status (*tier_spec)(void *ctx, uint32_t index, struct mlps_tier_spec *out);
    /* A buffer suited to tier `index` (its alignment, its pinned or device memory). */
    mlps_status (*buffer_alloc)(void *ctx, uint32_t index, uint64_t size, void **buf);
    void (*buffer_free)(void *ctx, uint32_t index, void *buf, uint64_t size);

    /* ---- since 1.1 ---- */
    /* The enum mlps_memory_kind of the buffers buffer_alloc(index) returns: MLPS_MEMORY_HOST
     * when the host allocates them itself, else what the tier's info.buffer_memory says. A
     * buffer of kind HOST or HOST_PINNED may be handed to any tier whose info.io_memory has
     * that kind's bit (every host-memory tier: MLPS_MEMORY_HOST_KINDS). */
    uint32_t (*buffer_memory)(void *ctx, uint32_t index);
};

#ifdef __cplusplus
}
#endif

#endif /* MLPS_HOST_API_H */
