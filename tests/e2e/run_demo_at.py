#!/usr/bin/env python3
"""The AT-engine demo (make demo-at): starts the modem simulator on a pty, runs the example firmware
against it, prints each step, and stops every process it started.

    run_demo_at.py <demo binary> [--trace]
Exit status 0 only when the example succeeded."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.common.testing import SimProcess  # noqa: E402


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    extra = sys.argv[2:]
    print("starting the modem simulator (generic dialect) on a pseudo-terminal", flush=True)
    with SimProcess("--dialect", "generic") as sim:
        print(f"simulator is at {sim.pty_path}; running {os.path.basename(binary)}", flush=True)
        rc = subprocess.run([binary, sim.pty_path] + extra, cwd=ROOT, timeout=120).returncode
    print("simulator stopped", flush=True)
    print("demo " + ("succeeded" if rc == 0 else f"FAILED (exit {rc})"), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
