// The autoscaler that changes the load (issue 11 §1; the reference's WorkloadAutoscaler only
// rewrites counters: reference study §3.11). It sees every completed request and, every
// `window` completions, decides how many users are active; the engine then stops or starts
// users (lanes) to match. No host dependency: unit-tested on its own.
//
// qos: saturation = the largest (window p95 of end-to-end latency / target p95) over the QoS
//   classes that completed requests in the window. Above 1.1 x target_saturation on two
//   windows in a row: users x 0.8, then three windows of cooldown; below 0.9 x
//   target_saturation: users x 1.2 (at least one more); else hold (the reference's rules).
// capacity: the first window adds min(max(u x 0.4, 5), 100) users, a window whose storage
//   throughput beats the best by 1 % adds min(max(u x 0.2, 5), 100); two windows without
//   improvement, or a QoS p95 target broken, end the ramp at the best window's user count:
//   the sustainable user count, held for the rest of the run.
//
// Determinism: the decision points are counts of completed requests, never times; which
// requests fall in a window, and the measured latency, depend on the machine. With closed
// arrivals and a signal well clear of the thresholds, the decisions are the same in every run.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "settings.hpp"

namespace mlps::kvcache {

struct AutoscaleSample {
    uint64_t e2eNs = 0;
    Qos qos = Qos::Batch;
    uint64_t bytes = 0;  // storage bytes the request moved
    uint64_t doneNs = 0; // host clock
};

struct AutoscaleDecision {
    double timeS = 0;      // since the requests began
    uint64_t requests = 0; // completed requests when it was taken
    std::string action;    // scale_up, scale_down, hold, sustainable
    uint32_t usersBefore = 0;
    uint32_t users = 0;
    std::string reason;
    double saturation = 0;    // qos: largest p95 / target; capacity: the same, for the record
    double worstP95Ms = 0;    // the window p95 of the class that set the saturation
    double throughputBps = 0; // storage bytes per second over the window
};

class Autoscaler {
  public:
    Autoscaler(const AutoscalerSettings &settings,
               const std::array<QosClass, kQosClasses> &qos,
               uint32_t maxUsers);

    uint32_t users() const { return users_; }
    // Adds a completed request; at the end of a window decides, and returns true when the
    // active user count changed (users() is the new one).
    bool observe(const AutoscaleSample &sample, double timeS);

    const std::vector<AutoscaleDecision> &decisions() const { return decisions_; }
    const AutoscalerSettings &settings() const { return settings_; }
    uint32_t initialUsers() const { return settings_.initialUsers; }
    uint32_t maxUsers() const { return maxUsers_; }
    uint32_t peakUsers() const { return peakUsers_; }
    double peakThroughputBps() const { return peakBps_; }
    double peakP95Ms() const { return peakP95Ms_; }
    bool rampDone() const { return done_; }
    uint64_t scaleEvents() const { return scaleEvents_; }

  private:
    void decideQos(AutoscaleDecision &d);
    void decideCapacity(AutoscaleDecision &d);

    AutoscalerSettings settings_;
    std::array<QosClass, kQosClasses> qos_;
    uint32_t maxUsers_;
    uint32_t users_;
    std::vector<AutoscaleSample> window_;
    uint64_t observed_ = 0;
    uint32_t overWindows_ = 0; // qos: consecutive windows over target
    uint32_t cooldown_ = 0;    // qos: windows to hold after a scale-down
    uint32_t flat_ = 0;        // capacity: consecutive windows without improvement
    bool done_ = false;        // capacity: the ramp is over
    uint32_t peakUsers_ = 0;
    double peakBps_ = 0;
    double peakP95Ms_ = 0;
    uint64_t scaleEvents_ = 0;
    std::vector<AutoscaleDecision> decisions_;
};

} // namespace mlps::kvcache
