#!/usr/bin/env python3
"""End-to-end tests of kvcache's request sources and trace mode through mlpsrun.

Usage: kvcache_sources_e2e.py MLPSRUN SOURCE_ROOT CASE   (meson runs one CASE per test)
Exit 0 = pass, 1 = fail, 77 = skipped. Inputs are the samples of share/traces/ (made by
tools/make-sample-traces). Every run is bounded by its input or max_requests, never by time.
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import textwrap

MLPSRUN = sys.argv[1]
TRACES = pathlib.Path(sys.argv[2]) / "share" / "traces"
CASE = sys.argv[3]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, timeout=120, expect=None):
    proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=timeout)
    if expect is not None and proc.returncode != expect:
        raise Failure(f"mlpsrun {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


# tiny-1b (24 KiB per token): a DRAM tier over files, small enough that the waterfall moves data.
def spec_text(data_dir, options, seed=7, requests=0):
    opts = {"model": "tiny-1b", "users": 4, "workers": 2, "arrivals": "closed",
            "generation_mode": "none", "chunk_size": "1MiB", "replay_cycles": 1}
    if requests:
        opts["max_requests"] = requests
    opts.update(options)
    lines = "\n".join(f"    {k}: {json.dumps(v) if not isinstance(v, str) else v}"
                      for k, v in opts.items())
    return ("benchmark:\n  plugin: kvcache\n  options:\n" + lines + "\n" + textwrap.dedent(f"""\
        tiers:
          - name: dram
            plugin: dram
            capacity: 24MiB
          - name: nvme
            plugin: posix-nvme
            capacity: 256MiB
            options:
              path: {data_dir}
        run:
          duration: 0
          seed: {seed}
        """))


def run_spec(tmp, name, text, expect=0, extra=()):
    folder = pathlib.Path(tmp) / name
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text(text)
    results = folder / "results"
    proc = run(["run", str(spec), "--results-dir", str(results), *extra], expect=expect)
    summary = None
    if expect == 0:
        found = list(results.glob("*/*/summary.json"))
        check(len(found) == 1, f"expected one summary.json, found {found}")
        summary = json.loads(found[0].read_text())
    return summary, proc


def data_dir(tmp):
    d = pathlib.Path(tmp) / "data"
    d.mkdir(exist_ok=True)
    return d


SOURCES = {
    "synthetic": {"max_requests": 40,
                  "profiles": "{chatbot: {context: [64, 512], generation: [8, 40], "
                              "think_time: [0, 0]}, coding: {context: [64, 512], "
                              "generation: [8, 40], think_time: [0, 0]}, document: {context: "
                              "[64, 512], generation: [8, 40], think_time: [0, 0]}}"},
    "sharegpt": {"source": "sharegpt", "dataset_path": str(TRACES / "sharegpt-sample.json")},
    "burstgpt": {"source": "burstgpt", "dataset_path": str(TRACES / "burstgpt-sample.csv"),
                 "max_requests": 60},
    "mooncake": {"source": "mooncake", "dataset_path": str(TRACES / "mooncake-sample.jsonl"),
                 "block_tokens": 16},
    "trace": {"source": "trace", "dataset_path": str(TRACES / "op-log-sample.csv")},
}


def case_each_source_deterministic():
    """Every source: a run with I/O completes, and the same seed and input give the same op_log."""
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        for name, options in SOURCES.items():
            logs = []
            for n in ("a", "b"):
                log = pathlib.Path(tmp) / f"{name}-{n}.csv"
                summary, _ = run_spec(tmp, f"{name}-{n}",
                                      spec_text(data, {**options, "op_log": str(log),
                                                       "verify": True}))
                check(summary["status"] == "ok", f"{name}: {summary['status']} {summary['errors']}")
                m = summary["metrics"]
                check(m["requests.ops"]["total"] > 0, f"{name}: no requests")
                check(m["errors"]["total"] == 0, f"{name}: I/O errors")
                check(m["verify.mismatched_bytes"]["total"] == 0, f"{name}: verify mismatches")
                check(summary["benchmark"]["source"]["kind"] == name, f"{name}: source not reported")
                logs.append(log.read_text())
            check(len(logs[0].splitlines()) > 20, f"{name}: op log too short")
            check(logs[0] == logs[1], f"{name}: two runs with the same seed wrote different logs")
        check(list(data.iterdir()) == [], f"files left behind: {list(data.rglob('*'))}")


def case_mooncake_blocks():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        options = {**SOURCES["mooncake"]}
        summary, proc = run_spec(tmp, "m", spec_text(data, options))
        blocks = summary["benchmark"]["source"]["blocks"]
        # The independent count: a block read hits when its id was seen before.
        seen, hits, refs = set(), 0, 0
        for line in (TRACES / "mooncake-sample.jsonl").read_text().splitlines():
            for block in json.loads(line)["hash_ids"]:
                hits += block in seen
                refs += 1
                seen.add(block)
        # 16-token blocks of 24 KiB per token (384 KiB): everything fits, so every reuse hits.
        check(blocks["block_hits"] == hits, f"block hits {blocks['block_hits']} != {hits}")
        check(blocks["block_hits"] + blocks["block_misses"] == refs, "block references")
        check(abs(blocks["block_hit_rate"] - hits / refs) < 1e-9, "hit rate")
        check(blocks["bytes_saved"] == hits * 16 * 24576, "bytes saved")
        check("block reuse:" in proc.stdout, "no block reuse line in the summary")


def replay_ops(text, reference):
    """The operation sequence of an io_trace (reference layout) or op_log, without times."""
    rows = text.splitlines()[1:]
    if reference:
        return [",".join(r.split(",")[1:]) for r in rows]
    return [",".join(r.split(",")[2:]) for r in rows]


def case_trace_round_trip():
    """Trace mode writes io_trace and op_log; replaying either gives the same operations."""
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        t = pathlib.Path(tmp)
        base = {**SOURCES["synthetic"], "max_requests": 80, "trace_only": True,
                "io_trace": str(t / "a.csv"), "op_log": str(t / "a-log.csv")}
        summary, _ = run_spec(tmp, "a", spec_text(data, base))
        check(summary["status"] == "ok", summary["errors"])
        check(summary["metrics"]["requests.ops"]["total"] == 80, "trace mode: request count")
        check(summary["benchmark"]["source"]["trace_only"], "trace_only not reported")
        a = (t / "a.csv").read_text()
        check(a.splitlines()[0] == "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase",
              "io_trace header")
        ops = {line.split(",")[1] for line in a.splitlines()[1:]}
        check({"Read", "Write", "Delete"} <= ops, f"io_trace operations: {ops}")
        # Trace mode plans exactly what a real run plans (closed arrivals: same virtual clock).
        real = {**base, "trace_only": False, "io_trace": str(t / "real.csv"),
                "op_log": str(t / "real-log.csv")}
        run_spec(tmp, "real", spec_text(data, real))
        check((t / "real-log.csv").read_text() == (t / "a-log.csv").read_text(),
              "trace mode planned differently from a real run")
        # Replay the io_trace (no I/O) and the op_log (with I/O): the same operations.
        replay = {"source": "trace", "dataset_path": str(t / "a.csv"), "trace_only": True,
                  "io_trace": str(t / "b.csv")}
        run_spec(tmp, "b", spec_text(data, replay))
        check(replay_ops((t / "b.csv").read_text(), True) == replay_ops(a, True),
              "replaying the io_trace changed the operations")
        replay = {"source": "trace", "dataset_path": str(t / "a-log.csv"),
                  "op_log": str(t / "c-log.csv"), "verify": True}
        summary, _ = run_spec(tmp, "c", spec_text(data, replay))
        check(summary["status"] == "ok" and summary["metrics"]["errors"]["total"] == 0,
              f"replay with I/O: {summary['errors']}")
        check(replay_ops((t / "c-log.csv").read_text(), False) ==
              replay_ops((t / "a-log.csv").read_text(), False),
              "replaying the op_log changed the operations")
        # zstd, when built in: the same bytes once decompressed, and readable by the replay.
        zst = {**base, "io_trace": str(t / "z.csv.zst"), "op_log": str(t / "z-log.csv")}
        summary, proc = run_spec(tmp, "z", spec_text(data, zst), expect=None)
        if proc.returncode == 0:
            text = subprocess.run(["zstd", "-dc", str(t / "z.csv.zst")], capture_output=True,
                                  text=True).stdout if shutil_which("zstd") else a
            check(text == a, "the .zst trace differs from the plain one")
            run_spec(tmp, "zr", spec_text(data, {"source": "trace",
                                                 "dataset_path": str(t / "z.csv.zst"),
                                                 "trace_only": True,
                                                 "io_trace": str(t / "zr.csv")}))
            check(replay_ops((t / "zr.csv").read_text(), True) == replay_ops(a, True),
                  "replaying the .zst trace changed the operations")
        else:
            check("zstd" in proc.stderr and proc.returncode == 2,
                  f"a .zst name without zstd support: {proc.stderr}")
        check(list(data.iterdir()) == [], f"files left behind: {list(data.rglob('*'))}")


def shutil_which(name):
    import shutil
    return shutil.which(name)


def case_reference_trace_replay():
    """The reference's io_trace layout, replayed against three tiers (Tier-0..2), with I/O."""
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        text = spec_text(data, {"source": "trace",
                                "dataset_path": str(TRACES / "io-trace-sample.csv"),
                                "verify": True})
        # Room for everything the sample writes, so that no write makes room by deleting.
        text = text.replace("tiers:\n", "tiers:\n  - name: gpu\n    plugin: dram\n"
                                        "    capacity: 200MiB\n")
        text = text.replace("capacity: 24MiB", "capacity: 200MiB")
        summary, _ = run_spec(tmp, "r", text)
        check(summary["status"] == "ok", summary["errors"])
        m = summary["metrics"]
        rows = (TRACES / "io-trace-sample.csv").read_text().splitlines()[1:]
        writes = sum(1 for r in rows if ",Write," in r)
        reads = sum(1 for r in rows if ",Read," in r)
        check(m["cache.prefill_writes"]["total"] == writes, "replayed writes")
        check(m["cache.decode_reads"]["total"] == reads, "replayed reads")
        check(list(data.iterdir()) == [], f"files left behind: {list(data.rglob('*'))}")


def case_hour_in_trace_mode():
    """An hour of the quickstart's workload in trace mode: virtual time, so it ends by itself."""
    with tempfile.TemporaryDirectory() as tmp:
        t = pathlib.Path(tmp)
        data = data_dir(tmp)
        # The quickstart's workload (share/specs/kvcache-quickstart.yaml) without its prefault.
        (t / "spec.yaml").write_text(textwrap.dedent(f"""\
            benchmark:
              plugin: kvcache
              options:
                model: llama3.1-8b
                users: 10
                arrivals: closed
                generation_mode: none
                trace_only: true
                io_trace: {t / 'hour.csv'}
            tiers:
              - name: dram
                plugin: dram
                capacity: 2GiB
              - name: nvme
                plugin: posix-nvme
                capacity: 8GiB
                options:
                  path: {data}
            run:
              warmup: 5s
              duration: 3600s
              seed: 42
            """))
        run(["run", str(t / "spec.yaml"), "--results-dir", str(t / "r")], timeout=250, expect=0)
        rows = (t / "hour.csv").read_text().splitlines()
        last = float(rows[-1].split(",")[0])
        check(3500 < last <= 3605, f"the trace ends at {last} s of virtual time, not near 3605")
        check(len(rows) > 10000, f"only {len(rows)} rows for an hour")
        check(list(data.iterdir()) == [], "trace mode left files")


def case_burstgpt_open_arrivals():
    """Open arrivals at Timestamp / trace_speedup: every row arrives at its own time (the op
    log's time column is the scheduled arrival, exact, not a measured one)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        log = pathlib.Path(tmp) / "log.csv"
        options = {**SOURCES["burstgpt"], "arrivals": "open", "trace_speedup": 40,
                   "max_queue": 1000, "op_log": str(log)}
        del options["max_requests"]
        summary, _ = run_spec(tmp, "o", spec_text(data, options))
        rows = (TRACES / "burstgpt-sample.csv").read_text().splitlines()[1:]
        m = summary["metrics"]
        check(m["requests.ops"]["total"] + m["requests.rejected"]["total"] == len(rows),
              "every row arrives once")
        t0 = float(rows[0].split(",")[0])
        arrivals = {}
        for line in log.read_text().splitlines()[1:]:
            time_us, _, _, _, key, _, _ = line.split(",")
            if key.startswith("kv_system_"):
                continue  # a shared system prompt (prefix cache): its number is not a row's
            arrivals.setdefault(int(key.rsplit("_", 1)[1]), int(time_us))  # its own request
        check(len(arrivals) == m["requests.ops"]["total"], "one key per request")
        for row, time_us in arrivals.items():
            want = (float(rows[row].split(",")[0]) - t0) / 40 * 1e6
            check(abs(time_us - want) <= 1, f"row {row} arrived at {time_us} us, not {want:.0f}")


def case_bad_input():
    """Malformed input: exit 2 with file:line, before any tier is created."""
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        t = pathlib.Path(tmp)
        cases = [
            ("sharegpt", "bad.json", '[\n {"conversations": [}\n]\n', "bad.json:2:"),
            ("sharegpt", "empty.json", "", "the file is empty"),
            ("burstgpt", "cols.csv", "Timestamp,Colour\n1,red\n", "unknown column 'Colour'"),
            ("burstgpt", "time.csv",
             "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
             "3,a,1,1,2,x\n2,a,1,1,2,x\n", "time.csv:3:1: non-monotonic timestamps"),
            ("mooncake", "m.jsonl", '{"timestamp": 1, "input_length": 3, "hash_ids": [1]}\n',
             "m.jsonl:1: missing field 'output_length'"),
            ("trace", "t.csv", "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase\n"
             "1.0,Write,10,Tier-7,k,Prefill\n", "t.csv:2:"),
        ]
        for n, (source, name, content, fragment) in enumerate(cases):
            path = t / name
            path.write_text(content)
            _, proc = run_spec(tmp, f"bad{n}", spec_text(data, {"source": source,
                                                               "dataset_path": str(path)}),
                               expect=2)
            check(fragment in proc.stderr, f"{name}: '{fragment}' not in:\n{proc.stderr}")
            check(list(data.iterdir()) == [], f"{name}: a tier was created: {list(data.iterdir())}")
        # --dry-run and validate refuse too.
        spec = t / "bad0" / "spec.yaml"
        run(["run", "--dry-run", str(spec)], expect=2)


def case_dry_run_plan():
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(tmp)
        spec = pathlib.Path(tmp) / "spec.yaml"
        spec.write_text(spec_text(data, SOURCES["sharegpt"]))
        proc = run(["run", "--dry-run", str(spec)], expect=0)
        start = proc.stdout.find("{")
        check('"requests_per_pass"' in proc.stdout, f"plan lacks the source:\n{proc.stdout}")
        conversations = json.loads((TRACES / "sharegpt-sample.json").read_text())
        turns = 0
        for c in conversations:
            m = c["conversations"]
            i = 0
            while i + 1 < len(m):
                if m[i]["from"] == "human" and m[i + 1]["from"] == "gpt":
                    turns += 1
                    i += 2
                else:
                    i += 1
        found = re.search(r'"requests_per_pass":\s*(\d+)', proc.stdout)
        check(found is not None and int(found.group(1)) == turns,
              f"plan: requests_per_pass is not {turns}:\n{proc.stdout[start:start + 2000]}")
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
