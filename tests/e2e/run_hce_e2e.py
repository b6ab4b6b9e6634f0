#!/usr/bin/env python3
"""Host signing end to end: mutual-TLS MQTT to mosquitto where the device's
private key exists only inside the emulated ATECC608.

    run_hce_e2e.py <binary>          e.g. build/test_hce_e2e

Starts the ATECC608 emulator with a fresh random key in every slot (so a
key that works can only have come from the chip), the test bed (a test CA,
mosquitto requiring client certificates from it) and the Sequans simulator
with its TLS helper build/hce_tls (host-signing wait 20 s, so that a fast
failure is visibly not a timeout), then runs the C program (the firmware):
  - when it announces its CSR ("CSR <path>"), this script checks the
    request (signature valid, public key = the emulator's slot 0, from its
    control socket `pubkey 0`) and has the test CA issue the device
    certificate, written to the path the program waits for;
  - from the broker side, a second MQTT client (the probe) must receive
    exactly what the firmware says it published ("PUBLISHED" lines), and
    mosquitto's log must show the device's CN as the user name (the
    certificate the chip's key proved);
  - from the simulator side (control socket `commands`): no
    AT+SQNSNVW="privatekey" was ever sent, the profiles had storage 1, and
    the AT+SQNHCESIGN answers are the ones the firmware made (4 signatures,
    1 failure status).
Prints the C program's output, this script's "N passed, N failed" line,
then the combined one. Every process is stopped on the way out.

Debugging: SM_TRACE=1 (the C program's lines), SM_SIM_TRACE=<file>.
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

from sim.network import hce  # noqa: E402
from sim.network.testbed import TestBed  # noqa: E402
from sim.common.testing import AteccProcess, SimProcess  # noqa: E402

TOPICS = "secmodem/hce/#"
DEVICE_CN = "secmodem-hce-device"   # SUBJECT of tests/e2e/test_hce_e2e.c
TIMEOUT_S = 90                      # the C program bounds every wait; this is the last resort


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"run_hce_e2e: CHECK failed: {what}", flush=True)
        return ok


def emulator_control(path, text):
    """One control frame on the emulator's socket ('C', addr, length LE, text)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(b"C\x00" + struct.pack("<H", len(text)) + text.encode())
        head = b""
        while len(head) < 3:
            head += s.recv(3 - len(head))
        n = struct.unpack("<H", head[1:3])[0]
        body = b""
        while len(body) < n:
            body += s.recv(n - len(body))
    if head[:1] != b"A":
        raise RuntimeError(f"emulator refused {text!r}: {body.decode(errors='replace')}")
    return body.decode()


def write(path, data):
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)   # the firmware never sees half a file


def run_firmware(tally, args, emu, bed, cert_path):
    """Runs the C program, serving its CSR; returns (output, rc)."""
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = bytearray()
    served = False
    deadline = time.monotonic() + TIMEOUT_S
    os.set_blocking(proc.stdout.fileno(), False)
    while True:
        try:
            chunk = proc.stdout.read()
        except BlockingIOError:
            chunk = None
        if chunk:
            out += chunk
        if not served:
            m = re.search(rb"^CSR (\S+)$", bytes(out), re.M)
            if m:
                served = True
                serve_csr(tally, m.group(1).decode(), emu, bed, cert_path)
        if proc.poll() is not None and not chunk:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            out += b"\n(the C program hung)\n"
            break
        time.sleep(0.02)
    rest = proc.stdout.read() or b""
    proc.stdout.close()
    tally.check(served, "the firmware announced its CSR")
    return (bytes(out) + rest).decode(errors="replace"), proc.returncode


def serve_csr(tally, csr_path, emu, bed, cert_path):
    """The test CA issues the device certificate, for the chip's key only."""
    data = open(csr_path, "rb").read()
    csr = x509.load_pem_x509_csr(data)
    chip = b"\x04" + bytes.fromhex(emulator_control(emu.socket_path, "pubkey 0"))
    got = csr.public_key().public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    tally.check(csr.is_signature_valid, "the CSR's signature is valid")
    tally.check(got == chip, "the CSR's key is the emulator's slot 0 key")
    cn = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    tally.check(cn and cn[0].value == DEVICE_CN, f"the CSR's CN is {DEVICE_CN}")
    pem = bed.pki.issue_for_csr(data)
    cert = x509.load_pem_x509_certificate(pem)
    tally.check(cert.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint) == chip,
                "the device certificate is for the chip's key")
    write(cert_path, pem)
    print(f"[runner] issued the device certificate for {DEVICE_CN} ({len(pem)} bytes)", flush=True)


def published(output):
    out = []
    for line in output.splitlines():
        if line.startswith("PUBLISHED "):
            _, topic, qos, data = (line.split(" ") + [""])[:4]
            out.append((topic, int(qos), bytes.fromhex(data)))
    return out


def c_counts(output):
    for line in reversed(output.splitlines()):
        if line.startswith("test_hce_e2e:") and "passed" in line:
            words = line.replace(",", "").split()
            return int(words[1]), int(words[3])
    return 0, 1  # no summary: it crashed or hung


def simulator_side(tally, commands):
    """What the modem saw: no key, storage 1, the answers."""
    keys = [c for c in commands if re.match(r'(?i)AT\+SQNSNVW="privatekey"', c)]
    tally.check(not keys, f"no AT+SQNSNVW=\"privatekey\" was ever sent (saw {keys!r})")
    tally.check(not any("BEGIN" in c and "PRIVATE KEY" in c for c in commands),
                "no private key PEM ever went over the serial line")
    profiles = [c for c in commands if c.upper().startswith("AT+SQNSPCFG=")]
    tally.check(len(profiles) == 2 and all(c.split(",")[9] == "1" for c in profiles),
                f"both profiles have storage 1: {profiles!r}")
    answers = [c for c in commands if c.upper().startswith("AT+SQNHCESIGN=")]
    good = [c for c in answers if re.fullmatch(r'AT\+SQNHCESIGN=\d+,0,64,"[0-9a-f]{128}"', c)]
    fail = [c for c in answers if re.fullmatch(r'AT\+SQNHCESIGN=\d+,1,0,""', c)]
    tally.check(len(good) == 4 and len(fail) == 1 and len(answers) == 5,
                f"4 signatures and 1 failure status answered, saw {answers!r}")
    ctxs = [int(c.split("=")[1].split(",")[0]) for c in answers]
    tally.check(ctxs == sorted(set(ctxs)), f"each request answered once, in order: {ctxs}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.join(ROOT, sys.argv[1])
    helper = hce.find_helper()
    tally = Tally()
    t0 = time.monotonic()
    if helper is None:
        print("run_hce_e2e: the TLS helper build/hce_tls is missing (make build/hce_tls)")
        print("hce e2e combined: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="secmodem-hce-e2e-")
    output, rc = "", -1
    try:
        sim_args = ["--dialect", "sequans", "--hce-helper", helper, "--option", "hce-timeout=20"]
        if os.environ.get("SM_SIM_TRACE"):
            sim_args += ["--trace", os.environ["SM_SIM_TRACE"]]
        with AteccProcess("--random-keys") as emu, \
                TestBed(echo=False, https=False) as bed, SimProcess(*sim_args) as sim, \
                bed.probe([TOPICS], qos=1, client_id="hce-probe") as probe:
            ca_path, other_path = os.path.join(tmp, "ca.pem"), os.path.join(tmp, "other.crt")
            csr_path, cert_path = os.path.join(tmp, "device.csr"), os.path.join(tmp, "device.crt")
            write(ca_path, bed.pki.ca.cert_pem)
            write(other_path, bed.pki.client.cert_pem)   # valid, from the CA, another key
            args = [binary, sim.pty_path, sim.control_path, emu.socket_path, ca_path, csr_path,
                    cert_path, other_path, str(bed.broker.port)]
            output, rc = run_firmware(tally, args, emu, bed, cert_path)
            sys.stdout.write(output)
            sys.stdout.flush()
            # broker side
            sent = published(output)
            deadline = time.monotonic() + 3.0
            while len(probe.messages) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            got = [(t, q, p) for t, p, q, _ in probe.messages]
            tally.check(len(sent) == 1 and got == sent,
                        f"the probe received {got!r}, the firmware published {sent!r}")
            log = bed.broker.log()
            tally.check(f"u'{DEVICE_CN}'" in log,
                        "mosquitto took the device certificate's CN as the user name")
            # simulator side
            simulator_side(tally, sim.control("commands")["commands"])
            if rc != 0:
                print("--- simulator stderr (tail):")
                print(sim.stderr().decode(errors="replace")[-3000:])
                print("--- emulator stderr (tail):")
                print(emu.stderr().decode(errors="replace")[-2000:])
                print("--- mosquitto log (tail):")
                print(log[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cp, cf = c_counts(output)
    if rc != 0 and cf == 0:
        cf = 1
    print(f"run_hce_e2e (runner, broker and simulator side): {tally.passed} passed, {tally.failed} failed")
    print(f"[hce-e2e] {time.monotonic() - t0:.1f} s in all")
    print(f"hce e2e combined: {cp + tally.passed} passed, {cf + tally.failed} failed")
    return 0 if cf + tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
