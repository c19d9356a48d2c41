#include "runtime/supervisor.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results/run_record.hpp"
#include "runtime/clock.hpp"
#include "runtime/run_beacon.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

constexpr uint64_t kSecond = 1000000000ull;
// After a second stop signal the run has this long to write its results and clean up.
constexpr uint64_t kHurryGraceNs = 15 * kSecond;
// Added to the op deadline after a first stop signal: draining, the report, tier clean-up.
constexpr uint64_t kStopGraceNs = 30 * kSecond;

std::atomic<pid_t> gChild{0};
std::atomic<int> gForwarded{0};
std::atomic<uint64_t> gFirstSignalNs{0};
std::atomic<uint64_t> gSecondSignalNs{0};

void forward(int signalNumber) {
    const pid_t child = gChild.load();
    if (child <= 0) {
        return;
    }
    const int n = gForwarded.fetch_add(1) + 1;
    const uint64_t now = monotonicNs(); // clock_gettime: async-signal-safe
    if (n == 1) {
        gFirstSignalNs.store(now);
    } else if (n == 2) {
        gSecondSignalNs.store(now);
    }
    ::kill(child, signalNumber);
}

// The latest moment the child may still be running, 0 for none yet.
uint64_t deadlineNs(const RunBeacon &beacon) {
    uint64_t deadline = beacon.deadlineNs.load();
    const auto tighten = [&deadline](uint64_t at) {
        if (at != 0 && (deadline == 0 || at < deadline)) {
            deadline = at;
        }
    };
    if (const uint64_t first = gFirstSignalNs.load(); first != 0) {
        const uint64_t opTimeout = beacon.opTimeoutNs.load();
        tighten(first + opTimeout + kStopGraceNs);
    }
    if (const uint64_t second = gSecondSignalNs.load(); second != 0) {
        tighten(second + kHurryGraceNs);
    }
    return deadline;
}

void installForwarding() {
    struct sigaction sa {};
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (const int s : {SIGINT, SIGTERM, SIGHUP}) {
        sigaction(s, &sa, nullptr);
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, nullptr);
}

std::string signalText(int signalNumber) {
    const char *abbrev = sigabbrev_np(signalNumber);
    return abbrev != nullptr ? std::string("SIG") + abbrev
                             : "signal " + std::to_string(signalNumber);
}

// What happened to a child that did not exit by itself, for the record.
std::string
describeDeath(const RunBeacon &beacon, int signalNumber, bool hung, std::string &status) {
    if (hung) {
        status = "hung";
        std::string text = "the run did not end by its deadline and was killed";
        if (beacon.overdue[0] != '\0') {
            text += std::string(": ") + beacon.overdue;
        } else if (beacon.crashCaller[0] != '\0') {
            text += std::string(" (last in ") + beacon.crashCaller + ")";
        }
        return text;
    }
    if (beacon.crashSignal.load() != 0) {
        status = "crashed";
        std::string text = "the run crashed with " + signalText(beacon.crashSignal.load());
        if (beacon.crashCaller[0] != '\0') {
            text += std::string(" in ") + beacon.crashCaller + " " + beacon.crashCall;
        } else {
            text += " outside any plugin call";
        }
        if (beacon.crashFile[0] != '\0') {
            text += std::string(" (faulting address in ") + beacon.crashFile + ")";
        }
        return text;
    }
    status = "killed";
    return "the run was killed by " + signalText(signalNumber) +
           (signalNumber == SIGKILL ? " (by a user, a batch system or the out-of-memory killer)"
                                    : "");
}

} // namespace

int superviseRun(const std::function<int()> &body) {
    RunBeacon &beacon = *mapSharedBeacon();
    std::fflush(nullptr);
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) {
        return body(); // no supervisor, but still a run
    }
    if (child == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) {
            ::raise(SIGTERM); // the supervisor died before prctl took effect
        }
        return body();
    }
    ::setpgid(child, child);
    gChild.store(child);
    installForwarding();

    int status = 0;
    bool hung = false;
    for (;;) {
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child) {
            break;
        }
        if (done < 0 && errno != EINTR) {
            return kExitSystem;
        }
        if (gForwarded.load() >= 3) {
            return kExitInterrupted; // clean-up abandoned, as the third signal asks
        }
        const uint64_t deadline = deadlineNs(beacon);
        if (!hung && deadline != 0 && monotonicNs() > deadline) {
            hung = true;
            ::kill(child, SIGKILL);
        }
        // A supervisor polls a child it cannot otherwise hear from when it hangs.
        const timespec pause{0, 50 * 1000 * 1000};
        ::nanosleep(&pause, nullptr);
    }
    gChild.store(0);
    if (WIFEXITED(status) && !hung) {
        return WEXITSTATUS(status);
    }
    const int signalNumber = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    std::string runStatus;
    const std::string message = describeDeath(beacon, signalNumber, hung, runStatus);
    std::cerr << "mlpsrun: error: " << message << "\n";
    if (beacon.resultsDir[0] != '\0') {
        const std::string outcome = recordAbandonedRun(beacon.resultsDir,
                                                       child,
                                                       runStatus,
                                                       message,
                                                       kExitRunFailed,
                                                       beacon.resultsWritten.load() != 0);
        if (!outcome.empty()) {
            std::cerr << "mlpsrun: " << outcome << "\n";
        }
    }
    return kExitRunFailed;
}

} // namespace mlps::core
