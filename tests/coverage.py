#!/usr/bin/env python3
"""make coverage: line and branch coverage of secmodem.h from the tests.

Builds every unit test (tests/test_*.c), every live test with its runner,
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
CFLAGS = ["gcc", "-std=c99", "-O0", "-g", "--coverage"]
# live tests: source -> (extra sources, runner script)
LIVE = {
    "test_cordelia_e2e.c": (["examples/posix/sm_posix.c"], "tests/run_cordelia_e2e.py"),
    "test_live.c": (["examples/posix/sm_posix.c"], "tests/run_live.py"),
    "test_csr_live.c": (["examples/posix/sm_atecc_bridge.c"], "tests/run_csr_live.py"),
    "test_mqtt_session_live.c": ([], "tests/run_mqtt_session_live.py"),
    "test_sequans_e2e.c": (["examples/posix/sm_posix.c"], "tests/run_sequans_e2e.py"),
    "test_hce_e2e.c": (["examples/posix/sm_posix.c", "examples/posix/sm_atecc_bridge.c"],
                       "tests/run_hce_e2e.py"),
    "test_mqtt_over_sqn.c": (["examples/posix/sm_posix.c"], "tests/run_mqtt_over_sqn.py"),
    "test_mqtt_interop.c": ([], "tests/run_mqtt_interop.py"),
}
# a unit test built once more as a live test: (source, defines, extra sources, runner, binary)
LIVE_VARIANTS = [
    ("test_injection.c", ["-DSM_INJECTION_LIVE", "-DSM_SQN_SOCK_TIMEOUT_MS=2000UL"],
     ["examples/posix/sm_posix.c"], "tests/run_injection_live.py", "test_injection_live"),
]


def sh(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw).returncode


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    failures = sh(["make", "-s", "build/hce_tls"]) != 0   # the simulator's host-signing helper
    for src in sorted(glob.glob(os.path.join(ROOT, "tests", "test_*.c"))):
        name = os.path.basename(src)
        exe = os.path.join(OUT, name[:-2])
        if name in LIVE:
            extra, runner = LIVE[name]
            failures += sh(CFLAGS + [src] + extra + ["-o", exe]) != 0
            failures += sh([PY, runner, os.path.relpath(exe, ROOT)], stdout=subprocess.DEVNULL) != 0
        elif not name.endswith("_live.c"):
            if sh(CFLAGS + [src, "-o", exe]) != 0:
                failures += 1  # counted; the report goes on with what built
                continue
            failures += sh([exe], stdout=subprocess.DEVNULL) != 0
    for name, defs, extra, runner, binary in LIVE_VARIANTS:
        exe = os.path.join(OUT, binary)
        if sh(CFLAGS + defs + [os.path.join(ROOT, "tests", name)] + extra + ["-o", exe]) != 0:
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
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
