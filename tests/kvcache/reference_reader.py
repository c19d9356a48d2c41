#!/usr/bin/env python3
"""Reads a kvcache reference.json the way the reference's tooling reads its results JSON.

The MLPerf Storage v3 KV-cache benchmark's `--xlsx-output` and `utils/json_to_xlsx.py` turn a
results JSON into one spreadsheet row: run totals from the root (`requests_completed`,
`total_tokens_generated`, `total_storage_io_latency`, storage throughput recomputed from them),
metrics from `summary` and `summary.cache_stats` (key paths in share/reference notes, kvcache.md
sections 5.3 and 5.6). This script builds that row with strict look-ups: a missing key is an
error, not an empty cell. Given kvcache's summary.json as well, it checks every unit against
kvcache's own figures: seconds, milliseconds, GiB (2^30 bytes), GiB/s, counts (read_iops and
write_iops are whole-entry counts in the reference, not rates), hit rate as a ratio.

Usage: reference_reader.py REFERENCE_JSON [SUMMARY_JSON]   exit 0 ok, 1 a key or unit is wrong
"""
import json
import math
import sys

GIB = 1024 ** 3
ROLES = ("gpu", "cpu", "storage")
PERCENTILES = ("mean", "p50", "p95", "p99", "p999", "p9999")
# The reference's storage_health criterion names (section 5.5), by performance profile.
CRITERIA = {"Storage write P95 < 500ms", "Storage read P95 < 200ms", "CPU RAM P95 < 150ms",
            "Cache hit rate > 30%", "Storage read bandwidth > 0", "Storage write bandwidth > 0"}


class Wrong(Exception):
    pass


def get(doc, path):
    node = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise Wrong(f"missing key {path}")
        node = node[part]
    return node


def number(doc, path):
    value = get(doc, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Wrong(f"{path} is {value!r}, not a number")
    return value


def count(doc, path):
    value = number(doc, path)
    if not isinstance(value, int) or value < 0:
        raise Wrong(f"{path} is {value!r}, not a count")
    return value


def row_of(ref):
    """The spreadsheet row: column name -> value, in the reference's columns' order."""
    row = {
        "Total Requests": count(ref, "requests_completed"),
        "Total Tokens": count(ref, "total_tokens_generated"),
        "Elapsed Time (s)": number(ref, "summary.elapsed_time"),
        "Avg Throughput (tok/s)": number(ref, "summary.avg_throughput_tokens_per_sec"),
        "Requests/sec": number(ref, "summary.requests_per_second"),
    }
    # json_to_xlsx recomputes storage throughput from the top-level fields.
    io_s = number(ref, "total_storage_io_latency")
    row["Storage Throughput (tok/s)"] = row["Total Tokens"] / io_s if io_s > 0 else 0.0
    number(ref, "total_generation_latency")
    for label, key in (("E2E Latency", "end_to_end_latency_ms"),
                       ("Storage Latency", "storage_io_latency_ms"),
                       ("Gen Latency", "generation_latency_ms")):
        for p in PERCENTILES:
            row[f"{label} {p}"] = number(ref, f"summary.{key}.{p}")
    cs = "summary.cache_stats"
    row["Cache Hit Rate"] = number(ref, f"{cs}.cache_hit_rate")
    row["Read/Write Ratio"] = number(ref, f"{cs}.read_write_ratio")
    row["Total Read (GiB)"] = number(ref, f"{cs}.total_read_gb")
    row["Total Write (GiB)"] = number(ref, f"{cs}.total_write_gb")
    for role in ROLES:
        for side in ("written", "read"):
            row[f"Tier {role} KV Bytes {side} (GiB)"] = number(ref, f"{cs}.tier_{role}_kv_bytes_{side}_gb")
        for side in ("read", "write"):
            row[f"Tier {role} {side} Bandwidth (GiB/s)"] = number(ref, f"{cs}.tier_{role}_{side}_bandwidth_gbps")
        row[f"{role} Entries"] = count(ref, f"{cs}.{role}_entries")
        # Per-tier latency columns exist only where the tier has samples.
        for side in ("read", "write"):
            for p in ("p50", "p95", "p99", "p999", "p9999"):
                key = f"{role}_{side}_{p}_ms"
                if key in get(ref, cs):
                    row[f"{role} {side} {p} (ms)"] = number(ref, f"{cs}.{key}")
    for key in ("cache_hits", "cache_misses", "offloads_cpu", "offloads_storage", "prefill_writes",
                "decode_reads", "system_prompt_hits", "common_phrase_hits", "user_cache_hits",
                "multi_turn_hits", "total_read_bytes", "total_write_bytes", "read_iops",
                "write_iops"):
        row[key] = count(ref, f"{cs}.{key}")
    number(ref, f"{cs}.gpu_memory_used_gb")
    number(ref, f"{cs}.cpu_memory_used_gb")
    number(ref, f"{cs}.storage_tokens_processed")
    row["Multi-turn Hit Rate"] = number(ref, "summary.multi_turn_stats.hit_rate")
    count(ref, "summary.multi_turn_stats.cache_hits")
    count(ref, "multi_turn_cache_hits")
    count(ref, "multi_turn_cache_misses")
    for key in ("end_to_end_latencies", "storage_latencies", "generation_latencies"):
        if not isinstance(get(ref, key), list):
            raise Wrong(f"{key} is not a list")
    get(ref, "summary.prefix_cache_stats")
    if not isinstance(get(ref, "summary.autoscaling_stats"), list):
        raise Wrong("summary.autoscaling_stats is not a list")
    get(ref, "summary.autoscaling_summary")
    for level, q in get(ref, "summary.qos_metrics").items():
        if q.get("no_data"):
            continue
        row[f"QoS {level} Total Requests"] = count(q, "total_requests")
        row[f"QoS {level} Latency P95"] = number(q, "latency_ms.p95")
        row[f"QoS {level} Latency P99"] = number(q, "latency_ms.p99")
        row[f"QoS {level} SLA Met"] = get(q, "sla.met")
        row[f"QoS {level} SLA Compliance"] = number(q, "sla.compliance")
        number(q, "sla.target_p95_ms")
    health = get(ref, f"{cs}.storage_health")
    row["Storage Health"] = get(health, "overall_status")
    criteria = get(health, "criteria")
    for c in criteria:
        for key in ("name", "target", "actual", "unit", "passed"):
            get(c, key)
        if c["name"] not in CRITERIA:
            raise Wrong(f"storage_health criterion {c['name']!r} is not one of the reference's")
    if count(health, "total_count") != len(criteria):
        raise Wrong("storage_health.total_count is not the number of criteria")
    if count(health, "passed_count") != sum(c["passed"] is True for c in criteria):
        raise Wrong("storage_health.passed_count is not the number of passed criteria")
    return row


def close(a, b, what):
    if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
        raise Wrong(f"{what}: {a} in reference.json, {b} from summary.json (wrong unit?)")


def check_units(ref, summary):
    """Cross-checks reference.json against kvcache's own summary.json, unit by unit."""
    b = summary["benchmark"]
    s = b["summary"]
    cs = s["cache_stats"]
    rcs = ref["summary"]["cache_stats"]
    close(ref["requests_completed"], s["total_requests"], "requests_completed")
    close(ref["total_tokens_generated"], s["total_tokens"], "total_tokens_generated")
    # Seconds: the summed per-request storage time.
    close(ref["total_storage_io_latency"], s["total_storage_io_time"], "total_storage_io_latency (s)")
    gen = s["generation_latency_ms"]
    close(ref["total_generation_latency"], gen["mean"] * gen["count"] / 1000.0,
          "total_generation_latency (s)")
    close(ref["summary"]["elapsed_time"], s["elapsed_time"], "elapsed_time (s)")
    for key in ("end_to_end_latency_ms", "storage_io_latency_ms", "generation_latency_ms"):
        for p in PERCENTILES:
            close(ref["summary"][key][p], s[key][p], f"{key}.{p} (ms)")
    # A ratio, not a percentage.
    hits, misses = rcs["cache_hits"], rcs["cache_misses"]
    if not 0.0 <= rcs["cache_hit_rate"] <= 1.0:
        raise Wrong(f"cache_hit_rate {rcs['cache_hit_rate']} is not a ratio")
    close(rcs["cache_hit_rate"], hits / (hits + misses) if hits + misses else 0.0, "cache_hit_rate")
    # GiB: 2^30 bytes.
    close(rcs["total_read_gb"] * GIB, rcs["total_read_bytes"], "total_read_gb (GiB)")
    close(rcs["total_write_gb"] * GIB, rcs["total_write_bytes"], "total_write_gb (GiB)")
    close(rcs["total_read_bytes"], cs["total_read_bytes"], "total_read_bytes")
    # Counts: whole entries read and written over the run, not per second.
    tiers = b["tiers"]
    close(rcs["read_iops"], sum(t["entry_read_latency_ms"]["count"] for t in tiers), "read_iops (count)")
    close(rcs["write_iops"], sum(t["entry_write_latency_ms"]["count"] for t in tiers), "write_iops (count)")
    # Roles from the slowest tier; the ones the spec lacks are 0.
    roles = {t["role"]: t for t in tiers if t["role"]}
    for role in ROLES:
        t = roles.get(role)
        written = t["classes"]["write"]["bytes"] if t else 0
        read = t["classes"]["read"]["bytes"] if t else 0
        close(rcs[f"tier_{role}_kv_bytes_written_gb"] * GIB, written, f"tier_{role}_kv_bytes_written_gb (GiB)")
        close(rcs[f"tier_{role}_kv_bytes_read_gb"] * GIB, read, f"tier_{role}_kv_bytes_read_gb (GiB)")
        elapsed = s["elapsed_time"]
        close(rcs[f"tier_{role}_read_bandwidth_gbps"], read / GIB / elapsed if elapsed > 0 else 0.0,
              f"tier_{role}_read_bandwidth_gbps (GiB/s)")
        close(rcs[f"{role}_entries"], t["entries"] if t else 0, f"{role}_entries")
    close(rcs["offloads_cpu"], cs["offloads_cpu"], "offloads_cpu")
    close(rcs["offloads_storage"], cs["offloads_storage"], "offloads_storage")
    names = [c["name"] for c in cs["storage_health"]["criteria"]]
    if names != [c["name"] for c in rcs["storage_health"]["criteria"]]:
        raise Wrong("storage_health criteria differ from summary.json's")


def main():
    try:
        with open(sys.argv[1]) as f:
            ref = json.load(f)
        row = row_of(ref)
        if len(sys.argv) > 2:
            with open(sys.argv[2]) as f:
                check_units(ref, json.load(f))
    except Wrong as e:
        print(f"reference.json: {e}")
        return 1
    print(f"ok: {len(row)} columns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
