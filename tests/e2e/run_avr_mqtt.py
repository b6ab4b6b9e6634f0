#!/usr/bin/env python3
"""The mutual-TLS MQTT demo as AVR firmware (atmega1284p) under simavr:
examples/avr/demo_mqtt_avr.c, which runs the PC demo's application
(examples/demo_mqtt_app.h).

    run_avr_mqtt.py [--host build/sm_simavr_host] [--build] [--trace]
                    [--trace-i2c] [--timeout SECONDS]
                    [firmware.elf]        (default build/avr_mqtt.elf)

The same test bed as tests/e2e/run_qemu_mqtt.py (whose console player it
imports), all on loopback: the test PKI and mosquitto requiring client
certificates, a probe subscribed to the demo's topics, the ATECC608
emulator with fresh random keys, and the Sequans simulator with its
host-signing TLS helper. Then tests/simavr/sm_simavr_host, wired so:

  USART0      the simulator's pseudo-terminal: the modem link
  USART1      the emulator's UNIX socket: the chip's I2C transactions,
              one frame each (sim/chips/atecc.py)
  debug port  the host's stdin/stdout: the firmware's console

On the console this script plays the person provisioning the device: it
types the broker's port and the CA certificate at once, reads the CSR the
firmware prints, checks it is for the chip's slot-0 key, and types back the
device certificate it issued. The firmware ends by writing its exit code
to the debug port (the host's status: 0 success). Success also needs the
probe to have seen the three messages, mosquitto to have taken the chip's
certificate, and the modem never to have been sent a private key.

--build first runs `make` for the firmware, the host and the TLS helper.
Prints "N passed, N failed". Exit 0 success, 1 failure, 77 skipped
(avr-gcc or simavr's library missing).
"""
import argparse
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from run_avr import DEFAULT_HOST, SKIP, missing_tools  # noqa: E402
from run_qemu_mqtt import run_emulated  # noqa: E402

DEFAULT_ELF = "build/avr_mqtt.elf"


def host_command(host, elf, pty, chip_socket, opts):
    cmd = [host, "--modem", pty, "--atecc", chip_socket, "--timeout", str(opts.timeout)]
    if opts.trace:
        cmd.append("--trace")
    if opts.trace_i2c:
        cmd.append("--trace-i2c")
    return cmd + [elf]


def run(host, elf, opts):
    # the host has its own --timeout; this one is for a host that hangs
    return run_emulated("the simavr host",
                        lambda pty, chip: host_command(host, elf, pty, chip, opts),
                        opts.timeout + 10, (), "avr-probe")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf", nargs="?", default=DEFAULT_ELF)
    ap.add_argument("--host", default=DEFAULT_HOST, help=f"the simavr host ({DEFAULT_HOST})")
    ap.add_argument("--build", action="store_true",
                    help="make the firmware, the host and the TLS helper first")
    ap.add_argument("--trace", action="store_true", help="the firmware traces every AT line")
    ap.add_argument("--trace-i2c", action="store_true", help="... and every I2C transaction")
    ap.add_argument("--timeout", type=float, default=90.0, help="hard limit in seconds (90)")
    opts = ap.parse_args()
    missing = missing_tools(opts.build)
    if missing:
        print("SKIPPED: the AVR firmware cannot be built or run under simavr; missing: "
              + ", ".join(missing), flush=True)
        return SKIP
    if opts.build:
        rc = subprocess.call(["make", "-s", opts.elf, opts.host, "build/hce_tls"], cwd=ROOT)
        if rc != 0:
            print(f"make {opts.elf} {opts.host} build/hce_tls failed ({rc})", flush=True)
            return 1
    for path, what in ((opts.elf, "firmware"), (opts.host, "simavr host")):
        if not os.path.exists(os.path.join(ROOT, path)):
            print(f"{path}: no such {what} (build it with: make {path})", flush=True)
            return 1
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    ok = run(os.path.join(ROOT, opts.host), os.path.join(ROOT, opts.elf), opts)
    print(f"AVR MQTT demo {'succeeded' if ok else 'FAILED'}", flush=True)
    print(f"{int(ok)} passed, {int(not ok)} failed", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
