#!/usr/bin/env python3
"""checkpoint.so saves through the io_uring tier's persistent_folder in one mlpsrun invocation
and loads the same checkpoint in a second one (layout: files is implied by persistent_folder);
the load reads every byte saved, without errors; the folder keeps the shards and nothing else.

Usage: persistent_e2e.py MLPSRUN   Exit 0 = pass, 1 = fail, 77 = skipped (no io_uring here).
"""
import json
import pathlib
import subprocess
import sys
import tempfile

MLPSRUN = sys.argv[1]
MIB = 1 << 20

SPEC = """\
benchmark:
  plugin: checkpoint
  options:
    model: llama3-8b
    mode: default
    checkpoint_size: 16MiB
    num_checkpoints_write: {writes}
    num_checkpoints_read: {reads}
    time_between_checkpoints: 0s
    io_size: 1MiB
    queue_depth: 4
tiers:
  - name: disk
    plugin: io_uring
    options:
      path: {path}
      persistent_folder: shared
      direct: false
      fanout: 4
run:
  duration: 0
  seed: 7
"""


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(tmp, data, name, writes, reads):
    spec = pathlib.Path(tmp) / f"spec-{name}.yaml"
    spec.write_text(SPEC.format(writes=writes, reads=reads, path=data))
    results = pathlib.Path(tmp) / f"results-{name}"
    proc = subprocess.run([MLPSRUN, "run", str(spec), "--results-dir", str(results), "-q"],
                          capture_output=True, text=True, timeout=100)
    if proc.returncode != 0:
        if "io_uring is not available" in proc.stderr:
            print(f"skipped: {proc.stderr.strip()}")
            sys.exit(77)
        fail(f"{name}: exit {proc.returncode}:\n{proc.stderr}")
    found = list(results.glob("*/*/summary.json"))
    if len(found) != 1:
        fail(f"{name}: expected one summary.json, found {found}")
    return json.loads(found[0].read_text())["metrics"]


def main():
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        saved = run(tmp, data, "save", 1, 0)
        written = saved["write.bytes"]["total"]
        if saved["errors"]["total"] != 0 or written < 16 * MIB:
            fail(f"save: {saved['errors']['total']} errors, {written} bytes written")
        files = [p for p in (data / "shared").rglob("*") if p.is_file()]
        if not files or sum(p.stat().st_size for p in files) < 16 * MIB:
            fail(f"save: the persistent folder holds {files}")
        if any(p.name.startswith(".mlps-") for p in files):
            fail(f"save: tier bookkeeping left in the persistent folder: {files}")
        loaded = run(tmp, data, "load", 0, 1)
        if loaded["errors"]["total"] != 0:
            fail(f"load: {loaded['errors']['total']} errors")
        if loaded["read.bytes"]["total"] < 16 * MIB:
            fail(f"load: read {loaded['read.bytes']['total']} bytes of a 16 MiB checkpoint")
    print("ok")


main()
