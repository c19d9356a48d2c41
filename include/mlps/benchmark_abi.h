/*
 * mlps benchmark ABI, version 1: what work is simulated. A benchmark drives I/O only through
 * the tier handles the host gives it (mlps_host_api.tier_get) and records every sample through
 * the host's metrics API, so that the core merges them across threads and ranks exactly.
 */
#ifndef MLPS_BENCHMARK_ABI_H
#define MLPS_BENCHMARK_ABI_H

#include <mlps/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mlps_phase {
    MLPS_PHASE_PREPARE = 1, /* preconditioning, data generation: not timed, not recorded */
    MLPS_PHASE_WARMUP = 2,  /* load runs, samples are discarded */
    MLPS_PHASE_TIMED = 3,   /* the measured window */
    MLPS_PHASE_DRAIN = 4,   /* in-flight work completes; samples still count */
    MLPS_PHASE_TEARDOWN = 5
};

/* Where a plugin writes text the host keeps (a JSON fragment, a plan). May be called several
 * times; the pieces are concatenated. */
struct mlps_text_sink {
    void *ctx;
    void (*write)(void *ctx, const char *data, size_t len);
};

struct mlps_benchmark_ops {
    uint32_t struct_size;

    /* Optional: create files, precondition tiers. Runs before any timing. */
    mlps_status (*prepare)(void *self, struct mlps_error *err);
    /* Required: do the work of `phase` (WARMUP or TIMED) until host->should_stop() or until the
     * benchmark's own amount of work is done, then return with nothing left in flight. */
    mlps_status (*run)(void *self, uint32_t phase, struct mlps_error *err);
    /* Required: write one JSON object with the benchmark's results. Merged metrics are read
     * with host->metric_read(). */
    mlps_status (*report)(void *self, const struct mlps_text_sink *out, struct mlps_error *err);
    /* Optional, static (no instance): for --dry-run, write a JSON object describing what a run
     * of these options would do (bytes, objects, memory, files). Tier infos are available
     * through host->tier_spec(); host->tier_get() is not. */
    mlps_status (*plan)(const struct mlps_host_api *host,
                        const struct mlps_config *config,
                        const struct mlps_text_sink *out,
                        struct mlps_error *err);
};

#ifdef __cplusplus
}
#endif

#endif /* MLPS_BENCHMARK_ABI_H */
