#include "runtime/run_context.hpp"

#include "runtime/host_binding.hpp"

namespace mlps::core {

RunContext::RunContext(const RunSpec &runSpec, Comm &world, std::string id)
    : spec(runSpec), comm(world), runId(std::move(id)) {}

void RunContext::enterPhase(uint32_t phase, uint64_t lengthNs) {
    metrics.setRecording(phase == MLPS_PHASE_TIMED || phase == MLPS_PHASE_DRAIN);
    deadlineNs_.store(lengthNs == 0 ? 0 : monotonicNs() + lengthNs);
    phase_.store(phase);
}

double RunContext::timedSeconds() const noexcept {
    const uint64_t start = timedStartNs();
    if (start == 0) {
        return 0.0;
    }
    const uint64_t end = timedEndNs() != 0 ? timedEndNs() : monotonicNs();
    return static_cast<double>(end - start) / 1e9;
}

void RunContext::setFinalMetrics(MetricsSnapshot merged) {
    final_ = std::move(merged);
}

MetricsSnapshot RunContext::reportMetrics() const {
    return final_ ? *final_ : metrics.snapshot(monotonicNs());
}

void RunContext::setProgress(uint64_t done, uint64_t total, const char *text) {
    std::lock_guard lock(progressMutex_);
    progress_.done = done;
    progress_.total = total;
    progress_.text = text != nullptr ? text : "";
}

RunContext::Progress RunContext::progress() const {
    std::lock_guard lock(progressMutex_);
    return progress_;
}

} // namespace mlps::core
