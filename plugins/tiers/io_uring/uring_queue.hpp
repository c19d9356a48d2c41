// The io_uring I/O engine: a queue is one ring, used by one thread at a time, so the data path
// takes no lock. submit() has the store do each op's metadata, prepares SQEs for the ops it
// accepts and makes one io_uring_submit call; poll() reaps all ready CQEs at once, resubmits
// short transfers and issues the chunks still waiting for room in the ring. An op larger than
// chunk_size is split into chunks kept in flight together (the store's ChunkCursor: in the
// extents layout a chunk also ends where the object's extent does). A DELETE's unlink goes
// through the ring too (IORING_OP_UNLINKAT).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include <liburing.h>

#include "chunk_cursor.hpp"
#include "store_queue.hpp"
#include "uring_ring.hpp"
#include "uring_tier.hpp"

namespace mlps::uring {

class UringQueue final : public store::StoreQueue {
  public:
    UringQueue(UringTier &tier, uint32_t depth);
    ~UringQueue() override; // waits for everything in flight

  private:
    enum class Phase : uint8_t { Data, Sync, Unlink };
    struct Op {
        mlps_io io{};
        store::Target target;
        Phase phase = Phase::Data;
        bool inReady = false;      // listed in ready_: has chunks (or its fsync) left to issue
        store::ChunkCursor cursor; // the data pieces handed to chunks so far
        uint32_t inFlight = 0;     // chunks in the kernel or waiting in retry_
        int error = 0;             // first errno; stops further chunks
        mlps_status status = MLPS_OK;
    };
    struct Chunk {
        uint32_t op = 0;
        Phase kind = Phase::Data;
        store::Piece piece; // Data: where in the buffer and the file
        uint64_t done = 0;  // bytes of the piece already moved (short transfers)
    };

    void start(const mlps_io &io) noexcept override; // the store's half; data ops to ready_
    void submitted() noexcept override;              // SQEs for the batch, one submit
    uint32_t collect(mlps_completion *out,
                     uint32_t want,
                     uint32_t maxDone,
                     uint64_t timeoutNs) noexcept override; // reaps, waits in the ring
    void complete(const mlps_io &io, mlps_status status, int sysErrno, uint64_t bytes) noexcept;
    void finish(uint32_t opIndex) noexcept;     // an op with nothing in flight
    void fail(Op &op, int sysErrno) noexcept;   // records the first error, stops issuing
    void fill() noexcept;                       // SQEs for retries and ready ops
    bool prepare(uint32_t chunkIndex) noexcept; // false: the SQ is full
    uint32_t reap() noexcept;                   // CQEs seen
    void onCqe(uint32_t chunkIndex, int res) noexcept;
    void flush() noexcept; // io_uring_submit when SQEs wait
    // Runs completion work the kernel deferred to this thread (DEFER_TASKRUN, COOP_TASKRUN),
    // so that its CQEs become visible; a system call only when the kernel flags work waiting.
    void flushTaskWork() noexcept;
    // Before the ring is used from the calling thread: a SingleIssuer ring is enabled by its
    // first user; one that meets another thread while idle is rebuilt as a Shared ring.
    void bind() noexcept;

    store::FileStore &store_;
    const RingSettings &ringSettings_;
    const uint64_t chunkSize_;
    const SyncMode syncMode_;
    io_uring ring_{};
    RingSetup setup_;
    bool enabled_ = false; // SingleIssuer: enabled, by owner_
    uint64_t owner_ = 0;   // threadToken() of the thread that enabled it
    uint32_t active_ = 0;  // ops in op slots
    std::vector<Op> ops_;
    std::vector<uint32_t> freeOps_;
    std::vector<Chunk> chunks_;
    std::vector<uint32_t> freeChunks_;
    std::deque<uint32_t> ready_;  // ops with chunks to issue, oldest first
    std::vector<uint32_t> retry_; // chunks to resubmit (short transfer, EAGAIN)
    store::CompletionRing done_;  // completions waiting to be polled
};

} // namespace mlps::uring
