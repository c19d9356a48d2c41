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
 *
 * `mlpsrun plugins check FILE.so` runs every rule written here against a tier and says which
 * one it breaks; share/doc/plugin-guide.md is the long form of this contract.
 *
 * What the shipped benchmarks ask of a tier (size your allocator for it):
 *  - kvcache: one object per cache entry, from a few MiB up to several GiB (context tokens x
 *    128 KiB for llama3.1-8b), written and read in `chunk_size` ops (1 MiB by default) with
 *    object_size announcing the whole entry at its first write; whole entries are deleted.
 *    An allocator that needs one contiguous free run per object fails here once free space is
 *    fragmented: free space in pieces must add up.
 *  - tierbench: `objects` objects of `object_size` (default 16 MiB), ops of `io_size` (default
 *    1 MiB, a multiple of info.alignment) at io_size-aligned offsets.
 *  - training / checkpoint: files of MiBs to GiBs read or written whole, in large ops.
 *
 * Creating an instance (descriptor->create): refuse bad options with MLPS_E_INVALID and a
 * message that starts with the option's dotted name ("path: /x does not exist"): the user gets
 * exit code 2 and the spec's line. Any other negative status is a system problem (a device that
 * cannot be opened, no memory): exit code 4. Checks that need nothing created (an option that
 * depends on another, a path that must exist) belong in descriptor->validate too, which runs in
 * `mlpsrun validate` and --dry-run and must create nothing (plugin_abi.h).
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
 *
 * Capacity: a write that does not fit completes with MLPS_E_NO_SPACE and writes nothing (a
 * tier that reserves object_size says so at the object's first write, one that does not at the
 * write that overflows); DELETE gives the object's capacity back at once. used_bytes counts at
 * least the bytes of every object. To see a tier's NO_SPACE handling, run
 * `mlpsrun plugins check FILE.so --check no-space` (it fills a 4 MiB tier); tierbench refuses
 * to start on a tier too small for its objects, so it cannot show it.
 * An unknown opcode completes with MLPS_E_NOT_SUPPORTED. SYNC of a key that does not exist
 * completes with MLPS_OK or MLPS_E_NOT_FOUND.
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
    /* Where the bytes are, NUL-terminated: "/mnt/nvme/mlps-...", "host memory". Shown to people,
     * and more: when it is the path of an existing folder or file, the core reports the file
     * system it is on (type, size, free space) in summary.json's `file_system` block; any other
     * text (a device name, "host memory") gets no such block. A file tier gives its folder. */
    char location[256];

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
    /* Fills at most out->struct_size bytes (the caller's struct may be an older minor's) and
     * sets out->struct_size to what it filled. Thread-safe; cheap (called for reports). */
    mlps_status (*info)(void *self, struct mlps_tier_info *out);
    /* A queue holds up to `depth` ops outstanding (submitted, and not yet handed back by poll,
     * whether done or not). depth 0 asks for the tier's default depth; a tier without one
     * refuses it with MLPS_E_INVALID and a message. A depth above info.max_queue_depth is
     * refused with MLPS_E_INVALID, or opened at max_queue_depth. */
    mlps_status (*open_queue)(void *self, uint32_t depth, void **queue, struct mlps_error *err);
    /* Waits for ops still in flight (after it returns, each write was done completely or not
     * at all), drops their completions, frees the queue. Their buffers stay valid until then. */
    void (*close_queue)(void *self, void *queue);
    /* Accepts up to n ops (*accepted says how many) and returns MLPS_OK with *accepted >= 1,
     * or MLPS_BUSY with *accepted = 0 when none fits now (depth ops outstanding): poll, then
     * submit the rest again. No other status: an op's failure (NO_SPACE, NOT_FOUND, ...) is
     * its completion. */
    mlps_status (*submit)(void *queue, const struct mlps_io *ios, uint32_t n, uint32_t *accepted);
    /* Waits up to timeout_ns for at least min_done completions, returns at most max_done.
     * Returns fewer than min_done (possibly none) when the timeout expires or when fewer ops
     * than min_done are in flight on this queue; never blocks on an empty queue. Each op
     * submitted completes exactly once, with its user_data; a successful READ or WRITE has
     * bytes = length.
     * timeout_ns 0: return at once with what is ready (a synchronous tier: everything
     * submitted). Any value up to UINT64_MAX is allowed; UINT64_MAX (or any value too large to
     * add to a clock) means wait for ever, that is until min_done completions or the queue
     * has fewer than min_done outstanding: never overflow a deadline computation. Returns
     * MLPS_OK; errors are in the completions. */
    mlps_status (*poll)(void *queue,
                        struct mlps_completion *out,
                        uint32_t min_done,
                        uint32_t max_done,
                        uint64_t timeout_ns,
                        uint32_t *n_done);

    /* Optional (NULL = the host allocates aligned host memory). Offered when the descriptor's
     * caps have MLPS_TIER_CAP_BUFFER_ALLOC: then both are set, buffers are aligned to
     * info.alignment and of kind info.buffer_memory, and can carry this tier's ops. */
    mlps_status (*buffer_alloc)(void *self, uint64_t size, void **buf, struct mlps_error *err);
    void (*buffer_free)(void *self, void *buf, uint64_t size);
};

#ifdef __cplusplus
}
#endif

#endif /* MLPS_TIER_ABI_H */
