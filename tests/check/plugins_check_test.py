#!/usr/bin/env python3
"""`mlpsrun plugins check` against fixture tiers (tests/check/fixtures/broken_tier.c).

The unbroken build passes every check; each broken build fails the check of the rule it
breaks, with a message naming what was expected and what happened; a hang or a crash fails
only its own check and the tool goes on; the scratch folder is gone afterwards, even after a
check was killed. Usage: plugins_check_test.py MLPSRUN (fixture paths in $CHECK_FIXTURE_*).
"""
import json
import os
import subprocess
import sys
import tempfile

MLPSRUN = sys.argv[1]
failures = []


def fixture(name):
    return os.environ["CHECK_FIXTURE_" + name.upper()]


def check(*args, scratch=None):
    command = [MLPSRUN, "plugins", "check", *args]
    if scratch is not None:
        command += ["--scratch", scratch]
    done = subprocess.run(command, capture_output=True, text=True, timeout=200)
    return done.returncode, done.stdout, done.stderr


def expect(what, ok, detail=""):
    print(("ok:     " if ok else "FAILED: ") + what)
    if not ok:
        print("        " + detail.replace("\n", "\n        "))
        failures.append(what)


def report(name, *args, scratch=None):
    """Runs the checker with --json; returns (exit code, {check name: result})."""
    code, out, err = check(fixture(name), "--json", *args, scratch=scratch)
    try:
        parsed = json.loads(out)
    except json.JSONDecodeError:
        expect(name + ": --json prints JSON", False, out + err)
        return code, {}, {}
    return code, {c["name"]: c for c in parsed["checks"]}, parsed


with tempfile.TemporaryDirectory(prefix="mlps-check-test-") as scratch:
    # The unbroken fixture passes every check: the failures below come from the defects.
    code, out, err = check(fixture("correct"), scratch=scratch)
    expect("correct tier: every check passes, exit 0", code == 0, out + err)
    expect("correct tier: one line per check and a verdict",
           "verdict: PASS" in out and "  pass  round-trip" in out, out)
    expect("correct tier: nothing left in the scratch root", os.listdir(scratch) == [],
           str(os.listdir(scratch)))

    # Each broken fixture fails the check of its rule, with a clear message.
    cases = [
        ("extra_completion", ["--check", "round-trip"], "round-trip",
         ["more completions than ops", "for no outstanding op"]),
        ("submit_no_space", ["--check", "no-space"], "no-space",
         ["submit", "returned MLPS_E_NO_SPACE", "an I/O error (NO_SPACE, NOT_FOUND, ...) is a completion"]),
        ("poll_blocks", ["--check", "poll-empty", "--deadline", "10s"], "poll-empty",
         ["hung in poll(min_done 1", "timeout forever", "0 op(s) outstanding",
          "the call returns at once"]),
        ("hangs", ["--check", "sync", "--deadline", "3s"], "sync",
         ["hung in submit", "SYNC", "killed after", "within its deadline of 3 s"]),
        ("corrupt_byte", ["--check", "round-trip"], "round-trip",
         ["byte 5000 of the object is", "returns the bytes written"]),
        ("crashes", ["--check", "errors-as-completions"], "errors-as-completions",
         ["signal 11", "DELETE 'missing'"]),
        ("extra_export", ["--check", "exported-symbols"], "exported-symbols",
         ["broken_helper_symbol", "version-script"]),
    ]
    for name, args, failing, words in cases:
        code, checks, _ = report(name, *args, scratch=scratch)
        result = checks.get(failing, {})
        message = result.get("expected", "") + " | " + result.get("happened", "")
        expect(name + ": exit 1", code == 1, "exit " + str(code))
        expect(name + ": " + failing + " fails", result.get("outcome") == "fail", str(result))
        for word in words:
            expect(name + ": the message says '" + word + "'", word in message, message)
        expect(name + ": nothing left in the scratch root", os.listdir(scratch) == [],
               str(os.listdir(scratch)))

    # A hang fails only its own check: the next one runs and passes.
    code, checks, parsed = report("hangs", "--check", "sync", "--check", "round-trip",
                                  "--deadline", "3s", scratch=scratch)
    expect("after a hang, later checks still run",
           checks.get("sync", {}).get("outcome") == "fail" and
           checks.get("round-trip", {}).get("outcome") == "pass", json.dumps(checks))
    expect("--json: verdict fail and counts",
           parsed.get("verdict") == "fail" and parsed.get("failed") == 1 and
           parsed.get("passed") == 1, json.dumps(parsed)[:500])
    # The same defects pass the checks they do not touch.
    code, checks, _ = report("corrupt_byte", "--check", "poll-empty", "--check", "queue-depth",
                             scratch=scratch)
    expect("a defect fails only the checks that see it", code == 0, json.dumps(checks))

# Usage errors are exit 2 and say what is wrong.
code, out, err = check(fixture("correct"), "--check", "round-trp")
expect("an unknown check is exit 2 with a suggestion",
       code == 2 and "did you mean 'round-trip'" in err, err)
code, out, err = check(fixture("correct"), "--set", "lable=x")
expect("an unknown option is exit 2 with a suggestion",
       code == 2 and "did you mean 'label'" in err, err)
code, out, err = check()
expect("no PLUGIN is exit 2", code == 2 and "PLUGIN is required" in err, err)
code, out, err = check("no-such-tier")
expect("an unknown plugin name is exit 3", code == 3 and "no-such-tier" in err, err)
# By name, through the search path; --list names every check.
code, out, err = check("dram", "--check", "info")
expect("a tier by name (dram) passes a check", code == 0 and "pass  info" in out, out + err)
code, out, err = check("--list")
expect("--list names the checks", code == 0 and "stress" in out and "no-space" in out, out + err)

print("\n" + ("FAIL: " + ", ".join(failures) if failures else "PASS"))
sys.exit(1 if failures else 0)
