#!/usr/bin/env python3
"""Starts the test bed's mosquitto (sim/network/testbed.py: mutual-TLS listener plus
a plain loopback listener) and runs the live MQTT session test against its
plain listener, or with --tls against its mutual-TLS listener (a binary
built with OpenSSL; a missing one is a skip, exit 77):
run_mqtt_session_live.py [--tls] <binary>.

A second client, the test bed's MqttProbe (paho, on the TLS listener with a
client certificate), subscribes to the run's topic prefix first; every
"SENT <topic> <qos> <exactly once> <hex>" line the program prints must have
reached it with the same bytes (exactly once where the line says so, else
at least once), and nothing else may arrive under the prefix. The last line
is the total, "mqtt session live: N passed, N failed"."""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.network.testbed import TestBed  # noqa: E402


SKIP = 77


def parse_sent(out):
    """The program's "SENT <topic> <qos> <exactly once> <hex>" lines, as
    (topic, qos, exactly_once, bytes)."""
    sent = []
    for line in out.splitlines():
        w = line.split()
        if w[:1] == ["SENT"] and len(w) == 5:
            sent.append((w[1], int(w[2]), w[3] == "1", b"" if w[4] == "-" else bytes.fromhex(w[4])))
    return sent


def verdict(out, program, returncode, sent, got, min_sent):
    """(passed, failed): the program's own "<program>: N passed, N failed"
    line and exit status, at least min_sent SENT lines, each of them seen by
    the probe (got: its messages) with the same bytes, exactly once where the
    line says so, and nothing else under the prefix."""
    passed = failed = 0
    m = re.search(program + r": (\d+) passed, (\d+) failed", out)
    if m:
        passed, failed = int(m.group(1)), int(m.group(2))
    else:
        failed += 1
    if returncode != 0 and failed == 0:
        failed = 1
    if len(sent) < min_sent:
        print(f"runner: only {len(sent)} SENT lines")
        failed += 1
    for topic, qos, exact, data in sent:
        same = [g for g in got if g[0] == topic and g[1] == data]
        ok = len(same) == 1 if exact else len(same) >= 1
        print(f"runner: probe saw {topic} (QoS {qos}, {len(data)} bytes) {len(same)} time(s): "
              f"{'ok' if ok else 'WRONG'}")
        passed, failed = passed + ok, failed + (not ok)
    known = {(t, d) for t, _, _, d in sent}
    stray = [g for g in got if (g[0], g[1]) not in known]
    if stray:
        print(f"runner: probe saw {len(stray)} message(s) with other bytes: "
              f"{[(g[0], len(g[1])) for g in stray]}")
    return passed + (not stray), failed + bool(stray)


def main():
    args = sys.argv[1:]
    tls = args[:1] == ["--tls"]
    binary = args[-1]
    if tls and not os.path.exists(os.path.join(ROOT, binary)):
        print(f"{binary} was not built (no OpenSSL headers): TLS run skipped")
        return SKIP
    prefix = f"smlive{os.getpid()}"
    with TestBed(mqtt=True, mqtt_plain=True, echo=False, https=False) as bed:
        with bed.probe([f"{prefix}/#"], qos=2, client_id=f"{prefix}-probe") as probe:
            t0 = time.monotonic()
            cmd = [os.path.join(ROOT, binary), bed.broker.host,
                   str(bed.broker.port if tls else bed.broker.plain_port), prefix]
            if tls:
                pki = bed.pki
                cmd += [pki.ca.cert_path, pki.client.cert_path, pki.client.key_path]
            proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, timeout=120)
            out = proc.stdout.decode(errors="replace")
            sys.stdout.write("".join(line + "\n" for line in out.splitlines()
                                     if not line.startswith("SENT ")))
            print(f"runner: program ran {time.monotonic() - t0:.1f}s, exit {proc.returncode}")
            sent = parse_sent(out)
            try:
                probe.wait_for(len(sent), timeout=5.0)
            except TimeoutError:
                pass
            time.sleep(0.3)  # duplicates, if any, arrive too
            got = list(probe.messages)
        if proc.returncode != 0:
            sys.stderr.write("mosquitto log:\n" + bed.broker.log()[-4000:])
    passed, failed = verdict(out, "test_mqtt_session_live", proc.returncode, sent, got, 8)
    print(f"mqtt session live{' (TLS)' if tls else ''}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
