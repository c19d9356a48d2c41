// Setting up one io_uring ring with the tier's settings, and the message when the kernel
// refuses (old kernel, seccomp, kernel.io_uring_disabled).
#pragma once

#include <liburing.h>

#include "uring_tier.hpp"

namespace mlps::uring {

// Initialises `ring`; throws mlps::Error naming the cause and suggesting posix-nvme.
void initRing(io_uring &ring, const TierSettings &settings);

// Creates and closes a ring: the tier refuses at creation rather than at the first queue.
void probeRing(const TierSettings &settings);

} // namespace mlps::uring
