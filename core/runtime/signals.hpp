// Stop signals (SIGINT, SIGTERM, SIGHUP, SIGPIPE), counted:
//  1st  the run stops: plugins see should_stop(), work in flight completes, partial results are
//       written and marked, tiers delete their data. The handler says so on stderr.
//  2nd  the run hurries: ops still in flight are abandoned at once (tier_guard) and the
//       watchdog gives the rest a short grace; results and clean-up still happen.
//  3rd  clean-up is abandoned: the default action of the signal ends the process.
// coreutils `timeout` sends two (TERM, then KILL after -k): the second still ends cleaned up.
// SIGPIPE (stdout closed: `mlpsrun run | head -1`) counts as a stop too, so a closed pipe never
// kills a run before it removed its tier data; writes to the pipe then fail with EPIPE.
#pragma once

namespace mlps::core {

void installStopSignalHandlers();
bool stopSignalled() noexcept;
int stopSignalNumber() noexcept; // the first stop signal, 0 when none
// How many stop signals arrived (requestStop counts as one).
int stopSignalCount() noexcept;
// A second stop signal arrived: in-flight work gets no more time.
bool hurrying() noexcept;
// For tests and for a failing rank: behave as if a signal had arrived.
void requestStop(int signalNumber) noexcept;

} // namespace mlps::core
