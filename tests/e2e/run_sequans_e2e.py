#!/usr/bin/env python3
"""The Sequans GM02S dialect end to end: secmodem.h (as firmware on this PC)
against the simulator (python3 -m sim --dialect sequans) against real servers.

    run_sequans_e2e.py <binary> [--option NAME=VALUE ...] [--echo on|off]
        e.g. build/test_sequans_e2e --option publish-answer=ctx-pmid

Every --option (and --echo) goes to the simulator unchanged (python3 -m sim
--list-options --dialect sequans lists them); --legacy passes the options of
sim.dialects.sequans.LEGACY_OPTIONS and --echo on, the simulator's behaviour before
its defaults followed the real GM02SP.

Starts the loopback test bed (sim.network.testbed: PKI generated now, mosquitto with
required client certificates, a TLS echo server, an HTTPS server) and the
simulator, writes the PEM files the firmware loads into the modem's NVM,
and runs the C program. From the broker side, a second MQTT client (the test
bed's probe, subscribed to secmodem/e2e/#) must receive exactly the messages
the firmware says it published ("PUBLISHED <topic> <qos> <hex>" lines), and
the servers must have seen what the firmware sent. Prints the C program's
output, this script's own "N passed, N failed" line, then the combined one.
Every process is stopped on the way out, whatever happens.

Debugging: SM_TRACE=1 makes the C program trace every line it sends and
receives (stderr); SM_SIM_TRACE=<file> makes the simulator write its trace.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.network.testbed import TestBed  # noqa: E402
from sim.dialects.sequans import LEGACY_OPTIONS  # noqa: E402
from sim.common.testing import SimProcess  # noqa: E402

TOPICS = "secmodem/e2e/#"
TIMEOUT_S = 120  # the C program bounds every wait; this is the last resort


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"run_sequans_e2e: CHECK failed: {what}", flush=True)


def write_pems(directory, pki):
    files = {"ca.pem": pki.ca.cert_pem, "client.crt": pki.client.cert_pem,
             "client.key": pki.client.key_pem, "wrong-ca.pem": pki.wrong_ca.cert_pem}
    paths = []
    for name, data in files.items():
        path = os.path.join(directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def published(output):
    """[(topic, qos, payload)] from the firmware's PUBLISHED lines."""
    out = []
    for line in output.splitlines():
        if line.startswith("PUBLISHED "):
            _, topic, qos, data = (line.split(" ") + [""])[:4]
            out.append((topic, int(qos), bytes.fromhex(data)))
    return out


def c_counts(output):
    for line in reversed(output.splitlines()):
        if line.startswith("test_sequans_e2e:") and "passed" in line:
            words = line.replace(",", "").split()
            return int(words[1]), int(words[3])
    return 0, 1  # no summary: it crashed or hung


def broker_side_checks(tally, bed, probe, sent, rc):
    # What the firmware published reached a second client byte for byte.
    deadline = time.monotonic() + 3.0
    while len(probe.messages) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # anything extra would arrive now
    got = [(topic, payload) for topic, payload, qos, retain in probe.messages]
    tally.check(len(sent) == 4, f"the firmware reported 4 publications, not {len(sent)}")
    tally.check(got == [(topic, data) for topic, qos, data in sent],
                f"probe received {got!r}, firmware published {sent!r}")
    for (topic, qos, data), msg in zip(sent, probe.messages):
        tally.check(msg[2] == qos, f"{topic}: probe got QoS {msg[2]}, published {qos}")
        tally.check(not msg[3], f"{topic}: retained flag set")
    tally.check(any(len(d) == 256 and d == bytes(range(256)) for _, _, d in sent),
                "the binary payload with every byte value was published")
    # The HTTPS server saw the POST with its body and content type.
    posts = [r for r in bed.https.requests if r.method == "POST"]
    tally.check(len(posts) == 1 and posts[0].path == "/e2e/post"
                and posts[0].headers.get("content-type") == "application/octet-stream"
                and len(posts[0].body) == 700,
                f"HTTPS server saw POSTs {[(r.path, r.headers.get('content-type'), len(r.body)) for r in posts]}")
    gets = [r for r in bed.https.requests if r.method == "GET" and r.path == "/e2e/get"]
    tally.check(len(gets) == 1, f"HTTPS server saw {len(gets)} GET /e2e/get")
    # The echo server got the 1024 bytes (and the pings), and refused the
    # handshake of the profile with the wrong CA (the modem aborted it).
    tally.check(len(bed.echo.received) >= 1024, f"echo server received {len(bed.echo.received)} bytes")
    tally.check(rc == 0 or bed.echo.errors, "the wrong-CA dial left a handshake error at the server")


def parse_args(argv):
    """<binary> and the simulator arguments: --option NAME=VALUE (repeatable),
    --echo on|off, --legacy.  None when the command line is wrong."""
    if not argv or argv[0].startswith("-"):
        return None
    binary, extra, rest = argv[0], [], list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg == "--legacy":
            extra += ["--echo", "on"]
            for setting in LEGACY_OPTIONS:
                extra += ["--option", setting]
        elif arg in ("--option", "--echo") and rest:
            extra += [arg, rest.pop(0)]
        elif arg.startswith("--option=") or arg.startswith("--echo="):
            name, _, value = arg.partition("=")
            extra += [name, value]
        else:
            return None
    return binary, extra


def main():
    parsed = parse_args(sys.argv[1:])
    if parsed is None:
        print(__doc__)
        return 2
    binary, extra = parsed
    binary = os.path.join(ROOT, binary)
    tally = Tally()
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="secmodem-e2e-")
    output, rc = "", -1
    try:
        sim_args = ["--dialect", "sequans"] + extra
        if extra:
            print(f"run_sequans_e2e: simulator arguments {' '.join(extra)}", flush=True)
        if os.environ.get("SM_SIM_TRACE"):  # debugging: the simulator's traffic trace
            sim_args += ["--trace", os.environ["SM_SIM_TRACE"]]
        with TestBed() as bed, SimProcess(*sim_args) as sim, \
                bed.probe([TOPICS], qos=2, client_id="e2e-probe") as probe:
            pems = write_pems(tmp, bed.pki)
            args = [binary, sim.pty_path, sim.control_path] + pems + \
                [str(bed.broker.port), str(bed.echo.port), str(bed.https.port)]
            try:
                proc = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      timeout=TIMEOUT_S)
                output, rc = proc.stdout.decode(errors="replace"), proc.returncode
            except subprocess.TimeoutExpired as exc:
                output = (exc.stdout or b"").decode(errors="replace") + "\n(the C program hung)\n"
            sys.stdout.write(output)
            sys.stdout.flush()
            broker_side_checks(tally, bed, probe, published(output), rc)
            if rc != 0:
                print("--- simulator stderr (tail):")
                print(sim.stderr().decode(errors="replace")[-3000:])
                print("--- mosquitto log (tail):")
                print(bed.broker.log()[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cp, cf = c_counts(output)
    if rc != 0 and cf == 0:
        cf = 1
    print(f"run_sequans_e2e (broker and server side): {tally.passed} passed, {tally.failed} failed")
    print(f"[e2e] {time.monotonic() - t0:.1f} s in all")
    print(f"sequans e2e combined: {cp + tally.passed} passed, {cf + tally.failed} failed")
    return 0 if cf + tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
