#!/usr/bin/env python3
"""secmodem's MQTT session against mosquitto with python3-paho-mqtt as the
other client (issue 6): run_mqtt_interop.py <build/test_mqtt_interop>.

Starts the test bed's mosquitto (its plain loopback listener), a TCP proxy
in front of it, and a paho probe subscribed to the run's prefix, then runs
the C program, answering its requests (see tests/e2e/test_mqtt_interop.c):
paho publishes (QoS 0/1/2, retained, 100 KB), what the probe saw (exact
bytes and count: our 100 KB, the will, no will after a clean DISCONNECT), a
new paho subscriber's view of a retained message, and the proxy going
silent (no bytes either way, no close) so that only the keep-alive can tell.
Last line: "mqtt interop: N passed, N failed"."""
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.network.testbed import MqttProbe, TestBed  # noqa: E402

BIG = bytes((i * 31 + 7) & 255 for i in range(100000))


class SilentProxy:
    """127.0.0.1:<port> -> the broker; `silent` stops forwarding (and hides
    a close) without closing anything."""

    def __init__(self, target_port):
        self.target = target_port
        self.silent = False
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(c, s), daemon=True).start()

    def _pipe(self, a, b):
        socks = [a, b]
        try:
            while not self.stopped:
                if self.silent:
                    time.sleep(0.02)
                    continue
                r, _, _ = select.select(socks, [], [], 0.05)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        if self.silent:
                            continue
                        raise EOFError
                    (b if s is a else a).sendall(data)
        except (OSError, EOFError):
            pass
        finally:
            a.close()
            b.close()

    def stop(self):
        self.stopped = True
        self.lsock.close()


def payload_of(word):
    return b"" if word == "-" else BIG if word == "big" else bytes.fromhex(word)


def answer(words, bed, probe, proxy, prefix):
    what = words[0]
    if what == "publish":
        topic, qos, retain, data = words[1], int(words[2]), words[3] == "1", payload_of(words[4])
        probe.publish(topic, data, qos, retain)
        return "ACK"
    if what == "seen":
        topic, count, data = words[1], int(words[2]), payload_of(words[3])
        deadline = time.monotonic() + (1.0 if count == 0 else 10.0)
        while time.monotonic() < deadline:
            if count and sum(1 for m in probe.messages if m[0] == topic) >= count:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # a duplicate would be here by now
        on_topic = [m for m in probe.messages if m[0] == topic]
        same = [m for m in on_topic if m[1] == data]
        if len(on_topic) == count and len(same) == count:
            return f"ACK {count}"
        return f"NAK {topic}: {len(on_topic)} message(s), {len(same)} with the expected " \
               f"{len(data)} bytes, want {count}"
    if what == "retained":
        topic, data = words[1], payload_of(words[2])
        with MqttProbe(bed.broker, bed.pki.client, [topic], 1, f"{prefix}-late") as late:
            try:
                got = late.wait_for(1, timeout=5.0)[0]
            except TimeoutError:
                return f"NAK no retained message on {topic}"
        return "ACK" if got[1] == data and got[3] else f"NAK got {got!r}"
    if what == "silence":
        proxy.silent = words[1] == "on"
        return "ACK"
    return f"NAK unknown request {what}"


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    prefix = f"sminterop{os.getpid()}"
    passed = failed = 0
    out_lines = []
    # paho (the probe, the late subscriber) on the mutual-TLS listener; the C
    # program on the plain loopback listener, through the proxy
    with TestBed(mqtt=True, mqtt_plain=True, echo=False, https=False) as bed, \
            bed.probe([f"{prefix}/#"], qos=2, client_id=f"{prefix}-probe") as probe:
        proxy = SilentProxy(bed.broker.plain_port)
        proc = subprocess.Popen([binary, str(proxy.port), prefix], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, bufsize=1)
        t0 = time.monotonic()
        try:
            for line in proc.stdout:
                line = line.rstrip("\n")
                out_lines.append(line)
                if line.startswith("REQ "):
                    reply = answer(line.split()[1:], bed, probe, proxy, prefix)
                    if not reply.startswith("ACK"):
                        print(f"runner: {line[:100]} -> {reply}")
                    proc.stdin.write(reply + "\n")
                    proc.stdin.flush()
                else:
                    print(line, flush=True)
                if time.monotonic() - t0 > 180:
                    proc.kill()
                    print("runner: the program hung")
                    break
            rc = proc.wait(timeout=30)
        finally:
            proxy.stop()
            if proc.poll() is None:
                proc.kill()
    m = re.search(r"test_mqtt_interop: (\d+) passed, (\d+) failed", "\n".join(out_lines))
    if m:
        passed, failed = int(m.group(1)), int(m.group(2))
    else:
        failed += 1
    if rc != 0 and failed == 0:
        failed = 1
    print(f"runner: {time.monotonic() - t0:.1f} s")
    print(f"mqtt interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
