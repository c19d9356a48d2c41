// A queue on the io_uring tier: one ring, used by one thread at a time, so the data path takes
// no lock. submit() prepares SQEs for the ops it accepts and makes one io_uring_submit call;
// poll() reaps CQEs, resubmits short transfers and issues the chunks still waiting for room in
// the ring. An op larger than chunk_size is split into chunks kept in flight together; in the
// extents layout a chunk also ends where the object's extent does (one SQE per extent piece).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include <liburing.h>

#include "uring_tier.hpp"

namespace mlps::uring {

class UringQueue final : public TierPluginQueue {
  public:
    UringQueue(UringTier &tier, uint32_t depth);
    ~UringQueue() override; // waits for everything in flight
    UringQueue(const UringQueue &) = delete;
    UringQueue &operator=(const UringQueue &) = delete;

    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept override;
    mlps_status poll(mlps_completion *out,
                     uint32_t minDone,
                     uint32_t maxDone,
                     uint64_t timeoutNs,
                     uint32_t *nDone) noexcept override;

  private:
    enum class Phase : uint8_t { Data, Sync };
    struct Op {
        mlps_io io{};
        Target target;
        Phase phase = Phase::Data;
        bool inReady = false;    // listed in ready_: has chunks (or its fsync) left to issue
        uint64_t issued = 0;     // bytes handed to chunks so far
        uint32_t extent = 0;     // extents layout: the target extent the next chunk starts in
        uint64_t extentDone = 0; // bytes of that extent handed to chunks
        uint32_t inFlight = 0;   // chunks in the kernel or waiting in retry_
        int error = 0;           // first errno; stops further chunks
        mlps_status status = MLPS_OK;
    };
    struct Chunk {
        uint32_t op = 0;
        bool fsync = false;
        uint64_t offset = 0;     // within the op's object
        uint64_t fileOffset = 0; // where that is in the file
        uint64_t done = 0;       // bytes of the chunk already moved (short transfers)
        uint64_t length = 0;
    };

    void start(const mlps_io &io) noexcept;
    void complete(const mlps_io &io, mlps_status status, int sysErrno, uint64_t bytes) noexcept;
    void finish(uint32_t opIndex) noexcept;     // an op with nothing in flight
    void fail(Op &op, int sysErrno) noexcept;   // records the first error, stops issuing
    void fill() noexcept;                       // SQEs for retries and ready ops
    bool prepare(uint32_t chunkIndex) noexcept; // false: the SQ is full
    uint32_t reap() noexcept;                   // CQEs seen
    void onCqe(uint32_t chunkIndex, int res) noexcept;
    void flush() noexcept; // io_uring_submit when SQEs wait

    UringTier &tier_;
    const TierSettings &settings_;
    io_uring ring_{};
    uint32_t depth_;
    uint32_t outstanding_ = 0; // accepted ops not yet polled (in flight + completed)
    uint32_t active_ = 0;      // ops in op slots
    std::vector<Op> ops_;
    std::vector<uint32_t> freeOps_;
    std::vector<Chunk> chunks_;
    std::vector<uint32_t> freeChunks_;
    std::deque<uint32_t> ready_;        // ops with chunks to issue, oldest first
    std::vector<uint32_t> retry_;       // chunks to resubmit (short transfer, EAGAIN)
    std::vector<mlps_completion> done_; // ring of `depth` completions waiting to be polled
    uint32_t doneHead_ = 0;
    uint32_t doneCount_ = 0;
};

} // namespace mlps::uring
