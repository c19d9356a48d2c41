// The thread-pool I/O engine of the posix-nvme tier: the same chunking and queue-depth model as
// the io_uring engine, with a fixed pool of worker threads in place of the kernel ring.
// submit() has the store do the metadata inline (lookup, create, capacity reservation) and
// hands the rest — the data transfer, split into pieces by the store's ChunkCursor, a SYNC, a
// DELETE's unlink — to the workers; poll() waits on a condition variable for completions. An
// op completes when all its chunks did; the first error wins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "chunk_cursor.hpp"
#include "posix_tier.hpp"
#include "store_queue.hpp"

namespace mlps::posix {

class PosixQueue final : public store::StoreQueue {
  public:
    PosixQueue(PosixTier &tier, uint32_t depth);
    ~PosixQueue() override; // waits for everything in flight, then stops the workers

  private:
    struct Op {
        mlps_io io{};
        store::Target target;
        uint32_t pending = 0; // chunks not yet finished
        int error = 0;        // first errno
        mlps_status status = MLPS_OK;
    };
    struct Chunk {
        uint32_t op = 0;
        store::Piece piece;
        bool whole = false; // not a transfer: the op's Work (a SYNC, a DELETE's unlink)
        uint32_t count = 1; // chunks merged into this transfer (see takeWork)
    };

    void start(const mlps_io &io) noexcept override; // the store's half, then chunks queued
    void submitted() noexcept override;              // wakes as many workers as chunks came
    uint32_t collect(mlps_completion *out,
                     uint32_t want,
                     uint32_t maxDone,
                     uint64_t timeoutNs) noexcept override; // sleeps on opDone_
    void work() noexcept;
    // Pops the front chunk and, merged into it, the chunks behind it that continue it (same op,
    // next bytes of both the file and the buffer), up to this worker's share of what is queued.
    // Called with mutex_ held and pending_ not empty.
    Chunk takeWork() noexcept;
    void runChunk(const Chunk &chunk) noexcept;
    // The rest of an op that moves no data (target.work); 0-errno contract as the store's.
    mlps_status runWhole(const Op &op, int &err) noexcept;
    // After all chunks of a WRITE succeeded: the sync mode's flush and the object's size.
    // Returns 0 or the errno.
    int finishWrite(const Op &op) noexcept;

    store::FileStore &store_;
    const uint64_t chunkSize_;
    size_t queued_ = 0; // chunks queued by this submit() call, for submitted()

    std::mutex mutex_;
    std::condition_variable workReady_; // workers wait for chunks
    std::condition_variable opDone_;    // poll and the destructor wait for completions
    bool stopping_ = false;
    uint32_t inFlight_ = 0; // ops with chunks still running
    std::vector<Op> ops_;   // `depth` slots
    std::vector<uint32_t> freeOps_;
    std::deque<Chunk> pending_;
    store::CompletionRing done_; // guarded by mutex_
    std::vector<std::thread> workers_;
};

} // namespace mlps::posix
