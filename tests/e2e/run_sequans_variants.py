#!/usr/bin/env python3
"""The Sequans section end to end against every variant of the simulator.

    run_sequans_variants.py <test_sequans_e2e binary> <test_hce_e2e binary>

Where the sources disagree or are silent about what a GM02S does, the
simulator offers each plausible form as an --option and its default is the
module as logged (docs/sequans.md). The library must work against all of
them: this runs tests/e2e/run_sequans_e2e.py (MQTT, sockets, HTTPS, failures,
restart) once per variant, and tests/e2e/run_hce_e2e.py (host signing) once per
form of the +SQNHCESIGN request, and prints one combined "N passed, N
failed" line. A variant that fails is named with its own output's tail.
The default is run by the plain end-to-end steps of make test; it is not
repeated here.
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.dialects.sequans import HCE_FORMATS  # noqa: E402

PY = sys.executable

# One run per reading the sources leave open (the default is the first of
# each option, see python3 -m sim --dialect sequans --list-options).
E2E_VARIANTS = [
    ["--legacy"],                                   # every older reading at once
    ["--echo", "on"],
    ["--option", "urc-timing=after-final"],
    ["--option", "command-urc=+CEREG: 5"],           # a URC before every final result
    ["--option", "rcvmessage-urc=+SQNSMQTTONPUBLISH:0,9,0"],  # before a headerless payload
    ["--option", "publish-answer=ctx-pmid"],
    ["--option", "disconnect-urc=on"],
    ["--option", "mqtt-ping=on"],
    ["--option", "dial-error=cme"],
    ["--option", "http-sized-read=flush"],
    ["--option", "http-sized-read=partial"],
    ["--option", "http-ring-quotes=off"],
    ["--option", "nvr=bytes"],
    ["--option", "nvw-size=all-bytes"],
    ["--option", "sleep-ff-after-s=0"],
    ["--option", "sleep-ff-after-s=0.2"],            # the 0xFF before nearly every answer
    ["--option", "clock=network"],
    ["--option", "plaintext-fallback=off"],
    ["--option", "payload-timeout=5"],
    ["--option", "cgsn-quotes=off"],
]

COUNT_RE = re.compile(r"(\d+) passed, (\d+) failed")


def run_one(script, binary, args, env_args):
    """args go on the runner's command line, env_args to every simulator it
    starts (SM_SIM_SEQUANS_ARGS, read by sim.common.testing.SimProcess)."""
    t0 = time.monotonic()
    env = dict(os.environ)
    if env_args:
        env["SM_SIM_SEQUANS_ARGS"] = " ".join(env_args)
    proc = subprocess.run([PY, script, binary, *args], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=600, env=env)
    out = proc.stdout.decode(errors="replace")
    found = COUNT_RE.findall(out)
    passed, failed = (int(found[-1][0]), int(found[-1][1])) if found else (0, 1)
    if proc.returncode != 0 and failed == 0:
        failed = 1
    return passed, failed, out, time.monotonic() - t0


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    e2e, hce = sys.argv[1], sys.argv[2]
    runs = [("tests/e2e/run_sequans_e2e.py", e2e, v, []) for v in E2E_VARIANTS]
    runs += [("tests/e2e/run_hce_e2e.py", hce, [], ["--option", f"hce-format={f}"])
             for f in HCE_FORMATS if f != HCE_FORMATS[0]]
    total_p = total_f = 0
    for script, binary, args, env_args in runs:
        passed, failed, out, secs = run_one(script, binary, args, env_args)
        total_p += passed
        total_f += failed
        name = f"{os.path.basename(script)} {' '.join(args + env_args)}"
        print(f"{'ok  ' if not failed else 'FAIL'} {name}: {passed} passed, {failed} failed "
              f"({secs:.1f} s)", flush=True)
        if failed:
            print("\n".join("    " + line for line in out.splitlines()[-40:]), flush=True)
    print(f"sequans variants: {total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
