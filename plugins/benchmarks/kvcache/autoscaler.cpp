#include "autoscaler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mlps::kvcache {

namespace {

constexpr uint32_t kCooldownWindows = 3;   // reference: 3 intervals after a scale-down
constexpr uint32_t kConsecutiveOver = 2;   // reference: 2 samples over before scaling down
constexpr uint32_t kFlatWindowsToStop = 2; // reference: 2 samples without a 1 % gain

// Nearest-rank p95 of the window's latencies (ns).
double p95(std::vector<uint64_t> &values) {
    std::sort(values.begin(), values.end());
    const size_t rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(values.size())));
    return static_cast<double>(values[std::max<size_t>(rank, 1) - 1]);
}

std::string text(const char *fmt, double a, double b = 0) {
    char buf[160];
    std::snprintf(buf, sizeof buf, fmt, a, b);
    return buf;
}

} // namespace

Autoscaler::Autoscaler(const AutoscalerSettings &settings,
                       const std::array<QosClass, kQosClasses> &qos,
                       uint32_t maxUsers)
    : settings_(settings), qos_(qos), maxUsers_(std::max<uint32_t>(maxUsers, 1)),
      users_(std::clamp<uint32_t>(settings.initialUsers, 1, std::max<uint32_t>(maxUsers, 1))) {
    window_.reserve(settings_.window);
}

bool Autoscaler::observe(const AutoscaleSample &sample, double timeS) {
    window_.push_back(sample);
    ++observed_;
    if (window_.size() < settings_.window) {
        return false;
    }
    AutoscaleDecision d;
    d.timeS = timeS;
    d.requests = observed_;
    d.usersBefore = users_;
    // The window's saturation: the worst class's p95 against its target.
    for (int q = 0; q < kQosClasses; ++q) {
        std::vector<uint64_t> lat;
        for (const auto &s : window_) {
            if (static_cast<int>(s.qos) == q) {
                lat.push_back(s.e2eNs);
            }
        }
        if (lat.empty() || qos_[q].targetP95Ms <= 0) {
            continue;
        }
        const double p = p95(lat) / 1e6;
        const double sat = p / qos_[q].targetP95Ms;
        if (sat > d.saturation) {
            d.saturation = sat;
            d.worstP95Ms = p;
        }
    }
    uint64_t bytes = 0, first = UINT64_MAX, last = 0;
    for (const auto &s : window_) {
        bytes += s.bytes;
        first = std::min(first, s.doneNs);
        last = std::max(last, s.doneNs);
    }
    d.throughputBps = last > first ? static_cast<double>(bytes) * 1e9 / double(last - first) : 0;
    window_.clear();
    if (settings_.mode == AutoscaleMode::Qos) {
        decideQos(d);
    } else {
        if (done_) {
            return false; // the sustainable count is held: no more decisions
        }
        decideCapacity(d);
    }
    const bool changed = d.users != users_;
    users_ = d.users;
    scaleEvents_ += changed ? 1 : 0;
    decisions_.push_back(std::move(d));
    return changed;
}

void Autoscaler::decideQos(AutoscaleDecision &d) {
    const double target = settings_.targetSaturation;
    const uint32_t u = users_;
    d.users = u;
    d.action = "hold";
    if (cooldown_ > 0) {
        --cooldown_;
        overWindows_ = 0;
        d.reason = "cooldown after a scale-down";
        return;
    }
    if (d.saturation > target * 1.1) {
        if (++overWindows_ < kConsecutiveOver) {
            d.reason = text("saturation %.2f over %.2f: waiting for a second window",
                            d.saturation,
                            target * 1.1);
            return;
        }
        overWindows_ = 0;
        const uint32_t down = std::max(
            settings_.minUsers, std::min(u - (u > 1 ? 1 : 0), static_cast<uint32_t>(u * 0.8)));
        if (down >= u) {
            d.reason = text("saturation %.2f over %.2f, at min_users", d.saturation, target * 1.1);
            return;
        }
        d.users = down;
        d.action = "scale_down";
        cooldown_ = kCooldownWindows;
        d.reason =
            text("p95 over the QoS target: saturation %.2f > %.2f", d.saturation, target * 1.1);
        return;
    }
    overWindows_ = 0;
    if (d.saturation < target * 0.9) {
        const uint32_t up = std::min(maxUsers_, std::max(u + 1, static_cast<uint32_t>(u * 1.2)));
        if (up <= u) {
            d.reason = text("saturation %.2f under %.2f, at the most users (option users)",
                            d.saturation,
                            target * 0.9);
            return;
        }
        d.users = up;
        d.action = "scale_up";
        d.reason = text(
            "p95 well under the QoS target: saturation %.2f < %.2f", d.saturation, target * 0.9);
        return;
    }
    char buf[96];
    std::snprintf(buf,
                  sizeof buf,
                  "saturation %.2f within [%.2f, %.2f]",
                  d.saturation,
                  target * 0.9,
                  target * 1.1);
    d.reason = buf;
}

void Autoscaler::decideCapacity(AutoscaleDecision &d) {
    const uint32_t u = users_;
    d.users = u;
    const auto finish = [&](const std::string &why) {
        done_ = true;
        d.users = std::max(peakUsers_, settings_.minUsers);
        d.action = "sustainable";
        d.reason = why + text(": sustainable %.0f users", d.users);
    };
    if (d.saturation > 1.0) {
        // A QoS p95 target broke: the last window that held them is the sustainable point.
        finish(text("a QoS p95 target broke (saturation %.2f)", d.saturation));
        if (peakUsers_ == 0) {
            d.users = std::max(settings_.minUsers, u > 1 ? u - 1 : 1);
            d.reason =
                text("a QoS p95 target broke at the first window: sustainable %.0f users", d.users);
        }
        return;
    }
    const bool first = peakUsers_ == 0;
    if (first || d.throughputBps > peakBps_ * 1.01) {
        peakBps_ = d.throughputBps;
        peakUsers_ = u;
        peakP95Ms_ = d.worstP95Ms;
        flat_ = 0;
        if (u >= maxUsers_) {
            finish("throughput still rising at the most users (option users)");
            return;
        }
        const uint32_t step = std::min<uint32_t>(
            std::max<uint32_t>(static_cast<uint32_t>(u * (first ? 0.4 : 0.2)), 5), 100);
        d.users = std::min(maxUsers_, u + step);
        d.action = "scale_up";
        d.reason = first ? text("first window: %.3g MB/s", d.throughputBps / 1e6)
                         : text("throughput rose to %.3g MB/s", d.throughputBps / 1e6);
        return;
    }
    if (++flat_ >= kFlatWindowsToStop) {
        finish(text("throughput stopped rising (best %.3g MB/s)", peakBps_ / 1e6));
        return;
    }
    d.action = "hold";
    d.reason = text(
        "throughput %.3g MB/s not above the best %.3g MB/s", d.throughputBps / 1e6, peakBps_ / 1e6);
}

} // namespace mlps::kvcache
