#!/usr/bin/env python3
"""Runs the RTOS-style example (examples/rtos/) against the simulator."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.common.testing import SimProcess  # noqa: E402

with SimProcess("--dialect", "generic") as sim:
    rc = subprocess.run([os.path.join(ROOT, sys.argv[1]), sim.pty_path], timeout=120).returncode
sys.exit(rc)
