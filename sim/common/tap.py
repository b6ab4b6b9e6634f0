"""A transparent tap between a host and a real modem that writes a replay log.

    python3 -m sim.common.tap --modem /dev/ttyUSB0 --baud 115200 --pty --out capture.log
    python3 -m sim.common.tap --modem /dev/ttyUSB0 --host-port /dev/ttyUSB1 --out capture.log

The host is either firmware on a PC build or a terminal program opening the
tap's pseudo-terminal (--pty; its path is printed as "PTY /dev/pts/N" and
--link can give it a fixed name), or a board wired to a second serial port
(--host-port).  Every byte is forwarded unchanged the moment it is read, in
both directions at once (one thread per direction); recording never holds a
byte back.

The log is the format of examples/replay/secmodem_replay.c, so that
`secmodem-replay --dialect sequans capture.log` sees the bytes the host saw:

    > AT+CEREG?         the host sent exactly "AT+CEREG?" CR
    > [hex] 41 42 ..    the host sent exactly these bytes
    < +CEREG: 5,1       the module sent exactly CR LF "+CEREG: 5,1" CR LF
    < >                 the module sent exactly CR LF "> " (and then waited)
    << [hex] 0d 0a ..   the module sent exactly these bytes
    # t=1.234567        the time of the record below it (a comment)

A text record is written only when the bytes are what the replay feeds for
it: printable ASCII framed by CR LF (module) or ended by one CR (host, a
line starting with AT).  Anything else (binary payloads, NUL, 0xFF, an echo,
a line the module did not frame with CR LF) is written as exact hex.  Host
bytes while the module's last bytes are a data prompt are the payload, so
they are hex too.  Two documented extensions are comments the replay
ignores:

    # t=<seconds>       before every record: when its last byte passed the
                        tap, in seconds since the capture started (monotonic)
    # > [hex] 0a (...)  an LF the host sent right after a command's CR (a
                        terminal set to send CR LF); not replayed

As in the replay, `> [hex]` right after a command, before any module
record, is the command's inline payload: the CR comes after those bytes.
The tap writes a command line holding binary bytes (Cordelia-I's AT+send,
AT+FileWrite) that way: its text up to the comma before the first binary
byte, then the rest as hex.

Module bytes are grouped into records by content (a line ends at its CR LF,
binary bytes at the next CR LF that starts a text line); what is left is
written once the module has been quiet for --idle seconds, when the host
sends, or when the tap stops (SIGINT/SIGTERM), so the order of records is
the order of the bytes on the two wires.
"""

import argparse
import datetime
import signal
import sys
import threading
import time

from .transport import PtyTransport, SerialTransport

CR = 0x0D
# secmodem-replay reads lines of up to 64 KiB: hex records are split well
# below that (3 characters a byte), text lines longer than this go as hex.
MAX_HEX = 4096
MAX_TEXT = 8192
IDLE = 0.2


def _printable(data):
    return all(0x20 <= b < 0x7F for b in data)


def _hex(data):
    return " ".join(f"{b:02x}" for b in data)


class _Stream:
    """Bytes of one direction not yet recorded, with their arrival times."""

    def __init__(self):
        self.buf = bytearray()
        self._ends = []  # (offset just past a read's last byte, its time)

    def add(self, data, t):
        self.buf += data
        self._ends.append((len(self.buf), t))

    def time_of(self, n):
        """When byte n-1 arrived: the time of the record ending there."""
        for end, t in self._ends:
            if end >= n:
                return t
        return self._ends[-1][1]

    def take(self, n):
        data = bytes(self.buf[:n])
        del self.buf[:n]
        self._ends = [(end - n, t) for end, t in self._ends if end > n]
        return data


class Recorder:
    """Turns the two byte streams into replay records.

    module(data, t) / host(data, t) take the bytes of one read each; tick(t)
    writes what has been quiet for `idle` seconds; close() writes the rest.
    Not thread-safe: the tap calls it under one lock.
    """

    def __init__(self, out, idle=IDLE):
        self.out = out
        self.idle = idle
        self._mod = _Stream()
        self._host = _Stream()
        self._last_t = 0.0
        self._mod_tail = b""        # the module's last bytes, to see a prompt
        self._last_mod_rx = 0.0
        self._last_host_rx = 0.0
        self._after_command = False  # the host's last record was a command

    # ---- writing ------------------------------------------------------------

    def _write(self, t, line):
        # records go out in the order the tap saw their last bytes; this only
        # guards the file's promise that time never goes back
        t = max(t, self._last_t)
        self._last_t = t
        self.out.write(f"# t={t:.6f}\n{line}\n")
        self.out.flush()

    def _module_record(self, n, line):
        t = self._mod.time_of(n)
        self._mod.take(n)
        self._write(t, line)

    # ---- module side ------------------------------------------------------------

    @staticmethod
    def _framed_at(buf, k):
        """At buf[k:]: the length of a CR LF framed text line the replay can
        feed back exactly; 0 if none starts there; -1 if one may still be
        arriving (more bytes needed to tell)."""
        if buf[k:k + 2] != b"\r\n":
            return -1 if bytes(buf[k:]) == b"\r" else 0
        end = buf.find(b"\r\n", k + 2)
        if end < 0:
            tail = bytes(buf[k + 2:])
            if tail.endswith(b"\r"):
                tail = tail[:-1]
            return -1 if len(tail) <= MAX_TEXT and _printable(tail) else 0
        text = bytes(buf[k + 2:end])
        # non-empty, printable, no trailing space (the replay's reader strips
        # it) and not ">" (the replay feeds `< >` as the prompt)
        if text and len(text) <= MAX_TEXT and _printable(text) and text[-1:] != b" " \
                and text != b">":
            return end + 2 - k
        return 0

    def _module_step(self, keep_arriving, flush_raw):
        """Write one record of module bytes if one is decided; True if so.

        keep_arriving: a text line still arriving stays pending.
        flush_raw: binary bytes are written now rather than joined with more;
        a trailing CR LF "> " is then the prompt (nothing came after it)."""
        buf = self._mod.buf
        if not buf:
            return False
        n = self._framed_at(buf, 0)
        if n > 0:
            self._module_record(n, "< " + buf[2:n - 2].decode("ascii"))
            return True
        if flush_raw and bytes(buf) == b"\r\n> ":
            self._module_record(4, "< >")
            return True
        if n < 0 and keep_arriving:
            return False
        # binary: up to where a text line starts (or one may be arriving:
        # then wait for it, unless the bytes before it must go now)
        for k in range(1, min(len(buf), MAX_HEX)):
            if buf[k] != CR:
                continue
            m = self._framed_at(buf, k)
            prompt = bytes(buf[k:]) == b"\r\n> "
            if m < 0 and keep_arriving and not flush_raw:
                return False
            if m > 0 or prompt or (m < 0 and keep_arriving):
                self._module_record(k, "<< [hex] " + _hex(buf[:k]))
                return True
        if flush_raw or len(buf) >= MAX_HEX:
            k = min(len(buf), MAX_HEX)
            self._module_record(k, "<< [hex] " + _hex(buf[:k]))
            return True
        return False  # binary bytes: the next read may continue them

    def _flush_module(self, keep_arriving=True, flush_raw=False):
        while self._module_step(keep_arriving, flush_raw):
            pass

    # ---- host side ----------------------------------------------------------------

    def _in_payload(self):
        """The module's last bytes are a data prompt: the host sends data."""
        return self._mod_tail.endswith(b"\r\n> ") or self._mod_tail.endswith(b"\r\n>")

    @staticmethod
    def _command_arriving(buf):
        """buf may be the start of a command line (a terminal types slowly)."""
        b = bytes(buf[:2]).upper()
        return len(buf) <= MAX_TEXT and _printable(buf) and (b == b"AT" or b == b"A")

    @staticmethod
    def _inline_split(line):
        """A command line holding binary bytes after its last printable
        field: the length of its text up to that comma, else 0."""
        if line[:2].upper() != b"AT" or _printable(line):
            return 0
        first_bin = next(i for i, b in enumerate(line) if not 0x20 <= b < 0x7F)
        comma = line.rfind(b",", 0, first_bin)
        return comma + 1 if comma > 2 else 0

    def _host_record(self, n, line):
        t = self._host.time_of(n)
        self._host.take(n)
        self._write(t, line)

    def _host_step(self, flush):
        buf = self._host.buf
        if not buf:
            return False
        if self._in_payload():
            if flush or len(buf) >= MAX_HEX:
                k = min(len(buf), MAX_HEX)
                self._host_record(k, "> [hex] " + _hex(buf[:k]))
                return True
            return False  # the payload may continue
        after_command, self._after_command = self._after_command, False
        if buf[:1] == b"\n" and after_command:
            self._host_record(1, "# > [hex] 0a (LF after the command's CR; not replayed)")
            return True
        cr = buf.find(b"\r")
        if 0 <= cr <= MAX_TEXT:
            line = bytes(buf[:cr])
            split = self._inline_split(line)
            if line[:2].upper() == b"AT" and _printable(line) and line[-1:] != b" ":
                self._host_record(cr + 1, "> " + line.decode("ascii"))
                self._after_command = True
            elif split:
                # a command with its payload inline (Cordelia-I AT+send,
                # AT+FileWrite): the text, the bytes, and the CR the replay
                # writes after them
                head = self._host.take(split)
                self._write(self._host.time_of(cr - split + 1), "> " + head.decode("ascii"))
                self._host_record(cr - split + 1, "> [hex] " + _hex(buf[:cr - split]))
                self._after_command = True
            else:
                self._host_record(cr + 1, "> [hex] " + _hex(buf[:cr + 1]))
            return True
        if (flush and not self._command_arriving(buf)) or len(buf) > MAX_TEXT:
            k = min(len(buf), MAX_HEX)
            self._host_record(k, "> [hex] " + _hex(buf[:k]))
            return True
        return False

    def _flush_host(self, flush=False):
        while self._host_step(flush):
            pass

    # ---- entry points ---------------------------------------------------------------

    def module(self, data, t):
        """Bytes read from the modem at time t."""
        self._flush_host(flush=True)  # what the host sent came first (its payload)
        self._mod.add(data, t)
        self._mod_tail = (self._mod_tail + data)[-4:]
        self._last_mod_rx = t
        self._flush_module()

    def host(self, data, t):
        """Bytes read from the host at time t."""
        # what the module sent before goes first, all of it, even the start
        # of a line still arriving: the replay must feed those bytes before
        # it puts the host's command in flight (a CR LF left for later would
        # end a line after the command, which would then take it as its
        # answer). A CR LF "> " is the prompt now: the host answered it.
        self._flush_module(keep_arriving=False, flush_raw=True)
        self._host.add(data, t)
        self._last_host_rx = t
        self._flush_host()

    def tick(self, t):
        """Write what has been quiet for `idle` seconds."""
        if self._mod.buf and t - self._last_mod_rx >= self.idle:
            self._flush_module(keep_arriving=False, flush_raw=True)
        if self._host.buf and t - self._last_host_rx >= self.idle:
            self._flush_host(flush=True)

    def close(self):
        """Write everything left."""
        self._flush_module(keep_arriving=False, flush_raw=True)
        self._flush_host(flush=True)
        buf = self._host.buf
        if buf:  # an unfinished command line
            self._host_record(len(buf), "> [hex] " + _hex(buf))
        self.out.flush()


class Tap:
    """Forwards both directions and feeds a Recorder; start() / stop()."""

    def __init__(self, modem, host, out, idle=IDLE, clock=time.monotonic):
        self.modem = modem
        self.host = host
        self.clock = clock
        self.t0 = clock()
        self.recorder = Recorder(out, idle)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.error = None
        self.bytes = {"modem": 0, "host": 0}
        self._threads = []

    def _now(self):
        return self.clock() - self.t0

    def _pump(self, name, src, dst, feed):
        try:
            while not self.stopping.is_set():
                data = src.read(0.05)
                with self.lock:
                    if data:
                        # recorded first (cheap), so the file's order is the
                        # order in which the tap saw the two sides
                        feed(data, self._now())
                    else:
                        self.recorder.tick(self._now())
                if data:
                    self.bytes[name] += len(data)
                    written = dst.write(data)
                    if written != len(data):
                        with self.lock:
                            self.recorder.out.write(f"# tap: {len(data) - written} bytes from the "
                                                    f"{name} not delivered (reader stalled)\n")
        except Exception as exc:  # a port unplugged: stop the capture, keep the log
            self.error = f"{name} side: {exc}"
            self.stopping.set()

    def start(self):
        for name, src, dst, feed in (("modem", self.modem, self.host, self.recorder.module),
                                     ("host", self.host, self.modem, self.recorder.host)):
            th = threading.Thread(target=self._pump, args=(name, src, dst, feed),
                                  name=f"tap-{name}", daemon=True)
            th.start()
            self._threads.append(th)
        return self

    def stop(self):
        self.stopping.set()
        for side in (self.modem, self.host):
            side.interrupt()
        for th in self._threads:
            th.join(2.0)
        with self.lock:
            self.recorder.close()


def build_parser():
    p = argparse.ArgumentParser(prog="python3 -m sim.common.tap",
                                description="forward a host <-> modem serial link and write "
                                            "a secmodem-replay log of it")
    p.add_argument("--modem", metavar="DEV", required=True, help="the modem's serial port")
    p.add_argument("--baud", type=int, default=115200, help="the modem's baud rate (default 115200)")
    p.add_argument("--rtscts", action="store_true",
                   help="RTS/CTS hardware flow control on the serial port(s)")
    host = p.add_mutually_exclusive_group()
    host.add_argument("--pty", action="store_true",
                      help="the host opens a new pseudo-terminal (default)")
    host.add_argument("--host-port", metavar="DEV", help="the host is on this serial port")
    p.add_argument("--host-baud", type=int, help="baud rate of --host-port (default: --baud)")
    p.add_argument("--link", metavar="PATH", help="with --pty: symlink PATH -> the pty")
    p.add_argument("--out", metavar="FILE", required=True, help="the capture log to write")
    p.add_argument("--idle", type=float, default=IDLE,
                   help=f"seconds of quiet after which pending bytes are written (default {IDLE})")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    try:
        modem = SerialTransport(args.modem, args.baud, rtscts=args.rtscts)
    except Exception as exc:
        print(f"tap: cannot open the modem port {args.modem}: {exc}", file=sys.stderr)
        return 2
    try:
        if args.host_port:
            host = SerialTransport(args.host_port, args.host_baud or args.baud, rtscts=args.rtscts)
        else:
            host = PtyTransport(link=args.link)
    except Exception as exc:
        modem.close()
        print(f"tap: cannot open the host side: {exc}", file=sys.stderr)
        return 2
    out = open(args.out, "w", encoding="ascii", newline="\n")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    where = f"host {args.host_port}" if args.host_port else f"host pty {host.slave_path}"
    out.write(f"# secmodem capture (python3 -m sim.common.tap), started {started}\n"
              f"# modem {args.modem} at {args.baud} baud, {where}\n"
              f"# before each record, t=<seconds>: when it passed the tap, since the start\n")
    out.flush()
    tap = Tap(modem, host, out, idle=args.idle).start()
    print(f"PTY {host.slave_path}" if not args.host_port else f"PORT {args.host_port}", flush=True)
    try:
        while not stop and not tap.stopping.is_set():
            time.sleep(0.05)
    finally:
        tap.stop()
        modem.close()
        host.close()
        out.close()
    if tap.error:
        print(f"tap: stopped: {tap.error}", file=sys.stderr)
        return 1
    print(f"tap: {tap.bytes['modem']} bytes from the modem, {tap.bytes['host']} from the host; "
          f"log in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
