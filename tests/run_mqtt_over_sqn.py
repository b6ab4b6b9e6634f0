#!/usr/bin/env python3
"""secmodem's MQTT session over the simulated Sequans modem's TLS socket, to
a mosquitto that requires client certificates (issue 6):
run_mqtt_over_sqn.py <build/test_mqtt_over_sqn>.

Starts the test bed (PKI generated now, mosquitto with required client
certificates), the Sequans simulator on a pty, and a paho probe subscribed
to the run's topic prefix; writes the PEM files the program loads into the
modem's NVM; runs the program. Every "SENT <topic> <qos> <exactly once>
<hex>" line it prints must have reached the probe exactly once with the same
bytes, and nothing else may arrive under the prefix. Last line:
"mqtt over sequans: N passed, N failed"."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from sim.testbed import TestBed  # noqa: E402
from sim.testing import SimProcess  # noqa: E402


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    prefix = f"smsqn{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="secmodem-sqnmqtt-")
    passed = failed = 0
    try:
        with TestBed(mqtt=True, echo=False, https=False) as bed, \
                SimProcess("--dialect", "sequans") as sim, \
                bed.probe([f"{prefix}/#"], qos=2, client_id=f"{prefix}-probe") as probe:
            pems = []
            for name, data in (("ca.pem", bed.pki.ca.cert_pem), ("client.crt", bed.pki.client.cert_pem),
                               ("client.key", bed.pki.client.key_pem)):
                path = os.path.join(tmp, name)
                with open(path, "wb") as f:
                    f.write(data)
                pems.append(path)
            t0 = time.monotonic()
            proc = subprocess.run([binary, sim.pty_path, str(bed.broker.port), prefix] + pems,
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=180)
            out = proc.stdout.decode(errors="replace")
            sys.stdout.write("".join(line + "\n" for line in out.splitlines()
                                     if not line.startswith("SENT ")))
            print(f"runner: program ran {time.monotonic() - t0:.1f}s, exit {proc.returncode}")
            sent = []
            for line in out.splitlines():
                w = line.split()
                if w[:1] == ["SENT"] and len(w) == 5:
                    sent.append((w[1], int(w[2]), w[3] == "1", b"" if w[4] == "-" else bytes.fromhex(w[4])))
            try:
                probe.wait_for(len(sent), timeout=5.0)
            except TimeoutError:
                pass
            time.sleep(0.3)
            got = list(probe.messages)
            if proc.returncode != 0:
                sys.stdout.write("simulator stderr:\n" + sim.stderr().decode(errors="replace")[-3000:])
                sys.stdout.write("mosquitto log:\n" + bed.broker.log()[-3000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    m = re.search(r"test_mqtt_over_sqn: (\d+) passed, (\d+) failed", out)
    if m:
        passed, failed = int(m.group(1)), int(m.group(2))
    else:
        failed += 1
    if proc.returncode != 0 and failed == 0:
        failed = 1
    if len(sent) < 4:
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
        print(f"runner: probe saw {len(stray)} other message(s): {[(g[0], len(g[1])) for g in stray]}")
    passed, failed = passed + (not stray), failed + bool(stray)
    print(f"mqtt over sequans: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
