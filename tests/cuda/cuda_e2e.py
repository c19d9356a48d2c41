#!/usr/bin/env python3
"""End-to-end tests of the cuda tier through mlpsrun.

Usage: cuda_e2e.py MLPSRUN CASE   (meson runs one CASE per test; see meson.build)
Exit 0 = pass, 1 = fail, 77 = skipped. Cases without the gpu_ prefix run on the fake CUDA runtime
($FAKE_CUDART, handed to the tier through $MLPS_CUDA_RUNTIME) and need no GPU; gpu_ cases use
the machine's real runtime and device and skip without them. Runs are bounded by work
(total_bytes, max_requests), never by time.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap

MLPSRUN = sys.argv[1]
CASE = sys.argv[2]
FAKE = os.environ.get("FAKE_CUDART", "")
SKIP = 77


class Failure(Exception):
    pass


class Skipped(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, env=None, expect=None, timeout=240):
    full_env = dict(os.environ)
    full_env.pop("MLPS_CUDA_RUNTIME", None)
    full_env.update(env or {})
    proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env)
    if expect is not None and proc.returncode != expect:
        raise Failure(f"mlpsrun {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def on_fake(devices=1, memory=256 << 20):
    check(FAKE != "", "FAKE_CUDART is not set")
    return {"MLPS_CUDA_RUNTIME": FAKE, "FAKE_CUDA_DEVICES": str(devices),
            "FAKE_CUDA_MEMORY": str(memory)}


def summary_of(results_dir):
    found = list(pathlib.Path(results_dir).glob("*/*/summary.json"))
    check(len(found) == 1, f"expected one summary.json under {results_dir}, found {found}")
    return json.loads(found[0].read_text())


def write_spec(tmp, name, text):
    folder = pathlib.Path(tmp) / name
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text(text)
    return spec, folder / "results"


def tierbench_spec(tier_options="", mode="mixed", capacity="64MiB"):
    return textwrap.dedent(f"""\
        benchmark:
          plugin: tierbench
          options:
            mode: {mode}
            pattern: random
            object_size: 4MiB
            io_size: 256KiB
            objects: 8
            threads: 2
            queue_depth: 4
            total_bytes: 64MiB
            verify: true
        tiers:
          - name: gpu
            plugin: cuda
            capacity: {capacity}
            options: {{chunk_size: 64KiB, {tier_options}}}
        run:
          duration: 0
          seed: 7
        """)


# As kvcache_e2e.py's three-tier spec, with the real cuda tier first: tiny-1b entries of 1.5 to
# 12 MiB through GPU memory (16 MiB), DRAM (32 MiB) and files (96 MiB), so that every level of
# the waterfall moves data.
def kvcache_spec(data_dir, requests=60):
    return textwrap.dedent(f"""\
        benchmark:
          plugin: kvcache
          options:
            model: tiny-1b
            users: 6
            workers: 3
            arrivals: closed
            generation_mode: none
            max_requests: {requests}
            chunk_size: 1MiB
            verify: true
            profiles:
              chatbot: {{context: [64, 512], generation: [8, 40], think_time: [0, 0]}}
              coding: {{context: [64, 512], generation: [8, 40], think_time: [0, 0]}}
              document: {{context: [64, 512], generation: [8, 40], think_time: [0, 0]}}
        tiers:
          - name: gpu
            plugin: cuda
            capacity: 16MiB
          - name: cpu
            plugin: dram
            capacity: 32MiB
          - name: nvme
            plugin: posix-nvme
            capacity: 96MiB
            options:
              path: {data_dir}
        run:
          duration: 0
          seed: 7
        """)


def assert_tierbench_ok(summary):
    m = summary["metrics"]
    check(summary["status"] == "ok", f"status {summary['status']}: {summary['errors']}")
    check(m["errors"]["total"] == 0, "I/O errors")
    check(m["read.ops"]["total"] > 0 and m["write.ops"]["total"] > 0, "mixed did both")
    check(m["verify.checked_bytes"]["total"] == m["read.bytes"]["total"],
          "verify did not check every byte read")
    check(m["verify.mismatched_bytes"]["total"] == 0, "verify found mismatches")
    check(summary["tiers"][0]["used_bytes"] == 0, "tierbench left objects behind")


def assert_kvcache_three_tier(summary, data, requests=60):
    check(summary["status"] == "ok", f"status {summary['status']}: {summary['errors']}")
    m = summary["metrics"]
    check(m["verify.checked_bytes"]["total"] > 0, "verify checked nothing")
    check(m["verify.mismatched_bytes"]["total"] == 0, "verify found mismatches")
    check(m["errors"]["total"] == 0, "I/O errors")
    check(m["requests.ops"]["total"] == requests, f"requests {m['requests.ops']['total']}")
    for name in ("gpu.write", "gpu.read", "gpu.demote_read", "cpu.demote_write",
                 "cpu.demote_read", "nvme.demote_write"):
        check(m[f"{name}.bytes"]["total"] > 0, f"no {name} traffic")
    read_total = sum(m[f"{t}.{c}.bytes"]["total"] for t in ("gpu", "cpu", "nvme")
                     for c in ("read", "demote_read"))
    check(m["verify.checked_bytes"]["total"] == read_total,
          f"verify checked {m['verify.checked_bytes']['total']} of {read_total} bytes read")
    check(list(data.iterdir()) == [], f"files left behind: {list(data.rglob('*'))}")
    for tier in summary["tiers"]:
        check(tier["used_bytes"] == 0, f"tier {tier['name']} still holds {tier['used_bytes']}")


def case_plugins_and_describe():
    # No runtime at all: listing and describing still work.
    env = {"MLPS_CUDA_RUNTIME": "/nonexistent/libcudart.so"}
    listing = run(["plugins", "list"], env=env, expect=0).stdout
    check(any(line.split()[:1] == ["cuda"] or " cuda " in f" {line} "
              for line in listing.splitlines()), f"cuda not listed:\n{listing}")
    text = run(["describe", "cuda"], env=env, expect=0).stdout
    for option in ("device", "runtime_library", "chunk_size", "queue_depth", "streams"):
        check(option in text, f"describe cuda does not show {option}:\n{text}")


def expect_setup_failure(env, text, tier_options="", capacity="64MiB"):
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = write_spec(tmp, "a", tierbench_spec(tier_options, capacity=capacity))
        proc = run(["run", str(spec), "--results-dir", str(results), "--quiet"], env=env,
                   expect=4)
        check(text in proc.stderr, f"stderr does not say '{text}':\n{proc.stderr}")


def case_no_runtime():
    expect_setup_failure({}, "CUDA runtime not found (option runtime_library)",
                         "runtime_library: /nonexistent/libcudart.so.99")
    expect_setup_failure({"MLPS_CUDA_RUNTIME": "/nonexistent/libcudart.so.99"},
                         "CUDA runtime not found ($MLPS_CUDA_RUNTIME)")


def case_no_device():
    expect_setup_failure(on_fake(devices=0), "no CUDA device visible")
    expect_setup_failure(on_fake(devices=1), "option device is 1 but only 1 device(s)",
                         "device: 1")
    # More than the device has: out of memory, said at creation.
    expect_setup_failure(on_fake(memory=32 << 20), "out of memory")


def case_tierbench_verify():
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = write_spec(tmp, "a", tierbench_spec())
        run(["run", str(spec), "--results-dir", str(results), "--quiet"], env=on_fake(),
            expect=0)
        assert_tierbench_ok(summary_of(results))


def case_kvcache_three_tier_verify():
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        spec, results = write_spec(tmp, "a", kvcache_spec(data))
        run(["run", str(spec), "--results-dir", str(results), "--quiet"],
            env=on_fake(memory=64 << 20), expect=0)
        assert_kvcache_three_tier(summary_of(results), data)
        # kvcache took its buffers from the cuda tier: pinned memory serves every tier.
        log = next(pathlib.Path(results).glob("*/*/run.log")).read_text()
        check("I/O buffers are pinned host memory from tier 'gpu'" in log,
              f"kvcache did not take pinned buffers from the cuda tier:\n{log}")


def gpu_or_skip():
    """Skips unless the real runtime finds a device."""
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = write_spec(tmp, "probe", tierbench_spec(mode="write"))
        proc = run(["run", str(spec), "--results-dir", str(results), "--quiet"])
        if proc.returncode == 4 and ("CUDA runtime not found" in proc.stderr
                                     or "no CUDA device visible" in proc.stderr):
            raise Skipped(proc.stderr.strip().splitlines()[-1])
        check(proc.returncode == 0, f"probe run: exit {proc.returncode}\n{proc.stderr}")


def case_gpu_tierbench_verify():
    gpu_or_skip()
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = write_spec(tmp, "a", tierbench_spec(capacity="256MiB"))
        run(["run", str(spec), "--results-dir", str(results), "--quiet"], expect=0)
        assert_tierbench_ok(summary_of(results))


def case_gpu_kvcache_three_tier():
    gpu_or_skip()
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        spec, results = write_spec(tmp, "a", kvcache_spec(data))
        run(["run", str(spec), "--results-dir", str(results), "--quiet"], expect=0)
        assert_kvcache_three_tier(summary_of(results), data)


if __name__ == "__main__":
    try:
        globals()["case_" + CASE]()
    except Skipped as skipped:
        print(f"skipped: {skipped}")
        sys.exit(SKIP)
    except Failure as failure:
        print(f"FAIL {CASE}: {failure}")
        sys.exit(1)
    print(f"ok {CASE}")
