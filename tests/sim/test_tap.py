"""sim/common/tap.py, the capture tap, without hardware.

The modem is either a bare pseudo-terminal the test drives itself (to send
any byte at any time) or the Sequans simulator on its pty; the host is the
test, on the tap's own pty. Checked: every byte arrives unchanged in both
directions (also both at once), the capture file holds exactly the bytes
of each side in the replay format, its timestamps never go back, and
build/secmodem-replay reads a capture of a simple session without an error.
"""

import datetime
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from sim.common.tap import Recorder
from sim.common.testing import REPO_ROOT, PtyPort, SimProcess
from sim.common.transport import PtyTransport

REPLAY = os.path.join(REPO_ROOT, "build", "secmodem-replay")


# ---- reading a capture back, independently of sim/common/tap.py --------------------

def parse_capture(text):
    """-> (module bytes, host bytes, [t...]) as secmodem-replay would see
    the records: `< x` is CR LF x CR LF, `< >` CR LF "> ", `> AT..` the
    command and its CR, which comes after the `> [hex]` records that follow
    it before any module record (its inline payload); plus the documented
    LF comment of the host side."""
    module, host, times = bytearray(), bytearray(), []
    cr_owed = False  # a command's CR, written after its inline payload
    for line in text.splitlines():
        if line.startswith("# t="):
            times.append(float(line[4:]))
            continue
        if line.startswith("#") or not line.strip():
            if not line.startswith("# > [hex] 0a "):
                continue
        if cr_owed and not line.startswith("> [hex]"):
            host += b"\r"
            cr_owed = False
        if line.startswith("# > [hex] 0a "):
            host += b"\n"
        elif line.startswith("<< [hex]"):
            module += bytes.fromhex(line[8:])
        elif line == "< >":
            module += b"\r\n> "
        elif line.startswith("< "):
            module += b"\r\n" + line[2:].encode("ascii") + b"\r\n"
        elif line.startswith("> [hex]"):
            host += bytes.fromhex(line[7:])
        elif line.startswith("> "):
            host += line[2:].encode("ascii")
            cr_owed = True
        else:
            raise AssertionError(f"not a replay record: {line!r}")
    if cr_owed:
        host += b"\r"
    return bytes(module), bytes(host), times


def records(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# ---- the recorder alone ---------------------------------------------------------

class Feed:
    def __init__(self):
        import io
        self.out = io.StringIO()
        self.rec = Recorder(self.out)
        self.t = 0.0
        self.module = bytearray()
        self.host = bytearray()

    def m(self, data):
        self.t += 0.01
        self.module += data
        self.rec.module(data, self.t)

    def h(self, data):
        self.t += 0.01
        self.host += data
        self.rec.host(data, self.t)

    def idle(self):
        self.t += 1.0
        self.rec.tick(self.t)

    def close(self):
        self.rec.close()
        return self.out.getvalue()


def test_recorder_text_lines_prompt_and_payload():
    f = Feed()
    f.m(b"\r\n+SYSSTART\r\n")
    f.h(b"AT+CEREG?\r")
    f.m(b"\r\n+CEREG: 2,1\r")   # a line split across two reads
    f.m(b"\n\r\nOK\r\n")
    f.h(b'AT+SQNSNVW="certificate",5,6\r')
    f.m(b"\r\n> ")              # the prompt, then the module waits
    f.h(b"\x00\xff")            # the payload in two writes
    f.h(b"\r\n> ")
    f.m(b"\r\nOK\r\n")
    text = f.close()
    assert records(text) == [
        "< +SYSSTART", "> AT+CEREG?", "< +CEREG: 2,1", "< OK",
        '> AT+SQNSNVW="certificate",5,6', "< >", "> [hex] 00 ff 0d 0a 3e 20", "< OK"]
    assert parse_capture(text)[:2] == (bytes(f.module), bytes(f.host))


def test_recorder_writes_exact_hex_for_what_text_cannot_say():
    f = Feed()
    f.h(b"ATE1\r")
    f.m(b"ATE1\r\r\nOK\r\n")                      # an echo: not CR LF framed
    f.h(b"AT+X=1 \r")                             # a trailing space the replay would strip
    f.m(b"\r\n+R: 1,9\r\nOK\r\n\x00\xff>\r\n\r\nOK\r\n")  # a block holding CR LF OK
    f.m(b"\r\nNUL\x00\r\n")                       # NUL inside a line
    f.m(b"\r\n>\r\n")                             # a line that is only ">"
    f.m(b"\r\ntrailing \r\n")
    f.m(b"OK\r\n")                                # no leading CR LF
    f.idle()
    f.h(b"+++")                                   # no CR, not a command
    f.idle()
    f.h(b"AT\r\n")                                # a terminal sending CR LF
    f.m(b"\r\nOK\r\n")
    text = f.close()
    module, host, times = parse_capture(text)
    assert (module, host) == (bytes(f.module), bytes(f.host))
    recs = records(text)
    assert "<< [hex] 41 54 45 31 0d" in recs
    assert "> [hex] 41 54 2b 58 3d 31 20 0d" in recs
    assert "> [hex] 2b 2b 2b" in recs
    assert "< >" not in recs and "< trailing" not in recs
    assert "# > [hex] 0a (LF after the command's CR; not replayed)" in text
    assert times == sorted(times)


def test_recorder_inline_payload_command():
    f = Feed()
    f.h(b"AT+FileWrite=7,0,0,4,\x00\xff,\x02\r")   # Cordelia-I: bytes inline
    f.m(b"+filewrite:4\r\nOK\r\n")
    f.h(b"AT+send=1,0,2,a\x00\r")
    f.m(b"+send:2\r\nOK\r\n")
    text = f.close()
    recs = records(text)
    assert recs[0:2] == ["> AT+FileWrite=7,0,0,4,", "> [hex] 00 ff 2c 02"]
    assert "> AT+send=1,0,2,a" not in recs and "> AT+send=1,0,2," in recs
    assert parse_capture(text)[:2] == (bytes(f.module), bytes(f.host))


def test_recorder_splits_long_binary_and_keeps_order():
    f = Feed()
    blob = bytes(random.Random(7).randrange(256) for _ in range(20000))
    f.h(b"AT+SQNSRECV=1,20000\r")
    f.m(b"\r\n+SQNSRECV: 1,20000\r\n")
    for i in range(0, len(blob), 700):
        f.m(blob[i:i + 700])
    f.m(b"\r\nOK\r\n")
    text = f.close()
    assert parse_capture(text)[0] == bytes(f.module)
    assert max(len(line) for line in text.splitlines()) < 3 * 4096 + 16


# ---- the tap as a process ----------------------------------------------------------

class TapProcess:
    def __init__(self, modem_path, out, host_port=None):
        env = dict(os.environ, PYTHONPATH=REPO_ROOT)
        self.out = out
        host = ["--host-port", host_port] if host_port else ["--pty"]
        self.proc = subprocess.Popen([sys.executable, "-m", "sim.common.tap", "--modem", modem_path,
                                      "--baud", "115200", *host, "--out", str(out)],
                                     cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        first = self.proc.stdout.readline().decode()
        want = f"PORT {host_port}" if host_port else "PTY "
        assert first.startswith(want), (first, self.proc.stderr.read() if self.proc.poll() else "")
        self.host = PtyPort(first.split()[1]) if not host_port else None

    def stop(self):
        if self.host:
            self.host.close()
        self.proc.send_signal(signal.SIGTERM)
        err = self.proc.communicate(timeout=10)[1].decode()
        assert self.proc.returncode == 0, err
        return self.out.read_text()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class FakeModem:
    """A pty the test writes and reads as the module side."""

    def __init__(self):
        self.t = PtyTransport()
        self.path = self.t.slave_path

    def write(self, data):
        assert self.t.write(data) == len(data)

    def read_exactly(self, n, timeout=5.0):
        got = bytearray()
        deadline = time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            got += self.t.read(0.05)
        return bytes(got)


@pytest.fixture
def fake_tap(tmp_path):
    modem = FakeModem()
    tap = TapProcess(modem.path, tmp_path / "capture.log")
    yield modem, tap
    tap.kill()
    tap.host.close()
    modem.t.close()


def test_tap_with_the_host_on_a_serial_port(tmp_path):
    """--host-port: the host side is a serial port too (here a second pty)."""
    modem, board = FakeModem(), FakeModem()
    tap = TapProcess(modem.path, tmp_path / "capture.log", host_port=board.path)
    try:
        time.sleep(0.2)  # both ports open
        board.write(b"AT+CGMR\r")
        assert modem.read_exactly(8) == b"AT+CGMR\r"
        answer = b"\r\nUE8.0.5.10\r\n\r\nOK\r\n\xff\x00"
        modem.write(answer)
        assert board.read_exactly(len(answer)) == answer
        text = tap.stop()
    finally:
        tap.kill()
        modem.t.close()
        board.t.close()
    assert records(text) == ["> AT+CGMR", "< UE8.0.5.10", "< OK", "<< [hex] ff 00"]
    assert f"host {board.path}" in text


def test_tap_forwards_every_byte_both_ways(fake_tap):
    modem, tap = fake_tap
    everything = bytes(range(256))
    # modem -> host: text, every byte value, a prompt
    sent_m = b"\r\n+SYSSTART\r\n" + everything + b"\r\n> "
    modem.write(sent_m)
    assert tap.host.read_exactly(len(sent_m)) == sent_m
    # host -> modem: a command, every byte value (after the prompt)
    sent_h = everything + b"\xff\x00"
    tap.host.write(sent_h)
    assert modem.read_exactly(len(sent_h)) == sent_h
    modem.write(b"\r\nOK\r\n")
    assert tap.host.read_exactly(6) == b"\r\nOK\r\n"
    tap.host.write(b"AT+CGMR\r")
    assert modem.read_exactly(8) == b"AT+CGMR\r"
    # a byte is forwarded at once, without waiting for a line end
    modem.write(b"\r\n+PART")
    assert tap.host.read_exactly(7, timeout=1.0) == b"\r\n+PART"
    tap.host.write(b"A")
    assert modem.read_exactly(1, timeout=1.0) == b"A"
    modem.write(b"IAL\r\n")
    assert tap.host.read_exactly(5) == b"IAL\r\n"
    tap.host.write(b"T\r")
    assert modem.read_exactly(2) == b"T\r"
    modem.write(b"\r\nOK\r\n")  # answered: what the host sends next is no inline payload
    assert tap.host.read_exactly(6) == b"\r\nOK\r\n"

    # both directions at once, random bytes in random pieces
    rng = random.Random(1)
    blob_m = bytes(rng.randrange(256) for _ in range(30000))
    blob_h = bytes(rng.randrange(256) for _ in range(30000))
    got_h = []

    def host_side():
        got_h.append(tap.host.read_exactly(len(blob_m), timeout=20))

    reader = threading.Thread(target=host_side)
    reader.start()
    writer = threading.Thread(target=lambda: tap.host.write(blob_h))
    writer.start()
    for i in range(0, len(blob_m), 997):
        modem.write(blob_m[i:i + 997])
    got_m = modem.read_exactly(len(blob_h), timeout=20)
    reader.join(25)
    writer.join(25)
    assert got_m == blob_h
    assert got_h == [blob_m]

    text = tap.stop()
    module, host, times = parse_capture(text)
    assert module == sent_m + b"\r\nOK\r\n" + b"\r\n+PARTIAL\r\n" + b"\r\nOK\r\n" + blob_m
    assert host == sent_h + b"AT+CGMR\r" + b"AT\r" + blob_h
    assert times and times == sorted(times)
    recs = records(text)
    assert recs[:3] == ["< +SYSSTART", "<< [hex] " + " ".join(f"{b:02x}" for b in everything), "< >"]
    assert "> AT+CGMR" in recs and "> AT" in recs
    # the start of a line the module was still sending when the host wrote
    # is recorded before the host's bytes (the order on the wires)
    part = recs.index("<< [hex] 0d 0a 2b 50 41 52 54")
    assert part < recs.index("> AT") and recs[part + 1] == "<< [hex] 49 41 4c 0d 0a"
    # the header says what was captured and when
    assert re.search(r"^# modem /dev/pts/\d+ at 115200 baud, host pty /dev/pts/\d+$", text, re.M)


# ---- a session with the Sequans simulator, replayed -----------------------------------------

def self_signed_pem():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tap test")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def replay_binary():
    res = subprocess.run(["make", "-s", "build/secmodem-replay"], cwd=REPO_ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert res.returncode == 0, res.stdout.decode()
    return REPLAY


def test_capture_of_a_sequans_session_replays_clean(tmp_path, replay_binary):
    # binary bytes around the certificate: a PEM reader skips them, the
    # module stores and returns them as they are
    payload = b"\x00\xff\r\n> \x01" + self_signed_pem() + b"\xfe\x00"
    seen = bytearray()  # everything the host received
    # the older module readings this session was written for: echo on after
    # boot, the certificate given back by count, every byte counted (the
    # tap's job is only to record what crosses it, whatever the module says)
    with SimProcess("--dialect", "sequans", "--echo", "on", "--option", "nvr=bytes",
                    "--option", "nvw-size=all-bytes", "--option", "sleep-ff-after-s=0") as sim:
        # the start-up URC is read before the tap opens the port: pyserial
        # flushes what is waiting when it opens one (with hardware, start the
        # tap first, then power the modem)
        with sim.open_port() as early:
            booted = early.read_until(b"\r\n+SYSSTART\r\n", timeout=10)
        tap = TapProcess(sim.pty_path, tmp_path / "capture.log")
        try:
            host = tap.host
            host.write(b"ATE0\r")  # echo is on after boot
            seen += host.read_until(b"ATE0\r\r\nOK\r\n")
            seen += host.command(b"AT+CMEE=1")
            seen += host.command(b"AT+CGMR")
            host.write(b'AT+SQNSNVW="certificate",7,%d\r' % len(payload))
            seen += host.read_until(b"\r\n> ")
            time.sleep(0.05)          # the prompt is alone on the wire for a moment
            host.write(payload[:5])   # the payload in two writes
            host.write(payload[5:])
            seen += host.read_until(b"\r\nOK\r\n")
            answer = host.command(b'AT+SQNSNVR="certificate",7')
            seen += answer
            assert payload in answer  # the module's bytes, unchanged through the tap
            seen += host.command(b"AT+CEREG?")
            stats = sim.control("stats")
            text = tap.stop()
        finally:
            tap.kill()
    module, host_bytes, times = parse_capture(text)
    assert module == bytes(seen)
    assert stats["bytes_out"] == len(booted) + len(seen)
    assert stats["bytes_in"] == len(host_bytes)
    assert times == sorted(times) and len(times) == len(records(text))
    recs = records(text)
    assert "< >" in recs
    assert any(r.startswith("> [hex] 00 ff 0d 0a 3e 20 01") for r in recs)

    res = subprocess.run([replay_binary, "--json", "--dialect", "sequans", str(tmp_path / "capture.log")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert res.returncode == 0, res.stderr.decode()
    events = [json.loads(line) for line in res.stdout.decode().splitlines()]
    assert [e for e in events if e["event"] == "error"] == []
    commands = [(e["command"], e["result"]) for e in events if e["event"] == "command"]
    assert commands == [("ATE0", "OK"), ("AT+CMEE=1", "OK"), ("AT+CGMR", "OK"),
                        ('AT+SQNSNVW="certificate",7,%d' % len(payload), "OK"),
                        ('AT+SQNSNVR="certificate",7', "OK"), ("AT+CEREG?", "OK")]
    assert {"event": "prompt"} in events
    nvr = [e for e in events if e["event"] == "command" and e["command"].startswith("AT+SQNSNVR")][0]
    assert nvr["status"] == "ok"
    assert {"event": "payload", "length": len(payload)} in events


def test_capture_of_a_cordelia_session_replays_clean(tmp_path, replay_binary):
    """Cordelia-I lines end with CR LF only (no leading CR LF), so most of
    its answer is exact hex; an inline binary payload is split after the
    command's last text field."""
    seen = bytearray()
    with SimProcess("--dialect", "cordelia") as sim:
        with sim.open_port() as early:
            early.read_until(b"+eventstartup:", timeout=10)
            early.read_quiet(0.3)
        tap = TapProcess(sim.pty_path, tmp_path / "capture.log")
        try:
            host = tap.host
            seen += host.command(b"AT+FileOpen=data.bin,WRITE|CREATE,4096", expect=b"OK\r\n")
            fid = re.search(rb"\+fileopen:(\d+),", seen).group(1)
            seen += host.command(b"AT+FileWrite=" + fid + b",0,0,4,\x00\xff\x01\x02",
                                 expect=b"OK\r\n")
            seen += host.command(b"AT+FileClose=" + fid + b",,", expect=b"OK\r\n")
            opened = host.command(b"AT+FileOpen=data.bin,READ,0", expect=b"OK\r\n")
            seen += opened
            fid = re.search(rb"\+fileopen:(\d+),", opened).group(1)
            answer = host.command(b"AT+fileRead=" + fid + b",0,1,4", expect=b"OK\r\n")
            seen += answer
            assert b"+fileread:1,8,AP8BAg==\r\n" in answer  # 8 Base64 characters of 00 ff 01 02
            text = tap.stop()
        finally:
            tap.kill()
    module, _, times = parse_capture(text)
    assert module == bytes(seen)
    assert times == sorted(times)
    assert "> [hex] 00 ff 01 02" in records(text)
    res = subprocess.run([replay_binary, "--json", "--dialect", "cordelia", str(tmp_path / "capture.log")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert res.returncode == 0, res.stderr.decode()
    events = [json.loads(line) for line in res.stdout.decode().splitlines()]
    assert [e for e in events if e["event"] == "error"] == []
    results = [(e["command"].split("=")[0], e["result"]) for e in events if e["event"] == "command"]
    assert results == [("AT+FileOpen", "OK"), ("AT+FileWrite", "OK"), ("AT+FileClose", "OK"),
                       ("AT+FileOpen", "OK"), ("AT+fileRead", "OK")]
    assert events[-1]["status"] == "ok" and events[-1]["lines"] == ["+fileread:1,8,AP8BAg=="]
