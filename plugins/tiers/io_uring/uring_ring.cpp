#include "uring_ring.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace mlps::uring {

namespace {
// How long the SQPOLL kernel thread spins without work before it sleeps.
constexpr unsigned kSqThreadIdleMs = 50;
} // namespace

void initRing(io_uring &ring, const TierSettings &settings) {
    io_uring_params params{};
    if (settings.sqpoll) {
        params.flags |= IORING_SETUP_SQPOLL;
        params.sq_thread_idle = kSqThreadIdleMs;
    }
    // Completions are reaped by the thread that submits, in poll(): completion work can wait
    // for that thread's next entry into the kernel instead of interrupting it (COOP_TASKRUN,
    // Linux 5.19; older kernels answer EINVAL, hence the retry without it). SINGLE_ISSUER is not
    // used: a queue may move between threads (one at a time), which it would forbid.
    params.flags |= IORING_SETUP_COOP_TASKRUN;
    int rc = io_uring_queue_init_params(settings.ringEntries, &ring, &params);
    if (rc == -EINVAL) {
        params = io_uring_params{};
        if (settings.sqpoll) {
            params.flags |= IORING_SETUP_SQPOLL;
            params.sq_thread_idle = kSqThreadIdleMs;
        }
        rc = io_uring_queue_init_params(settings.ringEntries, &ring, &params);
    }
    if (rc == 0) {
        return;
    }
    const int e = -rc;
    std::string why = std::strerror(e);
    if (e == ENOSYS || e == EPERM || e == EACCES) {
        why += ": io_uring is not available to this process (an old kernel, a seccomp profile "
               "such as a container's, or kernel.io_uring_disabled); use plugin: posix-nvme "
               "instead";
    } else if (e == ENOMEM) {
        why += ": the ring's memory could not be locked (RLIMIT_MEMLOCK); lower queue_depth, "
               "raise the limit, or use plugin: posix-nvme";
    }
    if (settings.sqpoll && (e == EPERM || e == EINVAL)) {
        why += " (sqpoll: true may need privileges: try sqpoll: false)";
    }
    throw Error("io_uring_queue_init(" + std::to_string(settings.ringEntries) +
                    " entries) failed: " + why,
                e == ENOMEM ? MLPS_E_NO_MEMORY : MLPS_E_NOT_SUPPORTED,
                e);
}

void probeRing(const TierSettings &settings) {
    io_uring ring{};
    initRing(ring, settings);
    io_uring_queue_exit(&ring);
}

} // namespace mlps::uring
