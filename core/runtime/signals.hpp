// SIGINT/SIGTERM handling: the first signal asks the run to stop (plugins see should_stop(),
// drain, and the core writes partial results marked as such); a second SIGINT while stopping
// restores the default action, so an impatient user can still kill the process outright.
#pragma once

namespace mlps::core {

void installStopSignalHandlers();
bool stopSignalled() noexcept;
int stopSignalNumber() noexcept; // 0 when none
// For tests and for a failing rank: behave as if a signal had arrived.
void requestStop(int signalNumber) noexcept;

} // namespace mlps::core
