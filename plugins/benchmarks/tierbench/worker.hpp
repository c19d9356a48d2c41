// One tierbench thread: its own queue on the tier, queue_depth buffers and op slots, its own
// objects (i % threads == id) and RNG. Keeps queue_depth ops in flight until the pass ends,
// then drains.
#pragma once

#include <cstdint>
#include <vector>

#include <mlps/io_pump.hpp>
#include <mlps/plugin.hpp>

#include "shared_state.hpp"

namespace mlps::tierbench {

class Worker {
  public:
    Worker(SharedState &shared, uint32_t id, const mlps_tier_ref &tier);

    // Runs one pass on the calling thread; throws mlps::Error when the tier fails a call.
    void run(Workload workload);
    // Deletes every object this worker may have written (teardown); never throws.
    void deleteObjects() noexcept;

  private:
    struct Slot { // what the worker keeps per IoPump slot, beside the op itself
        uint32_t object = 0;
        // The slot's buffer holds pattern content at an offset of this value modulo
        // DataPattern::kPeriod (kNoContent: unknown, e.g. after a read): a write at a congruent
        // offset only rewrites the stamps.
        uint64_t bufferPhase = kNoContent;
    };
    static constexpr uint64_t kNoContent = UINT64_MAX;

    bool nextOp(Workload workload, uint32_t slotId, mlps_io &io);
    void position(Workload workload, uint32_t &object, uint64_t &offset);
    void complete(const IoPump::Done &done, Workload workload);
    void recordBatch(Workload workload);
    void logError(const IoPump::Done &done);
    uint64_t random() noexcept;

    SharedState &shared_;
    const Settings &settings_;
    const uint32_t id_;
    IoPump pump_;
    std::vector<Slot> slots_;
    // Completions of one poll, recorded as counters once per poll.
    struct Tally {
        uint64_t readBytes = 0, writeBytes = 0, readOps = 0, writeOps = 0, errors = 0;
        uint64_t checked = 0, mismatched = 0;
    } tally_;
    std::vector<uint32_t> owned_; // object ids this worker owns
    uint64_t slicesPerObject_;
    uint64_t rng_;
    // Sequential cursor: owned_[cursorObject_], slice cursorSlice_. Kept across passes.
    size_t cursorObject_ = 0;
    uint64_t cursorSlice_ = 0;
    uint64_t preconditionIssued_ = 0; // slices of owned objects written in this pass
    uint64_t budgetOps_ = 0;          // this thread's share of total_bytes, in ops
    uint64_t issuedOps_ = 0;
    uint64_t readThreshold_; // an op is a read when random() < readThreshold_ (mixed mode)
    uint64_t lastProgressNs_ = 0;
};

} // namespace mlps::tierbench
