#!/usr/bin/env python3
"""The demo (make demo): the example firmware examples/posix/demo_mqtt.c
publishes over mutual-TLS MQTT through the simulated modem to a real
mosquitto.

    run_demo.py [--dialect sequans|cordelia] <demo binary>   e.g. build/demo_mqtt
    run_demo.py --provisioned build/demo_mqtt_prov         (make demo PROVISIONED=1)

Builds nothing (the Makefile does). Starts, all on loopback and in temporary
directories:
  - the test PKI (a test CA, the broker's certificate, a client certificate)
    and mosquitto requiring client certificates from that CA (sim/network/testbed.py),
    plus a second MQTT client, the probe, subscribed to the demo's topics;
  - sequans (default): the ATECC608 emulator with fresh random keys and the
    Sequans simulator with its host-signing TLS helper (build/hce_tls). When
    the firmware announces its CSR ("CSR <path>"), this script checks it is
    for the chip's slot-0 key and plays the CA: it issues device.crt;
  - cordelia: the Cordelia-I simulator; ca.pem, client.pem and client.key
    for the firmware to upload to the module.
  - --provisioned (Sequans): no CSR. A test PKI made now (python3 -m
    sim.chips.provision build/pki: a root, a signer CA, the definitions the
    firmware is then built with), the emulator as a Trust&GO-style part
    provisioned from it (device certificate for its own random slot-0 key
    in slot 10, signer key in 11, signer certificate in 12), mosquitto
    trusting that root too; the firmware rebuilds both certificates from
    the chip and connects with them; the broker must see the device
    certificate's CN.
Then runs the firmware, passes its output through, and prints what the
broker side saw. Every process it started is stopped, also on failure,
Ctrl-C or SIGTERM. Exit status 0 only on success.
SM_TRACE=1 has the firmware print every AT line (stderr).
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.network import hce  # noqa: E402
from sim.network.testbed import TestBed  # noqa: E402
from sim.common.testing import AteccProcess, SimProcess  # noqa: E402

TOPICS = "secmodem/demo/#"
MESSAGES = 3          # what the firmware publishes
TIMEOUT_S = 60        # the firmware bounds every step; this is the last resort


def say(text):
    print(f"[runner] {text}", flush=True)


def write(path, data):
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)   # the firmware never sees half a file


def issue_certificate(csr_pem, emu, bed):
    """The CA's part: check the request is for the chip's slot-0 key (and
    signed by it), then issue. Returns (certificate PEM, the request's CN)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from run_hce_e2e import emulator_control
    csr = x509.load_pem_x509_csr(csr_pem)
    chip = b"\x04" + bytes.fromhex(emulator_control(emu.socket_path, "pubkey 0"))
    key = csr.public_key().public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    if not csr.is_signature_valid or key != chip:
        raise RuntimeError("the CSR is not signed by, or not for, the chip's slot-0 key")
    cn = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    cert = bed.pki.issue_for_csr(csr_pem)
    say(f"CA: CSR for CN={cn} verified (signature, public key = the chip's slot 0); "
        f"device certificate issued")
    return cert, cn


def serve_csr(csr_path, emu, bed, cert_path):
    """The CA for the PC demo: the CSR and the certificate are files."""
    cert, cn = issue_certificate(open(csr_path, "rb").read(), emu, bed)
    write(cert_path, cert)
    return cn


def run_firmware(args, on_line):
    """Runs the firmware, printing its output as it comes; on_line(line)
    sees each line. Returns the exit status (killed if it hangs)."""
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        os.set_blocking(proc.stdout.fileno(), False)
        pending = b""
        while True:
            try:
                chunk = proc.stdout.read()
            except BlockingIOError:
                chunk = None
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.decode(errors="replace")
                    print(line, flush=True)
                    on_line(line)
            elif proc.poll() is not None:
                break
            if time.monotonic() > deadline:
                say(f"the firmware did not finish within {TIMEOUT_S} s")
                return -1
            if not chunk:
                time.sleep(0.02)
        if pending:
            print(pending.decode(errors="replace"), flush=True)
        return proc.returncode
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()


def show(payload):
    try:
        text = payload.decode("utf-8")
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return payload[:12].hex() + ("..." if len(payload) > 12 else "") + " (binary)"


def broker_view(probe, bed, device_cn):
    """What the second MQTT client and mosquitto saw; True if as expected."""
    deadline = time.monotonic() + 3.0
    while len(probe.messages) < MESSAGES and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"\nbroker side: the probe (a second MQTT client on {TOPICS}) received "
          f"{len(probe.messages)} messages", flush=True)
    for topic, payload, qos, _ in probe.messages:
        print(f"  {topic} qos {qos} {len(payload):3d} bytes: {show(payload)}")
    ok = len(probe.messages) == MESSAGES
    if device_cn:
        seen = f"u'{device_cn}'" in bed.broker.log()
        print(f"  mosquitto took the device certificate's CN as the user name: "
              f"{device_cn} ({'yes' if seen else 'NO'})")
        ok = ok and seen
    return ok


def modem_view(commands):
    """What the (simulated) modem was sent: no private key, ever."""
    keys = [c for c in commands if re.match(r'(?i)AT\+SQNSNVW="privatekey"', c)
            or ("BEGIN" in c and "PRIVATE KEY" in c)]
    signs = [c for c in commands if c.upper().startswith("AT+SQNHCESIGN=")]
    print(f"modem side: {len(commands)} AT commands, {len(signs)} signature answered by the host "
          f"(AT+SQNHCESIGN), private keys sent: {len(keys)}")
    return not keys and len(signs) >= 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dialect", choices=("sequans", "cordelia"), default="sequans")
    ap.add_argument("--provisioned", action="store_true",
                    help="the chip's own certificates (Sequans): builds the binary after the PKI")
    ap.add_argument("binary")
    opts = ap.parse_args()
    binary = os.path.join(ROOT, opts.binary)
    sequans = opts.dialect == "sequans" or opts.provisioned
    pki_dir = os.path.join(ROOT, "build", "pki")
    client_cas = ()
    if opts.provisioned:
        from cryptography import x509
        shutil.rmtree(pki_dir, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "sim.chips.provision", pki_dir], cwd=ROOT, check=True)
        subprocess.run(["make", "-s", "-C", ROOT, os.path.relpath(binary, ROOT)], check=True)
        client_cas = (open(os.path.join(pki_dir, "root.pem"), "rb").read(),)
        say("test PKI of the provisioned part (root, signer CA, definitions) in build/pki; "
            "firmware built with its definitions")
    # SIGTERM unwinds like Ctrl-C: every `with` below stops what it started
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    helper = hce.find_helper() if sequans else None
    if sequans and helper is None:
        say("the TLS helper build/hce_tls is missing (make build/hce_tls)")
        return 1
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="secmodem-demo-")
    rc, ok = 1, False
    emu = None
    try:
        say("test PKI (CA, broker and client certificates); mosquitto requiring client "
            "certificates on 127.0.0.1")
        with TestBed(echo=False, https=False, client_cas=client_cas) as bed, \
                bed.probe([TOPICS], qos=1, client_id="demo-probe") as probe:
            say(f"mosquitto on port {bed.broker.port} (mutual TLS); probe subscribed to {TOPICS}")
            write(os.path.join(tmp, "ca.pem"), bed.pki.ca.cert_pem)
            if opts.provisioned:
                emu = AteccProcess("--random-keys", "--provision", pki_dir).start()
                say("ATECC608 emulator (fresh random keys), provisioned Trust&GO-style: compressed "
                    "device certificate in slot 10, signer key in 11, signer certificate in 12")
                sim_args = ["--dialect", "sequans", "--hce-helper", helper]
            elif sequans:
                emu = AteccProcess("--random-keys").start()
                say("ATECC608 emulator (fresh random keys) on its I2C socket")
                sim_args = ["--dialect", "sequans", "--hce-helper", helper]
            else:
                write(os.path.join(tmp, "client.pem"), bed.pki.client.cert_pem)
                write(os.path.join(tmp, "client.key"), bed.pki.client.key_pem)
                sim_args = ["--dialect", "cordelia"]
            with SimProcess(*sim_args) as sim:
                say(f"{opts.dialect} simulator on {sim.pty_path}; running "
                    f"{os.path.basename(binary)}\n")
                args = [binary, opts.dialect, sim.pty_path, str(bed.broker.port), tmp]
                if sequans:
                    args.append(emu.socket_path)
                device = {}
                if opts.provisioned:
                    issued = x509.load_pem_x509_certificate(
                        open(os.path.join(pki_dir, "device.pem"), "rb").read())
                    device["cn"] = issued.subject.get_attributes_for_oid(
                        x509.NameOID.COMMON_NAME)[0].value

                def on_line(line):
                    m = re.match(r"^CSR (\S+)$", line)
                    if m and opts.provisioned:
                        device["cn"] = "(a CSR: not the provisioned identity)"
                    elif m and sequans:
                        device["cn"] = serve_csr(m.group(1), emu, bed,
                                                 os.path.join(tmp, "device.crt"))

                rc = run_firmware(args, on_line)
                ok = broker_view(probe, bed, device.get("cn") if sequans else None)
                if sequans:
                    try:
                        commands = sim.control("commands")["commands"]
                    except OSError as exc:
                        print(f"modem side: the simulator did not answer ({exc})")
                        commands = None
                    ok = commands is not None and modem_view(commands) and ok
                if rc != 0:
                    print("--- simulator stderr (tail):\n" +
                          sim.stderr().decode(errors="replace")[-2000:])
                    print("--- mosquitto log (tail):\n" + bed.broker.log()[-2000:])
    except KeyboardInterrupt:
        say("interrupted")
        rc = 130
    except Exception as exc:  # noqa: BLE001 - reported, then the exit status says it
        say(f"error: {exc}")
        rc = 1
    finally:
        if emu is not None:
            emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    success = rc == 0 and ok
    say(f"every process stopped; {time.monotonic() - t0:.1f} s in all")
    what = "sequans, provisioned" if opts.provisioned else opts.dialect
    print(f"demo ({what}) " + ("succeeded" if success else "FAILED"), flush=True)
    return 0 if success else (130 if rc == 130 else 1)


if __name__ == "__main__":
    sys.exit(main())
