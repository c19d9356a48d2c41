#!/usr/bin/env python3
"""Weak scaling of tierbench on the dram tier under MPI, and the cost of the merge.

Each rank does the same work (the spec below, per rank); 1, 2, 4 ... ranks run one after the
other on this machine. Printed per rank count: aggregate GiB/s (job window, IOR's rule), the sum
of the ranks' own GiB/s, scaling efficiency against 1 rank, p99 latency from the merged
histogram, and job.merge_s (the end-of-run merge: window agreement, reductions, gathering the
per-rank figures), plus the wall time of the whole mpiexec.

Usage: tools/bench/mpi_scaling.py BUILD_DIR [--ranks 1,2,4] [--duration 3s] [--repeat 3]
(plugins from BUILD_DIR unless MLPS_PLUGIN_PATH is set)
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

SPEC = """
benchmark:
  plugin: tierbench
  options:
    mode: read
    pattern: sequential
    object_size: 16MiB
    io_size: 1MiB
    objects: 8
    threads: 1
    queue_depth: 8
tiers:
  - name: mem
    plugin: dram
    capacity: 256MiB
run:
  warmup: 500ms
  duration: {duration}
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--ranks", default="1,2,4")
    parser.add_argument("--duration", default="3s")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    build = pathlib.Path(args.build).resolve()
    mlpsrun = build / "core" / "mlpsrun"
    plugins = ":".join(str(build / p) for p in
                       ("plugins/tiers/dram", "plugins/benchmarks/tierbench"))
    env = dict(os.environ, OMPI_MCA_btl_vader_single_copy_mechanism="none")
    env.setdefault("MLPS_PLUGIN_PATH", plugins)  # an explicit MLPS_PLUGIN_PATH wins
    mpiexec = shutil.which("mpiexec")
    base = ["--bind-to", "none", "--oversubscribe"]
    if os.geteuid() == 0:
        base.append("--allow-run-as-root")
    print(f"# {os.cpu_count()} CPUs, {os.uname().release}; spec per rank: tierbench read "
          f"sequential 1 MiB, 1 thread, qd 8, dram, {args.duration}; best of {args.repeat}")
    print(f"# command: {mpiexec} {' '.join(base)} -n N {mlpsrun} run spec.yaml -q")
    print("ranks  aggregate_GiB/s  sum_of_ranks_GiB/s  efficiency  p99_us  merge_ms  wall_s")
    one = None
    with tempfile.TemporaryDirectory() as tmp:
        spec = pathlib.Path(tmp) / "spec.yaml"
        spec.write_text(textwrap.dedent(SPEC.format(duration=args.duration)))
        for n in (int(x) for x in args.ranks.split(",")):
            rows = []
            for i in range(args.repeat):
                results = pathlib.Path(tmp) / f"r{n}-{i}"
                started = time.monotonic()
                subprocess.run([mpiexec, *base, "-n", str(n), str(mlpsrun), "run", str(spec),
                                "--results-dir", str(results), "-q"], check=True, env=env,
                               capture_output=True)
                wall = time.monotonic() - started
                summary = json.loads(next(results.glob("*/*/summary.json")).read_text())
                job = summary["job"]
                agg = job["bandwidth"]["read"]["aggregate_gib_per_s"]
                own = sum(r["metrics"]["read.bytes"]["per_s"] for r in summary["per_rank"]) / 2**30
                p99 = summary["metrics"]["read.latency"]["p99"] / 1e3
                rows.append((agg, own, p99, job["merge_s"] * 1e3, wall))
            agg, own, p99, merge, wall = max(rows)  # best aggregate of the repeats
            merge = statistics.median(r[3] for r in rows)
            one = one or agg
            print(f"{n:5d}  {agg:15.2f}  {own:18.2f}  {agg / (n * one):10.2f}  {p99:6.0f}  "
                  f"{merge:8.2f}  {wall:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
