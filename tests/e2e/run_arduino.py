#!/usr/bin/env python3
"""The Arduino library as Arduino users build it: arduino-builder with the
board's real core (Debian: arduino-builder, arduino-core-avr, arduino-ctags),
then the Mega 2560 firmware it made run under simavr against the modem
simulator.

    run_arduino.py [--no-run] [--timeout SECONDS] [--mqtt-timeout SECONDS]
    make arduino [ARDUINO_ARGS=...]

Steps, each one check:
  1. layout: `make dist`'s Arduino folder (build/dist/arduino/secmodem, put
     together by tests/dist/run_dist.py) is what the Arduino library
     specification (1.5 format) asks: library.properties with every
     required field and valid values, the sources under src/ with the
     header `includes=` names, every example in examples/<name>/<name>.ino.
  2. each example built by arduino-builder for each board in BOARDS (and a
     sketch with every section of the library, nothing compiled out, for
     the Mega 2560: no name of the header may clash with Arduino.h's), with
     the core's warnings on (-warnings all) plus this project's own
     (-Wpedantic -Wconversion -Wshadow): a warning in the library or the
     sketch fails the build check (the core's own warnings are counted and
     shown, not held against us). A board an example does not fit is an
     expected refusal, checked as such, with the reason.
  3. the Mega 2560 firmware of secmodem_demo run under simavr
     (tests/simavr/sm_simavr_host: atmega2560 at 16 MHz, USART1 = Serial1
     to the generic-dialect simulator's pty, USART0 = Serial to the
     console), in both start-up scenarios of tests/e2e/run_avr.py; the sketch
     prints "demo succeeded" and halts.
  4. the Mega 2560 firmware of secmodem_mqtt under simavr: Serial1 to the
     Sequans simulator (with its host-signing TLS helper), Wire to the
     ATECC608 emulator (fresh random keys) through the host's TWI bridge
     (simavr 1.6 has no TWI model for the atmega2560: the host adds
     simavr's own), Serial the console; mosquitto requires client
     certificates. Before the run this script does the once-only
     provisioning a user does: the CA certificate and a device certificate
     issued by the test CA for the chip's slot-0 public key go into the
     modem's NVM slots 19 and 18 over AT (AT+SQNSNVW). It types "port N"
     (the broker's port) on the console. Checked: the sketch's verdict,
     the probe (a second MQTT client) received exactly the sketch's
     message, mosquitto took the device certificate's CN, the modem was
     never sent a private key and answered the handshake's signature
     request with the chip's signature (AT+SQNHCESIGN), and at least
     STACK_SPARE_MIN bytes of the 8 KB SRAM were never touched (the host
     paints the SRAM and reports the deepest stack).
  5. the same with a device certificate for another key than the chip's:
     the chip signs, the broker refuses the handshake, the sketch fails at
     the connect step, nothing is published.

Debian's arduino-core-avr 1.8.7 does not compile WString.cpp with Debian's
avr-gcc 5.4 (DECIMAL_DIG undefined): the build adds
compiler.cpp.extra_flags=-DDECIMAL_DIG=17, as a user of those packages
must (README, "Use it from the Arduino IDE").

Prints "N passed, N failed". Exit 0 success, 1 failure, 77 skipped when the
Arduino packages are missing - except under CI (CI=true in the
environment), where a missing package is a failure: CI installs them.
The builds and their logs stay in build/arduino/ (sizes in sizes.json);
`make bench` makes the same builds for its firmware table (build()).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "dist"))
import run_dist  # noqa: E402

SKIP = 77
HARDWARE = "/usr/share/arduino/hardware"          # arduino-core-avr
BUILDER_DIR = "/usr/share/arduino-builder"        # arduino-builder's platform.txt
OUT = os.path.join(ROOT, "build", "arduino")
DEBIAN_QUIRK = "-DDECIMAL_DIG=17"
OUR_WARNINGS = "-Wpedantic -Wconversion -Wshadow"

# (name, fqbn) of the boards built; their flash and RAM limits come from the
# core (arduino-builder's "Maximum is" figures)
BOARDS = [
    ("Arduino Mega 2560", "arduino:avr:mega:cpu=atmega2560"),
    ("Arduino Uno", "arduino:avr:uno"),
]
# examples a board cannot take, and why: (example, board name) -> reason
# (the sketch refuses such a board with an #error naming what it lacks)
DOES_NOT_FIT = {
    ("secmodem_mqtt", "Arduino Uno"):
        "no second serial port, and 2 KB of RAM: the Mega build's static RAM alone is 4.9 KB "
        "(the Sequans dialect's state ~1.8 KB; on AVR the library's constant strings are in "
        "RAM too)",
}

# the library specification's fields (arduino.github.io/arduino-cli/latest/library-specification)
REQUIRED = ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url",
            "architectures")
CATEGORIES = ("Display", "Communication", "Signal Input/Output", "Sensors", "Device Control",
              "Timing", "Data Storage", "Data Processing", "Other")


def say(text):
    print(text, flush=True)


def missing_tools():
    missing = []
    if not shutil.which("arduino-builder"):
        missing.append("arduino-builder")
    if not os.path.isdir(os.path.join(HARDWARE, "arduino", "avr", "cores", "arduino")):
        missing.append("arduino-core-avr")
    if not shutil.which("arduino-ctags"):
        missing.append("arduino-ctags")
    return missing


def check_layout(lib):
    """The library specification's rules for a 1.5-format library; None or
    what is wrong."""
    props = {}
    with open(os.path.join(lib, "library.properties"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                props[k.strip()] = v.strip()
    for key in REQUIRED:
        if not props.get(key):
            return f"library.properties lacks {key}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.\-]*", props["name"]):
        return f"name {props['name']!r}: letters, digits, spaces, _ . - only, a letter or digit first"
    if not re.fullmatch(r"\d+\.\d+\.\d+", props["version"]):
        return f"version {props['version']!r} is not semver MAJOR.MINOR.PATCH"
    if props["category"] not in CATEGORIES:
        return f"category {props['category']!r} is not one of the specification's"
    if not os.path.isdir(os.path.join(lib, "src")):
        return "no src/ folder (1.5 format)"
    for hdr in filter(None, (h.strip() for h in props.get("includes", "").split(","))):
        if not os.path.exists(os.path.join(lib, "src", hdr)):
            return f"includes={hdr} but src/{hdr} does not exist"
    examples = os.path.join(lib, "examples")
    names = sorted(os.listdir(examples)) if os.path.isdir(examples) else []
    if not names:
        return "no examples/"
    for name in names:
        if not os.path.exists(os.path.join(examples, name, name + ".ino")):
            return f"examples/{name}/ has no {name}.ino (the IDE opens a sketch by its folder's name)"
    say(f"  library.properties: {props['name']} {props['version']}, category {props['category']}, "
        f"architectures={props['architectures']}; src/: {', '.join(sorted(os.listdir(os.path.join(lib, 'src'))))}; "
        f"examples: {', '.join(names)}")
    return None


def builder_command(lib_parent, fqbn, build_path, sketch):
    return ["arduino-builder", "-compile", "-hardware", HARDWARE, "-hardware", BUILDER_DIR,
            "-tools", "/usr/bin", "-tools", BUILDER_DIR, "-libraries", lib_parent,
            "-fqbn", fqbn, "-build-path", build_path, "-warnings", "all",
            "-prefs", f"compiler.cpp.extra_flags={DEBIAN_QUIRK} {OUR_WARNINGS}",
            "-prefs", f"compiler.c.extra_flags={OUR_WARNINGS}",
            sketch]


# Every section of the library in one sketch, nothing compiled out: the
# examples leave Cordelia, MQTT and the CSR out, and a name of the header
# must not collide with what Arduino.h defines (word, byte, bit(), min()...)
WHOLE_SKETCH = """/* generated by tests/e2e/run_arduino.py: the whole library in a sketch */
#define SECMODEM_IMPLEMENTATION
#include <secmodem.h>
void setup(void) {}
void loop(void) {}
"""


def build(lib, example, board, fqbn, sketch=None):
    """One example (or the sketch file given) for one board; (ok, sizes or
    None, message)."""
    key = f"{example}-{fqbn.split(':')[2]}"
    build_path = os.path.join(OUT, key)
    shutil.rmtree(build_path, ignore_errors=True)
    os.makedirs(build_path)
    sketch = sketch or os.path.join(lib, "examples", example, example + ".ino")
    cmd = builder_command(os.path.dirname(lib), fqbn, build_path, sketch)
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = res.stdout
    with open(os.path.join(OUT, key + ".log"), "w") as f:
        f.write(" ".join(cmd) + "\n" + out)
    warnings = [ln for ln in out.splitlines() if re.search(r"\bwarning:", ln)]
    ours = [ln for ln in warnings if not ln.startswith(HARDWARE)]
    expected = DOES_NOT_FIT.get((example, board))
    if res.returncode != 0:
        # a sketch too big for the board fails at the link, and only so
        too_big = re.search(r"not within region .data|Not enough memory|will not fit|"
                            r"#error .*needs .*RAM", out)
        if expected and too_big:
            return True, None, f"refused as expected, it does not fit: {expected}"
        tail = "\n    ".join(out.strip().splitlines()[-12:])
        return False, None, f"arduino-builder failed ({res.returncode}):\n    {tail}"
    if expected:
        return False, None, f"built, but was expected not to fit ({expected}): update DOES_NOT_FIT"
    if ours:
        return False, None, "warnings in the library or the sketch:\n    " + "\n    ".join(ours[:20])
    m_flash = re.search(r"Sketch uses (\d+) bytes .* Maximum is (\d+) bytes", out)
    m_ram = re.search(r"Global variables use (\d+) bytes .* Maximum is (\d+) bytes", out)
    if not m_flash or not m_ram:
        return False, None, "no size report in arduino-builder's output"
    elf = os.path.join(build_path, example + ".ino.elf")
    if not os.path.exists(elf):
        return False, None, f"no {elf}"
    sizes = {"flash": int(m_flash.group(1)), "flash_max": int(m_flash.group(2)),
             "ram": int(m_ram.group(1)), "ram_max": int(m_ram.group(2)), "elf": elf,
             "core_warnings": len(warnings)}
    return True, sizes, (f"{sizes['flash']} B flash of {sizes['flash_max']}, {sizes['ram']} B RAM "
                         f"of {sizes['ram_max']} (.data+.bss; the stack takes the rest); "
                         f"0 warnings from the library or sketch, {len(warnings)} from the core")


def run_under_simavr(elf, timeout):
    """secmodem_demo's Mega 2560 firmware against the simulator, both start-up
    scenarios; (passed, failed)."""
    from run_qemu import SCENARIOS, run_emulated
    rc = subprocess.call(["make", "-s", "build/sm_simavr_host"], cwd=ROOT)
    if rc != 0:
        say("make build/sm_simavr_host failed")
        return 0, 1
    host = os.path.join(ROOT, "build", "sm_simavr_host")

    def command(pty):
        # Serial1 (USART1) to the modem, Serial (USART0) is the console;
        # the sketch halts when done
        return [host, "--mcu", "atmega2560", "--freq", "16000000", "--modem", pty,
                "--modem-uart", "1", "--console-uart", "0", "--halt-exit",
                "--timeout", str(timeout), elf]

    passed = failed = 0
    for name in sorted(SCENARIOS):
        say(f"=== the Arduino-built Mega 2560 firmware under simavr, scenario {name}")
        rc = run_emulated("the simavr host", command, timeout + 10, SCENARIOS[name])
        say(f"Arduino firmware run ({name}) " + ("succeeded" if rc == 0 else "FAILED"))
        passed, failed = passed + (rc == 0), failed + (rc != 0)
    return passed, failed


MQTT_TOPIC = "secmodem/demo/arduino"     # the sketch's DEMO_TOPIC
MQTT_MESSAGE = b"hello from an Arduino Mega 2560, signed by its ATECC608"
DEVICE_CN = "secmodem-mega2560"
STACK_SPARE_MIN = 512                    # bytes of the Mega's SRAM the run must leave untouched          # the sketch's DEMO_CLIENT_ID, as the certificate's CN


def device_certificate(bed, chip_point):
    """A client certificate from the test CA for the chip's public key
    (uncompressed point, 65 bytes), what the user's CA issues once."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from sim.network.testbed import _leaf_extensions
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), chip_point)
    ca = bed.pki.ca
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEVICE_CN)]))
               .issuer_name(ca.cert.subject)
               .public_key(key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=2)))
    for ext, critical in _leaf_extensions(ExtendedKeyUsageOID.CLIENT_AUTH):
        builder = builder.add_extension(ext, critical)
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def at_exchange(fd, send, until, timeout=10.0):
    """Writes `send`, reads until one of `until` (bytes) shows; the bytes read."""
    import select
    if send:
        os.write(fd, send)
    got, deadline = b"", time.monotonic() + timeout
    while not any(u in got for u in until):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError(f"no {until!r} from the modem after {send!r}; got {got[-200:]!r}")
        got += os.read(fd, 4096)
    return got


def provision_modem(pty, files):
    """The once-only provisioning over AT: each (slot, PEM) written with
    AT+SQNSNVW="certificate",<slot>,<size>, the PEM after the '>' prompt."""
    import tty
    fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        for _ in range(20):            # the modem may still boot: AT until OK
            try:
                at_exchange(fd, b"AT\r", (b"OK\r\n",), 0.5)
                break
            except RuntimeError:
                continue
        for slot, pem in files:
            at_exchange(fd, f'AT+SQNSNVW="certificate",{slot},{len(pem)}\r'.encode(), (b">",))
            out = at_exchange(fd, pem, (b"OK\r\n", b"ERROR"))
            if b"OK\r\n" not in out:
                raise RuntimeError(f"NVM slot {slot}: the modem refused the certificate: {out!r}")
            say(f"  modem NVM: certificate slot {slot} written ({len(pem)} bytes)")
    finally:
        os.close(fd)


def run_host(cmd, typed, timeout):
    """Runs the simavr host, types `typed` on its console, prints the console
    as it comes; (status, console lines)."""
    import threading
    say("starting the simavr host:\n  " + " ".join(cmd))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    lines = []

    def pump():
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip("\r\n")
            lines.append(line)
            print(f"  {line}", flush=True)
    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.stdin.write(typed)
        proc.stdin.flush()
    except BrokenPipeError:
        pass  # the host is gone already: its status and stderr say why
    try:
        rc = proc.wait(timeout + 10)  # the host has its own --timeout
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
        say("TIMEOUT: the simavr host hung")
    reader.join(5.0)
    errors = proc.stderr.read().decode(errors="replace").strip()
    for f in (proc.stdin, proc.stdout, proc.stderr):
        try:
            f.close()
        except OSError:
            pass
    if errors:
        say("the simavr host said:\n  " + errors.replace("\n", "\n  "))
    say(f"the simavr host exited with status {rc} after {time.monotonic() - t0:.1f} s")
    return rc, lines


def report_checks(checks, sim, bed):
    """Prints each (ok, what) check; on a failure the simulator's and the
    broker's logs. Returns (passed, failed)."""
    for ok, what in checks:
        say(f"{'ok  ' if ok else 'FAIL'} {what}")
    failed = sum(1 for ok, _ in checks if not ok)
    if failed:
        say("--- simulator stderr (tail):\n" + sim.stderr().decode(errors="replace")[-2000:])
        say("--- mosquitto log (tail):\n" + bed.broker.log()[-2000:])
    return len(checks) - failed, failed


def run_mqtt_under_simavr(elf, timeout, wrong_key=False):
    """secmodem_mqtt's Mega 2560 firmware: mutual-TLS publish to mosquitto
    with the key in the emulated chip; (passed, failed). wrong_key: the
    device certificate in the modem is for another key than the chip's, and
    the broker must refuse the device."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from run_demo import TOPICS, modem_view
    from run_hce_e2e import emulator_control
    from sim.network import hce
    from sim.network.testbed import TestBed
    from sim.common.testing import AteccProcess, SimProcess
    helper = hce.find_helper()
    if helper is None and subprocess.call(["make", "-s", "build/hce_tls"], cwd=ROOT) == 0:
        helper = hce.find_helper()
    if helper is None:
        say("the TLS helper build/hce_tls is missing (make build/hce_tls)")
        return 0, 1
    host = os.path.join(ROOT, "build", "sm_simavr_host")
    say("=== the Arduino-built Mega 2560 MQTT firmware under simavr: Serial1 to the Sequans "
        "simulator, Wire to the ATECC608 emulator, mosquitto with mutual TLS"
        + ("; the device certificate is for ANOTHER key than the chip's" if wrong_key else ""))
    with TestBed(echo=False, https=False) as bed, \
            bed.probe([TOPICS], qos=1, client_id="arduino-probe") as probe, \
            AteccProcess("--random-keys") as emu, \
            SimProcess("--dialect", "sequans", "--hce-helper", helper) as sim:
        point = b"\x04" + bytes.fromhex(emulator_control(emu.socket_path, "pubkey 0"))
        if wrong_key:
            point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        say(f"mosquitto on port {bed.broker.port}; ATECC608 emulator at {emu.socket_path}; "
            f"Sequans simulator on {sim.pty_path}")
        try:
            provision_modem(sim.pty_path, [(19, bed.pki.ca.cert_pem),
                                           (18, device_certificate(bed, point))])
        except (OSError, RuntimeError) as exc:
            say(f"provisioning failed: {exc}")
            return 0, 1
        cmd = [host, "--mcu", "atmega2560", "--freq", "16000000", "--modem", sim.pty_path,
               "--modem-uart", "1", "--atecc", emu.socket_path, "--atecc-twi",
               "--console-uart", "0", "--halt-exit", "--timeout", str(timeout), elf]
        rc, lines = run_host(cmd, f"port {bed.broker.port}\n".encode(), timeout)
        checks = []
        if wrong_key:
            return wrong_key_checks(rc, lines, probe, bed, sim)
        checks.append((rc == 0 and "demo succeeded" in lines, "the sketch said 'demo succeeded' and halted"))
        deadline = time.monotonic() + 3.0
        while not probe.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        got = [(t, p) for t, p, _, _ in probe.messages]
        checks.append((got == [(MQTT_TOPIC, MQTT_MESSAGE)],
                       f"the probe received exactly the sketch's message on {MQTT_TOPIC} (saw {got!r})"))
        checks.append((f"u'{DEVICE_CN}'" in bed.broker.log(),
                       f"mosquitto took the device certificate (CN {DEVICE_CN} as the user name)"))
        try:
            commands = sim.control("commands")["commands"]
        except OSError as exc:
            commands = None
            say(f"the simulator did not answer ({exc})")
        checks.append((commands is not None and modem_view(commands),
                       "no private key went to the modem; the handshake's signature came from the chip"))
        sram = [re.search(r"stack used at most (\d+) bytes; (\d+) bytes .* never touched", ln)
                for ln in lines]
        sram = [m for m in sram if m]
        spare = int(sram[-1].group(2)) if sram else -1
        checks.append((spare >= STACK_SPARE_MIN,
                       f"RAM to spare on the 8 KB part: {spare} bytes never touched between the "
                       f"static data and the deepest stack ({sram[-1].group(1) if sram else '?'} "
                       f"bytes), at least {STACK_SPARE_MIN}"))
        return report_checks(checks, sim, bed)


def wrong_key_checks(rc, lines, probe, bed, sim):
    """The device's certificate is not for the chip's key: the handshake's
    signature (the chip's) does not match it, the broker refuses, the
    sketch fails at the connect step, and nothing is published."""
    time.sleep(0.5)
    failed_at = [ln for ln in lines if re.match(r"\[\d/6\] ", ln)]
    checks = [
        (rc == 0 and "demo FAILED" in lines and failed_at and failed_at[-1].startswith("[4/6]"),
         f"the sketch failed at the connect step and halted (last step: "
         f"{failed_at[-1] if failed_at else None!r})"),
        (not probe.messages, f"nothing was published (the probe saw {len(probe.messages)})"),
        (f"u'{DEVICE_CN}'" not in bed.broker.log(), "mosquitto never took the device as a client"),
    ]
    try:
        commands = sim.control("commands")["commands"]
    except OSError:
        commands = []
    checks.append((any(c.upper().startswith("AT+SQNHCESIGN=") for c in commands),
                   "the chip did sign for the handshake (the refusal is the broker's)"))
    return report_checks(checks, sim, bed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-run", action="store_true", help="build only (no simavr run)")
    ap.add_argument("--timeout", type=float, default=40.0, help="limit per simavr run (40 s)")
    ap.add_argument("--mqtt-timeout", type=float, default=90.0,
                    help="limit for the MQTT firmware's run (90 s)")
    opts = ap.parse_args()
    missing = missing_tools()
    if missing:
        what = ("the Arduino library cannot be built with the real Arduino AVR core; missing: "
                + ", ".join(missing) + " (apt-get install -y --no-install-recommends "
                "arduino-builder arduino-core-avr arduino-ctags)")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            say(f"FAIL: {what}; CI installs them (.ci/run)")
            say("0 passed, 1 failed")
            return 1
        say(f"SKIPPED: {what}")
        return SKIP
    os.makedirs(OUT, exist_ok=True)
    ver = run_dist.version()
    lib, _, _ = run_dist.assemble(ver)
    say(f"assembled the Arduino library secmodem {ver} in {os.path.relpath(lib, ROOT)}/")
    passed = failed = 0

    def count(ok, what, msg):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        say(f"{'ok  ' if ok else 'FAIL'} {what}: {msg}")

    err = check_layout(lib)
    count(err is None, "library layout (Arduino library specification, 1.5 format)", err or "as specified")
    sizes = {}
    examples = sorted(os.listdir(os.path.join(lib, "examples")))
    for example in examples:
        for board, fqbn in BOARDS:
            ok, sz, msg = build(lib, example, board, fqbn)
            count(ok, f"arduino-builder: {example} for the {board} ({fqbn})", msg)
            if sz:
                sizes[f"{example} / {board}"] = sz
    whole = os.path.join(OUT, "sketches", "secmodem_whole", "secmodem_whole.ino")
    os.makedirs(os.path.dirname(whole), exist_ok=True)
    with open(whole, "w") as f:
        f.write(WHOLE_SKETCH)
    ok, _, msg = build(lib, "secmodem_whole", "Arduino Mega 2560", BOARDS[0][1], whole)
    count(ok, "arduino-builder: the whole library (no section compiled out) in a sketch, Mega 2560",
          msg)
    with open(os.path.join(OUT, "sizes.json"), "w") as f:
        json.dump(sizes, f, indent=1)
    if not opts.no_run:
        mega = sizes.get("secmodem_demo / Arduino Mega 2560")
        if mega is None:
            count(False, "simavr run", "no Mega 2560 firmware to run")
        elif not os.path.exists("/usr/include/simavr/sim_avr.h"):
            count(False, "simavr run", "simavr's library is missing (apt-get install -y libsimavr-dev)")
        else:
            p, f_ = run_under_simavr(mega["elf"], opts.timeout)
            passed, failed = passed + p, failed + f_
        mqtt = sizes.get("secmodem_mqtt / Arduino Mega 2560")
        if mqtt is None:
            count(False, "simavr run (MQTT)", "no Mega 2560 firmware of secmodem_mqtt to run")
        elif os.path.exists("/usr/include/simavr/sim_avr.h"):
            p, f_ = run_mqtt_under_simavr(mqtt["elf"], opts.mqtt_timeout)
            passed, failed = passed + p, failed + f_
            p, f_ = run_mqtt_under_simavr(mqtt["elf"], opts.mqtt_timeout, wrong_key=True)
            passed, failed = passed + p, failed + f_
    say(f"arduino: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
