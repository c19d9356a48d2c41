#!/usr/bin/env python3
"""Tests of `mlpsrun report` (rendered in headless Chromium), flag-typed runs, and the command
line's help and usage errors.

Usage: report_test.py MLPSRUN CASE HAVE_MPI   (meson runs one CASE per test; see meson.build)
Exit 0 = pass, 1 = fail, 77 = skipped (chromium, Chart.js, HDF5 or MPI missing where a case
needs them). Tests assert behaviour, never speed.
"""
import html.parser
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

MLPSRUN = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
HAVE_MPI = len(sys.argv) > 3 and sys.argv[3] == "1"
SKIP = 77
CHARTJS = "/usr/share/javascript/chart.js/chart.min.js"


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, expect=None, timeout=180, env=None, cwd=None):
    proc = subprocess.run([MLPSRUN, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd)
    if expect is not None and proc.returncode != expect:
        raise Failure(f"mlpsrun {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def dump_dom(page, profile):
    """The page's DOM after its scripts ran, as headless Chromium sees it."""
    browser = chromium()
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
            "--window-size=1200,900", "--dump-dom", pathlib.Path(page).resolve().as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
    check(proc.returncode == 0 and "<html" in proc.stdout,
          f"chromium --dump-dom failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


class Plots(html.parser.HTMLParser):
    """Collects every <figure class="plot"> with its data-* marks, and <body>'s."""

    def __init__(self):
        super().__init__()
        self.plots = {}
        self.body = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and "plot" in (a.get("class") or "").split():
            self.plots[a.get("data-plot")] = a
        if tag == "body":
            self.body = a


def rendered_plots(page, tmp):
    parser = Plots()
    parser.feed(dump_dom(page, pathlib.Path(tmp) / "profile"))
    check(parser.body.get("data-ready") == "true",
          f"the page's script did not finish (body: {parser.body}); a JavaScript error?")
    check(int(parser.body.get("data-plots", "0")) == len(parser.plots),
          f"body says {parser.body.get('data-plots')} plots, the DOM has {len(parser.plots)}")
    for name, a in parser.plots.items():
        check(a.get("data-drawn") == "true", f"plot {name} was not drawn: {a}")
        check(int(a.get("data-points", "0")) > 0, f"plot {name} drew no points: {a}")
    return parser.plots


def need_report_tools():
    if chromium() is None:
        raise Skip("chromium is not installed (tools/bootstrap installs it)")
    if not os.path.isfile(CHARTJS) and not os.environ.get("MLPS_CHARTJS"):
        raise Skip("Chart.js (libjs-chart.js) is not installed")


def tierbench_spec(folder, mode="mixed"):
    path = pathlib.Path(folder) / f"tierbench-{mode}.yaml"
    path.write_text(
        "benchmark:\n"
        "  plugin: tierbench\n"
        f"  options: {{mode: {mode}, pattern: random, object_size: 1MiB, io_size: 64KiB,\n"
        "            objects: 8, threads: 2, queue_depth: 4, verify: true}\n"
        "tiers:\n"
        "  - {name: mem, plugin: dram, capacity: 64MiB}\n"
        "run: {warmup: 0, duration: 1500ms, seed: 7, progress_interval: 250ms}\n")
    return path


def kvcache_args(results):
    """The shipped kvcache spec, shrunk to seconds and a small DRAM + file tier."""
    return ["run", "kvcache", "--users", "2", "--generation-mode", "none",
            "--set", "run.duration=2s", "--set", "run.warmup=0",
            "--set", "run.progress_interval=250ms", "--set", "tiers.dram.capacity=256MiB",
            "--set", "tiers.nvme.capacity=512MiB", "--set", "tiers.nvme.options.direct=false",
            "--set", "run.seed=3",
            "--results-dir", str(results), "--quiet"]


def summary_path(proc):
    path = proc.stdout.strip().splitlines()[-1]
    check(path.endswith("summary.json") and os.path.isfile(path), f"no summary path: {proc.stdout}")
    return pathlib.Path(path)


# ---- cases -----------------------------------------------------------------------------------

def case_report_chromium():
    need_report_tools()
    with tempfile.TemporaryDirectory() as tmp:
        results = pathlib.Path(tmp) / "results"
        a = summary_path(run(["run", str(tierbench_spec(tmp, "mixed")), "--results-dir",
                              str(results), "--quiet"], expect=0))
        b = summary_path(run(["run", str(tierbench_spec(tmp, "read")), "--results-dir",
                              str(results), "--quiet"], expect=0))
        kv = summary_path(run(kvcache_args(results), expect=0, timeout=300))
        summary = json.loads(a.read_text())
        hist = summary["metrics"]["read.latency"]
        check(sum(c for _, _, c in hist["buckets"]) == hist["count"],
              "histogram buckets do not add up to its count")
        have_series = (a.parent / "timeseries.h5").exists()

        # One run, by folder.
        one = pathlib.Path(tmp) / "one.html"
        run(["report", str(a.parent), "-o", str(one)], expect=0)
        text = one.read_text()
        check("<script src" not in text and "http://" not in text.split("<script>")[0] and
              "https://cdn" not in text, "the page must not fetch anything")
        plots = rendered_plots(one, tmp)
        expected = {"run0-latency-cdf"}
        if have_series:
            expected |= {"run0-bandwidth", "run0-iops", "run0-latency-p99"}
        check(expected <= set(plots), f"plots {sorted(plots)} lack {sorted(expected - set(plots))}")

        # Three runs by id (two tierbench, one kvcache): every plot, and the overlay.
        ids = [json.loads(p.read_text())["run_id"] for p in (a, b, kv)]
        many = pathlib.Path(tmp) / "many.html"
        run(["report", ids[0], ids[1][:17], str(kv), "--results-dir", str(results),
             "-o", str(many)], expect=0)
        plots = rendered_plots(many, tmp)
        expected = {"run0-latency-cdf", "run1-latency-cdf", "run2-latency-cdf",
                    "run2-request-cdf", "run2-qos", "overlay-bars", "overlay-cdf-read"}
        if have_series:
            # run2-users: kvcache's active users, a gauge (ABI 1.1) in the time series.
            expected |= {"run2-hit-rate", "run2-requests", "run2-users", "overlay-bandwidth"}
        check(expected <= set(plots), f"plots {sorted(plots)} lack {sorted(expected - set(plots))}")


def case_report_mpi():
    need_report_tools()
    if not HAVE_MPI or shutil.which("mpiexec") is None:
        raise Skip("MPI is not built or mpiexec is missing")
    with tempfile.TemporaryDirectory() as tmp:
        results = pathlib.Path(tmp) / "results"
        proc = run(["run", str(tierbench_spec(tmp)), "--results-dir", str(results), "--quiet",
                    *mpi_launch_args()], expect=0)
        found = list(results.glob("*/*/summary.json"))
        check(len(found) == 1, f"one summary expected: {found}\n{proc.stderr}")
        folder = found[0].parent
        if (folder / "timeseries.h5").exists():
            rank1 = folder / "timeseries.rank1.h5"
            check(rank1.exists() and rank1.read_bytes()[:4] == b"\x89HDF",
                  f"rank 1 keeps its own series: {sorted(p.name for p in folder.iterdir())}")
        page = pathlib.Path(tmp) / "mpi.html"
        run(["report", str(found[0].parent), "-o", str(page)], expect=0)
        plots = rendered_plots(page, tmp)
        check({"run0-per-rank", "run0-per-host"} <= set(plots), f"no per-rank/host bars: {plots}")
        check(int(plots["run0-per-rank"]["data-points"]) >= 2, "per-rank bars: one per rank")


def mpi_launch_args():
    args = ["-n", "2", "--oversubscribe", "--mpi-param", "btl_vader_single_copy_mechanism=none"]
    if os.geteuid() == 0:
        args.append("--allow-run-as-root")
    return args


def case_kvcache_users_mpi():
    """The merged headline counts every rank's users (it said 10 when 4 ranks ran 40)."""
    if not HAVE_MPI or shutil.which("mpiexec") is None:
        raise Skip("MPI is not built or mpiexec is missing")
    with tempfile.TemporaryDirectory() as tmp:
        results = pathlib.Path(tmp) / "results"
        proc = run([*kvcache_args(results), *mpi_launch_args()], expect=0, timeout=300)
        found = list(results.glob("*/*/summary.json"))
        check(len(found) == 1, f"one summary expected: {found}\n{proc.stderr}")
        summary = json.loads(found[0].read_text())
        b = summary["benchmark"]
        check(b["workload"]["users"] == 4 and b["workload"]["users_per_rank"] == 2, b["workload"])
        check(" 4 users," in b["headline"][0], b["headline"][0])
        # A gauge merges across ranks as a sum: 2 active users on each of 2 ranks.
        check(summary["metrics"]["workload.active_users"] ==
              {"kind": "gauge", "unit": "users", "value": 4},
              f"merged gauge: {summary['metrics'].get('workload.active_users')}")
        for rank in summary["per_rank"]:
            check(rank["metrics"]["workload.active_users"] == {"value": 2},
                  f"a rank's gauge: {rank['metrics'].get('workload.active_users')}")
        for rank in summary["per_rank"]:
            check(rank["benchmark"]["workload"]["users"] == 2, "a rank's own report: its users")


def case_progress():
    """--progress off a terminal: one line per interval from set-up on, kvcache's requests."""
    with tempfile.TemporaryDirectory() as tmp:
        results = pathlib.Path(tmp) / "results"
        args = [a for a in kvcache_args(results) if a != "--quiet"]
        args = [a if a != "run.warmup=0" else "run.warmup=1s" for a in args]
        proc = run([*args, "--progress"], expect=0, timeout=300)
        lines = proc.stderr.splitlines()
        check(any(l.startswith("[warm-up") for l in lines), f"no warm-up progress:\n{proc.stderr}")
        timed = [l for l in lines if re.match(r"\[\s*[0-9.]+s / ", l)]
        check(timed, f"no timed progress lines:\n{proc.stderr}")
        check(all(re.search(r"\| \d+ requests, [0-9.]+/s", l) for l in timed),
              f"kvcache's requests and rate missing:\n{chr(10).join(timed)}")


def case_report_errors():
    with tempfile.TemporaryDirectory() as tmp:
        proc = run(["report", "nosuchrun", "--results-dir", tmp, "-o", f"{tmp}/x.html"], expect=2)
        check("neither a results folder nor a run id" in proc.stderr, proc.stderr)
        proc = run(["report", tmp, "-o", f"{tmp}/x.html"], expect=2)
        check("without a summary.json" in proc.stderr, proc.stderr)
        check(not os.path.exists(f"{tmp}/x.html"), "nothing is written on an error")
        # Without Chart.js the message says what to install.
        (pathlib.Path(tmp) / "r").mkdir()
        (pathlib.Path(tmp) / "r" / "summary.json").write_text(
            json.dumps({"run_id": "x", "benchmark_name": "tierbench", "metrics": {}}))
        env = dict(os.environ, MLPS_CHARTJS=f"{tmp}/missing.js")
        proc = run(["report", f"{tmp}/r", "-o", f"{tmp}/x.html"], expect=4, env=env)
        check("MLPS_CHARTJS" in proc.stderr, proc.stderr)


def case_flags_print_spec():
    proc = run(["run", "kvcache", "--model", "llama3.1-70b-instruct", "--num-users", "20",
                "--duration", "30", "--disable-multi-turn", "--generation-mode=fast",
                "--cpu-mem-gb", "4", "--set", "run.seed=9", "--print-spec"], expect=0)
    out = proc.stdout
    for pattern in (r"(?m)^\s+model: llama3\.1-70b-instruct$", r"(?m)^\s+users: 20$",
                    r"(?m)^\s+multi_turn: false$", r"(?m)^\s+generation_mode: fast$",
                    r"(?m)^\s+duration: 30s$", r"(?m)^\s+seed: 9$", r"(?m)^\s+capacity: 4GiB$",
                    r"(?m)^\s+plugin: kvcache$"):
        check(re.search(pattern, out), f"--print-spec lacks {pattern!r}:\n{out}")
    # What it printed is a spec that runs the same: validate it.
    with tempfile.TemporaryDirectory() as tmp:
        spec = pathlib.Path(tmp) / "spec.yaml"
        spec.write_text(out)
        run(["validate", str(spec)], expect=0)
    # Bool flags without a value; tierbench too.
    out = run(["run", "tierbench", "--io-size", "4KiB", "--verify", "--print-spec"], expect=0).stdout
    check(re.search(r"(?m)^\s+io_size: 4KiB$", out) and re.search(r"(?m)^\s+verify: true$", out),
          out)


def case_flags_errors():
    proc = run(["run", "kvcache", "--usres", "20", "--print-spec"], expect=2)
    check("--usres" in proc.stderr and "did you mean --users" in proc.stderr, proc.stderr)
    proc = run(["run", "kvcahe", "--users", "2"], expect=2)
    check("did you mean 'kvcache'" in proc.stderr, proc.stderr)
    proc = run(["run", "kvcache", "--users", "-3", "--print-spec"], expect=2)
    check("users" in proc.stderr, proc.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp)
        proc = run(["run", str(spec), "--users", "2", "--dry-run"], expect=2)
        check("--set" in proc.stderr, proc.stderr)


def case_help():
    top = run(["--help"], expect=0).stdout
    check(top.count("Exit codes:") == 1, f"top-level help: {top}")
    check("report" in top, "report is listed")
    run_help = run(["run", "--help"], expect=0).stdout
    check("SPEC SPEC" not in run_help, run_help)
    check(run_help.count("Exit codes:") == 1, run_help)
    check("--print-spec" in run_help, run_help)
    for sub in (["history", "list"], ["describe"], ["report"], ["validate"]):
        text = run([*sub, "--help"], expect=0).stdout
        check("Exit codes:" not in text, f"{' '.join(sub)} --help repeats the exit codes:\n{text}")
        check("SPEC SPEC" not in text and "RUN RUN" not in text, text)


def case_usage():
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp)
        proc = run(["run", str(spec), "-n", "0", "--dry-run"], expect=2)
        check("at least 1" in proc.stderr, proc.stderr)
        check(not re.search(r"\d{30}", proc.stderr), f"a huge number: {proc.stderr}")
        # -v after the subcommand is the same -v.
        proc = run(["run", "-v", str(spec), "--dry-run"], expect=0)
        proc = run(["validate", str(spec), "-v"], expect=0)
        if HAVE_MPI and shutil.which("mpiexec"):
            proc = run(["run", str(spec), "--hosts", "h1", "h2:2", "-n", "3", "--dry-run",
                        "--no-preflight"], expect=0)
            check(re.search(r"h1(:\d+)?,h2:2", proc.stdout), proc.stdout)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    try:
        CASES[CASE]()
    except Skip as e:
        print(f"SKIP: {e}")
        sys.exit(SKIP)
    except Failure as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("ok")
