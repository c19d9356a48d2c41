// The tier as a benchmark sees it (host->tier_get): every call goes through to the plugin, and
// every op gets a deadline (run.op_timeout, from its submission). An op still in flight past
// its deadline fails the run — the message names tier, op, key and age — and is handed back to
// the benchmark as an MLPS_E_TIMEOUT completion, so the benchmark drains and the run ends
// instead of waiting forever. After a second stop signal ops in flight get a short grace, then
// are abandoned the same way (MLPS_E_STOPPED, not a failure: the user asked). A completion for
// an op the tier was never given, or gave back twice, fails the run too.
//
// Every entry point is noexcept: an exception escaping the plugin ends in std::terminate
// right there, with the plugin call still on record for the crash handler.
//
// Costs on the hot path: a slot per op (user_data is swapped for the slot index and restored),
// one clock read per submit and per poll, a scan of the ops in flight per poll.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <mlps/tier_abi.h>

namespace mlps::core {

class RunContext;
struct TierInstance;

class TierGuard {
  public:
    TierGuard(RunContext &run, TierInstance &tier, std::string label);
    TierGuard(const TierGuard &) = delete;
    TierGuard &operator=(const TierGuard &) = delete;

    // What host->tier_get hands out.
    void *self() { return this; }
    static const mlps_tier_ops *ops();

    // Ops abandoned (timed out or stopped) whose plugin never gave them back: the tier cannot
    // be trusted to close or destroy without blocking.
    uint64_t stuckOps() const noexcept { return stuck_.load(std::memory_order_relaxed); }

    RunContext &run;
    TierInstance &tier;
    const std::string label; // "tier fast (dram)"
    std::atomic<uint64_t> stuck_{0};
    std::atomic<uint64_t> overdueReported_{0};
};

} // namespace mlps::core
