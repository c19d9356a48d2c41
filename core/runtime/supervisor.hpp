// The supervisor: `mlpsrun run` (one process, not under mpiexec) does its run in a child
// process and watches it, so that what the run itself cannot do still happens:
//  - the child crashes (a plugin's SIGSEGV, an exception escaping a C entry point) or is
//    killed (SIGKILL, the OOM killer): the supervisor writes summary.json with status
//    `crashed` / `killed` naming the plugin call in flight, the history entry and run.log line,
//    and removes the run's tier folders (by their owner records);
//  - the child hangs past its deadline (duration + grace, or a short grace after a stop
//    signal): the supervisor kills it and records it as `hung`, naming the overdue op;
//  - stop signals reach the supervisor (the terminal, `timeout`, a batch system) and are
//    passed on to the child, once each; the child runs in its own process group so that a
//    signal sent to the group is not counted twice.
// If the supervisor itself is killed, the child gets SIGTERM (PR_SET_PDEATHSIG) and stops
// cleanly. Under mpiexec there is no supervisor: mpiexec watches the ranks.
#pragma once

#include <functional>

namespace mlps::core {

// In the child: returns body()'s exit code. In the supervisor: returns the run's exit code
// once the child has ended.
int superviseRun(const std::function<int()> &body);

} // namespace mlps::core
