#!/usr/bin/env python3
"""Runs the bare-metal Cortex-M3 firmware in QEMU (machine mps2-an385)
against the modem simulator, and returns the firmware's verdict.

    run_qemu.py <firmware.elf> [--trace] [--timeout SECONDS]
                [--scenario together|modem-first|all]

Scenarios (default: all, each a fresh simulator and QEMU):
  together     QEMU starts as soon as the simulator has its pty: the firmware
               usually sends its first command while the modem still boots,
               then sees the start-up URC (the step is repeated).
  modem-first  the simulator runs for a while first: its start-up URC waits
               in the line before the firmware enables its receiver.

Wiring: the simulator serves the "generic" dialect on a pseudo-terminal;
QEMU opens that pty as a host serial device for the first -serial, which the
board connects to UART0 (the modem link). The second -serial, UART1, is the
firmware's console, on QEMU's stdout, printed here line by line. The
firmware ends by a semihosting SYS_EXIT, which makes QEMU exit with status 0
(success) or 1 (failure); that status is this script's.

Prints "N passed, N failed" (one per scenario). Exit status: 0 success,
1 failure (including a timeout), 77 skipped because qemu-system-arm is not
installed (tests/run_all.py counts that as a skip).
"""
import argparse
import os
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.common.testing import SimProcess  # noqa: E402

SKIP = 77
# QEMU warns about the board's Ethernet controller having no network; it is
# not used here.
KNOWN_NOISE = ("has no peer",)
# scenario -> seconds the simulator runs before QEMU starts
SCENARIOS = {"together": 0.0, "modem-first": 0.5}


def qemu_command(qemu, elf, pty, trace):
    semihosting = "enable=on,target=native,arg=cortexm_demo"
    if trace:
        semihosting += ",arg=--trace"
    return [
        qemu, "-M", "mps2-an385", "-nodefaults", "-display", "none", "-nic", "none",
        # first -serial: UART0, the modem link, on the simulator's pty
        "-chardev", f"serial,id=modem,path={pty}", "-serial", "chardev:modem",
        # second -serial: UART1, the console, on stdout
        "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
        "-semihosting-config", semihosting,
        "-kernel", elf,
    ]


def pump_console(stream, seen):
    """Print the console as it arrives (CR LF -> LF), remembering it."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\r\n")
        seen.append(line)
        print(f"  {line}", flush=True)


def run_emulated(name, make_cmd, timeout, head_start, noise=()):
    """A fresh generic-dialect simulator, then the emulator make_cmd(pty)
    starts (after head_start seconds); its console printed and kept. name
    is how it is called in messages; stderr lines containing one of `noise`
    are not shown. Returns 0 when it exited 0 and said 'demo succeeded'.
    Shared by this runner (QEMU) and run_avr.py (simavr)."""
    print("starting the modem simulator (generic dialect) on a pseudo-terminal", flush=True)
    with SimProcess("--dialect", "generic") as sim:
        time.sleep(head_start)
        cmd = make_cmd(sim.pty_path)
        print(f"simulator is at {sim.pty_path}; starting {name}:\n  {' '.join(cmd)}", flush=True)
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        console = []
        reader = threading.Thread(target=pump_console, args=(proc.stdout, console), daemon=True)
        reader.start()
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"TIMEOUT: {name} still running after {timeout} s; stopping it", flush=True)
            proc.kill()
            proc.wait()
            rc = None
        reader.join(5.0)
        errors = [line for line in proc.stderr.read().decode(errors="replace").splitlines()
                  if line and not any(n in line for n in noise)]
        proc.stdout.close()
        proc.stderr.close()
        elapsed = time.monotonic() - t0
        if errors:
            print(f"{name} said:\n" + "\n".join("  " + e for e in errors), flush=True)
        if rc != 0:
            sys.stdout.write("simulator stderr (tail):\n"
                             + sim.stderr().decode(errors="replace")[-2000:] + "\n")
    print("simulator stopped", flush=True)
    if rc is None:
        return 1
    print(f"{name} exited with status {rc} after {elapsed:.1f} s "
          f"(the firmware's verdict: 0 success, 1 failure)", flush=True)
    if rc == 0 and "demo succeeded" not in console:
        print("but the console never said 'demo succeeded'", flush=True)
        return 1
    return 0 if rc == 0 else 1


def run(qemu, elf, trace, timeout, head_start):
    return run_emulated("QEMU", lambda pty: qemu_command(qemu, elf, pty, trace), timeout,
                        head_start, KNOWN_NOISE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf")
    ap.add_argument("--trace", action="store_true", help="firmware traces every AT line")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="hard limit per run in seconds (60)")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS) + ["all"], default="all")
    args = ap.parse_args()
    qemu = os.environ.get("QEMU_ARM") or shutil.which("qemu-system-arm")
    if not qemu:
        print("SKIPPED: qemu-system-arm is not installed, so the Cortex-M3 firmware cannot run.\n"
              "Install it with: sudo apt-get install -y qemu-system-arm", flush=True)
        return SKIP
    elf = os.path.join(ROOT, args.elf)
    if not os.path.exists(elf):
        print(f"{args.elf}: no such firmware (build it with: make {args.elf})", flush=True)
        return 1
    names = sorted(SCENARIOS) if args.scenario == "all" else [args.scenario]
    passed = failed = 0
    for name in names:
        print(f"=== scenario {name}", flush=True)
        rc = run(qemu, elf, args.trace, args.timeout, SCENARIOS[name])
        print(f"firmware run ({name}) " + ("succeeded" if rc == 0 else "FAILED"), flush=True)
        passed, failed = passed + (rc == 0), failed + (rc != 0)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
