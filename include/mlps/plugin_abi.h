/*
 * mlps plugin ABI, version 1.1: the manifest, plugin descriptors, status codes, errors and the
 * option schema. Plain C99 so that a plugin can be written in C, C++ or anything with a C FFI.
 *
 * Versioning rules (the loader enforces them):
 *  - MLPS_ABI_MAJOR must match exactly; the loader refuses any other major, naming both.
 *  - Minor versions only append fields to the end of structs and ops to the end of tables.
 *    Every struct that may grow starts with `struct_size`; a reader touches a field only if
 *    `struct_size` covers it (MLPS_HAS_FIELD) and, for function pointers, it is non-NULL.
 *    Older and newer minors therefore both load.
 *  - Nothing allocated by one side is freed by the other; no C++ types or exceptions cross.
 *    Strings passed in calls stay valid for that call; descriptor strings for the lifetime
 *    of the loaded object (they are static data).
 */
#ifndef MLPS_PLUGIN_ABI_H
#define MLPS_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLPS_ABI_MAJOR 1
#define MLPS_ABI_MINOR 1

/* The one symbol a plugin exports. */
#define MLPS_PLUGIN_ENTRY_NAME "mlps_plugin_entry"

#if defined(__GNUC__)
#define MLPS_EXPORT __attribute__((visibility("default")))
#else
#define MLPS_EXPORT
#endif

/* True when a struct that announces its own size contains `field`. */
#define MLPS_HAS_FIELD(ptr, type, field)                                                           \
    ((ptr) != NULL && (ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ---- status codes ------------------------------------------------------------------------- */

typedef int32_t mlps_status;

#define MLPS_OK 0
#define MLPS_IN_PROGRESS 1 /* not an error: the operation continues */
#define MLPS_BUSY 2        /* not an error: queue full, poll and resubmit */

#define MLPS_E_GENERIC (-1)
#define MLPS_E_INVALID (-2)       /* bad argument or option */
#define MLPS_E_NOT_SUPPORTED (-3) /* optional operation not implemented */
#define MLPS_E_NOT_FOUND (-4)     /* no such object/key */
#define MLPS_E_NO_SPACE (-5)      /* tier capacity or device space exhausted */
#define MLPS_E_IO (-6)            /* the device reported an error; see sys_errno */
#define MLPS_E_RANGE (-7)         /* byte range outside the object */
#define MLPS_E_NO_MEMORY (-8)
#define MLPS_E_STOPPED (-9) /* the run was asked to stop */
#define MLPS_E_TIMEOUT (-10)

#define MLPS_ERROR_MESSAGE_SIZE 512

/* Filled by a plugin when a call fails; the buffer lives in the caller. */
struct mlps_error {
    mlps_status code;
    int32_t sys_errno; /* errno behind the failure, or 0 */
    char message[MLPS_ERROR_MESSAGE_SIZE];
};

/* ---- option schema ------------------------------------------------------------------------ */

enum mlps_option_type {
    MLPS_OPT_BOOL = 1,
    MLPS_OPT_INT = 2,       /* 64-bit signed integer */
    MLPS_OPT_FLOAT = 3,     /* double */
    MLPS_OPT_SIZE = 4,      /* bytes; "64KiB", "1.5GB", "4096" */
    MLPS_OPT_DURATION = 5,  /* nanoseconds; "30s", "500ms", "2m", "10us" */
    MLPS_OPT_BANDWIDTH = 6, /* bytes per second; "64GB/s", "1.5GiB/s" */
    MLPS_OPT_STRING = 7,
    MLPS_OPT_ENUM = 8, /* one of `choices` */
    MLPS_OPT_PATH = 9, /* a string; {rank} {host} {run_id} {tmpdir} expanded */
    MLPS_OPT_JSON = 10 /* any YAML subtree, handed over as JSON text */
};

#define MLPS_OPT_F_REQUIRED 0x1u /* no default: the spec must set it */

/*
 * One option a plugin accepts. Nested spec keys use dotted names ("emulate.bandwidth" is
 * `emulate: {bandwidth: ...}` in YAML). Defaults and bounds are text in the option's own
 * units so that `mlpsrun describe` prints exactly what the author wrote and the core parses
 * them with the same rules as the spec. NULL default_value means "unset" (the plugin decides;
 * with MLPS_OPT_F_REQUIRED the spec must give it).
 *
 * The array's element size is announced in the descriptor (option_struct_size), so a later
 * minor may append fields here too.
 */
struct mlps_option_spec {
    const char *name;
    uint32_t type;  /* enum mlps_option_type */
    uint32_t flags; /* MLPS_OPT_F_* */
    const char *default_value;
    const char *min_value; /* inclusive, NULL = unbounded */
    const char *max_value; /* inclusive, NULL = unbounded */
    const char *choices;   /* MLPS_OPT_ENUM: "read|write|mixed" */
    const char *help;
};

/* ---- resolved options handed to create() -------------------------------------------------- */

/* One resolved option value. Every option of the schema is present (is_set says whether the
 * spec or a default gave it); the value is already validated against type and bounds. */
struct mlps_option_value {
    const char *name;
    uint32_t type;   /* enum mlps_option_type */
    uint32_t is_set; /* 0: no default and not in the spec */
    union {
        int32_t b;     /* BOOL */
        int64_t i;     /* INT */
        double f;      /* FLOAT */
        uint64_t u;    /* SIZE (bytes), DURATION (ns), BANDWIDTH (bytes/s) */
        const char *s; /* STRING, ENUM, PATH, JSON */
    } v;
};

/*
 * The options of one plugin instance, as a typed array and as one JSON object (the same data;
 * pick whichever suits). Tiers always also receive the common tier keys `capacity` (SIZE, 0 =
 * the tier decides) and `keep` (BOOL), and `tier_name` (STRING, the spec's name).
 */
struct mlps_config {
    uint32_t struct_size;
    uint32_t n_values;
    const struct mlps_option_value *values;
    const char *json;
};

/* ---- descriptors and manifest ------------------------------------------------------------- */

enum mlps_plugin_kind { MLPS_KIND_BENCHMARK = 1, MLPS_KIND_TIER = 2 };

struct mlps_host_api; /* host_api.h */

struct mlps_plugin_descriptor {
    uint32_t struct_size;
    uint32_t kind;       /* enum mlps_plugin_kind */
    const char *name;    /* the id used in specs: [a-z0-9][a-z0-9_-]*, at most 63 chars */
    const char *version; /* the plugin's own version, free text ("1.2.0") */
    const char *summary; /* one line */
    const struct mlps_option_spec *options;
    uint32_t n_options;
    uint32_t option_struct_size; /* sizeof(struct mlps_option_spec) the plugin was built with */
    uint64_t caps;               /* MLPS_TIER_CAP_* for tiers; 0 for benchmarks */

    /* Create one instance. `host` and `config` outlive the instance. On failure return a
     * negative status and fill `err`; *self is then ignored. */
    mlps_status (*create)(const struct mlps_host_api *host,
                          const struct mlps_config *config,
                          void **self,
                          struct mlps_error *err);
    void (*destroy)(void *self);

    /* struct mlps_tier_ops* or struct mlps_benchmark_ops*, by kind. */
    const void *ops;

    /* ---- since 1.1 (read only when MLPS_HAS_FIELD says the descriptor has it) ---- */

    /* Optional: check options the schema cannot express (a choice that depends on another
     * option, a path that must exist, a model name) WITHOUT creating anything: no files, no
     * memory beyond the call, no device handles. The core calls it in `validate`, `--dry-run`
     * and before create() in `run`, so a bad spec fails with exit 2 before any results folder
     * or tier exists. `host` answers run_info, tier_count and tier_spec (tier_get, buffers and
     * metrics are not available). On a problem return MLPS_E_INVALID and fill `err`; start the
     * message with the option's dotted name and ": " ("io_size: must divide object_size") and
     * the core reports the spec's file:line:col of that key. NULL: the schema check is all. */
    mlps_status (*validate)(const struct mlps_host_api *host,
                            const struct mlps_config *config,
                            struct mlps_error *err);
};

struct mlps_plugin_manifest {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t n_plugins;
    const struct mlps_plugin_descriptor *const *plugins;
};

/* Returns static constant data; must have no side effects. */
typedef const struct mlps_plugin_manifest *(*mlps_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* MLPS_PLUGIN_ABI_H */
