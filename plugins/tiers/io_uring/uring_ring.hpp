// Setting up one io_uring ring with the tier's settings, and the message when the kernel
// refuses (old kernel, seccomp, kernel.io_uring_disabled).
#pragma once

#include <liburing.h>

#include "uring_tier.hpp"

namespace mlps::uring {

// How a ring was set up, from the fastest the kernel took.
enum class RingMode {
    // IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN, created disabled (R_DISABLED): the first
    // thread that enables it (io_uring_enable_rings) is the only one that may submit or wait.
    SingleIssuer,
    Shared, // any thread (one at a time) may submit and wait: COOP_TASKRUN where available
};

struct RingSetup {
    RingMode mode = RingMode::Shared;
    // IORING_SETUP_TASKRUN_FLAG took: the kernel raises IORING_SQ_TASKRUN when completion work
    // waits for this thread, so a poll need enter the kernel only then.
    bool taskrunFlag = false;
};

// Initialises `ring`, SingleIssuer when `singleIssuer` asks and the kernel has it (6.1+; EINVAL
// otherwise, then Shared), else Shared. sqpoll rings are always Shared (DEFER_TASKRUN excludes
// SQPOLL). Throws mlps::Error naming the cause and suggesting posix-nvme.
RingSetup initRing(io_uring &ring, const RingSettings &settings, bool singleIssuer);

// Creates and closes a ring: the tier refuses at creation rather than at the first queue.
void probeRing(const RingSettings &settings);

} // namespace mlps::uring
