#include "uring_ring.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace mlps::uring {

namespace {

// How long the SQPOLL kernel thread spins without work before it sleeps.
constexpr unsigned kSqThreadIdleMs = 50;

int tryInit(io_uring &ring, const RingSettings &settings, unsigned flags) {
    io_uring_params params{};
    params.flags = flags;
    if (settings.sqpoll) {
        params.flags |= IORING_SETUP_SQPOLL;
        params.sq_thread_idle = kSqThreadIdleMs;
    }
    return io_uring_queue_init_params(settings.ringEntries, &ring, &params);
}

[[noreturn]] void refused(const RingSettings &settings, int rc) {
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

} // namespace

RingSetup initRing(io_uring &ring, const RingSettings &settings, bool singleIssuer) {
    // SINGLE_ISSUER lets the kernel skip the ring's submission lock and task references;
    // DEFER_TASKRUN runs completion work only when the ring's thread asks for completions (in
    // poll()), batched, instead of interrupting it. Both need a thread that owns the ring, so
    // the ring starts disabled and the queue enables it from the thread that first uses it
    // (queues are often opened by one thread and run by another). Kernels before 6.1 answer
    // EINVAL: then COOP_TASKRUN (5.19) — completion work waits for the thread's next entry
    // into the kernel — and, before 5.19, no flag at all. TASKRUN_FLAG (5.19, with either)
    // tells the thread when that entry is due.
    constexpr unsigned kOwned =
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED;
    struct Attempt {
        unsigned flags;
        RingSetup setup;
    };
    const Attempt attempts[] = {
        {kOwned | IORING_SETUP_TASKRUN_FLAG, {RingMode::SingleIssuer, true}},
        {kOwned, {RingMode::SingleIssuer, false}},
        {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, {RingMode::Shared, true}},
        {0, {RingMode::Shared, false}},
    };
    int rc = -EINVAL;
    for (const Attempt &attempt : attempts) {
        if (attempt.setup.mode == RingMode::SingleIssuer && (!singleIssuer || settings.sqpoll)) {
            continue;
        }
        rc = tryInit(ring, settings, attempt.flags);
        if (rc == 0) {
            return attempt.setup;
        }
        if (rc != -EINVAL) {
            break;
        }
    }
    refused(settings, rc);
}

void probeRing(const RingSettings &settings) {
    io_uring ring{};
    initRing(ring, settings, false);
    io_uring_queue_exit(&ring);
}

} // namespace mlps::uring
