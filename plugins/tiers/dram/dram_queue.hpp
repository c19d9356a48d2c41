// A submission/completion queue on the dram tier. Ops are performed inside submit(); without
// emulation their completions are ready at once, with it they become visible to poll() at the
// ready time the link emulator gives them.
#pragma once

#include <cstdint>
#include <vector>

#include <mlps/tier.hpp>

namespace mlps::dram {

class DramTier;

class DramQueue final : public TierPluginQueue {
  public:
    DramQueue(DramTier &tier, uint32_t depth);

    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept override;
    mlps_status poll(mlps_completion *out,
                     uint32_t minDone,
                     uint32_t maxDone,
                     uint64_t timeoutNs,
                     uint32_t *nDone) noexcept override;

  private:
    struct Pending {
        uint64_t readyNs;
        uint64_t sequence; // ties keep submission order
        mlps_completion completion;
    };
    // std::push_heap builds a max-heap: "later" sorts first so the earliest is at the front.
    static bool later(const Pending &a, const Pending &b) noexcept {
        return a.readyNs != b.readyNs ? a.readyNs > b.readyNs : a.sequence > b.sequence;
    }
    uint32_t harvest(mlps_completion *out, uint32_t room, uint64_t nowNs) noexcept;

    DramTier &tier_;
    const uint32_t depth_;
    const bool emulated_;
    uint64_t sequence_ = 0;
    std::vector<Pending> pending_; // a heap on readyNs, capacity reserved at open: no allocation
};

} // namespace mlps::dram
