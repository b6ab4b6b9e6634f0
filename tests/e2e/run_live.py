#!/usr/bin/env python3
"""Starts the simulator (generic dialect, echo on, CMEE 1) on a pty and runs a
live C test program against it: run_live.py <binary> [simulator args...]."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.common.testing import SimProcess  # noqa: E402


def main():
    binary, extra = sys.argv[1], sys.argv[2:]
    args = ["--dialect", "generic", "--cmee", "1", "--seed", "7"] + extra
    with SimProcess(*args) as sim:
        env = dict(os.environ)
        proc = subprocess.run([os.path.join(ROOT, binary), sim.pty_path, sim.control_path],
                              cwd=ROOT, env=env, timeout=600)
        if proc.returncode != 0:
            sys.stderr.write("simulator stderr:\n" + sim.stderr().decode(errors="replace")[-4000:])
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
