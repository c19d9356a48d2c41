"""What the bench scripts share to tell a quiet machine from a busy one, and to count CPU.

The 1-minute load average alone cannot say it: Linux counts threads blocked in I/O (state D),
so a run with 32 psync threads (ours or fio's) raises the load by itself. A row is therefore
judged on two things: the load average before it starts (the scripts wait for it to settle
first), and the CPU time that processes other than the row's own used while it ran ("foreign"
CPU: the machine's busy time from /proc/stat minus what the script and its children used, from
getrusage, which also covers mlpsrun's supervised run and fio's jobs). Kernel threads count as
foreign, so an idle 2-vCPU VM shows a few per cent; a competing build shows tens.
"""
import os
import resource
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def busy_cpu_s():
    """Seconds every CPU spent on anything but idle and iowait since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def own_cpu_s():
    """CPU seconds of this script and of every child process waited for so far (and of their
    waited children)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def tree_cpu_s(pid):
    """CPU seconds of a live process and its live descendants, plus the children they have
    already waited for: mlpsrun runs the benchmark in a supervised child process."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15]) / CLK_TCK  # utime stime cutime cstime
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    total += tree_cpu_s(int(child))
    except (OSError, ValueError, IndexError):
        pass
    return total


def wait_for_load(max_load, timeout_s):
    """Waits up to timeout_s for the 1-minute load average to fall to max_load; returns it."""
    deadline = time.monotonic() + timeout_s
    load = os.getloadavg()[0]
    while load > max_load and time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()[0]
    return load


class Row:
    """One measured row: `with Row(max_load, settle_s) as row: ...`, then row.loaded,
    row.describe(). Foreign CPU above `max_foreign` (a share of all CPUs over the row's wall
    time) or a load average still above max_load after settling marks the row LOADED."""

    def __init__(self, max_load, settle_s, max_foreign=0.10):
        self.max_load, self.settle_s, self.max_foreign = max_load, settle_s, max_foreign

    def __enter__(self):
        self.load_before = wait_for_load(self.max_load, self.settle_s)
        self.wall = time.monotonic()
        self.busy = busy_cpu_s()
        self.own = own_cpu_s()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.wall
        foreign = (busy_cpu_s() - self.busy) - (own_cpu_s() - self.own)
        self.foreign_share = max(foreign, 0.0) / (wall * (os.cpu_count() or 1)) if wall else 0.0
        self.load_after = os.getloadavg()[0]
        self.loaded = self.load_before > self.max_load or self.foreign_share > self.max_foreign
        return False

    def describe(self):
        return (f"load {self.load_before:.2f}->{self.load_after:.2f}, other CPU "
                f"{100 * self.foreign_share:.1f}%" + ("  LOADED" if self.loaded else ""))
