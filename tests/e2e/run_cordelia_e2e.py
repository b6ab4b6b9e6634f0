#!/usr/bin/env python3
"""The Cordelia-I C section end to end: run_cordelia_e2e.py <binary> [variant...].

Runs the C program against the simulator's default (Würth's driver) and
against each variant of VARIANTS (sim options where the sources are silent);
naming variants ("default", "sockets=inline") runs only those.  A retained
1 KB message on cordelia/big (longer than the library's line buffer) must
reach the program whole at every MQTT connection.

Starts the test bed (PKI, mutual-TLS mosquitto, TLS echo server), an MQTT
probe subscribed to cordelia/#, and `python3 -m sim --dialect cordelia` on a
pty with a control socket; writes the PEM files the C program uploads; runs
the program; then checks what only this side can see (the broker received
the published bytes, without the outer quotes the library sends; the
simulator restarted as often as told and raised no exception).  Prints its
own checks and a combined "N passed, N failed" line last; every process and
temporary file is removed, also on failure or Ctrl-C.  SM_SIM_TRACE=<file>
keeps the simulator's traffic trace; SM_TRACE=1 has the C program print
every line it sends and receives.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.network.testbed import TestBed  # noqa: E402
from sim.common.testing import SimProcess  # noqa: E402

# Published by the C program (AT+iotpublish=0,"<payload>"): quotes, commas,
# a colon, braces; UTF-8 is fine too.  The broker must see exactly these bytes.
PAYLOAD = '{"RandomString":"oUykIeOvzm","Number1":104,"list":"a,b","text":"caf\u00e9"}'
CHUNK = 1460          # SM_CORD_FILE_CHUNK: ca.pem must need more than one write
SUMMARY = re.compile(r"^test_cordelia_e2e: (\d+) passed, (\d+) failed$", re.M)


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        print(f"runner: {what}: {'ok' if ok else 'FAILED'}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def write_pems(bed, directory):
    """ca.pem is the test CA padded with two more certificates (the
    unrelated CA and the server's), so the upload takes several chunks;
    extra trust anchors do not change whom the module trusts here."""
    pki = bed.pki
    files = {
        "ca.pem": pki.ca.cert_pem + pki.wrong_ca.cert_pem + pki.server.cert_pem,
        "client.pem": pki.client.cert_pem,
        "client.key": pki.client.key_pem,
        "wrong-ca.pem": pki.wrong_ca.cert_pem,
    }
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    return files


def tail(path, limit=6000):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-limit:]
    except OSError:
        return ""


# The simulator's variants where the sources are silent or disagree (sim/
# cordelia.py OPTIONS): the C program runs against the default (Würth's
# driver) and against each of these.
VARIANTS = [
    (),
    ("error-style=spaced",),
    ("error-style=title",),
    ("error-style=lower",),
    ("fileread-count=bytes",),
    ("getinfo=number",),
    ("events=after-ok",),
    ("sockets=inline",),
    ("send-count=len",),
    ("send-count=id-len",),
]
BIG_TOPIC = "cordelia/big"
BIG = bytes(0x20 + (i * 7) % 95 for i in range(1024))   # as big_payload_ok() in the C program


def run_variant(bed, tmp, binary, options, checks):
    """One run of the C program against the simulator with `options`;
    returns the C program's (passed, failed)."""
    c_passed = c_failed = 0
    label = " ".join(options) or "default"
    print(f"runner: === simulator {label} ===", flush=True)
    trace = os.path.join(tmp, "sim-trace.txt")
    sim_args = ["--dialect", "cordelia", "--trace", trace]
    for opt in options:
        sim_args += ["--option", opt]
    with bed.probe(["cordelia/#"]) as probe, SimProcess(*sim_args) as sim:
        cmd = [binary, sim.pty_path, sim.control_path, str(bed.broker.port),
               str(bed.echo.port), tmp, PAYLOAD]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, timeout=120)
            out, rc = proc.stdout.decode(errors="replace"), proc.returncode
        except subprocess.TimeoutExpired as exc:   # run() has killed it
            out, rc = (exc.stdout or b"").decode(errors="replace") + "\n(timed out)\n", -1
        sys.stdout.write(out)
        m = SUMMARY.search(out)
        if m:
            c_passed, c_failed = int(m.group(1)), int(m.group(2))
        checks.check(rc == 0 and m is not None, f"[{label}] C program exit status {rc}")

        want = PAYLOAD.encode("utf-8")
        seen = [p for (t, p, _, _) in probe.messages if t == "cordelia/apple"]
        checks.check(len(seen) == 2 and all(p == want for p in seen),
                     f"[{label}] the probe received the payload bytes exactly, twice "
                     f"(got {len(seen)}: {seen[:1]!r})")
        checks.check(not any(p.startswith(b'"') for p in seen),
                     f"[{label}] the broker got the payload without the outer quotes")
        stats = sim.control("stats")
        checks.check(stats.get("reboots") == 6,
                     f"[{label}] the simulator restarted 6 times (AT+reboot 3x, AT+hibernate, "
                     f"control socket, AT+factoryreset): {stats.get('reboots')}")
        stderr = sim.stderr().decode(errors="replace")
        checks.check("Traceback" not in stderr, f"[{label}] no exception in the simulator")
        checks.check(sim.stop() == 0, f"[{label}] the simulator stopped cleanly")
        if c_failed or checks.failed:
            sys.stdout.write("simulator stderr:\n" + stderr[-3000:])
            sys.stdout.write("simulator trace (tail):\n" + tail(trace))
        if os.environ.get("SM_SIM_TRACE"):   # keep the whole trace for a look
            shutil.copy(trace, os.environ["SM_SIM_TRACE"])
    return c_passed, c_failed


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    only = sys.argv[2:]            # optional: run only these variants ("default", "k=v")
    checks = Checks()
    c_passed = c_failed = 0
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="secmodem-cord-e2e-")
    try:
        with TestBed(https=False) as bed:
            files = write_pems(bed, tmp)
            checks.check(len(files["ca.pem"]) > CHUNK,
                         f"ca.pem is {len(files['ca.pem'])} bytes (> one {CHUNK}-byte chunk)")
            # A retained message longer than the library's line buffer: the
            # module gets it at every subscription (SUBTOPIC0 cordelia/+).
            with bed.probe([]) as pub:
                pub.publish(BIG_TOPIC, BIG, qos=1, retain=True)
            for options in VARIANTS:
                if only and (" ".join(options) or "default") not in only:
                    continue
                p, f = run_variant(bed, tmp, binary, options, checks)
                c_passed += p
                c_failed += f
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"runner: {time.monotonic() - t0:.1f} s")
    passed, failed = c_passed + checks.passed, c_failed + checks.failed
    print(f"run_cordelia_e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
