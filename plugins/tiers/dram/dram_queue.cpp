#include "dram_queue.hpp"

#include <algorithm>

#include "dram_tier.hpp"
#include "monotonic_clock.hpp"

namespace mlps::dram {

DramQueue::DramQueue(DramTier &tier, uint32_t depth)
    : tier_(tier), depth_(depth), emulated_(tier.link().enabled()) {
    pending_.reserve(depth);
}

mlps_status DramQueue::submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
    const uint32_t room = depth_ - static_cast<uint32_t>(pending_.size());
    const uint32_t take = std::min(n, room);
    *accepted = take;
    if (take == 0 && n != 0) {
        return MLPS_BUSY;
    }
    const uint64_t nowNs = emulated_ ? monotonicNs() : 0;
    for (uint32_t i = 0; i < take; ++i) {
        const mlps_io &io = ios[i];
        const mlps_completion completion = tier_.execute(io);
        uint64_t readyNs = 0;
        if (emulated_) {
            readyNs = tier_.link().readyTime(nowNs, completion.bytes);
        }
        pending_.push_back(Pending{readyNs, sequence_++, completion});
        std::push_heap(pending_.begin(), pending_.end(), later);
    }
    return MLPS_OK;
}

uint32_t DramQueue::harvest(mlps_completion *out, uint32_t room, uint64_t nowNs) noexcept {
    uint32_t n = 0;
    while (n < room && !pending_.empty() && pending_.front().readyNs <= nowNs) {
        std::pop_heap(pending_.begin(), pending_.end(), later);
        out[n++] = pending_.back().completion;
        pending_.pop_back();
    }
    return n;
}

mlps_status DramQueue::poll(mlps_completion *out,
                            uint32_t minDone,
                            uint32_t maxDone,
                            uint64_t timeoutNs,
                            uint32_t *nDone) noexcept {
    minDone = std::min(minDone, maxDone);
    uint32_t n = 0;
    uint64_t deadlineNs = 0;
    for (;;) {
        const uint64_t nowNs = emulated_ ? monotonicNs() : 0;
        n += harvest(out + n, maxDone - n, nowNs);
        // Nothing left in flight means nothing more can come: never wait for it.
        if (n >= minDone || pending_.empty() || timeoutNs == 0) {
            break;
        }
        if (deadlineNs == 0) {
            deadlineNs = saturatingAdd(nowNs, timeoutNs);
        }
        if (nowNs >= deadlineNs) {
            break;
        }
        // Emulation, not synchronisation: the next ready time is known, so sleep until it.
        sleepUntilNs(std::min(pending_.front().readyNs, deadlineNs));
    }
    *nDone = n;
    return MLPS_OK;
}

} // namespace mlps::dram
