#!/usr/bin/env python3
"""End-to-end tests of the training and checkpoint benchmarks through mlpsrun.

Usage: workloads_test.py MLPSRUN CASE HAVE_MPI   (meson runs one CASE per test; see meson.build)
Exit 0 = pass, 1 = fail, 77 = skipped (an MPI case without MPI or mpiexec). Tests assert
behaviour and computed verdicts, never speed; sizes are a few MiB. MPI cases run oversubscribed
on whatever cores there are, as tests/mpi/mpi_test.py does.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap

MLPSRUN = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
HAVE_MPI = sys.argv[3] == "1" if len(sys.argv) > 3 else True
SKIP = 77
MiB = 1 << 20


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def mpi_prefix(ranks):
    if ranks == 1:
        return []
    args = [shutil.which("mpiexec"), "--oversubscribe", "-n", str(ranks)]
    if os.geteuid() == 0:
        args.append("--allow-run-as-root")
    return args


def env():
    e = dict(os.environ)
    e.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    e.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    return e


def write_spec(folder, name, benchmark, options, tiers):
    opts = textwrap.indent(textwrap.dedent(options).strip(), "    ")
    tiers = textwrap.indent(textwrap.dedent(tiers).strip(), "  ")
    text = (f"benchmark:\n  plugin: {benchmark}\n  options:\n{opts}\n"
            f"tiers:\n{tiers}\nrun:\n  duration: 0\n  seed: 11\n")
    path = pathlib.Path(folder) / f"{name}.yaml"
    path.write_text(text)
    return path


def mlpsrun(spec, results, ranks=1, expect=0, extra=()):
    argv = [*mpi_prefix(ranks), MLPSRUN, "run", str(spec), "--results-dir", str(results), "-q",
            *extra]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=240, env=env())
    if expect is not None and proc.returncode != expect:
        raise Failure(f"{' '.join(argv)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def newest_summary(results):
    found = sorted(pathlib.Path(results).glob("*/*/summary.json"), key=os.path.getmtime)
    check(found, f"no summary.json under {results}")
    return json.loads(found[-1].read_text())


def nvme_tier(path, persistent="shared"):
    return f"""
      - name: disk
        plugin: posix-nvme
        options:
          path: {path}
          persistent_folder: {persistent}
          fanout: 4
    """


def dram_tier(capacity="256MiB", bandwidth=None):
    text = "- name: mem\n  plugin: dram\n" + (f"  capacity: {capacity}\n" if capacity else "")
    if bandwidth:
        text += f"  options:\n    emulate:\n      bandwidth: {bandwidth}\n"
    return text


def files_under(path):
    return sorted(p for p in pathlib.Path(path).rglob("*") if p.is_file())


# ---- checkpoint --------------------------------------------------------------------------

CKPT_BYTES = 24 * MiB


def checkpoint_options(writes, reads, cleanup="auto", shift=0):
    return f"""
        model: llama3-8b
        mode: default
        checkpoint_size: {CKPT_BYTES}
        num_checkpoints_write: {writes}
        num_checkpoints_read: {reads}
        time_between_checkpoints: 0s
        io_size: 1MiB
        queue_depth: 4
        recovery_rank_shift: {shift}
        cleanup: {cleanup}
    """


def assert_checkpoint(summary, ranks, writes, reads):
    check(summary["status"] == "ok", f"status {summary['status']}: {summary.get('errors')}")
    b = summary["benchmark"]
    check(b["ranks"] == ranks, f"ranks {b['ranks']}")
    size = b["checkpoint_size_bytes"]
    check(size == CKPT_BYTES, f"checkpoint_size_bytes {size} != {CKPT_BYTES}")
    check(sum(b["rank_bytes"]) == size, "the ranks' shards add up to the checkpoint")
    own = {r["rank"]: r["benchmark"]["this_rank_bytes"] for r in summary["per_rank"]}
    check(sorted(own) == list(range(ranks)) and sum(own.values()) == size,
          f"each rank's own report: {own}")
    m = summary["metrics"]
    check(m["write.bytes"]["total"] == size * writes,
          f"write.bytes {m['write.bytes']['total']} != {size} x {writes}")
    check(m["read.bytes"]["total"] == size * reads,
          f"read.bytes {m['read.bytes']['total']} != {size} x {reads}")
    per_rank = sum(r["metrics"]["write.bytes"]["total"] for r in summary["per_rank"])
    check(per_rank == m["write.bytes"]["total"], "merged write.bytes = sum of the ranks'")
    check(b["save"]["count"] == writes and b["load"]["count"] == reads, "saves and loads")
    check(b["save"]["bytes"] == size * writes and b["load"]["bytes"] == size * reads,
          "every save and load moved the whole checkpoint")
    for op in ("save", "load"):
        for d, t in zip(b[op]["duration_s"], b[op]["throughput_gib_per_s"]):
            check(d > 0 and abs(t - size / 2**30 / d) < 1e-6 * t + 1e-12,
                  f"{op}: throughput = bytes / duration ({t} vs {d})")
    check(m["save.duration"]["count"] == writes * ranks, "one save.duration per rank and save")
    check(b["errors"] == 0, "no I/O errors")


def checkpoint_mpi(ranks):
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        results = pathlib.Path(tmp) / "results"
        save = write_spec(tmp, "save", "checkpoint", checkpoint_options(2, 0), nvme_tier(data))
        mlpsrun(save, results, ranks)
        assert_checkpoint(newest_summary(results), ranks, 2, 0)
        left = files_under(data / "shared")
        # llama3-8b (ZeRO 3): 2 files per rank and step, and one manifest per rank and step.
        check(len(left) == 2 * 3 * ranks, f"the save-only run leaves its checkpoint: {left}")

        # A load with another rank count is refused before anything is read (exit 2).
        other = 2 if ranks == 4 else 4
        load = write_spec(tmp, "load", "checkpoint", checkpoint_options(0, 2, "always"),
                          nvme_tier(data))
        proc = mlpsrun(load, results, other, expect=2)
        check("ranks" in proc.stderr and "same rank count" in proc.stderr or
              "finds no checkpoint" in proc.stderr, f"rank-count message: {proc.stderr}")

        # The load in a separate invocation with the same rank count, neighbours' shards.
        load = write_spec(tmp, "load", "checkpoint",
                          checkpoint_options(0, 2, "always", shift=1), nvme_tier(data))
        mlpsrun(load, results, ranks)
        summary = newest_summary(results)
        assert_checkpoint(summary, ranks, 0, 2)
        check(summary["benchmark"]["recovery_rank_shift"] == 1, "shift reported")
        check(files_under(data) == [], f"cleanup: always removed the checkpoint: "
                                       f"{files_under(data)}")


def case_checkpoint_two_ranks():
    return checkpoint_mpi(2)


def case_checkpoint_four_ranks():
    return checkpoint_mpi(4)


def case_checkpoint_single():
    """Saves then loads in one run on the dram tier; nothing stays behind."""
    with tempfile.TemporaryDirectory() as tmp:
        results = pathlib.Path(tmp) / "results"
        spec = write_spec(tmp, "ckpt", "checkpoint", checkpoint_options(2, 2), dram_tier())
        mlpsrun(spec, results)
        summary = newest_summary(results)
        assert_checkpoint(summary, 1, 2, 2)
        check(summary["tiers"][0]["used_bytes"] == 0 if "used_bytes" in summary["tiers"][0]
              else True, "the run deleted its checkpoint")


# ---- training ----------------------------------------------------------------------------

def training_options(mode, extra=""):
    return textwrap.dedent(f"""
        mode: {mode}
        workload: unet3d
        num_files: 16
        samples_per_file: 2
        record_length: 256KiB
        batch_size: 2
        read_threads: 2
        computation_time: 1ms
        epochs: 2
        transfer_size: 128KiB
        queue_depth: 2
    """).strip() + "\n" + extra


def training_mpi(ranks):
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        results = pathlib.Path(tmp) / "results"
        gen = write_spec(tmp, "gen", "training", training_options("datagen"), nvme_tier(data))
        mlpsrun(gen, results, ranks)
        s = newest_summary(results)
        check(s["status"] == "ok", f"datagen status {s['status']}")
        file_bytes = 2 * 256 * 1024
        check(s["metrics"]["write.bytes"]["total"] == 16 * file_bytes,
              f"datagen wrote {s['metrics']['write.bytes']['total']}")
        shares = [r["metrics"]["write.bytes"]["total"] for r in s["per_rank"]]
        check(shares == [16 // ranks * file_bytes] * ranks, f"round-robin shares {shares}")
        check(s["benchmark"]["files_written"] == 16, "every file written")
        check(len(files_under(data / "shared")) == 17, "16 files and the manifest stay")

        run = write_spec(tmp, "run", "training",
                         training_options("run", "delete_dataset: true\n"), nvme_tier(data))
        mlpsrun(run, results, ranks)
        s = newest_summary(results)
        check(s["status"] == "ok", f"run status {s['status']}")
        b = s["benchmark"]
        samples = 16 * 2  # every sample once per epoch: 32 samples, batches of 2
        check(s["metrics"]["samples"]["total"] == 2 * samples, "samples of 2 epochs")
        check(s["metrics"]["read.bytes"]["total"] == 2 * samples * 256 * 1024,
              f"read.bytes {s['metrics']['read.bytes']['total']}")
        per = [r["metrics"]["read.bytes"]["total"] for r in s["per_rank"]]
        check(per == [2 * samples // ranks * 256 * 1024] * ranks, f"per-rank reads {per}")
        check(b["steps_per_epoch"] == samples // ranks // 2, "steps per epoch")
        check(len(b["au"]["per_epoch_percent"]) == 2, "AU of each epoch")
        check(b["au"]["verdict"] in ("PASS", "FAIL"), "a verdict")
        check(files_under(data) == [], f"delete_dataset removed it: {files_under(data)}")


def case_training_two_ranks():
    return training_mpi(2)


def case_training_four_ranks():
    return training_mpi(4)


def au_case(bandwidth, compute, expect_verdict, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        results = pathlib.Path(tmp) / "results"
        options = f"""
            mode: run
            generate: true
            workload: unet3d
            num_files: 8
            samples_per_file: 1
            record_length: 1MiB
            batch_size: 1
            read_threads: 2
            computation_time: {compute}
            epochs: 1
            au_threshold: 0.5
            transfer_size: 256KiB
        """
        spec = write_spec(tmp, "au", "training", options, dram_tier("64MiB", bandwidth))
        mlpsrun(spec, results, extra=extra)
        s = newest_summary(results)
        au = s["benchmark"]["au"]
        if expect_verdict == "not evaluated":
            check(au["verdict"] == expect_verdict and s["benchmark"]["epochs"] == 0,
                  f"verdict {au['verdict']} after {s['benchmark']['epochs']} epoch(s)")
            check(any("not evaluated" in line for line in s["benchmark"]["headline"]),
                  f"headline {s['benchmark']['headline']}")
            return
        check(au["verdict"] == expect_verdict,
              f"verdict {au['verdict']} (AU {au['mean_percent']:.1f}%), expected "
              f"{expect_verdict}")
        check((au["mean_percent"] >= 50) == (expect_verdict == "PASS"),
              "the verdict follows the AU and the threshold")
        check(any("AU" in line for line in s["benchmark"]["headline"]), "headline says AU")


def case_au_not_evaluated():
    # The run stops (duration) long before its first epoch can end: no AU, no verdict.
    au_case("4MiB/s", "1ms", "not evaluated", extra=("--set", "run.duration=300ms"))


def case_au_slow_tier():
    # 1 MiB per batch through a 4 MiB/s link: 250 ms of I/O per 1 ms of compute; AU ~ 0.4 %.
    au_case("4MiB/s", "1ms", "FAIL")


def case_au_fast_tier():
    # 1 MiB per batch from memory (microseconds) against 100 ms of compute; AU near 100 %.
    au_case(None, "100ms", "PASS")


# ---- bad input ---------------------------------------------------------------------------

def expect_refused(tmp, name, benchmark, options, tiers, words, data=None):
    results = pathlib.Path(tmp) / f"results-{name}"
    spec = write_spec(tmp, name, benchmark, options, tiers)
    for extra in ([], ["--dry-run"]):
        if name.startswith("noread") and extra:
            continue  # needs the tier: found at run time, still before any timed I/O
        proc = mlpsrun(spec, results, expect=2, extra=extra)
        for w in words:
            check(w in proc.stderr, f"{name}: '{w}' not in: {proc.stderr}")
    check(not list(pathlib.Path(results).glob("*/*/timeseries.h5")), f"{name}: no data")
    if data is not None:
        check(files_under(data) == [], f"{name}: nothing left in {data}: {files_under(data)}")


def case_bad_input():
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        expect_refused(tmp, "model", "checkpoint", "model: llama3-7b\n", dram_tier(),
                       ["llama3-7b"])
        expect_refused(tmp, "workload", "training", "workload: bert\n", dram_tier(), ["bert"])
        expect_refused(tmp, "pair", "training", "workload: dlrm\naccelerator: h100\n",
                       dram_tier(), ["dlrm", "h100"])
        expect_refused(tmp, "fitckpt", "checkpoint",
                       "model: llama3-8b\nnum_checkpoints_write: 2\nnum_checkpoints_read: 0\n",
                       dram_tier("64MiB"), ["do not fit"])
        expect_refused(tmp, "fittrain", "training",
                       "mode: datagen\nworkload: unet3d\nnum_files: 4\n", dram_tier("64MiB"),
                       ["do not fit"])
        expect_refused(tmp, "ranks", "checkpoint",
                       "model: llama3-70b\nmode: default\nnum_checkpoints_read: 0\n"
                       "checkpoint_size: 64MiB\nprocesses: 12\n",
                       dram_tier(), ["multiple"])
        expect_refused(tmp, "noread-ckpt", "checkpoint",
                       "model: llama3-8b\ncheckpoint_size: 8MiB\nnum_checkpoints_write: 0\n"
                       "num_checkpoints_read: 1\n", nvme_tier(data, "ck"),
                       ["finds no checkpoint"], data)
        expect_refused(tmp, "noread-train", "training",
                       "mode: run\nworkload: unet3d\nnum_files: 4\nrecord_length: 64KiB\n"
                       "batch_size: 1\n", nvme_tier(data, "tr"), ["finds no dataset"], data)


def case_dry_run_sizing():
    """--dry-run prints the reference's published sizes."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(tmp, "ckpt", "checkpoint",
                          "model: llama3-405b\nprocesses: 512\n", dram_tier(None))
        proc = subprocess.run([MLPSRUN, "run", str(spec), "--dry-run"], capture_output=True,
                              text=True, timeout=60, env=env())
        check(proc.returncode == 0, f"dry-run exit {proc.returncode}: {proc.stderr}")
        plan = proc.stdout[proc.stdout.index("benchmark plan:") + len("benchmark plan:"):]
        plan = json.loads(plan)
        classes = [(c["ranks"], round(c["bytes"] / 1e9, 2)) for c in plan["per_rank"]]
        check(classes == [(256, 11.8), (256, 8.85)], f"405B at 512: {classes}")
        check(not (pathlib.Path(tmp) / "results").exists(), "--dry-run creates nothing")
        spec = write_spec(tmp, "train", "training",
                          "mode: datasize\nworkload: unet3d\naccelerators: 4\n"
                          "client_host_memory: 64GiB\n", dram_tier())
        proc = subprocess.run([MLPSRUN, "run", str(spec), "--dry-run"], capture_output=True,
                              text=True, timeout=60, env=env())
        plan = json.loads(proc.stdout[proc.stdout.index("benchmark plan:") + 15:])
        check(plan["datasize"]["required_files"] == 14000, f"unet3d datasize {plan['datasize']}")


def case_quick_specs():
    """The quick specs run as shipped; every workload spec validates."""
    root = pathlib.Path(os.environ.get("MLPS_SOURCE_ROOT", ".")) / "share" / "specs"
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("checkpoint-quick.yaml", "training-quick.yaml"):
            results = pathlib.Path(tmp) / name
            mlpsrun(root / name, results)
            s = newest_summary(results)
            check(s["status"] == "ok", f"{name}: status {s['status']}")
        s = newest_summary(pathlib.Path(tmp) / "training-quick.yaml")
        check(s["benchmark"]["au"]["verdict"] in ("PASS", "FAIL"), "training-quick: a verdict")
    # Their tier path is the storage under test (/mnt/...), which validate checks exists: point
    # it at a folder that does, as a user points it at theirs.
    with tempfile.TemporaryDirectory() as there:
        for spec in sorted(root.glob("checkpoint-llama3-*.yaml")) + sorted(
                root.glob("training-*.yaml")):
            where = ["--set", f"tiers[0].options.path={there}"] if "path:" in spec.read_text() else []
            proc = subprocess.run([MLPSRUN, "validate", str(spec), *where], capture_output=True,
                                  text=True, timeout=60, env=env())
            check(proc.returncode == 0, f"{spec.name} does not validate: {proc.stderr}")


def main():
    if (CASE.endswith("_ranks")) and (not HAVE_MPI or shutil.which("mpiexec") is None):
        print("MPI not built or mpiexec missing")
        return SKIP
    try:
        globals()["case_" + CASE]()
    except Failure as e:
        print(f"FAIL {CASE}: {e}")
        return 1
    except subprocess.TimeoutExpired as e:
        print(f"FAIL {CASE}: timed out: {e}")
        return 1
    print(f"PASS {CASE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
