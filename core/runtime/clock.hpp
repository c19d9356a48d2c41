// The one clock of a run: CLOCK_MONOTONIC in nanoseconds (vDSO, ~20 ns a call).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace mlps::core {

inline uint64_t monotonicNs() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Wall-clock time as ISO 8601 UTC with milliseconds, for results: "2026-11-27T02:40:00.123Z".
std::string utcTimestamp();

} // namespace mlps::core
