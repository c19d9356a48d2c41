#!/usr/bin/env python3
"""End-to-end tests of looking at results: run identity, history, compare, repeat, export, --json.

Usage: results_test.py MLPSRUN CASE   (meson runs one CASE per test; see meson.build)
Exit 0 = pass, 1 = fail, 77 = skipped. Small dram tierbench runs; nothing asserts speed.
"""
import csv
import json
import pathlib
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

MLPSRUN = sys.argv[1]
CASE = sys.argv[2]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, expect=0, timeout=120):
    proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=timeout)
    if expect is not None and proc.returncode != expect:
        raise Failure(
            f"mlpsrun {' '.join(map(str, args))}: exit {proc.returncode}, expected {expect}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


SPEC = """\
benchmark:
  plugin: tierbench
  options:
    mode: read
    pattern: sequential
    object_size: 1MiB
    io_size: 256KiB
    objects: 4
    threads: 1
    queue_depth: 2
    total_bytes: 8MiB
tiers:
  - name: mem
    plugin: dram
    capacity: 64MiB
run:
  duration: 0
  seed: 7
"""


def setup(tmp, spec_text=SPEC):
    pathlib.Path(tmp).mkdir(parents=True, exist_ok=True)
    spec = pathlib.Path(tmp) / "spec.yaml"
    spec.write_text(spec_text)
    return spec, pathlib.Path(tmp) / "results"


def run_json(spec, results, *extra):
    """One run with --json: its summary, parsed from stdout."""
    proc = run(["run", str(spec), "--results-dir", str(results), "--json", *extra])
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise Failure(f"--json stdout is not JSON ({e}):\n{proc.stdout[:2000]}")


def index_entries(results):
    lines = (results / "index.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def case_identity_and_json():
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = setup(tmp)
        summary = run_json(spec, results, "--set", "benchmark.options.threads=2")
        on_disk = json.loads(
            (results / "tierbench" / summary["run_id"] / "summary.json").read_text())
        check(on_disk == summary, "--json printed something else than summary.json")
        ident = summary["identity"]
        check(ident["sets"] == ["benchmark.options.threads=2"], f"sets: {ident['sets']}")
        check("--set" in ident["command_line"] and "run" in ident["command_line"],
              f"command_line: {ident['command_line']}")
        check("benchmark.options.threads=2" in ident["command"], f"command: {ident['command']}")
        check(ident["spec"]["hash_fnv1a64"] == summary["spec"]["hash_fnv1a64"], "spec hash")
        check(ident["mlps"]["version"] == summary["mlps_version"], "mlps version")
        check("git" in ident["mlps"], "git describe recorded (empty outside a checkout)")
        names = {p["name"]: p for p in ident["plugins"]}
        check(set(names) == {"tierbench", "dram"} and all(p["version"] for p in names.values()),
              f"plugins: {ident['plugins']}")
        check(ident["layout"]["ranks"] == 1 and ident["layout"]["hosts"][0]["ranks"] == [0],
              f"layout: {ident['layout']}")
        entry = index_entries(results)[-1]
        check(entry["identity"] == ident, "the index entry carries the same identity")
        check(entry["headline"]["gib_per_s"] > 0, f"headline in the index: {entry['headline']}")
        # --output-format json is the same switch; -q and --json exclude each other.
        summary2 = json.loads(run(["run", str(spec), "--results-dir", str(results),
                                   "--output-format", "json"]).stdout)
        check(summary2["run_id"] != summary["run_id"], "a second run")
        run(["run", str(spec), "--results-dir", str(results), "--json", "-q"], expect=2)


def case_history_filters():
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = setup(tmp)
        first = run_json(spec, results)
        second = run_json(spec, results)
        # An unknown plugin option fails before the run: not a run, so not in the history.
        run(["run", str(spec), "--results-dir", str(results),
             "--set", "benchmark.options.no_such_option=1"], expect=2)
        r = ["--results-dir", str(results)]

        def listed(*args):
            return [e["id"] for e in json.loads(run(["history", "list", *r, "--json", *args]).stdout)]

        all_ids = listed()
        check(all_ids == [first["run_id"], second["run_id"]], f"all runs: {all_ids}")
        check(listed("--status", "ok") == all_ids, "--status ok")
        check(listed("--status", "failed") == [], "--status failed")
        check(listed("--benchmark", "tierbench") == all_ids, "--benchmark tierbench")
        check(listed("--benchmark", "kvcache") == [], "--benchmark kvcache")
        check(listed("--since", "1d") == all_ids, "--since 1d")
        check(listed("--since", "2999-01-01") == [], "--since the future")
        check(listed("--since", first["started_at"][:19]) == all_ids, "--since the first start")
        check(listed("--status", "ok", "--last", "1") == [second["run_id"]], "--last after filters")
        entries = json.loads(run(["history", "list", *r, "--json"]).stdout)
        check(entries[0]["headline"]["gib_per_s"] > 0, "headline in --json")
        human = run(["history", "list", *r]).stdout
        check("HEADLINE" in human and "GiB/s" in human and "ok" in human,
              f"human list:\n{human}")
        proc = run(["history", "list", *r, "--since", "yesterday"], expect=2)
        check("--since" in proc.stderr, f"bad --since names the flag: {proc.stderr}")
        run(["history", "list", *r, "--status", "nonsense"], expect=2)
        # A prefix one character longer than what the two ids share: unique however close
        # together they started (a fixed 17-character prefix is ambiguous when both started
        # in the same second and their random parts begin alike, 1 time in 16).
        common = next((i for i, (a, b) in enumerate(zip(first["run_id"], second["run_id"]))
                       if a != b), len(first["run_id"]))
        shown = run(["history", "show", first["run_id"][:common + 1], *r]).stdout
        check(first["run_id"] in shown, "history show still works")


def case_malformed_index():
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = setup(tmp)
        first = run_json(spec, results)
        with open(results / "index.jsonl", "a") as f:
            f.write('{"id": "broken", "time": \n\n')
        second = run_json(spec, results)
        proc = run(["history", "list", "--results-dir", str(results)])
        check(first["run_id"] in proc.stdout and second["run_id"] in proc.stdout,
              f"both good runs listed:\n{proc.stdout}")
        check("index.jsonl:2" in proc.stderr and "skipped" in proc.stderr,
              f"a warning names the line:\n{proc.stderr}")
        check("index.jsonl:3" not in proc.stderr, "an empty line is no warning")


def case_compare():
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = setup(tmp)
        a = run_json(spec, results)
        b = run_json(spec, results, "--set", "benchmark.options.threads=2")
        folder_b = results / "tierbench" / b["run_id"]
        out = json.loads(run(["compare", a["run_id"], str(folder_b), "--results-dir",
                              str(results), "--json"]).stdout)
        check([r["id"] for r in out["runs"]] == [a["run_id"], b["run_id"]], "runs in order")
        diffs = {d["key"]: d["values"] for d in out["differences"]}
        check(diffs.get("benchmark.options.threads") == ["1", "2"], f"threads differ: {diffs}")
        check("command.sets" in diffs, "the --set values differ")
        check("benchmark.options.io_size" not in diffs, "equal options are not differences")
        figures = {f["key"]: f for f in out["figures"]}
        g = figures.get("headline.gib_per_s")
        check(g is not None, f"headline figure compared: {list(figures)[:10]}")
        va, vb = g["values"]
        check(g["delta"][1] == vb - va and abs(g["ratio"][1] - vb / va) < 1e-9 * vb / va,
              f"delta/ratio: {g}")
        check(figures["benchmark.read.bytes"]["values"] == [8 << 20, 8 << 20], "bytes shared")
        human = run(["compare", a["run_id"], b["run_id"], "--results-dir", str(results)]).stdout
        check(human.index("benchmark.options.threads") < human.index("headline.gib_per_s"),
              f"differences are listed before the figures:\n{human[:1500]}")
        run(["compare", a["run_id"], "--results-dir", str(results)], expect=2)
        proc = run(["compare", a["run_id"], "nope", "--results-dir", str(results)], expect=2)
        check("nope" in proc.stderr, f"an unknown run is named: {proc.stderr}")


def case_repeat():
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = setup(tmp)
        proc = run(["run", str(spec), "--results-dir", str(results), "--repeat", "3", "--json"])
        record = json.loads(proc.stdout)
        check(record["schema"] == "mlps-repeat-1" and record["repeat"] == 3, f"record: {record}")
        check(len(record["runs"]) == 3 and all(r["counted"] for r in record["runs"]), "3 runs")
        ids = [r["id"] for r in record["runs"]]
        check(len(set(ids)) == 3 and all((results / "tierbench" / i / "summary.json").exists()
                                         for i in ids), "each run is its own result")
        stats = record["figures"]["gib_per_s"]
        values = sorted(r["headline"]["gib_per_s"] for r in record["runs"])
        check(stats["n"] == 3 and stats["median"] == values[1], f"median: {stats} {values}")
        check(stats["min"] == values[0] and stats["max"] == values[2], "min/max")
        mean = sum(values) / 3
        sd = (sum((v - mean) ** 2 for v in values) / 2) ** 0.5
        check(abs(stats["cv"] - sd / mean) < 1e-9, f"cv {stats['cv']} vs {sd / mean}")
        on_disk = json.loads((results / "tierbench" / record["repeat_id"] / "repeat.json").read_text())
        check(on_disk == record, "repeat.json holds the printed record")
        check(len(index_entries(results)) == 3, "three runs in the index")
        # The human form, from the spec's run.repeat.
        spec2, results2 = setup(tmp + "/two", SPEC.replace("  seed: 7", "  seed: 7\n  repeat: 2"))
        human = run(["run", str(spec2), "--results-dir", str(results2)]).stdout
        check("repeat repeat-" in human and "median" in human and "CV" in human,
              f"printed record:\n{human[-1500:]}")
        check(len(index_entries(results2)) == 2, "run.repeat: 2 runs")
        bad, _ = setup(tmp + "/bad", SPEC.replace("  seed: 7", "  seed: 7\n  repeat: 0"))
        proc = run(["run", str(bad), "--results-dir", str(results2)], expect=2)
        check("repeat" in proc.stderr, f"run.repeat: 0 is named: {proc.stderr}")


def xlsx_rows(path):
    """The first sheet's rows as lists of strings/floats, read with zipfile + ElementTree."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.find("m:sheetData", ns).findall("m:row", ns):
        cells = {}
        for c in row.findall("m:c", ns):
            ref = c.get("r")
            col = 0
            for ch in ref:
                if ch.isalpha():
                    col = col * 26 + (ord(ch) - 64)
            v = c.find("m:v", ns)
            kind = c.get("t")
            if v is None:
                value = c.findtext("m:is/m:t", default="", namespaces=ns)
            elif kind == "s":
                value = shared[int(v.text)]
            elif kind == "b":
                value = v.text == "1"
            elif kind == "str":
                value = v.text
            else:
                value = float(v.text)
            cells[col - 1] = value
        rows.append([cells.get(i) for i in range(max(cells) + 1)] if cells else [])
    return rows


def case_export():
    with tempfile.TemporaryDirectory() as tmp:
        spec, results = setup(tmp)
        a = run_json(spec, results)
        b = run_json(spec, results, "--set", "benchmark.options.threads=2")
        out_csv = pathlib.Path(tmp) / "runs.csv"
        run(["export", a["run_id"], b["run_id"], "--results-dir", str(results),
             "--csv", str(out_csv)])
        with open(out_csv, newline="") as f:
            rows = list(csv.DictReader(f))
        check([r["run_id"] for r in rows] == [a["run_id"], b["run_id"]], "one row per run")
        for row, summary in zip(rows, (a, b)):
            check(row["benchmark"] == "tierbench" and row["status"] == "ok", f"row: {row}")
            check(abs(float(row["gib_per_s"]) -
                      summary["benchmark"]["read"]["bandwidth_gib_per_s"]) < 1e-9,
                  f"headline GiB/s: {row['gib_per_s']}")
            check(float(row["read.bytes"]) == 8 << 20, "per-class figure read.bytes")
            check("read.latency_p99_ns" in row, "per-class latency")
        check("benchmark.options.threads=2" in rows[1]["command"], "the command line is a column")
        # No RUN: every run of the index.
        all_csv = pathlib.Path(tmp) / "all.csv"
        run(["export", "--results-dir", str(results), "--csv", str(all_csv)])
        with open(all_csv, newline="") as f:
            check(len(list(csv.DictReader(f))) == 2, "export of the whole index")
        run(["export", a["run_id"], "--results-dir", str(results)], expect=2)

        out_xlsx = pathlib.Path(tmp) / "runs.xlsx"
        helptext = run(["export", "--help"]).stdout
        if "NOT AVAILABLE" in helptext:
            proc = run(["export", a["run_id"], "--results-dir", str(results),
                        "--xlsx", str(out_xlsx)], expect=2)
            check("libxlsxwriter" in proc.stderr and not out_xlsx.exists(),
                  f"a build without XLSX says so: {proc.stderr}")
            return
        run(["export", a["run_id"], b["run_id"], "--results-dir", str(results),
             "--xlsx", str(out_xlsx)])
        sheet = xlsx_rows(out_xlsx)
        with open(out_csv, newline="") as f:
            table = list(csv.reader(f))
        check(sheet[0] == table[0], f"same header as the CSV:\n{sheet[0]}\n{table[0]}")
        check(len(sheet) == 3, f"a header and two rows: {len(sheet)}")
        col = table[0].index("gib_per_s")
        for r in (1, 2):
            check(isinstance(sheet[r][col], float) and
                  abs(sheet[r][col] - float(table[r][col])) < 1e-9 * sheet[r][col],
                  f"numbers stay numbers: {sheet[r][col]!r} vs {table[r][col]}")
            check(sheet[r][0] == table[r][0], "run ids")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    try:
        CASES[CASE]()
    except Failure as e:
        print(f"FAIL {CASE}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"ok {CASE}")
