#!/usr/bin/env python3
"""The supervision of the Sequans dialect end to end:
run_sequans_supervise_e2e.py <build/test_sequans_supervise_e2e>.

Starts mosquitto with a plain listener and the Sequans simulator at its
defaults (clock unset until NTP, no PINGREQ, no +SQNSMQTTONDISCONNECT, the
modem's own resume) with the resume after 8 s (--option mqtt-resume-s=8),
and runs the program (see its header); exits 77 (skipped) with a simulator
that has no such option. Last line:
"sequans supervision e2e: N passed, N failed"."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.network.testbed import TestBed  # noqa: E402
from sim.common.testing import SimProcess  # noqa: E402


def simulator_resumes():
    """The simulator of this tree has the silent drop and resume (mqtt-resume-s)."""
    out = subprocess.run([sys.executable, "-m", "sim", "--dialect", "sequans", "--list-options"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return b"mqtt-resume-s" in out.stdout


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    if not simulator_resumes():
        print("skipped: this simulator has no --option mqtt-resume-s (no silent drop and resume)")
        return 77
    prefix = f"smsup{os.getpid()}"
    passed = failed = 0
    with TestBed(mqtt=True, mqtt_plain=True, echo=False, https=False) as bed, \
            SimProcess("--dialect", "sequans", "--option", "mqtt-resume-s=8") as sim:
        proc = subprocess.run([binary, sim.pty_path, str(bed.broker.plain_port), prefix], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        out = proc.stdout.decode(errors="replace")
        sys.stdout.write(out)
        m = re.search(r"(\d+) passed, (\d+) failed", out)
        if m:
            passed, failed = int(m.group(1)), int(m.group(2))
        if proc.returncode != 0 or not m:
            failed += 1
            sys.stdout.write("simulator stderr:\n" + sim.stderr().decode(errors="replace")[-3000:])
            sys.stdout.write("mosquitto log:\n" + bed.broker.log()[-3000:])
    print(f"sequans supervision e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
