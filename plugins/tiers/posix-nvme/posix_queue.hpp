// A queue on the posix-nvme tier. This release completes every op synchronously inside
// submit() and keeps the completion until poll() hands it back; the queue depth bounds how many
// completions wait to be collected.
#pragma once

#include <cstdint>
#include <vector>

#include <mlps/tier.hpp>

namespace mlps::posix {

class PosixTier;

class PosixQueue final : public TierPluginQueue {
  public:
    PosixQueue(PosixTier &tier, uint32_t depth);

    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept override;
    mlps_status poll(mlps_completion *out,
                     uint32_t minDone,
                     uint32_t maxDone,
                     uint64_t timeoutNs,
                     uint32_t *nDone) noexcept override;

  private:
    PosixTier &tier_;
    std::vector<mlps_completion> ring_; // `depth` slots, allocated once
    uint32_t head_ = 0;
    uint32_t count_ = 0;
};

} // namespace mlps::posix
