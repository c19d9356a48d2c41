// What every benchmark's I/O thread does with a tier queue: keep up to `depth` operations in
// flight, each in a slot with its own buffer, resubmit what the tier did not accept (BUSY),
// poll completions and time each operation from its acceptance to its completion. Header-only,
// part of the SDK: tierbench, training and checkpoint pump their queues with it.
//
//   mlps::IoPump pump(host, tierIndex, host.tier(tierIndex), depth, bufferBytes);
//   pump.run([&](uint32_t slot, mlps_io &io) { ...fill io...; return true; },   // next op
//            [&](const mlps::IoPump::Done &d) { ...record d.latencyNs, d.completion... });
//
// One IoPump is used by one thread (a tier queue is). A slot's io is the caller's to fill; the
// pump sets user_data to the slot id and never changes anything else, so the op's key and
// buffer must stay valid until its completion has been handed to onDone.
//
// The queue mechanics (pending ops, BUSY, one op per submit on a synchronous tier, poll,
// latency) are an mlps::IoLane's (<mlps/io_lane.hpp>); the pump adds the slots, their buffers
// and the run loop. A benchmark whose op slots cross queues (kvcache's moves: READ on one tier,
// WRITE of the same buffer on another) drives lanes itself.
#pragma once

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <mlps/io_lane.hpp>
#include <mlps/plugin.hpp>

namespace mlps {

// Short names for logs: "not found", "I/O error", ...
inline const char *ioStatusName(mlps_status status) noexcept {
    switch (status) {
    case MLPS_OK:
        return "ok";
    case MLPS_E_INVALID:
        return "invalid";
    case MLPS_E_NOT_SUPPORTED:
        return "not supported";
    case MLPS_E_NOT_FOUND:
        return "not found";
    case MLPS_E_NO_SPACE:
        return "no space";
    case MLPS_E_IO:
        return "I/O error";
    case MLPS_E_RANGE:
        return "out of range";
    case MLPS_E_NO_MEMORY:
        return "no memory";
    case MLPS_E_STOPPED:
        return "stopped";
    case MLPS_E_TIMEOUT:
        return "timeout";
    default:
        return "error";
    }
}

inline const char *ioOpName(uint32_t opcode) noexcept {
    switch (opcode) {
    case MLPS_IO_WRITE:
        return "write";
    case MLPS_IO_READ:
        return "read";
    case MLPS_IO_DELETE:
        return "delete";
    default:
        return "sync";
    }
}

class IoPump {
  public:
    // How long one poll waits before the loop looks at the stop condition again.
    static constexpr uint64_t kPollTimeoutNs = 100'000'000;

    // A completed operation, as handed to onDone. The slot (and its buffer) is free again when
    // onDone returns.
    struct Done {
        uint32_t slot;
        const mlps_io &io;
        const mlps_completion &completion;
        uint64_t latencyNs; // accepted by the tier -> seen completed by poll
        bool ok() const noexcept { return completion.status == MLPS_OK; }
    };

    // Opens a queue of `depth` on `tier` (spec index `tierIndex`) and allocates `depth` buffers
    // of `bufferBytes` suited to it (none when 0). Throws mlps::Error.
    IoPump(const Host &host,
           uint32_t tierIndex,
           const mlps_tier_ref &tier,
           uint32_t depth,
           uint64_t bufferBytes)
        : lane_(host, tier, depth, 0), depth_(lane_.depth()) {
        slots_.resize(depth_);
        free_.reserve(depth_);
        for (uint32_t i = depth_; i-- > 0;) {
            free_.push_back(i);
        }
        if (bufferBytes != 0) {
            buffers_.reserve(depth_);
            for (uint32_t i = 0; i < depth_; ++i) {
                buffers_.emplace_back(host, tierIndex, bufferBytes);
            }
        }
    }

    uint32_t depth() const noexcept { return depth_; }
    const std::string &tierName() const noexcept { return lane_.tierName(); }
    bool tierIsAsync() const noexcept { return lane_.tierIsAsync(); }
    // Slot `slot`'s buffer (nullptr when the pump was made without buffers).
    unsigned char *buffer(uint32_t slot) const noexcept {
        return buffers_.empty() ? nullptr : buffers_[slot].data();
    }
    uint64_t bufferBytes() const noexcept { return buffers_.empty() ? 0 : buffers_[0].size(); }

    bool hasFreeSlot() const noexcept { return !free_.empty(); }
    // Ops handed to the tier and not yet completed.
    uint32_t inFlight() const noexcept { return lane_.inFlight(); }
    bool idle() const noexcept { return free_.size() == depth_; }

    // Takes a free slot (precondition: hasFreeSlot()); fill io(slot), then push(slot).
    uint32_t acquire() noexcept {
        const uint32_t slot = free_.back();
        free_.pop_back();
        return slot;
    }
    mlps_io &io(uint32_t slot) noexcept { return slots_[slot]; }
    // Queues the slot's op; flush() hands it to the tier.
    void push(uint32_t slot) {
        slots_[slot].user_data = slot;
        lane_.enqueue(slot, slots_[slot]);
    }
    // Gives back a slot that was acquired but not pushed.
    void release(uint32_t slot) { free_.push_back(slot); }
    // Forgets the ops not yet accepted by the tier (a stop): their slots are free again.
    void dropPending() {
        lane_.dropPending([&](uint32_t slot) { free_.push_back(slot); });
    }

    // Submits queued ops; false when the tier accepted none of them (BUSY). Throws on a failed
    // submit (a broken tier, not an I/O error: those are completions).
    bool flush() { return lane_.flush(); }

    // Waits up to timeoutNs for at least minDone completions and hands each to onDone(Done);
    // returns how many completed. Throws on a failed poll.
    template <class OnDone>
    uint32_t poll(uint32_t minDone, uint64_t timeoutNs, OnDone &&onDone) {
        return lane_.poll(minDone, timeoutNs, [&](const IoLane::Done &d) {
            onDone(Done{d.id, slots_[d.id], d.completion, d.latencyNs});
            free_.push_back(d.id);
        });
    }

    // The loop every benchmark thread runs: while slots are free and stop() is false, asks
    // next(slot, io) for an op (false: no more work), submits, polls, hands completions to
    // onDone; calls tick() after each poll. Returns when no more work is issued and nothing is
    // in flight. After stop() turns true nothing more is submitted; what is in flight completes.
    template <class Next, class OnDone, class Stop, class Tick>
    void run(Next &&next, OnDone &&onDone, Stop &&stop, Tick &&tick) {
        bool stopping = false;
        bool exhausted = false;
        for (;;) {
            if (!stopping && stop()) {
                stopping = true;
                dropPending();
            }
            while (!stopping && !exhausted && hasFreeSlot()) {
                const uint32_t slot = acquire();
                if (!next(slot, slots_[slot])) {
                    release(slot);
                    exhausted = true;
                    break;
                }
                push(slot);
            }
            const bool accepted = flush();
            if (inFlight() == 0) {
                if (!lane_.hasPending()) {
                    if (stopping || exhausted) {
                        return;
                    }
                } else if (!accepted) {
                    std::this_thread::yield(); // busy with nothing of ours in flight: retry
                }
                continue;
            }
            poll(1, kPollTimeoutNs, onDone);
            tick();
        }
    }
    template <class Next, class OnDone>
    void run(Next &&next, OnDone &&onDone) {
        run(
            next, onDone, [] { return false; }, [] {});
    }

    // Runs `ops` to completion (no stop, no buffers needed: DELETE, SYNC, small reads) and
    // hands each completion to onDone. Throws on a failed submit or poll.
    template <class OnDone>
    void runAll(const std::vector<mlps_io> &ops, OnDone &&onDone) {
        size_t next = 0;
        run(
            [&](uint32_t, mlps_io &io) {
                if (next == ops.size()) {
                    return false;
                }
                io = ops[next++];
                return true;
            },
            onDone);
    }

  private:
    IoLane lane_; // the queue: pending, submit, poll, latency
    uint32_t depth_;
    std::vector<HostBuffer> buffers_;
    std::vector<mlps_io> slots_; // each slot's op, as the caller filled it
    std::vector<uint32_t> free_; // slots ready for a new op
};

} // namespace mlps
