#!/usr/bin/env python3
"""The mutual-TLS MQTT demo as bare-metal Cortex-M3 firmware in QEMU
(machine mps2-an385): examples/cortexm/demo_mqtt_cm.c, which runs the PC
demo's application (examples/demo_mqtt_app.h).

    run_qemu_mqtt.py <firmware.elf> [--trace] [--trace-i2c] [--timeout SECONDS]

Starts, all on loopback: the test PKI and mosquitto requiring client
certificates, a probe subscribed to the demo's topics (tests/e2e/run_demo.py's
test bed), the ATECC608 emulator with fresh random keys, and the Sequans
simulator with its host-signing TLS helper. Then QEMU, wired so:

  UART0 (first -serial)   the simulator's pseudo-terminal: the modem link
  UART1 (second -serial)  QEMU's stdin/stdout: the firmware's console
  UART2 (third -serial)   the emulator's UNIX socket: the chip's I2C
                          transactions, one frame each (sim/chips/atecc.py)

On the console this script plays the person provisioning the device: it
types the broker's port and the CA certificate at once, reads the CSR the
firmware prints, checks it is for the chip's slot-0 key, and types back the
device certificate it issued. The firmware ends with a semihosting exit
(QEMU's status: 0 success). Success also needs the probe to have seen the
three messages, mosquitto to have taken the chip's certificate, and the
modem never to have been sent a private key.

Prints "N passed, N failed". Exit 0 success, 1 failure, 77 skipped
(qemu-system-arm missing).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from run_demo import TOPICS, broker_view, issue_certificate, modem_view, say  # noqa: E402
from sim.network import hce  # noqa: E402
from sim.network.testbed import TestBed  # noqa: E402
from sim.common.testing import AteccProcess, SimProcess  # noqa: E402

SKIP = 77
KNOWN_NOISE = ("has no peer",)   # the board's unused Ethernet controller


def qemu_command(qemu, elf, pty, chip_socket, trace, trace_i2c):
    semihosting = "enable=on,target=native,arg=cortexm_mqtt"
    if trace:
        semihosting += ",arg=--trace"
    if trace_i2c:
        semihosting += ",arg=--trace-i2c"
    return [
        qemu, "-M", "mps2-an385", "-nodefaults", "-display", "none", "-nic", "none",
        "-chardev", f"serial,id=modem,path={pty}", "-serial", "chardev:modem",
        "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
        "-chardev", f"socket,id=chip,path={chip_socket}", "-serial", "chardev:chip",
        "-semihosting-config", semihosting,
        "-kernel", elf,
    ]


class Console:
    """The firmware's console: prints it, collects the CSR between its PEM
    lines, and answers with the device certificate."""

    def __init__(self, proc, issue):
        self.proc, self.issue = proc, issue
        self.lines, self.csr, self.error = [], None, None
        self.cn = None
        self.thread = threading.Thread(target=self._pump, daemon=True)

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def _pump(self):
        pem = None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.lines.append(line)
            print(f"  {line}", flush=True)
            if line == "-----BEGIN CERTIFICATE REQUEST-----":
                pem = [line]
            elif pem is not None:
                pem.append(line)
                if line == "-----END CERTIFICATE REQUEST-----":
                    self._answer("\n".join(pem) + "\n")
                    pem = None

    def _answer(self, csr_pem):
        try:
            cert, self.cn = self.issue(csr_pem.encode())
            self.type(cert.decode())
        except Exception as exc:  # noqa: BLE001 - reported; the firmware then times out
            self.error = exc
            say(f"CA: {exc}")


def run_emulated(name, make_cmd, timeout, noise=(), probe_id="emu-probe"):
    """The test bed, an emulator running the firmware, the CA on its
    console, and the verdict; shared by the QEMU and the simavr runners.
    make_cmd(modem_pty, chip_socket) gives the emulator's command line;
    name is how it is called in messages; lines of its stderr containing
    one of `noise` are not shown. True if everything checked out."""
    helper = hce.find_helper()
    if helper is None:
        say("the TLS helper build/hce_tls is missing (make build/hce_tls)")
        return False
    with TestBed(echo=False, https=False) as bed, \
            bed.probe([TOPICS], qos=1, client_id=probe_id) as probe, \
            AteccProcess("--random-keys") as emu, \
            SimProcess("--dialect", "sequans", "--hce-helper", helper) as sim:
        say(f"mosquitto on port {bed.broker.port} (mutual TLS); probe on {TOPICS}; ATECC608 "
            f"emulator at {emu.socket_path}; Sequans simulator on {sim.pty_path}")
        cmd = make_cmd(sim.pty_path, emu.socket_path)
        say(f"starting {name}:\n  " + " ".join(cmd))
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        console = Console(proc, lambda csr: issue_certificate(csr, emu, bed))
        console.thread.start()
        try:
            # what the person provisioning the device types first
            console.type(f"port {bed.broker.port}\n")
            console.type(bed.pki.ca.cert_pem.decode())
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            say(f"TIMEOUT: {name} still running after {timeout} s; stopping it")
            proc.kill()
            proc.wait()
            rc = None
        except BrokenPipeError:
            rc = proc.wait()
        console.thread.join(5.0)
        errors = [ln for ln in proc.stderr.read().decode(errors="replace").splitlines()
                  if ln and not any(n in ln for n in noise)]
        for f in (proc.stdin, proc.stdout, proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        if errors:
            print(f"{name} said:\n" + "\n".join("  " + e for e in errors), flush=True)
        say(f"{name} exited with status {rc} after {time.monotonic() - t0:.1f} s "
            f"(the firmware's verdict: 0 success)")
        ok = rc == 0 and "demo succeeded" in console.lines and console.error is None
        ok = broker_view(probe, bed, console.cn) and ok
        try:
            commands = sim.control("commands")["commands"]
        except OSError as exc:
            print(f"modem side: the simulator did not answer ({exc})")
            commands = None
        ok = commands is not None and modem_view(commands) and ok
        if not ok:
            print("--- simulator stderr (tail):\n" + sim.stderr().decode(errors="replace")[-2000:])
            print("--- mosquitto log (tail):\n" + bed.broker.log()[-2000:])
    return ok


def run(qemu, elf, opts):
    return run_emulated(
        "QEMU", lambda pty, chip: qemu_command(qemu, elf, pty, chip, opts.trace, opts.trace_i2c),
        opts.timeout, KNOWN_NOISE, "qemu-probe")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf")
    ap.add_argument("--trace", action="store_true", help="the firmware traces every AT line")
    ap.add_argument("--trace-i2c", action="store_true", help="... and every I2C transaction")
    ap.add_argument("--timeout", type=float, default=90.0, help="hard limit in seconds (90)")
    opts = ap.parse_args()
    qemu = os.environ.get("QEMU_ARM") or shutil.which("qemu-system-arm")
    if not qemu:
        print("SKIPPED: qemu-system-arm is not installed, so the Cortex-M3 firmware cannot run.\n"
              "Install it with: sudo apt-get install -y qemu-system-arm", flush=True)
        return SKIP
    elf = os.path.join(ROOT, opts.elf)
    if not os.path.exists(elf):
        print(f"{opts.elf}: no such firmware (build it with: make {opts.elf})", flush=True)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    ok = run(qemu, elf, opts)
    print(f"Cortex-M3 MQTT demo {'succeeded' if ok else 'FAILED'}", flush=True)
    print(f"{int(ok)} passed, {int(not ok)} failed", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
