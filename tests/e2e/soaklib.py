"""Shared pieces of the soak test (run_soak.py) and the fault scenarios
(run_fault_scenarios.py): the loopback test bed with a persistent broker,
the simulator, a probe on the broker side, the C publisher
(tests/e2e/soak_publisher.c) run as a child whose output is read as it comes,
the simulator's control socket, and the check of what the probe received.

The probe has a persistent session (clean_session=False) on a broker that
saves its sessions when it is stopped: whatever the broker acknowledged to
the publisher reaches the probe, even across a broker restart. So "every
sequence number reached the probe" is exactly "nothing acknowledged was
lost", and a miss is a real loss, never the test's own blind spot.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from sim.network.testbed import TestBed  # noqa: E402
from sim.common.testing import SimProcess  # noqa: E402

TOPIC_ROOT = "secmodem/soak"
CLIENT_ID = "secmodem-soak"


# ---------------------------------------------------------------------------
# The payload of soak_publisher.c


def payload(seq):
    """The exact bytes soak_publisher.c publishes for `seq`."""
    length = 40 + seq % 61
    head = b"soak:%06d:" % (seq % 1000000)
    body = head + b"." * (length - 9 - len(head))
    return body + b":%08x" % zlib.crc32(body)


_PAYLOAD = re.compile(rb"soak:(\d{6}):\.*:[0-9a-f]{8}")


def parse_payload(data):
    """The sequence number of a well-formed payload, else None."""
    m = _PAYLOAD.fullmatch(data)
    if not m:
        return None
    seq = int(m.group(1))
    return seq if data == payload(seq) else None


class Delivery:
    """What the probe received on one topic, against 0..count-1."""

    def __init__(self, messages, topic, count):
        self.count = count
        self.seen = {}
        self.foreign = []       # on the topic, but not a well-formed payload
        self.qos = set()
        for msg_topic, data, qos, _retain in messages:
            if msg_topic != topic:
                continue
            seq = parse_payload(data)
            if seq is None or seq >= count:
                self.foreign.append(data)
                continue
            self.seen[seq] = self.seen.get(seq, 0) + 1
            self.qos.add(qos)
        self.lost = [s for s in range(count) if s not in self.seen]
        self.duplicates = sum(n - 1 for n in self.seen.values())
        # Anything else on the topic is a message no application sent: NUL
        # filler (what the engine once sent to meet the count of a publish
        # whose "> " prompt was lost, issue 16 item 10), a partial payload,
        # or a command line the modem took as payload. Every one of them is
        # a failure; the filler ones are told apart in the summary.
        self.filler = [d for d in self.foreign if d and not d.strip(b"\0")]
        self.alien = self.foreign

    def summary(self):
        lost = self.lost[:20]
        more = f" (+{len(self.lost) - 20})" if len(self.lost) > 20 else ""
        alien = f" {self.alien[0][:60]!r}" if self.alien else ""
        return (f"{len(self.seen)} of {self.count} sequence numbers received, lost {len(self.lost)}"
                f"{' ' + str(lost) + more if self.lost else ''}, duplicates {self.duplicates}, "
                f"foreign messages {len(self.alien)} (of them NUL filler {len(self.filler)}){alien}")


def wait_delivery(probe, topic, count, timeout):
    """Waits until the probe has every sequence number (or timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        d = Delivery(list(probe.messages), topic, count)
        if not d.lost or time.monotonic() > deadline:
            return d
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# The environment


class Tally:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{self.name}: {'ok  ' if ok else 'FAIL'} {what}", flush=True)
        return ok


def write_pems(directory, pki):
    paths = []
    for name, data in (("ca.pem", pki.ca.cert_pem), ("client.crt", pki.client.cert_pem),
                       ("client.key", pki.client.key_pem)):
        path = os.path.join(directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


class Bed:
    """Test bed (persistent mutual-TLS broker only), PEM files, the probe
    on TOPIC_ROOT/# (persistent session, QoS 1)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="secmodem-soak-")
        self.bed = self.probe = None

    def __enter__(self):
        try:
            self.bed = TestBed(echo=False, https=False, mqtt_persistence=True).start()
            self.pems = write_pems(self.tmp, self.bed.pki)
            self.probe = self.bed.probe([TOPIC_ROOT + "/#"], qos=1, client_id="soak-probe",
                                        clean_session=False).start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.probe is not None:
            try:
                self.probe.stop()
            except Exception:
                pass
        if self.bed is not None:
            self.bed.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def broker(self):
        return self.bed.broker


def start_sim(seed=0):
    # payload-timeout=0: like the GM02SP on the bench, the modem waits at its
    # prompt for the count however long it takes, so a count the engine does
    # not meet shows as a foreign message, never healed by a timeout
    args = ["--dialect", "sequans", "--seed", str(seed), "--option", "payload-timeout=0"]
    if os.environ.get("SM_SIM_TRACE"):  # debugging: the simulator's traffic
        args += ["--trace", os.environ["SM_SIM_TRACE"]]
    return SimProcess(*args).__enter__()


class Publisher:
    """build/soak_publisher as a child; its stdout read line by line (and
    echoed with a prefix when `echo`), the acknowledged count followed."""

    LINE_PREFIXES = ("OPFAIL", "EVENT", "RECOVER", "HANG", "SOAK", "PROGRESS")

    def __init__(self, binary, sim, bed, count, topic, interval_ms=0, deadline_s=120, window=4,
                 progress_every=None, echo=True, quiet_prefixes=()):
        self.lines = []
        self.acked = 0
        self.echo = echo
        self.quiet_prefixes = tuple(quiet_prefixes)
        self._cv = threading.Condition()
        args = [binary, "-n", str(count), "-i", str(interval_ms), "-d", str(deadline_s),
                "-w", str(window), "-t", topic, "-c", CLIENT_ID]
        if progress_every:
            args += ["-p", str(progress_every)]
        args += [sim.pty_path] + bed.pems + [str(bed.broker.port)]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            m = re.match(r"PROGRESS acked=(\d+)", line)
            with self._cv:
                self.lines.append(line)
                if m:
                    self.acked = int(m.group(1))
                self._cv.notify_all()
            if self.echo and not line.startswith(self.quiet_prefixes):
                print(f"  | {line}", flush=True)
        with self._cv:
            self._cv.notify_all()

    def running(self):
        return self.proc.poll() is None

    def wait_until(self, predicate, timeout):
        """Waits until predicate(self) holds (re-checked on each output
        line and every 50 ms) or the publisher ended; returns its value."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                value = predicate(self)
                if value or not self.running() or time.monotonic() > deadline:
                    return value
                self._cv.wait(0.05)

    def wait_acked(self, n, timeout):
        return self.wait_until(lambda p: p.acked >= n, timeout)

    def finish(self, timeout):
        """Waits for the end; (exit status, ended by itself)."""
        try:
            rc = self.proc.wait(timeout)
            ended = True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            ended = False
        self._reader.join(5)
        self.elapsed = time.monotonic() - self.t0
        return rc, ended

    def grep(self, pattern):
        rx = re.compile(pattern)
        with self._cv:
            return [line for line in self.lines if rx.search(line)]

    def counters(self):
        """The SOAK COUNTERS line as a dict of ints (empty if none)."""
        for line in reversed(self.lines):
            if line.startswith("SOAK COUNTERS "):
                return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", line)}
        return {}

    def result(self):
        for line in reversed(self.lines):
            if line.startswith("SOAK RESULT "):
                return line[len("SOAK RESULT "):]
        return "(no result line)"


class Control:
    """The simulator's control socket, with a log of what was injected."""

    def __init__(self, sim):
        self.sim = sim

    def __call__(self, cmd, **fields):
        reply = self.sim.control(cmd, **fields)
        if not reply.get("ok"):
            raise RuntimeError(f"control {cmd} {fields}: {reply}")
        return reply

    def fault(self, name, value):
        return self("fault", name=name, value=value)

    def clear(self):
        for name in ("drop-rate", "corrupt-rate", "garbage-rate", "delay-ms", "reboot-after-cmds",
                     "lose-prompts"):
            self.fault(name, 0)

    def stats(self):
        return self("stats")

    def last_command(self):
        cmds = self("commands", last=1)["commands"]
        return cmds[-1] if cmds else ""
