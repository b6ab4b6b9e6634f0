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
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from run_mqtt_session_live import parse_sent, verdict  # noqa: E402
from sim.network.testbed import TestBed  # noqa: E402
from sim.common.testing import SimProcess  # noqa: E402


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    prefix = f"smsqn{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="secmodem-sqnmqtt-")
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
            sent = parse_sent(out)
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
    passed, failed = verdict(out, "test_mqtt_over_sqn", proc.returncode, sent, got, 4)
    print(f"mqtt over sequans: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
