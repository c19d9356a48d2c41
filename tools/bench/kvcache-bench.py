#!/usr/bin/env python3
"""Measurements of the kvcache benchmark plugin (issue 3, item 10); results go to
share/doc/PERFORMANCE.md with the commands that made them.

  kvcache-bench.py rss       peak RSS of mlpsrun versus users and entry size (files tier)
  kvcache-bench.py dram      dram-tier bandwidth versus the machine's memcpy, same run
  kvcache-bench.py overhead  harness cost with the tiers' cost removed: requests/s per core

Options: --mlpsrun PATH (default: build/core/mlpsrun), --seconds N (timed phase per run),
--repeat N (dram: rounds of kvcache run + memcpy back to back; the median is reported).
MLPS_PLUGIN_PATH must reach kvcache.so, dram.so and posix-nvme.so (meson devenv sets it).
Speeds are ratios against a reference measured in the same run, never absolute claims.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[2]
GiB = 1 << 30


def run_spec(mlpsrun, spec_text, tmp, name):
    """Runs one spec; returns (summary, max RSS in bytes, CPU seconds of mlpsrun)."""
    folder = pathlib.Path(tmp) / name
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text(spec_text)
    proc = subprocess.Popen([mlpsrun, "run", str(spec), "--results-dir", str(folder / "r")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    stderr = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{name}: mlpsrun exited {proc.returncode}\n{stderr}")
    summary = json.loads(next((folder / "r").glob("*/*/summary.json")).read_text())
    return summary, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def kv_spec(options, tiers, seconds, warmup=1):
    return ("benchmark:\n  plugin: kvcache\n  options:\n" +
            textwrap.indent(textwrap.dedent(options), "    ") +
            "tiers:\n" + textwrap.indent(textwrap.dedent(tiers), "  ") +
            f"run:\n  warmup: {warmup}s\n  duration: {seconds}s\n  seed: 42\n")


def rss(args, tmp):
    data = pathlib.Path(tmp) / "data"
    data.mkdir()
    print(f"{'model':<12} {'B/token':>8} {'users':>6} {'workers':>7} {'max entry':>10} "
          f"{'requests':>8} {'peak RSS':>10} {'I/O buffers':>11}")
    rows = []
    for model, bpt in (("tiny-1b", 24576), ("llama2-7b", 524288)):
        for users in (10, 100, 1000):
            summary, peak, _ = run_spec(args.mlpsrun, kv_spec(f"""\
                model: {model}
                users: {users}
                workers: 16
                arrivals: closed
                generation_mode: none
                profiles:
                  chatbot: {{context: [512, 4096], think_time: [0, 0.05]}}
                  coding: {{context: [512, 4096], think_time: [0, 0.05]}}
                  document: {{context: [512, 4096], think_time: [0, 0.05]}}
                """, f"""\
                - name: nvme
                  plugin: posix-nvme
                  capacity: 6GiB
                  options: {{path: {data}}}
                """, args.seconds), tmp, f"rss-{model}-{users}")
            b = summary["benchmark"]
            buffers = 16 * 2 * b["workload"]["queue_depth"] * b["workload"]["chunk_size_bytes"]
            row = dict(model=model, bytes_per_token=bpt, users=users, workers=16,
                       max_entry_bytes=4096 * bpt,
                       requests=b["summary"]["total_requests"], peak_rss_bytes=peak,
                       io_buffer_bytes=buffers)
            rows.append(row)
            print(f"{model:<12} {bpt:>8} {users:>6} {16:>7} {4096 * bpt / 2**20:>8.0f}Mi "
                  f"{row['requests']:>8} {peak / 2**20:>8.0f}Mi {buffers / 2**20:>9.0f}Mi")
    return rows


def dram(args, tmp):
    exe = pathlib.Path(tmp) / "memcpy"
    subprocess.run(["cc", "-O2", "-pthread", "-o", str(exe),
                    str(ROOT / "tools/bench/kvcache-memcpy.c")], check=True)
    threads = args.threads
    chunk = 1 << 20
    rounds = []
    # Rounds of (kvcache run, memcpy) back to back: on a shared machine the two halves of one
    # round see about the same load; the median round is the figure.
    for i in range(args.repeat):
        # Entries stay in the dram tier (every read a hit); decode-heavy (11 reads per write),
        # no think time, no generation: the workers do nothing but move bytes. The tier is
        # prefaulted, as memcpy's buffers are: both measure copies, not first-touch page faults.
        summary, _, cpu = run_spec(args.mlpsrun, kv_spec(f"""\
            model: tiny-1b
            users: {4 * threads}
            workers: {threads}
            arrivals: closed
            generation_mode: none
            multi_turn: false
            chunk_size: 1MiB
            profiles:
              chatbot: {{context: [2048, 2048], generation: [320, 320], think_time: [0, 0]}}
              coding: {{context: [2048, 2048], generation: [320, 320], think_time: [0, 0]}}
              document: {{context: [2048, 2048], generation: [320, 320], think_time: [0, 0]}}
            """, """\
            - name: mem
              plugin: dram
              capacity: 4GiB
              options: {prefault: true}
            """, args.seconds), tmp, f"dram{i}")
        def memcpy_rate(dst):
            out = subprocess.run([str(exe), str(threads), str(chunk), str(256 << 20),
                                  str(args.seconds), str(dst)], capture_output=True, text=True,
                                 check=True).stdout
            return float(out.split()[1])
        memcpy = memcpy_rate(256 << 20)   # memory to memory: the reference of the ratio
        into_cache = memcpy_rate(chunk)   # into one chunk-sized buffer, as a tier read does
        timed = summary["timing"]["timed_s"]
        m = summary["metrics"]
        read = m["mem.read.bytes"]["total"] / timed
        write = m.get("mem.write.bytes", {}).get("total", 0) / timed
        moved = read + write
        print(f"round {i + 1}: threads {threads}, chunk 1 MiB: memcpy {memcpy / GiB:.2f} GiB/s "
              f"(into a cached buffer {into_cache / GiB:.2f}); dram tier {moved / GiB:.2f} GiB/s "
              f"(read {read / GiB:.2f}, write {write / GiB:.2f}); ratio {moved / memcpy:.2f} "
              f"(read alone {read / memcpy:.2f}; read vs memcpy into a cached buffer "
              f"{read / into_cache:.2f})")
        rounds.append(dict(memcpy_bytes_per_s=memcpy, memcpy_into_cache_bytes_per_s=into_cache,
                           dram_bytes_per_s=moved,
                           dram_read_bytes_per_s=read, dram_write_bytes_per_s=write,
                           ratio=moved / memcpy, read_ratio=read / memcpy))
    median = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
    print(f"median of {len(rounds)} rounds: ratio {median['ratio']:.2f}")
    return dict(threads=threads, rounds=rounds, median=median)


def overhead(args, tmp):
    # A model of 128 bytes per token and contexts of 8 to 32 tokens: entries of at most 4 KiB,
    # one chunk, in a dram tier: what is left is the harness (scheduling, planning, metrics).
    rows = []
    for workers in (1, 2):
        summary, _, cpu = run_spec(args.mlpsrun, kv_spec(f"""\
            model: micro
            models: {{micro: {{num_layers: 1, hidden_dim: 64, num_heads: 1, kv_heads: 1,
                              dtype: int8}}}}
            users: 64
            workers: {workers}
            arrivals: closed
            generation_mode: none
            chunk_size: 4KiB
            profiles:
              chatbot: {{context: [8, 32], generation: [8, 64], think_time: [0, 0]}}
              coding: {{context: [8, 32], generation: [8, 64], think_time: [0, 0]}}
              document: {{context: [8, 32], generation: [8, 64], think_time: [0, 0]}}
            """, """\
            - name: mem
              plugin: dram
              capacity: 64MiB
            """, args.seconds), tmp, f"overhead-{workers}")
        s = summary["benchmark"]["summary"]
        ops = sum(v["total"] for k, v in summary["metrics"].items()
                  if k.endswith(".ops") and k.startswith("mem."))
        row = dict(workers=workers, requests_per_s=s["requests_per_second"],
                   tier_ops_per_s=ops / summary["timing"]["timed_s"], cpu_seconds=cpu,
                   requests=s["total_requests"],
                   requests_per_cpu_s=s["total_requests"] / cpu if cpu else 0)
        rows.append(row)
        print(f"workers {workers}: {row['requests_per_s']:.0f} requests/s, "
              f"{row['tier_ops_per_s']:.0f} tier ops/s; {row['requests_per_cpu_s']:.0f} requests "
              f"per CPU-second (whole process, warmup and setup included)")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("what", choices=["rss", "dram", "overhead", "all"])
    p.add_argument("--mlpsrun", default=str(ROOT / "build/core/mlpsrun"))
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 8))
    p.add_argument("--repeat", type=int, default=3, help="dram: rounds; the median is reported")
    args = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for what in (["rss", "dram", "overhead"] if args.what == "all" else [args.what]):
            results[what] = globals()[what](args, tmp)
    print(json.dumps(dict(machine=dict(cpus=os.cpu_count(), load=os.getloadavg()), **results)))


if __name__ == "__main__":
    main()
