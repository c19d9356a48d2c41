#!/usr/bin/env python3
"""End-to-end tests of kvcache's accounting (issue 11 sections 2 and 3): demotion counts,
entry counts at the end of a run, storage health without samples, and reference.json.

Usage: kvcache_accounting_e2e.py MLPSRUN SOURCE_ROOT CASE   (one CASE per meson test)
Exit 0 = pass, 1 = fail. No assertion depends on speed: runs cut by time (warm-up, duration)
assert invariants that hold wherever the stop falls.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

MLPSRUN = sys.argv[1]
ROOT = pathlib.Path(sys.argv[2])
CASE = sys.argv[3]
sys.path.insert(0, str(ROOT / "tests" / "kvcache"))
import reference_reader  # noqa: E402  (the reference-format reader, tests/kvcache)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run_spec(tmp, name, text, expect=0):
    folder = pathlib.Path(tmp) / name
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text(text)
    results = folder / "results"
    proc = subprocess.run([MLPSRUN, "run", str(spec), "--results-dir", str(results)],
                          capture_output=True, text=True, timeout=200)
    if proc.returncode != expect:
        raise Failure(f"{name}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    found = list(results.glob("*/*/summary.json"))
    check(len(found) == 1, f"expected one summary.json, found {found}")
    return json.loads(found[0].read_text()), found[0].parent, proc


# tiny-1b entries of 1.5 to 12 MiB through three small tiers, so that every level of the
# waterfall moves data. chunk_size 12 MiB: every entry is one chunk, so every completed move
# is exactly one demote_write operation of its destination tier (queue_depth 1 keeps the I/O
# buffers at 3 workers x 2 x 12 MiB).
def spec_text(data_dir, options=(), run=("duration: 0",), requests=40, tiers=3):
    """options, run: lines under benchmark.options and run."""
    lines = ["benchmark:",
             "  plugin: kvcache",
             "  options:",
             "    model: tiny-1b",
             "    users: 6",
             "    workers: 3",
             "    arrivals: closed",
             "    generation_mode: none",
             f"    max_requests: {requests}",
             "    chunk_size: 12MiB",
             "    queue_depth: 1",
             "    profiles:"]
    for profile in ("chatbot", "coding", "document"):
        lines.append(f"      {profile}: {{context: [64, 512], generation: [8, 40], "
                     "think_time: [0, 0]}")
    lines += [f"    {line}" for line in options]
    lines.append("tiers:")
    if tiers == 3:
        lines += ["  - name: gpu",
                  "    plugin: dram",
                  "    capacity: 16MiB",
                  "    options:",
                  "      emulate: {bandwidth: 64GB/s, latency: 10us}"]
    lines += ["  - name: cpu",
              "    plugin: dram",
              "    capacity: 32MiB",
              "  - name: nvme",
              "    plugin: posix-nvme",
              "    capacity: 96MiB",
              "    options:",
              f"      path: {data_dir}",
              "run:"]
    lines += [f"  {line}" for line in run]
    lines.append("  seed: 5")
    return "\n".join(lines) + "\n"


def data_dir(tmp):
    d = pathlib.Path(tmp) / "data"
    d.mkdir(exist_ok=True)
    return d


def check_demotions(summary, label):
    m = summary["metrics"]
    cs = summary["benchmark"]["summary"]["cache_stats"]
    ops = {t: m[f"{t}.demote_write.ops"]["total"] for t in ("cpu", "nvme")}
    check(cs["offloads_cpu"] == ops["cpu"],
          f"{label}: offloads_cpu {cs['offloads_cpu']}, the cpu tier saw {ops['cpu']} demote writes")
    check(cs["offloads_storage"] == ops["nvme"],
          f"{label}: offloads_storage {cs['offloads_storage']}, the nvme tier saw {ops['nvme']}")
    check(cs["demotions"] == ops["cpu"] + ops["nvme"],
          f"{label}: cache.demotions {cs['demotions']} != demote writes {ops}")
    for tier in ("cpu", "nvme"):
        check(m[f"{tier}.demote_write.entries"]["total"] == ops[tier],
              f"{label}: {tier}.demote_write.entries disagrees with the tier's traffic")
    # Every completed move read what it wrote.
    check(m["gpu.demote_read.bytes"]["total"] == m["cpu.demote_write.bytes"]["total"],
          f"{label}: gpu->cpu moves read and wrote different byte counts")
    return ops


def case_demotions_match_traffic():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        # A warm-up that moves data (its moves must not count), then a timed phase ended by
        # max_requests; then a run cut by time (moves in flight at the stop must not count).
        summary, _, _ = run_spec(tmp, "warm", spec_text(data, run=("duration: 0", "warmup: 1s")))
        ops = check_demotions(summary, "warm-up then max_requests")
        check(ops["cpu"] > 0 and ops["nvme"] > 0, f"no demotions in the timed phase: {ops}")
        summary, _, _ = run_spec(tmp, "cut", spec_text(data, requests=0,
                                                       run=("duration: 2s", "warmup: 1s")))
        check_demotions(summary, "cut by time")


def case_entries_match_tiers():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        # Cut by time twice (warm-up end, timed end), entries mid-move at both.
        summary, _, _ = run_spec(tmp, "cut", spec_text(data, requests=0,
                                                       run=("duration: 2s", "warmup: 1s")))
        b = summary["benchmark"]
        cs = b["summary"]["cache_stats"]
        for tier in b["tiers"]:
            check(tier["entries"] == tier["objects_held"],
                  f"tier {tier['name']}: the cache counts {tier['entries']} entries, the tier "
                  f"holds {tier['objects_held']} objects")
            check(tier["used_bytes"] <= tier["limit_bytes"] or tier["role"] != "storage",
                  f"tier {tier['name']} over its limit")
        roles = {t["role"]: t["entries"] for t in b["tiers"]}
        for role in ("gpu", "cpu", "storage"):
            check(cs[f"{role}_entries"] == roles[role], f"{role}_entries disagrees with tiers[]")
        check(sum(roles.values()) > 0, "the cache ended empty")


def case_health_not_evaluated():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        # No reads at all: prefill only, no multi-turn, no shared prompts to hit.
        summary, folder, proc = run_spec(tmp, "a", spec_text(
            data, options=("prefill_only: true", "multi_turn: false", "prefix_cache: false"),
            requests=20))
        m = summary["metrics"]
        check(m["cache.hits"]["total"] + m["cache.misses"]["total"] == 0, "the run read")
        health = summary["benchmark"]["summary"]["cache_stats"]["storage_health"]
        by_name = {c["name"]: c for c in health["criteria"]}
        for name in ("Storage read P95 < 200ms", "Cache hit rate > 30%"):
            c = by_name.get(name)
            check(c is not None, f"criterion {name} missing: {list(by_name)}")
            check(c["status"] == "not evaluated" and c["passed"] is False,
                  f"{name} with no samples: {c}")
        check(by_name["Storage write P95 < 500ms"]["status"] in ("pass", "fail"),
              "the write criterion has samples and is evaluated")
        check(health["overall_status"] != "PASS", f"overall {health['overall_status']} without reads")
        check(health["not_evaluated_count"] >= 2, health)
        check(any("not evaluated" in r for r in health["reasons"]), health["reasons"])
        check("not evaluated Storage read P95" in proc.stdout, "no 'not evaluated' in the verdict")
        ref = json.loads((folder / "reference.json").read_text())
        ref_health = ref["summary"]["cache_stats"]["storage_health"]
        ref_by_name = {c["name"]: c for c in ref_health["criteria"]}
        check(ref_by_name["Storage read P95 < 200ms"]["passed"] is None,
              "reference.json: a criterion without samples must not pass")
        check(ref_health["overall_status"] != "PASS", "reference.json: PASS without reads")


def case_reference_json():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        for name, tiers in (("three", 3), ("two", 2)):
            summary, folder, _ = run_spec(tmp, name, spec_text(data, tiers=tiers))
            ref_path = folder / "reference.json"
            check(ref_path.exists(), f"{name}: no reference.json next to summary.json")
            proc = subprocess.run([sys.executable, str(ROOT / "tests/kvcache/reference_reader.py"),
                                   str(ref_path), str(folder / "summary.json")],
                                  capture_output=True, text=True, timeout=60)
            check(proc.returncode == 0, f"{name}: the reader refused it: {proc.stdout}{proc.stderr}")
            ref = json.loads(ref_path.read_text())
            check(ref["requests_completed"] == 40, f"{name}: requests_completed")
            if tiers == 2:
                cs = ref["summary"]["cache_stats"]
                check(cs["tier_gpu_kv_bytes_written_gb"] == 0 and cs["gpu_entries"] == 0,
                      "two tiers: the gpu role's keys are present and zero")
            # Our own summary keeps its schema.
            check("requests_completed" not in summary["benchmark"], "summary.json changed schema")


def main():
    try:
        globals()["case_" + CASE]()
    except Failure as e:
        print(f"FAIL {CASE}: {e}")
        return 1
    print(f"ok {CASE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
