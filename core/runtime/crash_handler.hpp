// Fatal signals of a run (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT — the last also from
// std::terminate, e.g. a C++ exception escaping a plugin's C entry point): the handler names
// the plugin call in flight on stderr and in run.log, notes it in the run beacon for the
// supervisor (which writes the summary and the history entry and removes the tier folders),
// and lets the signal take its default course (a core dump where enabled).
#pragma once

#include <string>

namespace mlps::core {

// Installs the handlers (idempotent). `runLogPath` may be empty.
void installCrashHandler();
// Where the handler also writes its line (run.log); call again when it changes.
void setCrashLog(const std::string &runLogPath);

} // namespace mlps::core
