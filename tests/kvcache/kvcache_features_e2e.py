#!/usr/bin/env python3
"""End-to-end tests of kvcache's prefix cache, RAG, preconditioning and autoscaler.

Usage: kvcache_features_e2e.py MLPSRUN CASE   (meson runs one CASE per test)
Exit 0 = pass, 1 = fail, 77 = skipped. Runs are bounded by max_requests (run.duration 0) and
use closed arrivals and a fixed seed; nothing asserts on speed. The autoscaler cases use a
DRAM tier that emulates a slow device (emulate.latency), with QoS targets far above or far
below what it gives, so the direction of every decision does not depend on the machine.
"""
import collections
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


def run(args, timeout=200, expect=None):
    proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=timeout)
    if expect is not None and proc.returncode != expect:
        raise Failure(f"mlpsrun {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def spec(options, tiers, requests, seed=5):
    """tiny-1b (24 KiB per token), short contexts, no think or generation time."""
    return textwrap.dedent(f"""\
        benchmark:
          plugin: kvcache
          options:
            model: tiny-1b
            arrivals: closed
            generation_mode: none
            max_requests: {requests}
            chunk_size: 1MiB
            profiles:
              chatbot: {{context: [64, 128], generation: [8, 32], think_time: [0, 0]}}
              coding: {{context: [64, 128], generation: [8, 32], think_time: [0, 0]}}
              document: {{context: [64, 128], generation: [8, 32], think_time: [0, 0]}}
        """) + textwrap.indent(textwrap.dedent(options), "    ") + "tiers:\n" + \
        textwrap.indent(textwrap.dedent(tiers), "  ") + textwrap.dedent(f"""\
        run:
          duration: 0
          seed: {seed}
        """)


BIG_DRAM = "- {name: mem, plugin: dram, capacity: 1GiB}\n"


def run_spec(tmp, name, text, extra=()):
    folder = pathlib.Path(tmp) / name
    folder.mkdir()
    path = folder / "spec.yaml"
    path.write_text(text)
    proc = run(["run", str(path), "--results-dir", str(folder / "results"), *extra], expect=0)
    found = list((folder / "results").glob("*/*/summary.json"))
    check(len(found) == 1, f"expected one summary.json, found {found}")
    summary = json.loads(found[0].read_text())
    check(summary["status"] == "ok", f"{name}: status {summary['status']}: {summary.get('errors')}")
    return summary, proc


def op_log(path):
    """The op log as rows of dicts (time_us,request,op,tier,key,bytes,phase)."""
    lines = pathlib.Path(path).read_text().splitlines()
    head = lines[0].split(",")
    return [dict(zip(head, line.split(","))) for line in lines[1:]]


def case_prefix_hits():
    with tempfile.TemporaryDirectory() as tmp:
        log = pathlib.Path(tmp) / "ops.csv"
        options = f"""\
            users: 6
            workers: 3
            op_log: {log}
            system_prompts: 3
            system_prompt_hit_probability: 0.5
            """
        summary, proc = run_spec(tmp, "on", spec(options, BIG_DRAM, 80))
        s = summary["benchmark"]["summary"]["prefix_cache_stats"]
        m = summary["metrics"]
        check(m["cache.evictions"]["total"] == 0, "the tier evicted: the test needs room for all")
        # Independently from the op log: the requests that use a system prompt, and which
        # prompt entries were written (once each) and read.
        uses = collections.defaultdict(set)  # request -> prompt keys
        writes, reads = collections.Counter(), collections.Counter()
        for row in op_log(log):
            if row["key"].startswith("kv_system_"):
                uses[row["request"]].add(row["key"])
                (writes if row["op"] == "write" else reads)[row["key"]] += 1
        prompts = set(writes)
        check(all(n == 1 for n in writes.values()), f"a prompt was written twice: {writes}")
        check(set(reads) <= prompts, "a prompt was read before any write")
        sharing = len(uses)
        check(sharing > 10, f"only {sharing} of 80 requests had a system prompt")
        check(s["requests_with_prefix"] == sharing,
              f"requests_with_prefix {s['requests_with_prefix']} != {sharing} in the op log")
        # Every request with a prompt hits, except the first of each prompt, which writes it.
        check(s["system_prompt_hits"] == sharing - len(prompts),
              f"hits {s['system_prompt_hits']} != {sharing} requests - {len(prompts)} prompts")
        check(s["system_prompt_misses"] == len(prompts), f"misses {s['system_prompt_misses']}")
        check(s["system_prompt_hits"] == sum(reads.values()), "hits != prompt reads in the log")
        check(m["prefix_cache.system_prompt_hits"]["total"] == s["system_prompt_hits"], "metric")
        for key in ("prefix_hits", "prefix_misses", "common_phrase_hits", "user_cache_hits",
                    "multi_turn_hits", "bytes_saved", "system_prompt_reuse"):
            check(key in s, f"prefix_cache_stats.{key} missing")
        check(s["bytes_saved"] > 0, "no bytes saved")
        check("prefix cache:" in proc.stdout, "no prefix cache line in the summary")

        log_off = pathlib.Path(tmp) / "off.csv"
        off, _ = run_spec(tmp, "off", spec(options.replace(str(log), str(log_off)) +
                                           "prefix_cache: false\n", BIG_DRAM, 40))
        check(off["benchmark"]["summary"]["prefix_cache_stats"] == {"enabled": False},
              off["benchmark"]["summary"]["prefix_cache_stats"])
        check(not any(r["key"].startswith("kv_system_") for r in op_log(log_off)),
              "prefix_cache: false still used system prompts")


def case_rag_top_k():
    with tempfile.TemporaryDirectory() as tmp:
        log = pathlib.Path(tmp) / "ops.csv"
        options = f"""\
            users: 4
            workers: 2
            op_log: {log}
            prefix_cache: false
            rag: true
            rag_num_docs: 3
            rag_doc_tokens_min: 600
            rag_doc_tokens_max: 1000
            rag_chunk_tokens: 128
            rag_top_k: 4
            rag_request_probability: 0.5
            """
        summary, proc = run_spec(tmp, "rag", spec(options, BIG_DRAM, 40))
        r = summary["benchmark"]["summary"]["rag_stats"]
        check(r["retrievals"] > 5, f"only {r['retrievals']} retrievals")
        check(r["chunk_reads"] == 4 * r["retrievals"],
              f"{r['chunk_reads']} chunk reads for {r['retrievals']} retrievals of top_k 4")
        check(r["chunk_hits"] == r["chunk_reads"], "a chunk read missed with room for all")
        ing = r["ingestion"]
        check(ing["documents"] == 3 and ing["entries"] == r["chunks"] and ing["bytes"] > 0,
              f"ingestion: {ing}")
        rows = op_log(log)
        ingest_writes = [x for x in rows if x["key"].startswith("rag_doc_") and x["op"] == "write"]
        check(len(ingest_writes) == r["chunks"], "chunks written != chunks")
        check(all(x["phase"] == "prepopulate" for x in ingest_writes), "ingestion phase")
        per_request = collections.Counter(x["request"] for x in rows
                                          if x["key"].startswith("rag_doc_") and x["op"] == "read")
        check(set(per_request.values()) == {4}, f"chunk reads per retrieval: {per_request}")
        check(len(per_request) == r["retrievals"], "retrievals in the log")
        # Ingestion is measured apart: the timed metrics hold retrieval reads, no chunk writes.
        m = summary["metrics"]
        check(m["rag.chunk_reads"]["total"] == r["chunk_reads"], "metric")
        timed = sum(int(x["bytes"]) for x in rows if x["op"] == "write" and
                    x["phase"] != "prepopulate")
        check(m["mem.write.bytes"]["total"] == timed,
              f"timed write bytes {m['mem.write.bytes']['total']} != the requests' {timed}")
        check("RAG:" in proc.stdout, "no RAG line in the summary")
        # Reproducible: the same seed gives the same library, retrievals and op log.
        log2 = pathlib.Path(tmp) / "ops2.csv"
        run_spec(tmp, "again", spec(options.replace(str(log), str(log2)), BIG_DRAM, 40))
        check(log.read_text() == log2.read_text(), "two runs of one seed wrote different op logs")


def case_precondition():
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        log = pathlib.Path(tmp) / "ops.csv"
        options = f"""\
            users: 4
            workers: 2
            op_log: {log}
            precondition: true
            precondition_multiple: 1.5
            precondition_tokens: 64
            """
        tiers = f"""\
            - {{name: cpu, plugin: dram, capacity: 16MiB}}
            - {{name: nvme, plugin: posix-nvme, capacity: 48MiB, options: {{path: {data}}}}}
            """
        summary, proc = run_spec(tmp, "pc", spec(options, tiers, 12), extra=("--progress",))
        p = summary["benchmark"]["summary"]["preconditioning"]
        entry = 64 * 24576
        limit = p["tier_limit_bytes"]
        check(p["tier"] == "nvme" and limit == 48 * 2**20, f"preconditioned tier: {p}")
        check(p["target_bytes"] == int(1.5 * limit), f"target {p['target_bytes']}")
        check(p["reached"] and p["target_bytes"] <= p["bytes"] < p["target_bytes"] + entry,
              f"wrote {p['bytes']} for a target of {p['target_bytes']}")
        check(p["entries"] == -(-p["target_bytes"] // entry), f"entries {p['entries']}")
        check(p["seconds"] > 0, "no duration")
        rows = op_log(log)
        pre = [x for x in rows if x["key"].startswith("precond_") and x["op"] == "write"]
        check(len(pre) == p["entries"], "op log: preconditioning writes")
        # The statistics start after it: the timed phase counts only its 12 requests' writes.
        m = summary["metrics"]
        check(m["requests.ops"]["total"] == 12, "requests")
        check(m["cache.prefill_writes"]["total"] <= 24, "preconditioning writes were counted")
        written = m["cpu.write.bytes"]["total"] + m["nvme.write.bytes"]["total"]
        timed = sum(int(x["bytes"]) for x in rows if x["op"] == "write" and
                    x["phase"] != "prepopulate")
        check(written == timed, f"timed writes {written} != the requests' {timed}")
        check(any("precondition" in line for line in proc.stderr.splitlines()),
              f"no preconditioning on the progress line:\n{proc.stderr[-2000:]}")
        check(list(data.iterdir()) == [], "files left behind")


def autoscale_spec(log, target_ms, initial, users=8):
    options = f"""\
        users: {users}
        workers: 4
        op_log: {log}
        prefix_cache: false
        qos:
          interactive: {{target_p95_ms: {target_ms}, target_p99_ms: {target_ms * 2}}}
          responsive: {{target_p95_ms: {target_ms}, target_p99_ms: {target_ms * 2}}}
          batch: {{target_p95_ms: {target_ms}, target_p99_ms: {target_ms * 2}}}
        autoscaler:
          mode: qos
          initial_users: {initial}
          window: 10
        """
    # A slow device: every operation takes 2 ms more.
    tiers = "- {name: mem, plugin: dram, capacity: 1GiB, options: {emulate: {latency: 2ms}}}\n"
    return spec(options, tiers, 90)


def decisions(summary):
    return [(d["action"], d["users"]) for d in summary["benchmark"]["summary"]["autoscaling_stats"]]


def case_autoscaler_qos():
    with tempfile.TemporaryDirectory() as tmp:
        # Far under target (100 s): users rise from 3 to the most (8), never fall.
        up, proc = run_spec(tmp, "up", autoscale_spec(pathlib.Path(tmp) / "up.csv", 100000, 3))
        d = decisions(up)
        check(d and d[0][0] == "scale_up", f"first decision {d}")
        check(all(a in ("scale_up", "hold") for a, _ in d), f"a scale-down under target: {d}")
        users = [u for _, u in d]
        check(users == sorted(users) and users[-1] == 8, f"users {users}")
        summary = up["benchmark"]["summary"]["autoscaling_summary"]
        check(summary["initial_users"] == 3 and summary["final_users"] == 8, summary)
        check(up["metrics"]["workload.active_users"] == {"kind": "gauge", "unit": "users",
                                                          "value": 8},
              f"active users gauge: {up['metrics']['workload.active_users']}")
        # More users really sent requests: the late requests come from users 3..7.
        late = {r["key"].split("_")[2] for r in op_log(pathlib.Path(tmp) / "up.csv")
                if r["key"].startswith("conv_user_")}
        check(len(late) > 3, f"only users {late} sent requests")
        check("autoscaler (qos): 3 -> 8 users" in proc.stdout, "no autoscaler line")

        # Far over target (0.01 ms): users fall from 8 (after a second window over), never rise.
        down, _ = run_spec(tmp, "down", autoscale_spec(pathlib.Path(tmp) / "d.csv", 0.01, 8))
        d = decisions(down)
        check(d[:2] == [("hold", 8), ("scale_down", 6)], f"decisions {d}")
        check(all(a in ("scale_down", "hold") for a, _ in d), f"a scale-up over target: {d}")
        check(d[-1][1] < 8, f"users never fell: {d}")
        # Deterministic: the same seed gives the same decisions.
        again, _ = run_spec(tmp, "again", autoscale_spec(pathlib.Path(tmp) / "a.csv", 0.01, 8))
        check(decisions(again) == d, f"{decisions(again)} != {d}")


def case_feature_specs_validate():
    root = pathlib.Path(__file__).resolve().parents[2] / "share" / "specs"
    names = ["kvcache-prefix-cache.yaml", "kvcache-rag.yaml", "kvcache-precondition.yaml",
             "kvcache-autoscaler.yaml"]
    for name in names:
        path = root / name
        check(path.is_file(), f"{path} missing")
        run(["validate", str(path)], expect=0)
    with tempfile.TemporaryDirectory() as tmp:
        bad = pathlib.Path(tmp) / "bad.yaml"
        bad.write_text(spec("users: 4\nautoscaler: {mode: qos, min_users: 9}\n", BIG_DRAM, 10))
        proc = run(["run", str(bad), "--results-dir", str(pathlib.Path(tmp) / "r")], expect=2)
        check("autoscaler.min_users" in proc.stderr, proc.stderr)
    proc = run(["describe", "kvcache"], expect=0)
    for option in ("system_prompts", "rag_num_docs", "rag_top_k",
                   "precondition_multiple", "autoscaler.mode"):
        check(option in proc.stdout, f"describe kvcache lacks {option}")


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
