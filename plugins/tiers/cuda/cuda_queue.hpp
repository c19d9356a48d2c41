// A queue on the cuda tier, used by one thread at a time. It owns `streams` CUDA streams and a
// pool of `queue_depth` events. An op is split into chunks (at most chunk_size bytes, never
// across two extents of the object); each chunk is one cudaMemcpyAsync (WRITE: host to device,
// READ: device to host) followed by a cudaEventRecord on the next stream, round robin. The op
// completes when the events of all its chunks have completed. Chunks that find no free event
// wait and are issued as earlier ones complete (as the io_uring tier's chunks wait for ring
// room). DELETE and SYNC complete inside submit().
//
// poll() asks the streams' oldest events with cudaEventQuery (events on one stream complete in
// order, so only each stream's oldest needs asking). When nothing is ready it yields the CPU
// for the first few microseconds, then sleeps an eighth of the time it has waited so far
// (10 us to 1 ms): no core spins, and a completion is seen at most ~12% (or 10 us, plus the
// kernel's timer slack) late; copies queued behind keep the device busy meanwhile. Why not
// cudaEventSynchronize: it has no timeout, and poll() must honour one; why not
// cudaLaunchHostFunc callbacks: a host function stalls its stream until it has run.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "cuda_tier.hpp"

namespace mlps::cuda {

class CudaQueue final : public TierPluginQueue {
  public:
    CudaQueue(CudaTier &tier, uint32_t depth); // throws mlps::Error when CUDA refuses streams
    ~CudaQueue() override;                     // waits for every copy in flight
    CudaQueue(const CudaQueue &) = delete;
    CudaQueue &operator=(const CudaQueue &) = delete;

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
        bool inReady = false;   // listed in ready_: has chunks left to issue
        uint64_t issued = 0;    // bytes handed to chunks so far
        uint32_t piece = 0;     // the target piece the next chunk starts in
        uint64_t pieceDone = 0; // bytes of that piece handed to chunks
        uint32_t inFlight = 0;  // chunks whose events have not completed
        mlps_status status = MLPS_OK;
    };
    struct Chunk {
        uint32_t op = 0;
        rt::Event event = nullptr;
    };

    void release() noexcept; // destroys events and streams
    void start(const mlps_io &io) noexcept;
    void complete(const mlps_io &io, mlps_status status, int sysErrno, uint64_t bytes) noexcept;
    void finish(uint32_t opIndex) noexcept;                        // an op with nothing in flight
    void fail(Op &op, rt::Error error, const char *what) noexcept; // stops further chunks
    void fill() noexcept;     // issues chunks of ready ops while events are free
    uint32_t reap() noexcept; // retires completed chunks; returns how many
    void retire(uint32_t stream) noexcept;

    CudaTier &tier_;
    const rt::Runtime &rt_;
    const QueueSettings &settings_;
    const uint32_t depth_;
    std::vector<rt::Stream> streams_;
    std::vector<std::deque<uint32_t>> inFlight_; // per stream: its chunks, oldest first
    uint32_t nextStream_ = 0;
    uint32_t chunksInFlight_ = 0;
    std::vector<Chunk> chunks_;
    std::vector<uint32_t> freeChunks_;
    std::vector<Op> ops_;
    std::vector<uint32_t> freeOps_;
    std::deque<uint32_t> ready_;        // ops with chunks to issue, oldest first
    uint32_t outstanding_ = 0;          // accepted ops not yet polled (in flight + completed)
    uint32_t active_ = 0;               // ops in op slots
    std::vector<mlps_completion> done_; // ring of `depth` completions waiting to be polled
    uint32_t doneHead_ = 0;
    uint32_t doneCount_ = 0;
    rt::Error lastLogged_ = rt::kSuccess; // the runtime's errors are logged once per kind
};

} // namespace mlps::cuda
