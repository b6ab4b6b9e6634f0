#!/usr/bin/env python3
"""make coverage: line and branch coverage of secmodem.h from the tests.

Builds every unit test (tests/unit/<section>/test_*.c), every live test with its runner,
and every fuzz harness's corpus replay with gcc --coverage, runs them, and
prints gcovr's summary for secmodem.h and the lines not covered."""
import glob
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "cov")
PY = sys.executable
CFLAGS = ["gcc", "-std=c99", "-I.", "-O0", "-g", "--coverage"]
# live tests: source -> (extra sources, runner script)
LIVE = {
    "test_cordelia_e2e.c": (["examples/posix/sm_posix.c"], "tests/e2e/run_cordelia_e2e.py"),
    "test_live.c": (["examples/posix/sm_posix.c"], "tests/e2e/run_live.py"),
    "test_csr_live.c": (["examples/posix/sm_atecc_bridge.c"], "tests/e2e/run_csr_live.py"),
    "test_mqtt_session_live.c": ([], "tests/e2e/run_mqtt_session_live.py"),
    "test_sequans_e2e.c": (["examples/posix/sm_posix.c"], "tests/e2e/run_sequans_e2e.py"),
    "test_sequans_supervise_e2e.c": (["examples/posix/sm_posix.c"], "tests/e2e/run_sequans_supervise_e2e.py"),
    "test_hce_e2e.c": (["examples/posix/sm_posix.c", "examples/posix/sm_atecc_bridge.c"],
                       "tests/e2e/run_hce_e2e.py"),
    "test_mqtt_over_sqn.c": (["examples/posix/sm_posix.c"], "tests/e2e/run_mqtt_over_sqn.py"),
    "test_mqtt_interop.c": ([], "tests/e2e/run_mqtt_interop.py"),
    "test_certs_live.c": (["-Ibuild/pki", "examples/posix/sm_atecc_bridge.c"],
                          ["tests/e2e/run_certs_live.py", "--pki-ready"]),
    "test_certs.c": (["-Ibuild/certs"], ["tests/unit/certs/run_certs.py", "--vectors-ready"]),
}
# a unit test built once more as a live test: (source, defines, extra sources, runner, binary)
LIVE_VARIANTS = [
    ("tests/unit/edge/test_injection.c", ["-DSM_INJECTION_LIVE", "-DSM_SQN_SOCK_TIMEOUT_MS=2000UL"],
     ["examples/posix/sm_posix.c"], "tests/e2e/run_injection_live.py", "test_injection_live"),
]


def sh(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw).returncode


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    failures = sh(["make", "-s", "build/hce_tls"]) != 0   # the simulator's host-signing helper
    # section 13's tests are built with what is made at test time
    failures += sh([PY, "tests/unit/certs/gen_cert_vectors.py", "build/certs"]) != 0
    shutil.rmtree(os.path.join(ROOT, "build", "pki"), ignore_errors=True)
    failures += sh([PY, "-m", "sim.chips.provision", "build/pki"]) != 0
    # the unit tests, one folder per section, and the live programs beside their runners
    sources = glob.glob(os.path.join(ROOT, "tests", "unit", "*", "test_*.c")) + \
        glob.glob(os.path.join(ROOT, "tests", "e2e", "test_*.c"))
    for src in sorted(sources, key=os.path.basename):
        name = os.path.basename(src)
        exe = os.path.join(OUT, name[:-2])
        if name in LIVE:
            extra, runner = LIVE[name]
            runner = runner if isinstance(runner, list) else [runner]
            failures += sh(CFLAGS + [src] + extra + ["-o", exe]) != 0
            failures += sh([PY] + runner + [os.path.relpath(exe, ROOT)], stdout=subprocess.DEVNULL) != 0
        elif not name.endswith("_live.c"):
            if sh(CFLAGS + [src, "-o", exe]) != 0:
                failures += 1  # counted; the report goes on with what built
                continue
            failures += sh([exe], stdout=subprocess.DEVNULL) != 0
    for name, defs, extra, runner, binary in LIVE_VARIANTS:
        exe = os.path.join(OUT, binary)
        if sh(CFLAGS + defs + [os.path.join(ROOT, name)] + extra + ["-o", exe]) != 0:
            failures += 1
            continue
        failures += sh([PY, runner, os.path.relpath(exe, ROOT)], stdout=subprocess.DEVNULL) != 0
    for src in sorted(glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c"))):
        name = os.path.basename(src)[len("fuzz_"):-2]
        exe = os.path.join(OUT, "fuzzreplay_" + name)
        inputs = glob.glob(os.path.join(ROOT, "tests", "fuzz", "corpus", name, "*")) + \
            glob.glob(os.path.join(ROOT, "tests", "fuzz", "regress", name, "*"))
        if sh(CFLAGS + [src, "tests/fuzz/replay_main.c", "-o", exe]) != 0:
            failures += 1  # counted; the report goes on
            continue
        failures += sh([exe] + inputs, stdout=subprocess.DEVNULL) != 0
    if failures:
        print(f"{failures} build or test steps failed; coverage below is partial")
    if not shutil.which("gcovr"):
        print("gcovr is missing: sudo apt-get install -y gcovr")
        return 1
    for extra in ([], ["--branches"]):
        if sh(["gcovr", "-r", ".", "--filter", r"secmodem\.h", "--object-directory", OUT] + extra
              + [OUT]) != 0:
            print("gcovr failed (were the tests built from one version of secmodem.h?)")
            return 1
    uncovered_with_reasons()
    return 1 if failures else 0


def load_notes():
    """tests/coverage_notes.md: exact function names and name patterns."""
    exact, patterns, section = {}, [], None
    with open(os.path.join(ROOT, "tests", "coverage_notes.md"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                section = line[3:].strip()
            elif line.startswith("- ") and ":" in line:
                head, reason = line[2:].split(":", 1)
                names = [n.strip().strip("`") for n in head.split(",")]
                if section == "Functions":
                    for n in names:
                        exact[n] = reason.strip()
                elif section == "Patterns":
                    patterns.append((names, reason.strip()))
    return exact, patterns


def uncovered_with_reasons():
    """Every function with an uncovered line or branch, and why (the notes)."""
    import json
    import re
    out = os.path.join(OUT, "coverage.json")
    if sh(["gcovr", "-r", ".", "--filter", r"secmodem\.h", "--object-directory", OUT, "--json",
           out, OUT], stdout=subprocess.DEVNULL) != 0:
        return
    src = open(os.path.join(ROOT, "secmodem.h"), encoding="utf-8").read().split("\n")
    func_at, cur = {}, None
    for i, line in enumerate(src, 1):
        m = re.match(r"^(?:SECMODEM_API|SM_PRIV|static)\s+[\w\s\*]*?\b(sm_\w+)\s*\(", line)
        if m and not line.rstrip().endswith(";"):
            cur = m.group(1)
        func_at[i] = cur
    per = {}
    for f in json.load(open(out))["files"]:
        for ln in f["lines"]:
            n = ln["line_number"]
            miss = sum(1 for b in ln.get("branches", []) if b["count"] == 0)
            if ln.get("gcovr/noncode"):
                continue
            if ln["count"] == 0 or miss:
                e = per.setdefault(func_at.get(n) or "?", [0, 0, []])
                e[0] += ln["count"] == 0
                e[1] += miss
                e[2].append(n)
    exact, patterns = load_notes()
    unexplained = 0
    print("\nNot covered, by function (reasons: tests/coverage_notes.md):")
    for name in sorted(per, key=lambda k: -(per[k][0] + per[k][1])):
        lines, branches, where = per[name]
        reason = exact.get(name)
        if reason is None:
            reason = next((r for pats, r in patterns if any(p in name for p in pats)), None)
        if reason is None:
            reason = "NO REASON RECORDED"
            unexplained += 1
        print(f"  {name}: {lines} line(s), {branches} branch(es) at {','.join(map(str, sorted(set(where))[:6]))}"
              f"\n      {reason}")
    print(f"{len(per)} functions with something uncovered, {unexplained} without a recorded reason")


if __name__ == "__main__":
    sys.exit(main())
