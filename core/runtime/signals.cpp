#include "runtime/signals.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace mlps::core {

namespace {

std::atomic<int> gSignal{0};
std::atomic<int> gCount{0};

// write(2) of a literal; what the handler says must not allocate or lock.
void say(const char *text) noexcept {
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text, std::strlen(text));
}

// Only async-signal-safe work here: atomics, write and sigaction.
void onStopSignal(int signalNumber) {
    const int saved = errno;
    int expected = 0;
    gSignal.compare_exchange_strong(expected, signalNumber);
    const int n = gCount.fetch_add(1) + 1;
    if (signalNumber == SIGPIPE && n == 1) {
        errno = saved; // a closed stdout: nobody reads the explanation either
        return;
    }
    if (n == 1) {
        say("\nmlpsrun: stopping: letting operations in flight finish, then writing partial "
            "results and removing tier data (signal again to hurry)\n");
    } else if (n == 2) {
        say("\nmlpsrun: hurrying: operations in flight are abandoned; partial results and "
            "clean-up still happen (a third signal abandons clean-up)\n");
    } else {
        say("\nmlpsrun: abandoning clean-up: tier folders may be left behind; `mlpsrun clean` "
            "removes them\n");
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigaction(signalNumber, &dfl, nullptr);
        raise(signalNumber);
    }
    errno = saved;
}

} // namespace

void installStopSignalHandlers() {
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: blocking calls return EINTR and loops re-check the flag
    for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
        sigaction(s, &sa, nullptr);
    }
}

bool stopSignalled() noexcept {
    return gSignal.load(std::memory_order_relaxed) != 0;
}

int stopSignalNumber() noexcept {
    return gSignal.load(std::memory_order_relaxed);
}

int stopSignalCount() noexcept {
    return gCount.load(std::memory_order_relaxed);
}

bool hurrying() noexcept {
    return gCount.load(std::memory_order_relaxed) >= 2;
}

void requestStop(int signalNumber) noexcept {
    int expected = 0;
    if (gSignal.compare_exchange_strong(expected, signalNumber)) {
        gCount.fetch_add(1);
    }
}

} // namespace mlps::core
