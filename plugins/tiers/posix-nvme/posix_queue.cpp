#include "posix_queue.hpp"

#include <algorithm>

#include "posix_tier.hpp"

namespace mlps::posix {

PosixQueue::PosixQueue(PosixTier &tier, uint32_t depth) : tier_(tier), ring_(depth) {}

mlps_status PosixQueue::submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
    const auto depth = static_cast<uint32_t>(ring_.size());
    const uint32_t take = std::min(n, depth - count_);
    *accepted = take;
    if (take == 0 && n != 0) {
        return MLPS_BUSY;
    }
    for (uint32_t i = 0; i < take; ++i) {
        ring_[(head_ + count_) % depth] = tier_.execute(ios[i]);
        ++count_;
    }
    return MLPS_OK;
}

mlps_status PosixQueue::poll(mlps_completion *out,
                             uint32_t /*minDone*/,
                             uint32_t maxDone,
                             uint64_t /*timeoutNs*/,
                             uint32_t *nDone) noexcept {
    // Everything submitted is already complete: waiting could not bring more.
    const auto depth = static_cast<uint32_t>(ring_.size());
    const uint32_t n = std::min(maxDone, count_);
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = ring_[head_];
        head_ = (head_ + 1) % depth;
    }
    count_ -= n;
    *nDone = n;
    return MLPS_OK;
}

} // namespace mlps::posix
