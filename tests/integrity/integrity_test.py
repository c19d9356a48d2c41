#!/usr/bin/env python3
"""Run integrity: faults, signals and leftovers end in a record, a clean machine and the right
exit code — never a hang, a silent pass or lost results (issue 9; DESIGN.md §6).

Usage: integrity_test.py MLPSRUN FAULTY_PLUGIN_DIR CASE. Exit 0 pass, 1 fail, 77 skipped.
Processes are waited for with communicate(timeout=...): a hang fails the test instead of
hanging the suite. Nothing here asserts speed.
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile

MLPSRUN, FAULTY_DIR, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
ENV = dict(os.environ, MLPS_PLUGIN_PATH=FAULTY_DIR + ":" + os.environ.get("MLPS_PLUGIN_PATH", ""))


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def tierbench(tier_options="", bench_extra="", run_extra="", tier_plugin="faulty"):
    return f"""benchmark:
  plugin: tierbench
  options:
    mode: mixed
    pattern: random
    object_size: 256KiB
    io_size: 64KiB
    objects: 8
    threads: 1
    queue_depth: 4
    verify: true
{bench_extra}tiers:
  - name: shaky
    plugin: {tier_plugin}
    options:
{tier_options or "      fault: none"}
run:
  seed: 3
{run_extra}"""


def start(tmp, spec_text, results=None):
    spec = pathlib.Path(tmp) / "spec.yaml"
    spec.write_text(spec_text)
    results = results or pathlib.Path(tmp) / "results"
    proc = subprocess.Popen([MLPSRUN, "-v", "run", str(spec), "--results-dir", str(results)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    return proc, results


def finish(proc, timeout=90):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failure(f"mlpsrun still running after {timeout} s\nstderr:\n{err}")
    return proc.returncode, out, err


def summary_of(results):
    found = list(pathlib.Path(results).glob("*/*/summary.json"))
    check(len(found) == 1, f"expected one summary.json under {results}, found {found}")
    return json.loads(found[0].read_text()), found[0].parent


def index_of(results):
    index = pathlib.Path(results) / "index.jsonl"
    return [json.loads(line) for line in index.read_text().splitlines()] if index.exists() else []


def wait_for_line(proc, text):
    seen = ""
    while text not in seen:
        line = proc.stderr.readline()
        check(line != "", f"mlpsrun ended before '{text}': {seen}")
        seen += line
    return seen


def folders(path):
    return sorted(p.name for p in pathlib.Path(path).iterdir())


def case_verify_mismatch_fails():
    # Bytes that come back different fail the run (exit 1), and the summary says why.
    with tempfile.TemporaryDirectory() as tmp:
        proc, results = start(tmp, tierbench("      fault: corrupt\n      fault_after: 40\n",
                                             "    total_bytes: 4MiB\n", "  duration: 0\n"))
        code, out, err = finish(proc)
        check(code == 1, f"exit {code}, expected 1\n{err}")
        summary, _ = summary_of(results)
        check(summary["status"] == "failed", f"status {summary['status']}")
        check(any("data verification failed" in e for e in summary["errors"]), summary["errors"])
        check("data verification failed" in out, f"the printed summary hides it:\n{out}")


def case_hung_op_deadline():
    # An op that never completes: the run fails naming tier, op, key and age, ends (no
    # hang), writes its results, and leaves no tier folder.
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        proc, results = start(
            tmp, tierbench(f"      fault: hang\n      fault_after: 20\n      path: {data}\n",
                           "", "  duration: 2s\n  op_timeout: 500ms\n"))
        code, out, err = finish(proc)
        check(code == 1, f"exit {code}, expected 1\n{err}")
        summary, _ = summary_of(results)
        check(summary["status"] == "failed", f"status {summary['status']}")
        text = " ".join(summary["errors"])
        for word in ("tier shaky (faulty)", "of key", "did not complete in", "op_timeout"):
            check(word in text, f"'{word}' not in {summary['errors']}")
        check(folders(data) == [], f"left behind: {folders(data)}")
        check(index_of(results)[-1]["status"] == "failed", "history entry")


def crash_case(fault):
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        proc, results = start(
            tmp, tierbench(f"      fault: {fault}\n      fault_after: 10\n      path: {data}\n",
                           "", "  duration: 5s\n"))
        code, out, err = finish(proc)
        check(code == 1, f"exit {code}, expected 1\n{err}")
        check("tier shaky (faulty) submit" in err, f"the plugin is not named:\n{err}")
        summary, folder = summary_of(results)
        check(summary["status"] == "crashed", f"status {summary['status']}")
        check(any("tier shaky (faulty) submit" in e for e in summary["errors"]), summary["errors"])
        check("tier shaky (faulty) submit" in (folder / "run.log").read_text(), "run.log")
        check(index_of(results)[-1]["status"] == "crashed", "history entry")
        check(folders(data) == [], f"left behind: {folders(data)}")


def case_crash_segv():
    crash_case("segv")


def case_crash_exception():
    crash_case("throw")


def case_blocked_submit_killed():
    # A plugin that never returns from submit: after a Ctrl-C and a second one the supervisor
    # ends the run within its grace, records it as hung and removes its folder.
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        proc, results = start(
            tmp, tierbench(f"      fault: block_submit\n      fault_after: 100\n      path: {data}\n",
                           "", "  duration: 10m\n  op_timeout: 1s\n"))
        wait_for_line(proc, "submit blocks now")
        # One signal at a time: two sent at once may merge into one (signals do not queue).
        proc.send_signal(signal.SIGINT)
        wait_for_line(proc, "stopping:")
        proc.send_signal(signal.SIGINT)
        code, out, err = finish(proc, timeout=120)
        check(code == 1, f"exit {code}, expected 1\n{err}")
        summary, _ = summary_of(results)
        check(summary["status"] == "hung", f"status {summary['status']}")
        check(folders(data) == [], f"left behind: {folders(data)}")


def signals_case(signals, expect_code=130):
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        proc, results = start(tmp, tierbench(f"      path: {data}\n", run_extra="  duration: 10m\n"))
        seen = wait_for_line(proc, "timed phase")
        for n, s in enumerate(signals):
            proc.send_signal(s)
            # The next signal only once this one was taken (signals do not queue).
            seen += wait_for_line(proc, "stopping:" if n == 0 else "hurrying:")
        code, out, err = finish(proc)
        err = seen + err
        check(code == expect_code, f"exit {code}, expected {expect_code}\n{err}")
        summary, _ = summary_of(results)
        check(summary["partial"] is True, "marked partial")
        check(folders(data) == [], f"left behind: {folders(data)}")
        return summary, err


def case_two_signals():
    summary, err = signals_case([signal.SIGTERM, signal.SIGTERM])
    check(summary["status"] == "interrupted", f"status {summary['status']}")
    check("stopping:" in err and "hurrying:" in err, f"nothing said on stderr:\n{err}")


def case_sighup():
    summary, _ = signals_case([signal.SIGHUP])
    check(summary["status"] == "interrupted", f"status {summary['status']}")


def case_sigkill_of_the_run():
    # SIGKILL cannot be handled by the run itself; its supervisor records it and cleans up.
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        proc, results = start(tmp, tierbench(f"      path: {data}\n", run_extra="  duration: 10m\n"))
        wait_for_line(proc, "timed phase")
        child = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
        pids = child.stdout.split()
        check(len(pids) == 1, f"expected one run process under the supervisor: {pids}")
        os.kill(int(pids[0]), signal.SIGKILL)
        code, out, err = finish(proc)
        check(code == 1, f"exit {code}, expected 1\n{err}")
        summary, _ = summary_of(results)
        check(summary["status"] == "killed", f"status {summary['status']}")
        check(folders(data) == [], f"left behind: {folders(data)}")


def case_sigpipe():
    # `mlpsrun run ... | head -1`: the closed pipe does not cost the clean-up.
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        spec = pathlib.Path(tmp) / "spec.yaml"
        spec.write_text(tierbench(f"      path: {data}\n", "    total_bytes: 2MiB\n",
                                  "  duration: 0\n"))
        results = pathlib.Path(tmp) / "results"
        proc = subprocess.run(
            ["bash", "-c", f"'{MLPSRUN}' run '{spec}' --results-dir '{results}' | head -c 1"],
            capture_output=True, text=True, env=ENV, timeout=90)
        summary, _ = summary_of(results)
        check(summary["status"] in ("ok", "interrupted"), f"status {summary['status']}")
        check(folders(data) == [], f"left behind: {folders(data)}")


def write_record(folder, pid, start_ticks, host=None, keep=0):
    folder.mkdir()
    boot = pathlib.Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    host = host or os.uname().nodename
    (folder / ".mlps-owner").write_text(
        f"mlps-owner 1\npid {pid}\nhost {host}\nstart_ticks {start_ticks}\nboot_id {boot}\n"
        f"run_id test\nkeep {keep}\n")
    (folder / "data").write_bytes(b"x" * 8192)


def start_ticks(pid):
    stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2:].split()[19]


def case_clean():
    # Folders of dead runs go; a live run's, a kept one, another host's and anything without
    # a record stay.
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        dead = subprocess.Popen(["true"])
        dead.wait()
        write_record(root / "mlps-dead-1", dead.pid, "12345")
        write_record(root / "mlps-recycled-1", os.getpid(), "1")  # same pid, other start time
        write_record(root / "mlps-live-1", os.getpid(), start_ticks(os.getpid()))
        write_record(root / "mlps-kept-1", dead.pid, "12345", keep=1)
        write_record(root / "mlps-remote-1", dead.pid, "12345", host="elsewhere.example")
        (root / "mlps-norecord-1").mkdir()
        (root / "unrelated").mkdir()
        dry = subprocess.run([MLPSRUN, "clean", "--dry-run", tmp], capture_output=True, text=True,
                             timeout=60)
        check(dry.returncode == 0, dry.stderr)
        check("would remove 2 folder(s)" in dry.stdout, dry.stdout)
        check(len(folders(root)) == 7, "a dry run removed something")
        real = subprocess.run([MLPSRUN, "clean", tmp], capture_output=True, text=True, timeout=60)
        check(real.returncode == 0, real.stderr)
        check(folders(root) == ["mlps-kept-1", "mlps-live-1", "mlps-norecord-1", "mlps-remote-1",
                                "unrelated"], folders(root))


def case_results_fs_full():
    # A full results file system: a clear message, the summary on stdout, exit 4, no crash.
    with tempfile.TemporaryDirectory() as tmp:
        mount = pathlib.Path(tmp) / "small"
        mount.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True).returncode != 0:
            print("skip: cannot mount a small tmpfs here")
            sys.exit(77)
        try:
            (mount / "filler").write_bytes(b"\0" * (60 * 1024))
            proc, _ = start(tmp, tierbench("", "    total_bytes: 2MiB\n", "  duration: 0\n"),
                            results=mount)
            code, out, err = finish(proc)
            check(code == 4, f"exit {code}, expected 4\n{err}")
            check('"run_id"' in out, f"the summary is not on stdout:\n{out}")
            check(not list(mount.glob("**/summary.json.tmp")), "a summary.json.tmp was left")
        finally:
            subprocess.run(["umount", str(mount)])


def case_io_errors_fail_run():
    # Ops that fail with EIO mid-run: the run goes on to its end, then fails (exit 1) saying how
    # many errors and where to look; the summary, the history entry and a clean tier folder
    # are all there.
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        proc, results = start(
            tmp, tierbench(f"      fault: eio\n      fault_after: 60\n      path: {data}\n",
                           "    total_bytes: 4MiB\n", "  duration: 0\n"))
        code, out, err = finish(proc)
        check(code == 1, f"exit {code}, expected 1\n{err}")
        summary, _ = summary_of(results)
        check(summary["status"] == "failed", f"status {summary['status']}")
        check(any("I/O error(s)" in e for e in summary["errors"]), summary["errors"])
        check("I/O error(s)" in out, f"the printed summary hides it:\n{out}")
        check(index_of(results)[-1]["status"] == "failed", "history entry")
        check(folders(data) == [], f"left behind: {folders(data)}")


def case_tier_fs_full():
    # The tier's file system fills up mid-run (a capacity larger than the device, as a wrong
    # spec would say): ENOSPC fails the run with a clear message, results written, tier
    # folder removed, no hang.
    with tempfile.TemporaryDirectory() as tmp:
        mount = pathlib.Path(tmp) / "small"
        mount.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                          capture_output=True).returncode != 0:
            print("skip: cannot mount a small tmpfs here")
            sys.exit(77)
        try:
            spec = tierbench(f"      path: {mount}\n", "    total_bytes: 4MiB\n",
                             "  duration: 0\n", tier_plugin="posix-nvme")
            spec = spec.replace("    plugin: posix-nvme\n",
                                "    plugin: posix-nvme\n    capacity: 8MiB\n")
            proc, results = start(tmp, spec)
            code, out, err = finish(proc)
            check(code == 1, f"exit {code}, expected 1\n{err}")
            summary, folder = summary_of(results)
            check(summary["status"] == "failed", f"status {summary['status']}")
            text = err + (folder / "run.log").read_text()
            check("No space left on device" in text or "no space" in text.lower(),
                  f"ENOSPC is not named:\n{text}")
            check(folders(mount) == [], f"left behind: {folders(mount)}")
        finally:
            subprocess.run(["umount", str(mount)])


def case_create_failure_exit_code():
    # A tier that cannot start is a system error: exit 4, as the table says.
    with tempfile.TemporaryDirectory() as tmp:
        proc, results = start(tmp, tierbench("      fault: create_eio\n", "", "  duration: 1s\n"))
        code, out, err = finish(proc)
        check(code == 4, f"exit {code}, expected 4\n{err}")
        check("does not answer" in err, err)


def case_validate_means_validate():
    # What needs no I/O is checked by validate and --dry-run, and a run of such a spec creates
    # no results folder and no history entry. Each message points at the spec's line.
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        cases = {
            "io_size": (tierbench(bench_extra="", tier_plugin="dram", tier_options="      {}")
                        .replace("io_size: 64KiB", "io_size: 96KiB"), "io_size"),
            "tier_name": (tierbench(bench_extra="    tier: nosuch\n", tier_plugin="dram",
                                    tier_options="      {}"), "no tier named 'nosuch'"),
            "path": (tierbench(tier_plugin="posix-nvme",
                               tier_options=f"      path: {root}/missing"), "does not exist"),
            "capacity": (tierbench(tier_plugin="dram", tier_options="      {}")
                         .replace("    plugin: dram\n", "    plugin: dram\n    capacity: 1MiB\n"),
                         "do not fit"),
        }
        for name, (text, words) in cases.items():
            spec = root / f"{name}.yaml"
            spec.write_text(text)
            for args in (["validate", str(spec)], ["run", str(spec), "--dry-run"],
                         ["run", str(spec), "--results-dir", str(root / "results")]):
                proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, env=ENV,
                                      timeout=60)
                check(proc.returncode == 2, f"{name}: {args[0]} exit {proc.returncode}\n{proc.stderr}")
                check(words in proc.stderr and f"{spec}:" in proc.stderr,
                      f"{name}: the message names the problem and the spec's line: {proc.stderr}")
        check(not (root / "results").exists(), "a spec that cannot run created a results folder")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    try:
        CASES[CASE]()
    except Failure as e:
        print(f"FAIL {CASE}: {e}")
        sys.exit(1)
    print(f"ok {CASE}")
