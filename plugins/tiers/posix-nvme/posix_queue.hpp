// A queue on the posix-nvme tier: the same chunking and queue-depth model as the io_uring tier,
// with a fixed pool of worker threads in place of the kernel ring. submit() does the metadata
// inline (lookup, create, capacity reservation) and hands the data transfer, split into
// `chunk_size` pieces, to the workers; poll() waits on a condition variable for completions.
// An op completes when all its chunks did; the first error wins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "posix_tier.hpp"

namespace mlps::posix {

class PosixQueue final : public TierPluginQueue {
  public:
    PosixQueue(PosixTier &tier, uint32_t depth);
    ~PosixQueue() override; // waits for everything in flight, then stops the workers
    PosixQueue(const PosixQueue &) = delete;
    PosixQueue &operator=(const PosixQueue &) = delete;

    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept override;
    mlps_status poll(mlps_completion *out,
                     uint32_t minDone,
                     uint32_t maxDone,
                     uint64_t timeoutNs,
                     uint32_t *nDone) noexcept override;

  private:
    struct Op {
        mlps_io io{};
        Target target;
        uint32_t pending = 0; // chunks not yet finished
        int error = 0;        // first errno
        mlps_status status = MLPS_OK;
    };
    struct Chunk {
        uint32_t op = 0;
        uint64_t offset = 0; // within the object
        uint64_t length = 0;
        bool whole = false; // a SYNC or a DELETE: the tier runs the whole op
    };

    void work() noexcept;
    void runChunk(const Chunk &chunk) noexcept;
    void pushLocked(const mlps_completion &completion) noexcept; // caller holds mutex_

    PosixTier &tier_;
    const uint32_t depth_;
    const uint64_t chunkSize_;
    uint32_t outstanding_ = 0; // accepted, not yet polled; only the owner thread touches it

    std::mutex mutex_;
    std::condition_variable workReady_; // workers wait for chunks
    std::condition_variable opDone_;    // poll and the destructor wait for completions
    bool stopping_ = false;
    uint32_t inFlight_ = 0; // ops with chunks still running
    std::vector<Op> ops_;   // `depth` slots
    std::vector<uint32_t> freeOps_;
    std::deque<Chunk> pending_;
    std::vector<mlps_completion> done_; // ring of `depth` completions waiting to be polled
    uint32_t doneHead_ = 0;
    uint32_t doneCount_ = 0;
    std::vector<std::thread> workers_;
};

} // namespace mlps::posix
