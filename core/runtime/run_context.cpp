#include "runtime/run_context.hpp"

#include "runtime/host_binding.hpp"
#include "runtime/run_beacon.hpp"
#include "runtime/tier_guard.hpp"
#include "util/log.hpp"

namespace mlps::core {

TierInstance::TierInstance() = default;
TierInstance::TierInstance(TierInstance &&) noexcept = default;
TierInstance &TierInstance::operator=(TierInstance &&) noexcept = default;
TierInstance::~TierInstance() = default;

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

void RunContext::reportFailure(const std::string &message) {
    {
        std::lock_guard lock(failuresMutex_);
        for (const auto &known : failures_) {
            if (known == message) {
                return;
            }
        }
        failures_.push_back(message);
    }
    logError(message);
    abort();
}

void RunContext::reportOverdue(const std::string &message) {
    RunBeacon &beacon = runBeacon();
    if (beacon.overdue[0] == '\0') {
        beaconCopy(beacon.overdue, message.c_str());
    }
    reportFailure(message);
}

void RunContext::logWarning(const std::string &message) {
    logWarn(message);
}

std::vector<std::string> RunContext::failures() const {
    std::lock_guard lock(failuresMutex_);
    return failures_;
}

} // namespace mlps::core
