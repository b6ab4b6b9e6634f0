#!/usr/bin/env python3
"""Runs every test of secmodem and prints one summary line.

Each step is a build (one check) or a test program that prints its own
"N passed, N failed" line (or pytest's summary). The last line of output is
the total, "N passed, N failed"; the exit status is non-zero on any failure.
A step that exits with status 77 (automake's convention) was skipped, e.g.
because an optional tool is missing: it counts neither way and is listed.

The unit tests are not listed here: every tests/unit/<section>/test_*.c is
found (unit_steps below) and runs in the three builds the Makefile's
pattern rules make of it.
"""
import glob
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
B = "build"

# The unit tests are found, not listed: each tests/unit/<section>/test_<name>.c
# (one folder per section of secmodem.h) is a step per build the Makefile's
# pattern rules make of it, named after the first sentence of the file's
# opening comment. A section folder that holds a runner run_<name>.py (the
# certificates: vectors made at test time, then openssl) is one step, the
# runner, which builds and runs the three itself.
UNIT_BUILDS = [("asan", "gcc, ASan+UBSan"), ("clang", "clang -O2, UBSan"), ("cxx", "compiled as C++")]


def first_sentence(path):
    """The opening comment (C) or docstring (Python) of a file, up to the
    end of its first sentence, without the leading "<file> - "."""
    with open(path, encoding="utf-8") as f:
        text = f.read(4096)
    m = re.search(r'/\*(.*?)\*/', text, re.S) if path.endswith(".c") else \
        re.search(r'"""(.*?)"""', text, re.S)
    words = " ".join((m.group(1) if m else "").split())
    words = re.sub(r"^\S+\.(c|py) - ", "", words)
    return re.split(r"[:.](?:\s|$)", words, maxsplit=1)[0]


def unit_steps():
    steps = []
    for src in sorted(glob.glob(os.path.join(ROOT, "tests", "unit", "*", "test_*.c"))):
        section = os.path.basename(os.path.dirname(src))
        name = os.path.basename(src)[:-2]
        runner = os.path.join(os.path.dirname(src), "run_" + name[len("test_"):] + ".py")
        if os.path.exists(runner):
            steps.append((f"unit/{section}: {first_sentence(runner)}",
                          [PY, os.path.relpath(runner, ROOT)], "counts"))
            continue
        what = first_sentence(src)
        for suffix, how in UNIT_BUILDS:
            steps.append((f"unit/{section}: {what} ({how})", [f"{B}/{name}_{suffix}"], "counts"))
    return steps


UNIT_STEPS = unit_steps()

# (name, command, kind): kind "build" counts as one check, "counts" parses
# the step's own pass/fail line(s).
STEPS = [
    ("strict build, gcc", ["make", "-s", f"{B}/check-gcc.o"], "build"),
    ("strict build, clang", ["make", "-s", f"{B}/check-clang.o"], "build"),
    ("strict build, g++ (as C++)", ["make", "-s", f"{B}/check-cxx.o"], "build"),
    ("strict build, arm-none-eabi-gcc cortex-m0plus -Os", ["make", "-s", f"{B}/check-cm0.o"], "build"),
    ("strict build, arm-none-eabi-gcc cortex-m4 -Os", ["make", "-s", f"{B}/check-cm4.o"], "build"),
    ("strict build, avr-gcc atmega1284p -Os", ["make", "-s", f"{B}/check-avr.o"], "build"),
    ("strict build, gcc, features off (SM_NO_ATECC)", ["make", "-s", f"{B}/check-nofeat.o"], "build"),
    ("strict build, gcc, CSR glue off (SM_NO_CSR)", ["make", "-s", f"{B}/check-nocsr.o"], "build"),
    ("strict build, gcc, compressed certificates off (SM_NO_CERTS)", ["make", "-s", f"{B}/check-nocerts.o"],
     "build"),
    ("static analysis: cppcheck and clang-tidy, warnings as errors", ["make", "-s", "lint"], "build"),
    ("citations: the header, README, CONTRIBUTING, docs, sim/*.md and examples cite no file outside "
     "the repository, and every docs/<ledger>.md row the header cites exists",
     [PY, "tests/check_citations.py"], "counts"),
    ("strict build, gcc, without the MQTT session (SM_NO_MQTT_SESSION)",
     ["make", "-s", f"{B}/check-nosession.o"], "build"),
    ("strict build, gcc, without MQTT (SM_NO_MQTT)", ["make", "-s", f"{B}/check-nomqtt.o"], "build"),
    ("strict build, gcc, Sequans off (SM_NO_SEQUANS: no host-signing glue)",
     ["make", "-s", f"{B}/check-nosqn.o"], "build"),
    ("build test binaries", ["make", "-s", "unit-bins", f"{B}/demo_generic"], "build"),
    UNIT_STEPS,  # every tests/unit/<section>/test_*.c, found: see unit_steps()
    ("MQTT session unit tests built with SM_MQTT_RX_ID_BITMAP (gcc, ASan+UBSan): 100 QoS 2 "
     "messages in flight in one connection", [f"{B}/test_mqtt_session_bitmap"], "counts"),
    ("hostile strings in every dialect API argument, proven from the simulators' command logs "
     "(and every declared string argument is in the tables)",
     ["sh", "-c", f"make -s {B}/test_injection_live && {PY} tests/e2e/run_injection_live.py "
                  f"{B}/test_injection_live"], "counts"),
    ("CSR test vectors re-checked with Python's cryptography",
     [PY, "tests/unit/csr/gen_csr_vectors.py", "--check"], "counts"),
    ("simulator and ATECC608 emulator tests (pytest)",
     [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/sim"], "counts"),
    ("AT engine against the live simulator", [PY, "tests/e2e/run_live.py", f"{B}/test_live"], "counts"),
    ("MQTT session against a live mosquitto (loopback TCP)",
     [PY, "tests/e2e/run_mqtt_session_live.py", f"{B}/test_mqtt_session_live"], "counts"),
    ("MQTT session against a live mosquitto (mutual TLS via OpenSSL)",
     [PY, "tests/e2e/run_mqtt_session_live.py", "--tls", f"{B}/test_mqtt_session_live_tls"], "counts"),
    ("MQTT session against a live mosquitto, built with SM_MQTT_RX_ID_BITMAP: 1, 8, 9 and 50 QoS 2 "
     "messages in flight, each delivered once, in one connection",
     ["sh", "-c", f"make -s {B}/test_mqtt_session_live_bitmap && {PY} tests/e2e/run_mqtt_session_live.py "
                  f"{B}/test_mqtt_session_live_bitmap"], "counts"),
    ("MQTT session interop with mosquitto and paho: QoS 0/1/2 from paho, retained both ways, "
     "overlapping subscriptions, 100 KB both ways, will on an abnormal disconnect, keep-alive "
     "timeout when the broker goes silent",
     ["sh", "-c", f"make -s {B}/test_mqtt_interop && {PY} tests/e2e/run_mqtt_interop.py "
                  f"{B}/test_mqtt_interop"], "counts"),
    ("MQTT session over the simulated Sequans modem's TLS socket (sm_sqn_stream) to mosquitto "
     "with mutual TLS",
     ["sh", "-c", f"make -s {B}/test_mqtt_over_sqn && {PY} tests/e2e/run_mqtt_over_sqn.py "
                  f"{B}/test_mqtt_over_sqn"], "counts"),
    ("ATECC608 against the live emulator", [PY, "tests/e2e/run_atecc_live.py", f"{B}/test_atecc_live"],
     "counts"),
    ("Sequans time and MQTT supervision end to end: NTP in the bring-up, the silent drop found by "
     "the probe, the modem's own resume re-subscribed (simulator defaults, mosquitto)",
     ["sh", "-c", f"make -s {B}/test_sequans_supervise_e2e && {PY} tests/e2e/run_sequans_supervise_e2e.py "
                  f"{B}/test_sequans_supervise_e2e"], "counts"),
    ("Sequans GM02S end to end: secmodem.h, the simulator, mosquitto (mutual TLS), TLS echo, HTTPS",
     [PY, "tests/e2e/run_sequans_e2e.py", f"{B}/test_sequans_e2e"], "counts"),
    ("Sequans section end to end against every variant of the simulator (each reading the sources "
     "leave open: echo, URC timing, publish answer, drop reporting, NO CARRIER, HTTP reads, NVR/NVW, "
     "0xFF, clock, plaintext fallback, payload timeout, +SQNHCESIGN forms)",
     [PY, "tests/e2e/run_sequans_variants.py", f"{B}/test_sequans_e2e", f"{B}/test_hce_e2e"], "counts"),
    ("fault scenarios: lost, corrupted, garbage and over-long bytes, delays past timeouts, a silent "
     "modem, reboots mid-command and mid-transfer, TLS closed by the broker, link dropped, broker "
     "restarted, a lost prompt: the right error, no hang, recovery, 0 lost, nothing foreign published",
     [PY, "tests/e2e/run_fault_scenarios.py", f"{B}/soak_publisher"], "counts"),
    ("soak (short): 200 QoS 1 publishes through 12 injected faults of 10 kinds (a lost prompt "
     "among them), 0 lost, no foreign message on the topic (make soak: the long one)",
     [PY, "tests/e2e/run_soak.py", f"{B}/soak_publisher"], "counts"),
    ("CSR signed by the live emulator, checked with OpenSSL and cryptography, issued by a test CA",
     [PY, "tests/e2e/run_csr_live.py", f"{B}/test_csr_live"], "counts"),
    ("compressed certificates from the emulated Trust&GO-style ATECC608 (slots 10, 11, 12 from a "
     "test PKI made now, random keys): signer and device certificates rebuilt through the I2C "
     "bridge byte for byte, openssl verify up to the root, the chip's slot-0 key, damaged slot data "
     "refused with the reason",
     [PY, "tests/e2e/run_certs_live.py", f"{B}/test_certs_live"], "counts"),
    ("Cordelia-I section end to end (simulator, mutual-TLS mosquitto, TLS echo)",
     [PY, "tests/e2e/run_cordelia_e2e.py", f"{B}/test_cordelia_e2e"], "counts"),
    ("host signing end to end: mutual-TLS MQTT with the key only in the emulated ATECC608 "
     "(CSR, test CA, +SQNHCESIGN, failures)",
     [PY, "tests/e2e/run_hce_e2e.py", f"{B}/test_hce_e2e"], "counts"),
    ("fuzz corpora and kept crash inputs, AT engine (gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_at && {B}/fuzzreplay_at tests/fuzz/corpus/at/* "
                  f"$(ls tests/fuzz/regress/at/* 2>/dev/null)"], "counts"),
    ("fuzz corpora and kept crash inputs, MQTT decoder (gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_mqtt && {B}/fuzzreplay_mqtt tests/fuzz/corpus/mqtt/* "
                  f"$(ls tests/fuzz/regress/mqtt/* 2>/dev/null)"], "counts"),
    ("fuzz corpora and kept crash inputs, MQTT session against a hostile broker (gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_mqtt_session && {B}/fuzzreplay_mqtt_session "
                  f"tests/fuzz/corpus/mqtt_session/* $(ls tests/fuzz/regress/mqtt_session/* 2>/dev/null)"],
     "counts"),
    ("fuzz corpora and kept crash inputs, the same on a small session build: 2 id slots, 1 in flight "
     "(gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_mqtt_session_small && {B}/fuzzreplay_mqtt_session_small "
                  f"tests/fuzz/corpus/mqtt_session_small/* $(ls tests/fuzz/regress/mqtt_session/* 2>/dev/null)"],
     "counts"),
    ("fuzz corpora and kept crash inputs, the session built with SM_MQTT_RX_ID_BITMAP and 2 id slots "
     "(gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_mqtt_session_bitmap && {B}/fuzzreplay_mqtt_session_bitmap "
                  f"tests/fuzz/corpus/mqtt_session_small/* tests/fuzz/corpus/mqtt_session/* "
                  f"$(ls tests/fuzz/regress/mqtt_session/* 2>/dev/null)"], "counts"),
    ("fuzz corpora and kept crash inputs, ATECC608 decoder and transport (gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_atecc && {B}/fuzzreplay_atecc tests/fuzz/corpus/atecc/* "
                  f"$(ls tests/fuzz/regress/atecc/* 2>/dev/null)"], "counts"),
    ("fuzz corpora and kept crash inputs, Sequans dialect (gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_sqn && {B}/fuzzreplay_sqn tests/fuzz/corpus/sqn/* "
                  f"$(ls tests/fuzz/regress/sqn/* 2>/dev/null)"], "counts"),
    ("fuzz corpora and kept crash inputs, Cordelia-I dialect (gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_cord && {B}/fuzzreplay_cord tests/fuzz/corpus/cord/* "
                  f"$(ls tests/fuzz/regress/cord/* 2>/dev/null)"], "counts"),
    ("fuzz corpora and kept crash inputs, CSR / DER / PEM writer and the chip-signed request "
     "(gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_csr && {B}/fuzzreplay_csr tests/fuzz/corpus/csr/* "
                  f"$(ls tests/fuzz/regress/csr/* 2>/dev/null)"], "counts"),
    ("fuzz corpora and kept crash inputs, compressed certificates: rebuild, definitions, templates "
     "and the chip operation (gcc, ASan+UBSan)",
     ["sh", "-c", f"make -s {B}/fuzzreplay_certs && {B}/fuzzreplay_certs tests/fuzz/corpus/certs/* "
                  f"$(ls tests/fuzz/regress/certs/* 2>/dev/null)"], "counts"),
    ("secmodem-replay on recorded transcripts",
     ["sh", "-c", f"make -s {B}/secmodem-replay && {PY} tests/replay/run_replay.py {B}/secmodem-replay"], "counts"),
    ("packages (Arduino, PlatformIO, CMake) assembled and test-built", [PY, "tests/dist/run_dist.py"], "counts"),
    ("the Arduino library built by arduino-builder with the real Arduino AVR core (Mega 2560, Uno; "
     "warnings on), its Mega 2560 firmware under simavr: the AT script, and mutual-TLS MQTT to "
     "mosquitto with the key in the ATECC608 on Wire (make arduino)",
     [PY, "tests/e2e/run_arduino.py"], "counts"),
    ("RTOS-style example: 3 tasks share the modem through the modem task",
     ["sh", "-c", f"make -s {B}/rtos_demo && {PY} tests/e2e/run_rtos_demo.py {B}/rtos_demo"], "counts"),
    ("AT-engine demo against the simulator (make demo-at)",
     [PY, "tests/e2e/run_demo_at.py", f"{B}/demo_generic"], "build"),
    ("the demo, Sequans + ATECC608: mutual-TLS MQTT to mosquitto, the key only in the chip (make demo)",
     ["sh", "-c", f"make -s {B}/demo_mqtt {B}/hce_tls && {PY} tests/e2e/run_demo.py {B}/demo_mqtt"], "build"),
    ("the demo with the chip's own identity (make demo PROVISIONED=1): a Trust&GO-style ATECC608 "
     "provisioned from a test PKI made now; the firmware rebuilds its device and signer certificates "
     "from the chip, stores them and the CA in the modem, mutual TLS to mosquitto trusting the test "
     "root, the TLS signature by the chip",
     ["sh", "-c", f"make -s {B}/hce_tls && {PY} tests/e2e/run_demo.py --provisioned {B}/demo_mqtt_prov"],
     "build"),
    ("the demo, Cordelia-I: files, Wi-Fi, mutual-TLS MQTT to mosquitto (make demo DIALECT=cordelia)",
     ["sh", "-c", f"make -s {B}/demo_mqtt && {PY} tests/e2e/run_demo.py --dialect cordelia {B}/demo_mqtt"],
     "build"),
    ("AT-engine firmware on emulated Cortex-M3 (QEMU mps2-an385) against the simulator",
     ["sh", "-c", f"make -s {B}/cortexm_demo.elf && {PY} tests/e2e/run_qemu.py {B}/cortexm_demo.elf"],
     "counts"),
    ("the demo as Cortex-M3 firmware in QEMU: ATECC608 over UART2, certificates on the console, "
     "mutual-TLS MQTT (make demo-qemu)",
     ["sh", "-c", f"make -s {B}/cortexm_mqtt.elf {B}/hce_tls && "
                  f"{PY} tests/e2e/run_qemu_mqtt.py {B}/cortexm_mqtt.elf"], "counts"),
    ("AT-engine firmware on an emulated AVR (atmega1284p under simavr) against the simulator",
     [PY, "tests/e2e/run_avr.py", "--build"], "counts"),
    ("the demo as AVR firmware (atmega1284p under simavr): ATECC608 over USART1, certificates on "
     "the console, mutual-TLS MQTT (make avr-run-mqtt)",
     [PY, "tests/e2e/run_avr_mqtt.py", "--build"], "counts"),
    ("benchmark transcript on the AVR under simavr: builds, runs, drops nothing (make bench's cycles)",
     [PY, "tests/bench/bench.py", "--avr-check"], "counts"),
    ("benchmark transcript parses cleanly", ["sh", "-c", f"make -s {B}/cpu_at && {B}/cpu_at 1"], "build"),
    ("make test-unit: the unit tests that need only a C compiler (found by their opening comment)",
     ["make", "-s", "test-unit"], "counts"),
    ("typical-application programs of make bench build warning-free (gcc, clang, g++) and link for "
     "Cortex-M4 and the AVR", [PY, "tests/bench/bench.py", "--apps-check"], "counts"),
]

# UNIT_STEPS stands in the list as one item: spread it out in its place
STEPS = [step for item in STEPS for step in (item if isinstance(item, list) else [item])]

SKIP_STATUS = 77

COUNT_RE = re.compile(r"(\d+) (passed|failed|errors?)\b")


def parse_counts(text):
    """Sums the numbers of the last summary-looking line of each kind."""
    passed = failed = 0
    for line in text.splitlines():
        if "passed" not in line and "failed" not in line:
            continue
        found = dict((kind, int(n)) for n, kind in COUNT_RE.findall(line))
        if not found:
            continue
        passed_here = found.get("passed", 0)
        failed_here = found.get("failed", 0) + found.get("error", 0) + found.get("errors", 0)
        if passed_here or failed_here:
            passed, failed = passed_here, failed_here
    return passed, failed


def run_step(name, cmd, kind):
    t0 = time.monotonic()
    print(f"=== {name}: {' '.join(cmd)}", flush=True)
    try:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=900)
        out, rc = proc.stdout.decode(errors="replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") + "\n(step timed out)", -1
    except OSError as e:
        out, rc = str(e), -1
    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    if rc == SKIP_STATUS:
        print(f"--- {name}: skipped ({time.monotonic() - t0:.1f}s)\n", flush=True)
        return None
    if kind == "build":
        passed, failed = (1, 0) if rc == 0 else (0, 1)
    else:
        passed, failed = parse_counts(out)
        if rc != 0 and failed == 0:
            failed = 1  # crashed or failed without saying how much
        if rc == 0 and passed == 0 and failed == 0:
            failed = 1  # a step that ran nothing is a failure
    status = "ok" if failed == 0 and rc == 0 else "FAILED"
    print(f"--- {name}: {status} ({passed} passed, {failed} failed, "
          f"{time.monotonic() - t0:.1f}s)\n", flush=True)
    return passed, failed


def main():
    total_p = total_f = 0
    failed_steps = []
    skipped_steps = []
    for name, cmd, kind in STEPS:
        counts = run_step(name, cmd, kind)
        if counts is None:
            skipped_steps.append(name)
            continue
        p, f = counts
        total_p += p
        total_f += f
        if f:
            failed_steps.append(name)
    for name in skipped_steps:
        print(f"SKIPPED: {name}")
    for name in failed_steps:
        print(f"FAILED: {name}")
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
