// What every I/O engine's queue over the file object store shares: the ABI's queue-depth
// accounting in submit() and poll(), and the ring of completions waiting to be polled. An
// engine supplies how an accepted op starts, what happens after a batch, and how completions
// are waited for. Header-only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <mlps/tier.hpp>

namespace mlps::store {

// Completions waiting to be polled, oldest first; never more than the queue depth, so a ring
// of `depth` slots sized once never allocates again. The caller serialises access.
class CompletionRing {
  public:
    explicit CompletionRing(uint32_t capacity) : slots_(capacity) {}
    void push(const mlps_completion &completion) noexcept {
        slots_[(head_ + count_) % slots_.size()] = completion;
        ++count_;
    }
    uint32_t size() const noexcept { return count_; }
    // Moves up to `max` completions into `out`; returns how many.
    uint32_t take(mlps_completion *out, uint32_t max) noexcept {
        const uint32_t n = std::min(max, count_);
        for (uint32_t i = 0; i < n; ++i) {
            out[i] = slots_[head_];
            head_ = (head_ + 1) % slots_.size();
        }
        count_ -= n;
        return n;
    }

  private:
    std::vector<mlps_completion> slots_;
    uint32_t head_ = 0;
    uint32_t count_ = 0;
};

class StoreQueue : public TierPluginQueue {
  public:
    StoreQueue(const StoreQueue &) = delete;
    StoreQueue &operator=(const StoreQueue &) = delete;

    // Accepts up to depth - outstanding ops (MLPS_BUSY when none fits), start()s each, then
    // lets the engine issue the batch at once (submitted()).
    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept final {
        const uint32_t take = std::min(n, depth_ - outstanding_);
        *accepted = take;
        if (take == 0) {
            return n == 0 ? MLPS_OK : MLPS_BUSY;
        }
        for (uint32_t i = 0; i < take; ++i) {
            ++outstanding_;
            start(ios[i]);
        }
        submitted();
        return MLPS_OK;
    }

    // Never waits for more than is outstanding (the ABI: no blocking on an empty queue).
    mlps_status poll(mlps_completion *out,
                     uint32_t minDone,
                     uint32_t maxDone,
                     uint64_t timeoutNs,
                     uint32_t *nDone) noexcept final {
        const uint32_t want = std::min({minDone, maxDone, outstanding_});
        const uint32_t n = collect(out, want, maxDone, timeoutNs);
        outstanding_ -= n;
        *nDone = n;
        return MLPS_OK;
    }

  protected:
    explicit StoreQueue(uint32_t depth) : depth_(depth) {}

    // One accepted op: the engine has the store prepare it and queues its work (or completes
    // it at once).
    virtual void start(const mlps_io &io) noexcept = 0;
    // After the ops of one submit() call were started: hand them to the kernel or the workers.
    virtual void submitted() noexcept = 0;
    // Waits up to `timeoutNs` until `want` completions are ready, then moves up to `maxDone`
    // of them into `out`; returns how many.
    virtual uint32_t
    collect(mlps_completion *out, uint32_t want, uint32_t maxDone, uint64_t timeoutNs) noexcept = 0;

    const uint32_t depth_;

  private:
    uint32_t outstanding_ = 0; // accepted, not yet polled; only the owner thread touches it
};

} // namespace mlps::store
