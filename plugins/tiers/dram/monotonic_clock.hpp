// The clock the dram tier's emulation runs on. CLOCK_MONOTONIC, like the host's clock, so a
// ready time can also be slept on with clock_nanosleep(TIMER_ABSTIME).
#pragma once

#include <cstdint>
#include <ctime>

namespace mlps::dram {

inline uint64_t monotonicNs() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Sleeps until `deadlineNs` on monotonicNs()'s clock (returns early on a signal; callers loop).
inline void sleepUntilNs(uint64_t deadlineNs) noexcept {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(deadlineNs / 1'000'000'000u);
    ts.tv_nsec = static_cast<long>(deadlineNs % 1'000'000'000u);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

inline uint64_t saturatingAdd(uint64_t a, uint64_t b) noexcept {
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

} // namespace mlps::dram
