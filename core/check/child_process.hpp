// Runs one check in a forked child with deadlines, so that a plugin that hangs or crashes fails
// the check it was in and never takes the checker down or leaves it waiting.
//
// Why a child process and not a worker thread: a thread stuck inside a plugin call cannot be
// stopped (there is no safe way to cancel it), and the instance it holds cannot be destroyed
// under it, so after the first hang a thread-based checker could only stop. A crash (SIGSEGV,
// abort) in a thread kills the whole tool. A child is killed with SIGKILL, its memory, threads,
// file descriptors and locks go with it, and the next check starts from a clean process; the
// parent, which never calls into the plugin (it only read the manifest), cleans the scratch
// folder. The cost is one fork per check (about a millisecond) and results sent back as text.
// A plugin whose library cannot survive a fork (CUDA initialised before fork) is fine: only
// the child ever creates a tier.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mlps::core::check {

// What the child is doing now, in memory shared with the parent: when a deadline passes, the
// parent reports this text ("poll(min_done 1, timeout forever) on an empty queue").
class StepBoard {
  public:
    // Sets the step and its deadline (absolute, CLOCK_MONOTONIC ns; 0 = the check's own).
    static void set(const std::string &text, uint64_t deadlineNs);
};

struct ChildResult {
    enum class Kind { Exited, Signaled, TimedOut };
    Kind kind = Kind::Exited;
    int code = 0;              // exit code or signal number
    std::string output;        // what the child wrote back (the check's result)
    std::string step;          // the last step the child announced
    bool stepDeadline = false; // TimedOut: the step's own deadline passed (not the check's)
    uint64_t elapsedNs = 0;
};

// Forks; the child runs `body` (its return value is sent back as `output`) and exits with
// _exit (no atexit handlers, no flushing of the parent's stdio twice). The parent waits at most
// until `deadlineNs` from now, or a step's own deadline, then kills the child.
ChildResult runInChild(const std::function<std::string()> &body, uint64_t deadlineNs);

uint64_t monotonicNs();

} // namespace mlps::core::check
