#include "runtime/crash_handler.hpp"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime/plugin_call.hpp"
#include "runtime/run_beacon.hpp"

namespace mlps::core {

namespace {

int gLogFd = -1;
char gAltStack[64 * 1024];

// Bounded string building without allocation (async-signal-safe).
struct Line {
    char text[1024];
    size_t size = 0;
    Line &operator<<(const char *s) {
        for (size_t i = 0; s != nullptr && s[i] != '\0' && size + 1 < sizeof text; ++i) {
            text[size++] = s[i];
        }
        text[size] = '\0';
        return *this;
    }
};

uintptr_t faultingAddress(void *context) {
    const auto *uc = static_cast<const ucontext_t *>(context);
    if (uc == nullptr) {
        return 0;
    }
#if defined(__x86_64__)
    return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
    return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
    return 0;
#endif
}

void onFatalSignal(int signalNumber, siginfo_t * /*info*/, void *context) {
    const char *caller = currentPluginCaller();
    const char *call = currentPluginCall();
    const char *file = pluginAt(faultingAddress(context));
    RunBeacon &beacon = runBeacon();
    if (beacon.crashSignal.load() == 0) {
        beacon.crashSignal.store(signalNumber);
        beaconCopy(beacon.crashCaller, caller);
        beaconCopy(beacon.crashCall, call);
        beaconCopy(beacon.crashFile, file);
        Line line;
        line << "mlpsrun: error: the run crashed with SIG" << sigabbrev_np(signalNumber);
        if (caller != nullptr) {
            line << " in " << caller << " " << (call != nullptr ? call : "");
        } else {
            line << " outside any plugin call";
        }
        if (file != nullptr) {
            line << " (address in " << file << ")";
        }
        line << "\n";
        [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.text, line.size);
        if (gLogFd >= 0) {
            n = ::write(gLogFd, line.text, line.size);
        }
    }
    // The default action now: the process ends as this signal says (a core where enabled).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(signalNumber, &dfl, nullptr);
    raise(signalNumber);
}

} // namespace

void installCrashHandler() {
    stack_t stack{};
    stack.ss_sp = gAltStack;
    stack.ss_size = sizeof gAltStack;
    sigaltstack(&stack, nullptr); // a stack overflow on the main thread still gets its record
    struct sigaction sa {};
    sa.sa_sigaction = onFatalSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    for (const int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) {
        sigaction(s, &sa, nullptr);
    }
}

void setCrashLog(const std::string &runLogPath) {
    const int fd =
        runLogPath.empty() ? -1 : ::open(runLogPath.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    const int old = gLogFd;
    gLogFd = fd;
    if (old >= 0) {
        ::close(old);
    }
}

} // namespace mlps::core
