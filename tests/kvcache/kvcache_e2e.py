#!/usr/bin/env python3
"""End-to-end tests of the kvcache benchmark: run mlpsrun on small specs, assert on summary.json.

Usage: kvcache_e2e.py MLPSRUN CASE   (meson runs one CASE per test; see meson.build)
Exit 0 = pass, 1 = fail, 77 = skipped. Tests assert behaviour, never speed: every run is bounded
by max_requests (run.duration 0), so its work does not depend on the machine's speed.
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import textwrap

MLPSRUN = sys.argv[1]
CASE = sys.argv[2]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, timeout=100, expect=None):
    proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=timeout)
    if expect is not None and proc.returncode != expect:
        raise Failure(f"mlpsrun {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def summary_of(results_dir):
    found = list(pathlib.Path(results_dir).glob("*/*/summary.json"))
    check(len(found) == 1, f"expected one summary.json under {results_dir}, found {found}")
    return json.loads(found[0].read_text())


# tiny-1b (24 KiB per token), short contexts and no think time: entries of 1.5 to 12 MiB, a few
# reads each, through an emulated GPU tier, a DRAM tier and files. Capacities are small so that
# every level of the waterfall moves data.
def spec_text(data_dir, extra="", requests=60, seed=7, arrivals="closed"):
    return textwrap.dedent(f"""\
        benchmark:
          plugin: kvcache
          options:
            model: tiny-1b
            users: 6
            workers: 3
            arrivals: {arrivals}
            generation_mode: none
            max_requests: {requests}
            chunk_size: 1MiB
            verify: true
            profiles:
              chatbot: {{context: [64, 512], generation: [8, 40], think_time: [0, 0]}}
              coding: {{context: [64, 512], generation: [8, 40], think_time: [0, 0]}}
              document: {{context: [64, 512], generation: [8, 40], think_time: [0, 0]}}
        """) + textwrap.indent(textwrap.dedent(extra), "    ") + textwrap.dedent(f"""\
        tiers:
          - name: gpu
            plugin: dram
            capacity: 16MiB
            options:
              emulate: {{bandwidth: 64GB/s, latency: 10us}}
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
          seed: {seed}
        """)


def run_spec(tmp, name, text, expect=0, extra_args=()):
    folder = pathlib.Path(tmp) / name
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text(text)
    results = folder / "results"
    proc = run(["run", str(spec), "--results-dir", str(results), *extra_args], expect=expect)
    return (summary_of(results) if expect == 0 else None), proc


def data_dir(tmp):
    d = pathlib.Path(tmp) / "data"
    d.mkdir(exist_ok=True)
    return d


def case_three_tier_verify():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        summary, _ = run_spec(tmp, "a", spec_text(data))
        check(summary["status"] == "ok", f"status {summary['status']}: {summary['errors']}")
        m = summary["metrics"]
        b = summary["benchmark"]
        check(m["verify.checked_bytes"]["total"] > 0, "verify checked nothing")
        check(m["verify.mismatched_bytes"]["total"] == 0, "verify found mismatches")
        check(b["verify"]["mismatched_bytes"] == 0, "report: mismatches")
        check(m["errors"]["total"] == 0, "I/O errors")
        check(m["requests.ops"]["total"] == 60, f"requests {m['requests.ops']['total']} != 60")
        # Data moved down both levels of the waterfall and the last tier evicted.
        for name in ("gpu.demote_read", "cpu.demote_write", "cpu.demote_read", "nvme.demote_write"):
            check(m[f"{name}.bytes"]["total"] > 0, f"no {name} traffic")
        check(m["nvme.delete.ops"]["total"] > 0, "the last tier never evicted")
        # Every byte read was checked (hit reads and demotion reads).
        read_total = sum(m[f"{t}.{c}.bytes"]["total"] for t in ("gpu", "cpu", "nvme")
                         for c in ("read", "demote_read"))
        check(m["verify.checked_bytes"]["total"] == read_total,
              f"verify checked {m['verify.checked_bytes']['total']} of {read_total} bytes read")
        # No orphan files: the tier folder is gone, nothing else left in the data folder.
        check(list(data.iterdir()) == [], f"files left behind: {list(data.rglob('*'))}")
        for tier in summary["tiers"]:
            check(tier["used_bytes"] == 0, f"tier {tier['name']} still holds {tier['used_bytes']}")


def case_determinism():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        logs = []
        for name, seed in (("a", 11), ("b", 11), ("c", 12)):
            log = pathlib.Path(tmp) / f"{name}.csv"
            summary, _ = run_spec(tmp, name, spec_text(data, extra=f"op_log: {log}\n", seed=seed,
                                                        requests=30))
            check(summary["status"] == "ok", f"{name}: {summary['errors']}")
            logs.append(log.read_text())
        lines = logs[0].splitlines()
        check(lines[0] == "time_us,request,op,tier,key,bytes,phase", f"header: {lines[0]}")
        check(len(lines) > 100, f"op log has only {len(lines)} lines")
        ops = {line.split(",")[2] for line in lines[1:]}
        check({"read", "write", "demote"} <= ops, f"ops in the log: {ops}")
        check(logs[0] == logs[1], "two runs with the same seed wrote different op logs")
        check(logs[0] != logs[2], "a different seed wrote the same op log")


def case_summary_keys():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        summary, proc = run_spec(tmp, "a", spec_text(data, requests=30))
        b = summary["benchmark"]
        s = b["summary"]
        for key in ("total_requests", "total_tokens", "elapsed_time", "avg_throughput_tokens_per_sec",
                    "total_storage_io_time", "storage_throughput_tokens_per_sec",
                    "requests_per_second", "end_to_end_latency_ms", "storage_io_latency_ms",
                    "generation_latency_ms", "cache_stats", "qos_metrics", "multi_turn_stats",
                    "queue_wait_ms", "admission", "entry_size_bytes"):
            check(key in s, f"summary.{key} missing")
        for p in ("mean", "p50", "p95", "p99", "p999", "p9999"):
            check(p in s["end_to_end_latency_ms"], f"end_to_end_latency_ms.{p} missing")
        cs = s["cache_stats"]
        for key in ("cache_hit_rate", "cache_hits", "cache_misses", "gpu_entries", "cpu_entries",
                    "storage_entries", "offloads_cpu", "offloads_storage", "storage_health",
                    "prefill_writes", "decode_reads", "tier_storage_kv_bytes_read_gb",
                    "tier_cpu_kv_bytes_written_gb", "tier_gpu_read_bandwidth_gbps",
                    "total_read_bytes", "total_write_bytes", "read_write_ratio", "evictions",
                    "tier_storage_demotion_bytes_written_gb"):
            check(key in cs, f"summary.cache_stats.{key} missing")
        health = cs["storage_health"]
        check(health["overall_status"] in ("PASS", "FAIL", "NOT EVALUATED"), health)
        check(health["total_count"] == len(health["criteria"]), health)
        check(health["passed_count"] == sum(c["passed"] for c in health["criteria"]), health)
        check(health["overall_status"] == "PASS" or len(health["reasons"]) > 0, "FAIL without reasons")
        m = summary["metrics"]
        check(s["total_requests"] == 30 == m["requests.ops"]["total"], "request counts disagree")
        check(cs["cache_hits"] + cs["cache_misses"] > 0, "no cache reads")
        check(cs["cache_hits"] == m["cache.hits"]["total"], "hits disagree")
        # Per-tier bytes are the sum over ops; the report agrees with the metrics.
        total_read = total_write = 0
        for tier in b["tiers"]:
            for cls, numbers in tier["classes"].items():
                name = f"{tier['name']}.{cls}"
                check(numbers["ops"] == m[f"{name}.ops"]["total"], f"{name}: ops disagree")
                check(numbers["latency_ms"]["count"] == numbers["ops"],
                      f"{name}: {numbers['latency_ms']['count']} latency samples for "
                      f"{numbers['ops']} ops")
                if cls != "delete":
                    check(numbers["bytes"] == m[f"{name}.bytes"]["total"], f"{name}: bytes")
                    check(numbers["bytes"] <= numbers["ops"] * 1024 * 1024, f"{name}: chunk size")
            total_read += tier["classes"]["read"]["bytes"]
            total_write += tier["classes"]["write"]["bytes"]
        check(cs["total_read_bytes"] == total_read, "total_read_bytes is not the sum over tiers")
        check(cs["total_write_bytes"] == total_write, "total_write_bytes is not the sum over tiers")
        qos_total = sum(q.get("total_requests", 0) for q in s["qos_metrics"].values())
        check(qos_total == 30, f"QoS classes count {qos_total} requests")
        check(b["workload"]["arrivals"] == "closed", "arrivals not reported")
        # The verdict reaches people: the report's headline, printed in mlpsrun's summary.
        headline = b["headline"]
        check(any(line.startswith("storage health (latency profile): " + health["overall_status"])
                  for line in headline), f"no storage health verdict in the headline: {headline}")
        check(sum(line.startswith(("  pass ", "  FAIL ", "  not evaluated ")) for line in headline) ==
              health["total_count"], f"one headline line per criterion: {headline}")
        check("storage health (latency profile)" in proc.stdout, "no verdict in the summary")


def case_bad_options():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        spec = pathlib.Path(tmp) / "spec.yaml"
        spec.write_text(spec_text(data))
        for setting, fragment in (("benchmark.options.model=llama9", "model"),
                                  ("benchmark.options.users=0", "users"),
                                  ("benchmark.options.arrivals=sideways", "arrivals"),
                                  ("benchmark.options.profiles.coding.context=[9,1]",
                                   "profiles.coding.context"),
                                  ("benchmark.options.qos.batch.share=0.9", "qos"),
                                  ("benchmark.options.max_requests=0", "max_requests")):
            proc = run(["run", str(spec), "--set", setting, "--results-dir",
                        str(pathlib.Path(tmp) / "r")], expect=2)
            check(fragment in proc.stderr, f"{setting}: '{fragment}' not in:\n{proc.stderr}")
        check(list(data.iterdir()) == [], "a refused spec left files behind")


def case_describe_and_plan():
    proc = run(["describe", "kvcache"], expect=0)
    for option in ("model", "users", "arrivals", "max_queue", "promote_on_read", "op_log",
                   "verify", "eviction.target_usage_ratio", "deepseek-v3", "qwen3-32b"):
        check(option in proc.stdout, f"describe kvcache lacks {option}")
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        spec = pathlib.Path(tmp) / "spec.yaml"
        spec.write_text(spec_text(data))
        proc = run(["run", "--dry-run", str(spec), "--results-dir", str(pathlib.Path(tmp) / "r")],
                   expect=0)
        for key in ("entry_size_bytes", "offered_load", "peak_host_bytes_estimate", "warnings"):
            check(key in proc.stdout, f"plan lacks {key}:\n{proc.stdout}")
        check(not (pathlib.Path(tmp) / "r").exists(), "--dry-run created the results folder")
        check(list(data.iterdir()) == [], "--dry-run created files")


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
