// A page of memory shared between a run (the child) and its supervisor (supervisor.hpp): what
// the run tells the supervisor that must survive the run's death — its results folder, the
// deadline past which it counts as hung, the op that went overdue, and which plugin call was
// in flight when it crashed. Written with plain stores from signal handlers; read by the
// supervisor only after the child stopped, or as a deadline that may be stale by one update.
#pragma once

#include <atomic>
#include <cstdint>

namespace mlps::core {

struct RunBeacon {
    std::atomic<uint64_t> deadlineNs{0}; // CLOCK_MONOTONIC; 0 = none yet
    std::atomic<uint64_t> opTimeoutNs{0};
    std::atomic<int> resultsWritten{0}; // summary.json and the index entry are written
    std::atomic<int> crashSignal{0};
    char resultsDir[1024] = {};
    char crashCaller[160] = {}; // "tier fast (dram)"
    char crashCall[64] = {};    // "submit"
    char crashFile[256] = {};   // the plugin file holding the faulting address
    char overdue[512] = {};     // the first overdue op, as the run reported it
};

// The beacon of this process: shared with the supervisor when there is one, else a private
// page, so callers never check.
RunBeacon &runBeacon();
// Makes runBeacon() a MAP_SHARED page (before fork). Returns it.
RunBeacon *mapSharedBeacon();

// Copies `text` into a beacon field; async-signal-safe.
template <size_t N>
void beaconCopy(char (&field)[N], const char *text) noexcept {
    size_t i = 0;
    for (; text != nullptr && text[i] != '\0' && i + 1 < N; ++i) {
        field[i] = text[i];
    }
    field[i] = '\0';
}

} // namespace mlps::core
