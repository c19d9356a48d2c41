#include "runtime/signals.hpp"

#include <atomic>
#include <csignal>

namespace mlps::core {

namespace {

std::atomic<int> gSignal{0};

// Only async-signal-safe work here: an atomic store and sigaction.
void onStopSignal(int signalNumber) {
    int expected = 0;
    if (!gSignal.compare_exchange_strong(expected, signalNumber)) {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigaction(signalNumber, &dfl, nullptr);
        raise(signalNumber);
    }
}

} // namespace

void installStopSignalHandlers() {
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: blocking calls return EINTR and loops re-check the flag
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool stopSignalled() noexcept {
    return gSignal.load(std::memory_order_relaxed) != 0;
}

int stopSignalNumber() noexcept {
    return gSignal.load(std::memory_order_relaxed);
}

void requestStop(int signalNumber) noexcept {
    int expected = 0;
    gSignal.compare_exchange_strong(expected, signalNumber);
}

} // namespace mlps::core
