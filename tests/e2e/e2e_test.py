#!/usr/bin/env python3
"""End-to-end tests of mlpsrun: run real specs, assert invariants on summary.json.

Usage: e2e_test.py MLPSRUN CASE   (meson runs one CASE per test; see meson.build)
Exit 0 = pass, 1 = fail, 77 = skipped. Tests assert behaviour, never speed.
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap

MLPSRUN = sys.argv[1]
CASE = sys.argv[2]
SOURCE_ROOT = pathlib.Path(os.environ.get("MLPS_SOURCE_ROOT", pathlib.Path(__file__).parents[2]))


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, timeout=120, expect=None):
    proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=timeout)
    if expect is not None and proc.returncode != expect:
        raise Failure(
            f"mlpsrun {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def write_spec(folder, text):
    path = pathlib.Path(folder) / "spec.yaml"
    path.write_text(text)
    return path


def summary_of(results_dir):
    found = list(pathlib.Path(results_dir).glob("*/*/summary.json"))
    check(len(found) == 1, f"expected one summary.json under {results_dir}, found {found}")
    return json.loads(found[0].read_text()), found[0].parent


def tierbench_spec(tier_yaml, mode, extra=""):
    """A small tierbench spec over the tier(s) given as a YAML list (any indentation)."""
    tiers = textwrap.indent(textwrap.dedent(tier_yaml).strip("\n"), "  ")
    extra_line = f"    {extra}\n" if extra else ""
    return (
        "benchmark:\n"
        "  plugin: tierbench\n"
        "  options:\n"
        f"    mode: {mode}\n"
        "    pattern: random\n"
        "    object_size: 1MiB\n"
        "    io_size: 64KiB\n"
        "    objects: 8\n"
        "    threads: 2\n"
        "    queue_depth: 4\n"
        "    total_bytes: 16MiB\n"
        "    verify: true\n"
        f"{extra_line}"
        "tiers:\n"
        f"{tiers}\n"
        "run:\n"
        "  duration: 0\n"
        "  seed: 7\n")


def assert_tierbench_invariants(summary, io_size):
    metrics = summary["metrics"]
    check(summary["status"] == "ok", f"status {summary['status']}: {summary['errors']}")
    check(summary["partial"] is False, "a complete run is not partial")
    check(summary["schema"] == "mlps-summary-1", "schema version")
    total_ops = 0
    for op in ("read", "write"):
        ops = metrics.get(f"{op}.ops", {}).get("total", 0)
        nbytes = metrics.get(f"{op}.bytes", {}).get("total", 0)
        lat = metrics.get(f"{op}.latency", {}).get("count", 0)
        check(nbytes == ops * io_size, f"{op}: bytes {nbytes} != ops {ops} x io_size {io_size}")
        check(lat == ops, f"{op}: latency histogram count {lat} != ops {ops}")
        total_ops += ops
    check(total_ops > 0, "the run did some I/O")
    check(metrics["errors"]["total"] == 0, "no I/O errors")
    checked = metrics["verify.checked_bytes"]["total"]
    check(checked == metrics.get("read.bytes", {}).get("total", 0),
          f"verify checked {checked} bytes, not every byte read")
    check(metrics["verify.mismatched_bytes"]["total"] == 0, "verify found mismatches")
    bench = summary["benchmark"]
    check(bench["verify"]["mismatched_bytes"] == 0, "report agrees: no mismatch")


def case_dram_mixed():
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(tmp, tierbench_spec("""
            - name: mem
              plugin: dram
              capacity: 64MiB
        """, "mixed"))
        results = pathlib.Path(tmp) / "results"
        run(["run", str(spec), "--results-dir", str(results), "--quiet"], expect=0)
        summary, folder = summary_of(results)
        assert_tierbench_invariants(summary, 64 * 1024)
        m = summary["metrics"]
        check(m["read.ops"]["total"] > 0 and m["write.ops"]["total"] > 0, "mixed did both")
        check((folder / "spec.resolved.yaml").exists(), "spec.resolved.yaml written")
        check((folder / "run.log").exists(), "run.log written")
        check(summary["tiers"][0]["used_bytes"] == 0, "tierbench deleted its objects")


def case_posix_read_write():
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        for mode in ("write", "read"):
            spec = write_spec(tmp, tierbench_spec(f"""
                - name: disk
                  plugin: posix-nvme
                  options:
                    path: {data}
            """, mode))
            results = pathlib.Path(tmp) / f"results-{mode}"
            run(["run", str(spec), "--results-dir", str(results), "--quiet"], expect=0)
            summary, _ = summary_of(results)
            assert_tierbench_invariants(summary, 64 * 1024)
            ops = summary["metrics"].get(f"{mode}.ops", {}).get("total", 0)
            check(ops > 0, f"{mode} run did {mode}s")
            check(list(data.iterdir()) == [], f"files left behind: {list(data.iterdir())}")


def case_default_spec_dry_run():
    # The embedded default spec is valid and names real plugins; --dry-run creates nothing.
    with tempfile.TemporaryDirectory() as tmp:
        results = pathlib.Path(tmp) / "results"
        proc = run(["run", "--dry-run", "--results-dir", str(results)], expect=0)
        for name in ("kvcache", "dram", "posix-nvme"):
            check(name in proc.stdout, f"{name} not in the default plan:\n{proc.stdout}")
        check(not results.exists(), "--dry-run created the results folder")


def case_plugins_list():
    proc = run(["plugins", "list"], expect=0)
    for name in ("dram", "posix-nvme", "tierbench"):
        check(name in proc.stdout, f"{name} missing from plugins list:\n{proc.stdout}")
    proc = run(["describe", "tierbench"], expect=0)
    for option in ("queue_depth", "io_size", "verify"):
        check(option in proc.stdout, f"describe tierbench lacks {option}")
    proc = run(["describe", "drma"], expect=3)
    check("dram" in proc.stderr, f"no suggestion for a misspelt plugin: {proc.stderr}")
    proc = run(["--version"], expect=0)
    check("ABI 1." in proc.stdout, proc.stdout)


def case_bad_specs():
    # Every hand-written bad spec exits 2 with its expected message (incl. line:col), fast.
    bad = SOURCE_ROOT / "tests" / "spec" / "bad"
    expected = bad / "EXPECTED.txt"
    if not expected.exists():
        print("no tests/spec/bad/EXPECTED.txt")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        for line in expected.read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            name, fragment = line.split("\t", 1)
            proc = run(["run", str(bad / name), "--results-dir", str(pathlib.Path(tmp) / "r")],
                       timeout=10, expect=2)
            check(fragment in proc.stderr, f"{name}: '{fragment}' not in:\n{proc.stderr}")
            check(not (pathlib.Path(tmp) / "r").exists(), f"{name}: something was created")
        # Hostile files made here rather than committed.
        big = pathlib.Path(tmp) / "big.yaml"
        big.write_text("# padding\n" * (1024 * 1024))
        binary = pathlib.Path(tmp) / "binary.yaml"
        binary.write_bytes(bytes(range(256)) * 64)
        empty = pathlib.Path(tmp) / "empty.yaml"
        empty.write_text("")
        for path in (big, binary, empty, pathlib.Path(tmp)):
            proc = run(["run", str(path)], timeout=10, expect=2)
            check(str(path.name) in proc.stderr, f"{path}: message does not name the file")
        proc = run(["run", str(pathlib.Path(tmp) / "absent.yaml")], timeout=10, expect=2)


def case_unknown_option():
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(tmp, tierbench_spec("""
            - name: mem
              plugin: dram
        """, "write", extra="queue_dpth: 3"))
        proc = run(["validate", str(spec)], expect=2)
        check("queue_depth" in proc.stderr and "spec.yaml:" in proc.stderr, proc.stderr)
        proc = run(["run", str(spec), "--set", "benchmark.options.mode=sideways"], expect=2)
        proc = run(["run", str(spec).replace("spec.yaml", "x.yaml")], expect=2)


def case_interrupt():
    # SIGINT mid-run: exit 130, summary written and marked partial, tier files removed.
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        spec = write_spec(tmp, tierbench_spec(f"""
            - name: disk
              plugin: posix-nvme
              options:
                path: {data}
        """, "mixed").replace("duration: 0", "duration: 10m").replace("total_bytes: 16MiB", ""))
        results = pathlib.Path(tmp) / "results"
        proc = subprocess.Popen([MLPSRUN, "-v", "run", str(spec), "--results-dir", str(results)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Wait for the timed phase to be announced (a log line, not a sleep guess).
        seen = ""
        while "timed phase" not in seen:
            line = proc.stderr.readline()
            check(line != "", f"mlpsrun ended before the timed phase: {seen}")
            seen += line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        check(proc.returncode == 130, f"exit {proc.returncode} after SIGINT\n{err}")
        summary, _ = summary_of(results)
        check(summary["status"] == "interrupted" and summary["partial"] is True, "marked partial")
        check(list(data.iterdir()) == [], f"files left behind: {list(data.iterdir())}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    try:
        CASES[CASE]()
    except Failure as e:
        print(f"FAIL {CASE}: {e}")
        sys.exit(1)
    print(f"ok {CASE}")
