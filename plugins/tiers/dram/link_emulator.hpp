// Device emulation for the dram tier: one shared link of a given bandwidth plus a fixed
// latency. Every transfer reserves its time on the link ("link free at" clock) so that
// concurrent queues share the bandwidth instead of each getting all of it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace mlps::dram {

class LinkEmulator {
  public:
    LinkEmulator(uint64_t bytesPerSecond, uint64_t latencyNs)
        : bytesPerSecond_(bytesPerSecond), latencyNs_(latencyNs) {}

    bool enabled() const noexcept { return bytesPerSecond_ != 0 || latencyNs_ != 0; }
    uint64_t bytesPerSecond() const noexcept { return bytesPerSecond_; }
    uint64_t latencyNs() const noexcept { return latencyNs_; }

    // When an op of `bytes` submitted at `nowNs` becomes visible. Ops that move no bytes
    // (DELETE, SYNC) do not occupy the link and only pay the latency.
    uint64_t readyTime(uint64_t nowNs, uint64_t bytes) noexcept {
        uint64_t end = nowNs;
        if (bytesPerSecond_ != 0 && bytes != 0) {
            const auto transferNs = static_cast<uint64_t>(static_cast<double>(bytes) * 1e9 /
                                                          static_cast<double>(bytesPerSecond_));
            // Lock-free reservation: start when both the op and the link are ready.
            uint64_t freeAt = linkFreeAt_.load(std::memory_order_relaxed);
            do {
                end = std::max(freeAt, nowNs) + transferNs;
            } while (!linkFreeAt_.compare_exchange_weak(freeAt, end, std::memory_order_relaxed));
        }
        return end + latencyNs_;
    }

  private:
    const uint64_t bytesPerSecond_;
    const uint64_t latencyNs_;
    std::atomic<uint64_t> linkFreeAt_{0};
};

} // namespace mlps::dram
