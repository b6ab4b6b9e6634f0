#!/usr/bin/env python3
"""Runs the AVR firmware (atmega1284p) under simavr against the modem
simulator, and returns the firmware's verdict.

    run_avr.py [--host build/sm_simavr_host] [--build] [--trace]
               [--timeout SECONDS] [--scenario together|modem-first|all]
               [firmware.elf]          (default build/avr_demo.elf)

Scenarios (default: all, each a fresh simulator and AVR), as in
run_qemu.py:
  together     the AVR starts as soon as the simulator has its pty: the
               firmware usually sends its first command while the modem still
               boots, then sees the start-up URC (the step is repeated).
  modem-first  the simulator runs for a while first: its start-up URC waits
               in the line until the firmware enables its receiver.

Wiring: the simulator serves the "generic" dialect on a pseudo-terminal;
tests/simavr/sm_simavr_host connects it to the AVR's USART0. The firmware's
console (the host's debug port) is the host's stdout, printed here line by
line, with the host's own report ("[simavr] ..." lines: cycles, time, bytes,
cycles per byte). The firmware ends by writing its exit code to the debug
port; the host exits with it: 0 success, 1 failure.

--build first runs `make` for the firmware and the host (the top Makefile
includes tests/simavr/avr.mk).

Prints "N passed, N failed" (one per scenario). Exit status: 0 success,
1 failure (including a timeout), 77 skipped because avr-gcc or simavr's
library is not installed (tests/run_all.py counts that as a skip).
"""
import argparse
import ctypes.util
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from run_qemu import SCENARIOS, run_emulated  # noqa: E402

SKIP = 77
DEFAULT_ELF = "build/avr_demo.elf"
DEFAULT_HOST = "build/sm_simavr_host"
SIMAVR_HEADER = "/usr/include/simavr/sim_avr.h"


def missing_tools(need_headers):
    """What is missing to build or run the AVR firmware under simavr."""
    missing = []
    if not shutil.which(os.environ.get("AVR_CC", "avr-gcc")):
        missing.append("avr-gcc (apt-get install -y gcc-avr avr-libc)")
    if not ctypes.util.find_library("simavr") or (need_headers and not os.path.exists(SIMAVR_HEADER)):
        missing.append("simavr's library (apt-get install -y libsimavr-dev)")
    return missing


def host_command(host, elf, pty, trace, timeout):
    cmd = [host, "--modem", pty, "--timeout", str(timeout)]
    if trace:
        cmd.append("--trace")
    return cmd + [elf]


def run(host, elf, trace, timeout, head_start):
    # the host has its own --timeout; the runner's is for a host that hangs
    return run_emulated("the simavr host", lambda pty: host_command(host, elf, pty, trace, timeout),
                        timeout + 10, head_start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf", nargs="?", default=DEFAULT_ELF)
    ap.add_argument("--host", default=DEFAULT_HOST, help=f"the simavr host ({DEFAULT_HOST})")
    ap.add_argument("--build", action="store_true", help="make the firmware and the host first")
    ap.add_argument("--trace", action="store_true", help="firmware traces every AT line")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="hard limit per run in seconds (60)")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS) + ["all"], default="all")
    args = ap.parse_args()
    missing = missing_tools(args.build)
    if missing:
        print("SKIPPED: the AVR firmware cannot be built or run under simavr; missing: "
              + ", ".join(missing), flush=True)
        return SKIP
    if args.build:
        rc = subprocess.call(["make", "-s", args.elf, args.host], cwd=ROOT)
        if rc != 0:
            print(f"make {args.elf} {args.host} failed ({rc})", flush=True)
            return 1
    for path, what in ((args.elf, "firmware"), (args.host, "simavr host")):
        if not os.path.exists(os.path.join(ROOT, path)):
            print(f"{path}: no such {what} (build it with: make {path})", flush=True)
            return 1
    host, elf = os.path.join(ROOT, args.host), os.path.join(ROOT, args.elf)
    names = sorted(SCENARIOS) if args.scenario == "all" else [args.scenario]
    passed = failed = 0
    for name in names:
        print(f"=== scenario {name}", flush=True)
        rc = run(host, elf, args.trace, args.timeout, SCENARIOS[name])
        print(f"firmware run ({name}) " + ("succeeded" if rc == 0 else "FAILED"), flush=True)
        passed, failed = passed + (rc == 0), failed + (rc != 0)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
