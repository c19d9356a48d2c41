/*
 * mlps tier ABI, version 1.1: a tier is an object store of bytes addressed by key.
 *
 * Submission is asynchronous, modelled on fio's queue/getevents and NIXL's post/check:
 * a benchmark thread opens a *queue* on a tier instance, submits operations to it and polls
 * the same queue for completions. A queue is used by one thread at a time; the tier instance
 * itself (and so open_queue/close_queue/info) is thread-safe, and any number of queues may run
 * at once. A synchronous tier performs the operation inside submit() and hands the completion
 * back at the next poll(). An I/O error is data: a completion with a negative status and the
 * errno, never a failed submit().
 */
#ifndef MLPS_TIER_ABI_H
#define MLPS_TIER_ABI_H

#include <mlps/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Capability bits (descriptor->caps: what the plugin can do; info.caps: what this instance
 * does with its options). */
#define MLPS_TIER_CAP_ASYNC (1ull << 0)           /* ops complete in the background */
#define MLPS_TIER_CAP_DIRECT_IO (1ull << 1)       /* bypasses the page cache (O_DIRECT) */
#define MLPS_TIER_CAP_DEVICE_MEMORY (1ull << 2)   /* bytes live in accelerator memory */
#define MLPS_TIER_CAP_PERSISTENT (1ull << 3)      /* bytes survive the process */
#define MLPS_TIER_CAP_ALIGNED_BUFFERS (1ull << 4) /* buffers/offsets/lengths must be aligned */
#define MLPS_TIER_CAP_BYTE_RANGE (1ull << 5)      /* reads and writes at an offset */
#define MLPS_TIER_CAP_BUFFER_ALLOC (1ull << 6)    /* ops->buffer_alloc gives better buffers */

enum mlps_io_opcode {
    MLPS_IO_WRITE = 1,  /* write [offset, offset+length) of `key`; creates the object */
    MLPS_IO_READ = 2,   /* read [offset, offset+length) of `key` into buf */
    MLPS_IO_DELETE = 3, /* remove `key`; its capacity is freed */
    MLPS_IO_SYNC = 4    /* make completed writes of `key` durable (key NULL: the whole tier) */
};

/*
 * One operation. The key bytes and the buffer must stay valid until the completion is polled.
 * For a WRITE that creates an object, object_size announces its final size so the tier can
 * reserve capacity once (0 = offset + length). Writing past the end of an existing object
 * grows it. Reading past the end fails with MLPS_E_RANGE.
 */
struct mlps_io {
    uint32_t opcode; /* enum mlps_io_opcode */
    uint32_t flags;  /* reserved, 0 */
    const char *key;
    uint32_t key_len;
    uint32_t reserved;
    void *buf;
    uint64_t offset;
    uint64_t length;
    uint64_t object_size;
    uint64_t user_data; /* returned in the completion */
};

struct mlps_completion {
    uint64_t user_data;
    mlps_status status; /* MLPS_OK or a negative MLPS_E_* */
    int32_t sys_errno;
    uint64_t bytes; /* bytes transferred */
};

/* Kinds of memory a buffer may be (since 1.1). A benchmark learns the kind of the buffers it
 * gets with host->buffer_memory(); a tier says which kinds its ops accept in info.io_memory. */
enum mlps_memory_kind {
    MLPS_MEMORY_HOST = 1,        /* ordinary (pageable) host memory */
    MLPS_MEMORY_HOST_PINNED = 2, /* page-locked host memory: any CPU code may use it as HOST */
    MLPS_MEMORY_DEVICE = 3       /* accelerator memory: the CPU must not touch it */
};
#define MLPS_MEMORY_BIT(kind) (1u << (kind))
/* What every host-memory tier accepts: host memory, pinned or not. */
#define MLPS_MEMORY_HOST_KINDS                                                                     \
    (MLPS_MEMORY_BIT(MLPS_MEMORY_HOST) | MLPS_MEMORY_BIT(MLPS_MEMORY_HOST_PINNED))

/* What an instance is and holds. */
struct mlps_tier_info {
    uint32_t struct_size;
    uint32_t alignment; /* required buffer/offset/length alignment in bytes (1 = none) */
    uint64_t caps;      /* MLPS_TIER_CAP_* in effect for this instance */
    uint64_t capacity_bytes;
    uint64_t used_bytes;
    uint64_t objects;
    uint32_t max_queue_depth; /* 0 = no limit */
    uint32_t reserved;
    char location[256]; /* where the bytes are, for people: "/mnt/nvme/mlps-...", "host memory" */

    /* ---- since 1.1 ---- */
    /* enum mlps_memory_kind of what ops->buffer_alloc returns; 0 (a 1.0 tier) = MLPS_MEMORY_HOST.
     */
    uint32_t buffer_memory;
    /* MLPS_MEMORY_BIT mask of the kinds an op's buf may point at; 0 (a 1.0 tier) =
     * MLPS_MEMORY_HOST_KINDS. A tier that accepts device memory sets MLPS_MEMORY_DEVICE too. */
    uint32_t io_memory;
};

struct mlps_tier_ops {
    uint32_t struct_size;

    /* Required. */
    mlps_status (*info)(void *self, struct mlps_tier_info *out);
    mlps_status (*open_queue)(void *self, uint32_t depth, void **queue, struct mlps_error *err);
    void (*close_queue)(void *self, void *queue); /* waits for ops still in flight */
    /* Accepts up to n ops (*accepted says how many); MLPS_BUSY when none fits now. */
    mlps_status (*submit)(void *queue, const struct mlps_io *ios, uint32_t n, uint32_t *accepted);
    /* Waits up to timeout_ns for at least min_done completions, returns at most max_done.
     * Returns fewer than min_done (possibly none) when the timeout expires or when fewer ops
     * than min_done are in flight on this queue; never blocks on an empty queue. */
    mlps_status (*poll)(void *queue,
                        struct mlps_completion *out,
                        uint32_t min_done,
                        uint32_t max_done,
                        uint64_t timeout_ns,
                        uint32_t *n_done);

    /* Optional (NULL = the host allocates aligned host memory). */
    mlps_status (*buffer_alloc)(void *self, uint64_t size, void **buf, struct mlps_error *err);
    void (*buffer_free)(void *self, void *buf, uint64_t size);
};

#ifdef __cplusplus
}
#endif

#endif /* MLPS_TIER_ABI_H */
