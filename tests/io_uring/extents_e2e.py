#!/usr/bin/env python3
"""mlpsrun + tierbench over the io_uring tier with layout: extents: many objects written then
read back at queue depth > 1 on two threads, every byte read verified; the tier leaves nothing
behind; `mlpsrun describe io_uring` lists the layout option.

Usage: extents_e2e.py MLPSRUN   Exit 0 = pass, 1 = fail, 77 = skipped (no O_DIRECT / io_uring).
"""
import json
import pathlib
import subprocess
import sys
import tempfile

MLPSRUN = sys.argv[1]

SPEC = """\
benchmark:
  plugin: tierbench
  options:
    mode: {mode}
    pattern: random
    object_size: 256KiB
    io_size: 16KiB
    objects: 64
    threads: 2
    queue_depth: 8
    total_bytes: 8MiB
    verify: true
tiers:
  - name: disk
    plugin: io_uring
    options:
      path: {path}
      layout: extents
      chunk_size: 8KiB
      queue_depth: 16
run:
  duration: 0
  seed: 11
"""


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def mlpsrun(*args):
    return subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=100)


def main():
    described = mlpsrun("describe", "io_uring")
    if described.returncode != 0 or "layout" not in described.stdout or \
            "extents" not in described.stdout:
        fail(f"describe io_uring does not list layout:\n{described.stdout}{described.stderr}")
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        for mode in ("mixed", "read"):
            spec = pathlib.Path(tmp) / f"spec-{mode}.yaml"
            spec.write_text(SPEC.format(mode=mode, path=data))
            results = pathlib.Path(tmp) / f"results-{mode}"
            proc = mlpsrun("run", str(spec), "--results-dir", str(results), "--quiet")
            if proc.returncode != 0:
                if "O_DIRECT" in proc.stderr or "io_uring is not available" in proc.stderr:
                    print(f"skipped: {proc.stderr.strip()}")
                    sys.exit(77)
                fail(f"mlpsrun run ({mode}) exit {proc.returncode}:\n{proc.stderr}")
            found = list(results.glob("*/*/summary.json"))
            if len(found) != 1:
                fail(f"expected one summary.json, found {found}")
            metrics = json.loads(found[0].read_text())["metrics"]
            read_bytes = metrics.get("read.bytes", {}).get("total", 0)
            if metrics["errors"]["total"] != 0:
                fail(f"{mode}: {metrics['errors']['total']} I/O errors")
            if read_bytes == 0:
                fail(f"{mode}: nothing read")
            if metrics["verify.checked_bytes"]["total"] != read_bytes:
                fail(f"{mode}: not every byte read was verified")
            if metrics["verify.mismatched_bytes"]["total"] != 0:
                fail(f"{mode}: verify found {metrics['verify.mismatched_bytes']['total']} "
                     "mismatched bytes")
            left = list(data.iterdir())
            if left:
                fail(f"{mode}: left behind {left}")
    print("ok")


main()
