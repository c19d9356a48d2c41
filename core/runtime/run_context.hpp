// The state of one run shared by the core and the host API of every plugin instance: metrics,
// the current phase and its deadline, the stop flag, the tiers, progress.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <mlps/plugin.h>

#include "plugin/plugin_loader.hpp"
#include "results/metrics_registry.hpp"
#include "runtime/clock.hpp"
#include "runtime/comm.hpp"
#include "runtime/signals.hpp"
#include "spec/option_resolver.hpp"
#include "spec/run_spec.hpp"

namespace mlps::core {

class HostBinding;
class TierGuard;

// A tier of the spec with its plugin and options; `self` is set once created. Benchmarks reach
// it through `guard` (deadlines on every op), never directly.
struct TierInstance {
    TierInstance();
    TierInstance(TierInstance &&) noexcept;
    TierInstance &operator=(TierInstance &&) noexcept;
    ~TierInstance();

    TierSpec spec;
    const LoadedPlugin *plugin = nullptr;
    ResolvedOptions options;
    std::unique_ptr<HostBinding> host;
    std::unique_ptr<TierGuard> guard;
    std::string label; // "tier fast (dram)": log prefixes and crash records
    void *self = nullptr;
};

class RunContext {
  public:
    RunContext(const RunSpec &spec, Comm &comm, std::string runId);

    const RunSpec &spec;
    Comm &comm;
    const std::string runId;
    std::string resultsDir; // empty in --dry-run
    MetricsRegistry metrics;
    std::vector<TierInstance> tiers;

    uint32_t phase() const noexcept { return phase_.load(std::memory_order_relaxed); }
    // Enters `phase`; a non-zero length sets its deadline from now. Samples are kept in TIMED
    // and DRAIN only.
    void enterPhase(uint32_t phase, uint64_t lengthNs);
    bool shouldStop() const noexcept {
        if (stopSignalled() || abort_.load(std::memory_order_relaxed)) {
            return true;
        }
        const uint64_t deadline = deadlineNs_.load(std::memory_order_relaxed);
        return deadline != 0 && monotonicNs() >= deadline;
    }
    // A failure elsewhere (another rank, the core) asks everyone to stop.
    void abort() noexcept { abort_.store(true, std::memory_order_relaxed); }

    uint64_t opTimeoutNs() const noexcept { return spec.run.opTimeoutNs; }
    // A failure found while the run goes on (a tier bug, an op past its deadline): logged, kept
    // for the summary, and the run stops. Thread-safe.
    void reportFailure(const std::string &message);
    // An op past its deadline: reportFailure, and the supervisor learns it too.
    void reportOverdue(const std::string &message);
    void logWarning(const std::string &message);
    std::vector<std::string> failures() const;

    uint64_t timedStartNs() const noexcept { return timedStartNs_.load(); }
    uint64_t timedEndNs() const noexcept { return timedEndNs_.load(); }
    void markTimedStart(uint64_t ns) { timedStartNs_.store(ns); }
    void markTimedEnd(uint64_t ns) { timedEndNs_.store(ns); }

    // Seconds of the timed window (so far, while it runs).
    double timedSeconds() const noexcept;
    // The metrics the report reads: the merged final ones once set, else a live snapshot.
    void setFinalMetrics(MetricsSnapshot merged);
    MetricsSnapshot reportMetrics() const;
    // The merged metrics, nullptr before they are set. A report reads one metric per call:
    // copying every histogram per call (reportMetrics) made reports quadratic.
    const MetricsSnapshot *finalMetrics() const noexcept { return final_ ? &*final_ : nullptr; }

    void setProgress(uint64_t done, uint64_t total, const char *text);
    struct Progress {
        uint64_t done = 0, total = 0;
        std::string text;
    };
    Progress progress() const;

  private:
    std::atomic<uint32_t> phase_{MLPS_PHASE_PREPARE};
    std::atomic<uint64_t> deadlineNs_{0};
    std::atomic<bool> abort_{false};
    std::atomic<uint64_t> timedStartNs_{0}, timedEndNs_{0};
    std::optional<MetricsSnapshot> final_;
    mutable std::mutex progressMutex_;
    Progress progress_;
    mutable std::mutex failuresMutex_;
    std::vector<std::string> failures_;
};

} // namespace mlps::core
