#!/usr/bin/env python3
"""MPI tests of mlpsrun: N ranks under mpiexec produce one exact, merged summary.json.

Usage: mpi_test.py MLPSRUN CASE HAVE_MPI   (meson runs one CASE per test; see meson.build)
Exit 0 = pass, 1 = fail, 77 = skipped (MPI not built, mpiexec missing, no netns). Tests assert
behaviour, never speed; each takes seconds.
"""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

MLPSRUN = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
HAVE_MPI = sys.argv[3] == "1" if len(sys.argv) > 3 else True
SKIP = 77


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def mpiexec():
    return shutil.which("mpiexec")


def mpi_args():
    """What Open MPI needs here: root in a container, more ranks than cores, and no
    cross-memory-attach (containers often forbid process_vm_readv)."""
    args = ["--oversubscribe"]
    if os.geteuid() == 0:
        args.append("--allow-run-as-root")
    return args


def mpi_env():
    env = dict(os.environ)
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    return env


def tierbench_spec(folder, total="16MiB", duration="0", tiers=None, extra_run=""):
    """A small tierbench spec; `tiers` is YAML for the list under `tiers:` (any indent)."""
    tiers = tiers or """
      - name: mem
        plugin: dram
        capacity: 64MiB
    """
    tiers = textwrap.indent(textwrap.dedent(tiers).strip(), "  ")
    text = textwrap.dedent(f"""\
        benchmark:
          plugin: tierbench
          options:
            mode: mixed
            read_fraction: 0.5
            pattern: random
            object_size: 1MiB
            io_size: 64KiB
            objects: 8
            threads: 2
            queue_depth: 4
            {"total_bytes: " + total if total else ""}
        tiers:
        """) + tiers + textwrap.dedent(f"""
        run:
          duration: {duration}
          seed: 7
          progress_interval: 100ms
        """) + extra_run
    path = pathlib.Path(folder) / "spec.yaml"
    path.write_text(text)
    return path


def run(argv, timeout=90, expect=None, env=None):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=env or mpi_env())
    if expect is not None and proc.returncode != expect:
        raise Failure(f"{' '.join(map(str, argv))}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def summaries(results):
    return sorted(pathlib.Path(results).glob("*/*/summary.json"))


def only_summary(results):
    found = summaries(results)
    check(len(found) == 1, f"expected one summary.json under {results}, found {found}")
    return json.loads(found[0].read_text())


def assert_merged(summary, ranks):
    """Totals of the job are the sums of the ranks' own figures; percentiles come from the
    merged histograms."""
    check(summary["status"] == "ok", f"status {summary['status']}: {summary['errors']}")
    check(summary["partial"] is False, "a complete run is not partial")
    check(summary["ranks"] == ranks, f"ranks {summary['ranks']} != {ranks}")
    per_rank = summary["per_rank"]
    check(len(per_rank) == ranks, f"{len(per_rank)} per-rank entries for {ranks} ranks")
    check(sorted(r["rank"] for r in per_rank) == list(range(ranks)), "every rank reported")
    check(len(summary["hosts"]) == ranks, "one host inventory per rank")
    metrics = summary["metrics"]
    counters = [n for n, m in metrics.items() if m["kind"] == "counter"]
    histograms = [n for n, m in metrics.items() if m["kind"] == "histogram"]
    check("read.bytes" in counters and "write.bytes" in counters, f"counters {counters}")
    for name in counters:
        total = sum(r["metrics"][name]["total"] for r in per_rank)
        check(metrics[name]["total"] == total,
              f"{name}: merged {metrics[name]['total']} != sum of ranks {total}")
    moved = 0
    for name in histograms:
        merged = metrics[name]
        ranks_h = [r["metrics"][name] for r in per_rank if r["metrics"][name]["count"] > 0]
        count = sum(h["count"] for h in ranks_h)
        check(merged["count"] == count, f"{name}: merged count {merged['count']} != {count}")
        if count == 0:
            continue
        # A quantile of the union lies between the ranks' quantiles, to the bucket: each reports
        # its bucket's midpoint clamped to its own [min, max], so a rank whose max falls inside
        # the bucket reports less than the merged midpoint of that same bucket (seen: merged
        # 5871.5 against the ranks' [4975.5, 5862.0]). A bucket is at most 1/128 of its value
        # wide (core/results/histogram.hpp). max is the largest max.
        for q in ("p50", "p99"):
            low = min(h[q] for h in ranks_h) * (1 - 1 / 128)
            high = max(h[q] for h in ranks_h) * (1 + 1 / 128)
            check(low <= merged[q] <= high,
                  f"{name}.{q}: merged {merged[q]} outside the ranks' [{low}, {high}] "
                  "(widened by a bucket)")
        check(merged["max"] == max(h["max"] for h in ranks_h), f"{name}: max is the ranks' max")
        mean = sum(h["mean"] * h["count"] for h in ranks_h) / count
        check(abs(merged["mean"] - mean) <= 1e-6 * max(1.0, mean) + 1.0,
              f"{name}: merged mean {merged['mean']} != weighted mean {mean}")
    for side in ("read", "write"):
        moved += metrics[f"{side}.bytes"]["total"]
        # The benchmark's report read the merged metrics through the host API.
        report = summary["benchmark"][side]
        check(report["bytes"] == metrics[f"{side}.bytes"]["total"],
              f"report {side}.bytes {report['bytes']} is not the merged total")
        check(report["ops"] == metrics[f"{side}.ops"]["total"], f"report {side}.ops")
    check(moved == ranks * 16 * 2**20, f"each rank moves 16 MiB: {moved} bytes in all")
    job = summary["job"]
    check(job["merged"] is True and job["ranks_reported"] == ranks, f"job {job}")
    window = job["window"]
    check(window["earliest_start_s"] <= window["first_end_s"] <= window["latest_end_s"],
          f"window {window}")
    check(abs(summary["timing"]["timed_s"] - window["aggregate_s"]) < 1e-6,
          "timed_s is the job's window (earliest start to latest end)")
    for side in ("read", "write"):
        bw = job["bandwidth"][side]
        check(bw["bytes"] == metrics[f"{side}.bytes"]["total"], f"bandwidth.{side}.bytes")
        expect = bw["bytes"] / window["aggregate_s"] / 2**30
        check(abs(bw["aggregate_gib_per_s"] - expect) <= 1e-9 + 1e-6 * expect,
              f"aggregate bandwidth {bw['aggregate_gib_per_s']} != {expect}")
        check(0 <= bw["first_done_bytes"] <= bw["bytes"], "first-done bytes within the total")
    hosts = summary["per_host"]
    check(sum(len(h["ranks"]) for h in hosts) == ranks, "per_host covers every rank")
    check(all("cpus" in h and "memory_bytes" in h and "kernel" in h for h in hosts),
          "per_host carries the inventory")


def mpirun_case(ranks):
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp)
        results = pathlib.Path(tmp) / "results"
        run([mpiexec(), *mpi_args(), "-n", str(ranks), MLPSRUN, "run", str(spec),
             "--results-dir", str(results), "-q"], expect=0)
        summary = only_summary(results)
        assert_merged(summary, ranks)
        folder = pathlib.Path(summary["results_dir"])
        for r in range(1, ranks):
            check((folder / f"run.rank{r}.log").exists(), f"rank {r} keeps its own log")


def case_two_ranks():
    mpirun_case(2)


def case_four_ranks():
    mpirun_case(4)


def case_launch_hosts():
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp)
        results = pathlib.Path(tmp) / "results"
        proc = run([MLPSRUN, "run", str(spec), "--hosts", "localhost:4", "-n", "4",
                    *mpi_args(), "--results-dir", str(results), "-q"], expect=0)
        check("mlpsrun: launching:" in proc.stderr and "-n 4" in proc.stderr,
              f"the command is printed: {proc.stderr}")
        summary = only_summary(results)
        assert_merged(summary, 4)
        launched_as = summary["identity"].get("launched_as", "")
        check("--hosts localhost:4 -n 4" in launched_as,
              f"the ranks record the command the user typed: {launched_as!r}")


def case_launch_dry_run():
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp)
        proc = run([MLPSRUN, "run", str(spec), "--hosts", "localhost:2,otherhost", "-n", "3",
                    "--oversubscribe", "--mpi-param", "btl=self,tcp", "--mpi-param",
                    "--bind-to none", "--set", "run.seed=9", "--dry-run"], expect=0)
        line = proc.stdout.strip()
        for part in ("-n 3", "--host localhost:2,otherhost", "--oversubscribe",
                     "--mca btl self,tcp", "--bind-to none", "-x MLPS_PLUGIN_PATH",
                     f"{MLPSRUN} run {spec}", "--set run.seed=9", "--results-dir"):
            check(part in line, f"'{part}' missing from: {line}")
        check(not (pathlib.Path(tmp) / "results").exists(), "--dry-run creates nothing")
        # The spec's launch section, under what the command line says.
        launching = tierbench_spec(tmp, extra_run=textwrap.dedent("""\
            launch:
              hosts: [localhost:2, "b1,b2"]
              ranks: 5
              oversubscribe: true
              mpi_params: ["btl=self,vader"]
            """))
        line = run([MLPSRUN, "run", str(launching), "--dry-run"], expect=0).stdout
        for part in ("-n 5", "--host localhost:2,b1,b2", "--oversubscribe", "--mca btl self,vader"):
            check(part in line, f"'{part}' missing from: {line}")
        line = run([MLPSRUN, "run", str(launching), "-n", "2", "--dry-run"], expect=0).stdout
        check("-n 2" in line and "-n 5" not in line, f"the command line wins: {line}")
        # Mistakes are explained.
        bad = run([MLPSRUN, "run", str(spec), "-n", "2", "--mpi-bin", "no-such-mpiexec"])
        check(bad.returncode == 4 and "no-such-mpiexec not found" in bad.stderr,
              f"missing launcher: {bad.returncode} {bad.stderr}")
        bad = run([MLPSRUN, "run", str(spec), "--hosts", "no-such-host.invalid", "-n", "2",
                   "--mpi-param", "plm_rsh_agent=false"])
        check(bad.returncode == 4 and "no-such-host.invalid is unreachable" in bad.stderr,
              f"unreachable host: {bad.returncode} {bad.stderr}")


def case_setup_failure():
    with tempfile.TemporaryDirectory() as tmp:
        # Only rank 0's folder exists: the tier of rank 1 cannot start.
        (pathlib.Path(tmp) / "r0").mkdir()
        spec = tierbench_spec(tmp, tiers=f"""
          - name: disk
            plugin: posix-nvme
            capacity: 64MiB
            options:
              path: {tmp}/r{{rank}}
        """)
        results = pathlib.Path(tmp) / "results"
        proc = run([mpiexec(), *mpi_args(), "-n", "2", MLPSRUN, "run", str(spec),
                    "--results-dir", str(results), "-q"], timeout=60)
        # Rank 1's tier refuses its options before anything is created (its validate): every
        # rank learns it, the job exits 2, and a spec that cannot run leaves no results folder.
        check(proc.returncode == 2, f"exit {proc.returncode}: a rank that cannot start fails the job")
        check("rank 1 (host " in proc.stderr and "r1" in proc.stderr,
              f"the failing rank, its host and message are named: {proc.stderr}")
        check(not results.exists() or not list(results.glob("*/*/summary.json")),
              "no results folder for a job that never started")


def start_job(argv, env=None):
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env or mpi_env(), start_new_session=True)


def rank_pids(job_pid, rank):
    """The pid of an mlpsrun rank of the job started as `job_pid` (by start_job, in a session
    of its own: mpiexec directly, or mlpsrun's launcher with mpiexec beneath it). Ranks carry
    their rank in the environment."""
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            session = int(stat.rsplit(")", 1)[1].split()[3])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if session == job_pid and f"OMPI_COMM_WORLD_RANK={rank}".encode() in environ:
            pids.append(int(entry.name))
    return pids


def wait_for_timed_phase(job, results, ranks, timeout=30):
    """Rank 0's log shows the timed phase and every rank has its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job.poll() is not None:
            out, err = job.communicate()
            raise Failure(f"the job ended early ({job.returncode}):\n{out}\n{err}")
        logs = list(pathlib.Path(results).glob("*/*/run*.log"))
        started = [p for p in logs if "timed phase" in p.read_text(errors="replace")]
        if len(started) >= 1 and len(logs) >= ranks:
            return
        time.sleep(0.1)
    raise Failure("the job never reached its timed phase")


def killed_rank(launch):
    """Rank 1 of 3 killed mid-run (SIGKILL): the job ends, exit 1 as summary.json says."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp, total=None, duration="30s")
        results = pathlib.Path(tmp) / "results"
        job = start_job(launch(spec, results))
        try:
            wait_for_timed_phase(job, results, 3)
            time.sleep(0.3)
            victims = rank_pids(job.pid, 1)
            check(victims, "rank 1's process was found")
            os.kill(victims[0], signal.SIGKILL)
            out, err = job.communicate(timeout=20)  # no hang
        finally:
            if job.poll() is None:
                os.killpg(job.pid, signal.SIGKILL)
        check(job.returncode != 0, "a killed rank fails the job")
        check("rank 1" in err, f"the dead rank is named: {err}")
        summary = only_summary(results)
        check(summary["partial"] is True, "partial results")
        check(summary["status"] == "failed" and summary["exit_code"] == 1,
              f"status {summary['status']} exit {summary['exit_code']}")
        check(summary["job"]["merged"] is False and summary["job"]["missing_ranks"] == [1],
              f"job {summary['job']}")
        check(any("1" in e for e in summary["errors"]), f"errors name the rank: {summary['errors']}")
        check(summary["metrics"]["read.bytes"]["total"] > 0, "rank 0's figures are kept")
        return job.returncode


def case_killed_rank():
    killed_rank(lambda spec, results: [mpiexec(), *mpi_args(), "-n", "3", MLPSRUN, "run",
                                       str(spec), "--results-dir", str(results), "-q"])


def case_killed_rank_launcher():
    """Under `mlpsrun run -n 3` the exit code is the summary's (1), not mpiexec's 137."""
    code = killed_rank(lambda spec, results: [MLPSRUN, "run", str(spec), "-n", "3", *mpi_args(),
                                              "--results-dir", str(results), "-q"])
    check(code == 1, f"mlpsrun -n 3 exits {code}, summary.json says 1")


def interrupted_summary(results, ranks):
    summary = only_summary(results)
    check(summary["status"] == "interrupted" and summary["partial"] is True,
          f"status {summary['status']} partial {summary['partial']}: {summary['errors']}")
    check(summary["exit_code"] == 130, f"exit code {summary['exit_code']}")
    check(summary["job"]["merged"] is True and summary["job"]["ranks_reported"] == ranks,
          f"every rank merged: {summary['job']}")
    total = sum(r["metrics"]["read.bytes"]["total"] for r in summary["per_rank"])
    check(summary["metrics"]["read.bytes"]["total"] == total, "merged = sum of ranks")
    return summary


def case_interrupt():
    """Ctrl-C on `mlpsrun run -n 2`: the launcher forwards a graceful stop to every rank."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp, total=None, duration="30s")
        results = pathlib.Path(tmp) / "results"
        job = start_job([MLPSRUN, "run", str(spec), "-n", "2", *mpi_args(),
                         "--results-dir", str(results), "-q"])
        try:
            wait_for_timed_phase(job, results, 2)
            time.sleep(0.3)
            os.kill(job.pid, signal.SIGINT)  # the launcher only, as a terminal's Ctrl-C would
            out, err = job.communicate(timeout=30)
        finally:
            if job.poll() is None:
                os.killpg(job.pid, signal.SIGKILL)
        check(job.returncode == 130, f"exit {job.returncode}\n{err}")
        check("stopping the job" in err, err)
        interrupted_summary(results, 2)


def case_interrupt_mpiexec():
    """SIGINT to a plain mpiexec: Open MPI sends SIGTERM to the ranks, then SIGKILL."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp, total=None, duration="30s")
        results = pathlib.Path(tmp) / "results"
        env = mpi_env()
        env["OMPI_MCA_odls_base_sigkill_timeout"] = "2"
        job = start_job([mpiexec(), *mpi_args(), "-n", "2", MLPSRUN, "run", str(spec),
                         "--results-dir", str(results), "-q"], env=env)
        try:
            wait_for_timed_phase(job, results, 2)
            time.sleep(0.3)
            os.kill(job.pid, signal.SIGINT)
            job.communicate(timeout=30)
        finally:
            if job.poll() is None:
                os.killpg(job.pid, signal.SIGKILL)
        interrupted_summary(results, 2)


def case_stonewall():
    """run.stonewall: rank 1 measures a slow tier (4 MiB/s: 4 s for its 16 MiB), rank 0 a fast
    one; rank 1 stops as soon as rank 0 is done."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = pathlib.Path(tmp) / "spec.yaml"
        spec.write_text(textwrap.dedent("""\
            benchmark:
              plugin: tierbench
              options: {mode: read, object_size: 1MiB, io_size: 64KiB, objects: 8, threads: 1,
                        queue_depth: 2, total_bytes: 16MiB, tier: "t{rank}"}
            tiers:
              - {name: t0, plugin: dram, capacity: 64MiB}
              - {name: t1, plugin: dram, capacity: 64MiB, options: {emulate: {bandwidth: 4MiB/s}}}
            run: {duration: 0, stonewall: true}
            """))
        results = pathlib.Path(tmp) / "results"
        run([mpiexec(), *mpi_args(), "-n", "2", MLPSRUN, "run", str(spec), "--results-dir",
             str(results), "-q"], expect=0)
        summary = only_summary(results)
        ranks = {r["rank"]: r["metrics"]["read.bytes"]["total"] for r in summary["per_rank"]}
        check(ranks[0] == 16 * 2**20, f"rank 0 did all its work: {ranks}")
        check(ranks[1] < 16 * 2**20, f"rank 1 was stopped early: {ranks}")
        check(summary["metrics"]["read.bytes"]["total"] == ranks[0] + ranks[1], "merged = sum")
        check(summary["status"] == "ok", f"a stonewalled run is ok: {summary['errors']}")


def case_remote_missing():
    """A host without the plugin: the launcher's preflight names the host and the file before
    anything starts. The "host" is this machine seen through an rsh agent that hides the
    tierbench plugin's folder under an empty tmpfs (a private mount namespace)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp)
        plan = run([MLPSRUN, "run", str(spec), "--dry-run"], expect=0).stdout
        plugin = next(line.split("(")[-1].rstrip(")") for line in plan.splitlines()
                      if line.strip().startswith("benchmark tierbench"))
        folder = str(pathlib.Path(plugin).parent)
        agent = pathlib.Path(tmp) / "hiding-agent.sh"
        agent.write_text(textwrap.dedent(f"""\
            #!/bin/sh
            shift
            exec unshare -m sh -c "mount -t tmpfs none {folder} && exec sh -c \\"\\$0\\"" "$*"
            """))
        agent.chmod(0o755)
        if run([str(agent), "h", "true"]).returncode != 0:
            return SKIP  # no mount namespaces here
        bad = run([MLPSRUN, "run", str(spec), "--hosts", "otherhost", "-n", "1",
                   "--mpi-param", f"plm_rsh_agent={agent}"])
        check(bad.returncode == 4, f"exit {bad.returncode}: {bad.stderr}")
        check("host otherhost cannot run this job" in bad.stderr and plugin in bad.stderr,
              f"the host and the missing plugin are named: {bad.stderr}")
        check("launching" not in bad.stderr, "nothing was launched")


def case_history():
    with tempfile.TemporaryDirectory() as tmp:
        spec = tierbench_spec(tmp)
        results = pathlib.Path(tmp) / "results"
        run([MLPSRUN, "run", str(spec), "--results-dir", str(results), "-q"], expect=0,
            env=dict(os.environ))
        run([mpiexec(), *mpi_args(), "-n", "2", MLPSRUN, "run", str(spec), "--results-dir",
             str(results), "-q"], expect=0)
        (pathlib.Path(tmp) / "r0").mkdir()
        failing = tierbench_spec(tmp, tiers=f"""
          - name: disk
            plugin: posix-nvme
            options:
              path: {tmp}/r{{rank}}
        """)
        run([mpiexec(), *mpi_args(), "-n", "2", MLPSRUN, "run", str(failing), "--results-dir",
             str(results), "-q"])
        # Two runs ending at once append whole lines.
        jobs = [subprocess.Popen([MLPSRUN, "run", str(spec), "--results-dir", str(results),
                                  "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for _ in range(2)]
        for j in jobs:
            check(j.wait(timeout=60) == 0, "concurrent runs succeed")
        lines = (results / "index.jsonl").read_text().splitlines()
        entries = [json.loads(line) for line in lines]
        # The job whose rank 1 has no folder is refused before it starts (validate): a spec that
        # cannot run is not a run, so it leaves no history entry.
        check(len(entries) == 4, f"4 runs recorded: {lines}")
        check([e["ranks"] for e in entries[:2]] == [1, 2], f"ranks {entries}")
        check([e["status"] for e in entries[:2]] == ["ok", "ok"], f"{entries}")
        layout = entries[1]["identity"]["layout"]
        check(layout["ranks"] == 2 and sum(len(h["ranks"]) for h in layout["hosts"]) == 2,
              f"the rank layout is recorded: {layout}")
        check(entries[1]["headline"]["gib_per_s"] > 0, f"headline: {entries[1]['headline']}")
        listing = run([MLPSRUN, "history", "list", "--results-dir", str(results)], expect=0,
                      env=dict(os.environ)).stdout
        for e in entries:
            check(e["id"] in listing, f"{e['id']} listed:\n{listing}")
        shown = run([MLPSRUN, "history", "show", entries[1]["id"][:-2], "--results-dir",
                     str(results)], env=dict(os.environ))
        if shown.returncode == 0:
            check(entries[1]["id"] in shown.stdout and "2 rank(s)" in shown.stdout,
                  f"history show: {shown.stdout}")
        else:  # the prefix was ambiguous (same second): the message lists the candidates
            check(entries[1]["id"] in shown.stderr, shown.stderr)
        shown = run([MLPSRUN, "history", "show", entries[1]["id"], "--results-dir",
                     str(results)], expect=0, env=dict(os.environ))
        check('"ranks": 2' in shown.stdout, shown.stdout)
        missing = run([MLPSRUN, "history", "show", "nope", "--results-dir", str(results)],
                      env=dict(os.environ))
        check(missing.returncode == 2 and "no run" in missing.stderr, missing.stderr)


def case_netns_hosts():
    """Two "hosts" on one machine: network namespaces joined by a veth pair, each with its
    own hostname; Open MPI reaches the second through an rsh agent that runs `ip netns exec`."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("unshare") is None:
        return SKIP
    tag = f"mlps{os.getpid() % 100000}"
    a, b = f"{tag}a", f"{tag}b"
    created = []

    def sh(*argv):
        return subprocess.run(argv, capture_output=True, text=True)

    try:
        for ns in (a, b):
            if sh("ip", "netns", "add", ns).returncode != 0:
                return SKIP
            created.append(ns)
        if sh("ip", "link", "add", f"{tag}x", "netns", a, "type", "veth", "peer", "name",
              f"{tag}y", "netns", b).returncode != 0:
            return SKIP
        for ns, dev, ip in ((a, f"{tag}x", "10.231.7.1/24"), (b, f"{tag}y", "10.231.7.2/24")):
            sh("ip", "-n", ns, "addr", "add", ip, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        with tempfile.TemporaryDirectory() as tmp:
            agent = pathlib.Path(tmp) / "netns-agent.sh"
            # Open MPI calls: AGENT HOST COMMAND... ; the host's namespace runs it.
            agent.write_text(textwrap.dedent(f"""\
                #!/bin/sh
                host="$1"; shift
                case "$host" in 10.231.7.1) ns={a};; 10.231.7.2) ns={b};; *) exit 255;; esac
                exec ip netns exec "$ns" unshare --uts sh -c "hostname $ns && exec sh -c \\"\\$0\\"" "$*"
                """))
            agent.chmod(0o755)
            spec = tierbench_spec(tmp)
            results = pathlib.Path(tmp) / "results"
            argv = ["ip", "netns", "exec", a, "unshare", "--uts", "sh", "-c",
                    f'hostname {a} && exec "$@"', "sh", MLPSRUN, "run", str(spec),
                    "--hosts", "10.231.7.1:2,10.231.7.2:2", "-n", "4", *mpi_args(),
                    "--mpi-param", f"plm_rsh_agent={agent}",
                    "--mpi-param", "btl=self,tcp", "--mpi-param", "btl_tcp_if_include=10.231.7.0/24",
                    "--mpi-param", "oob_tcp_if_include=10.231.7.0/24",
                    "--results-dir", str(results), "-q"]
            proc = run(argv, timeout=90)
            if proc.returncode != 0 and "launching" not in proc.stderr:
                print(proc.stderr)
                return SKIP  # the launcher could not start here: not what is tested
            check(proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
            summary = only_summary(results)
            assert_merged(summary, 4)
            hosts = sorted(h["hostname"] for h in summary["per_host"])
            check(hosts == sorted([a, b]), f"two hosts in per_host: {hosts}")
            check(all(len(h["ranks"]) == 2 for h in summary["per_host"]), "two ranks each")
    finally:
        for ns in created:
            sh("ip", "netns", "del", ns)
    return 0


def main():
    if not HAVE_MPI:
        print("mlps was built without MPI")
        return SKIP
    if mpiexec() is None:
        print("mpiexec not found")
        return SKIP
    try:
        result = globals()["case_" + CASE]()
    except Failure as e:
        print(f"FAIL {CASE}: {e}")
        return 1
    except subprocess.TimeoutExpired as e:
        print(f"FAIL {CASE}: timed out (a hang): {e}")
        return 1
    if result == SKIP:
        print(f"SKIP {CASE}")
        return SKIP
    print(f"PASS {CASE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
