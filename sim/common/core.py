"""Generic AT-command front end of the modem simulator.

The core knows nothing about a particular modem.  It assembles command lines
from the byte stream, hands them to a *dialect* (a command table plus a few
formatting hooks), and serialises everything the modem sends so that each
output unit (a line, a prompt, a data block) reaches the host in one piece.

Threads:
  * the reader thread reads the transport, assembles lines and runs command
    handlers; handlers may block (read raw payload bytes, sleep) because
    nothing else consumes input;
  * the timer thread runs delayed actions (delayed URCs, boot completion);
  * callers of the public API (control socket, tests) emit URCs/raw bytes.
All output goes through Modem._emit under one lock, which is also where the
fault layer mangles bytes.

Reboots bump an *epoch* counter.  Work tied to an older epoch (a running
handler, a pending delayed URC) is abandoned: handlers see a Rebooted
exception, timers are silently skipped.
"""

import heapq
import itertools
import re
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable, Optional

from .faults import Faults
from .transport import PtyTransport, SerialTransport

__all__ = ["Modem", "Options", "Context", "Request", "Command", "Dialect", "ThreeGppDialect",
           "Tracer", "Rebooted", "Shutdown", "Faults", "PtyTransport", "SerialTransport",
           "CME_TEXTS", "parse_at_line", "find_at", "escape", "flag", "seconds"]

CR, LF = 0x0D, 0x0A
READ_TICK = 0.1  # how often a blocked reader re-checks for stop/reboot


class Rebooted(Exception):
    """The modem rebooted while a command was running; abandon the command."""


class Shutdown(Exception):
    """The simulator is stopping."""


def to_bytes(text):
    """Text to wire bytes; latin-1 keeps command text byte-exact both ways."""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


# ---------------------------------------------------------------------------
# Trace


def escape(data):
    """Readable, unambiguous rendering of bytes: \\r \\n \\t \\\\ and \\xNN."""
    out = []
    for b in data:
        if b == CR:
            out.append("\\r")
        elif b == LF:
            out.append("\\n")
        elif b == 0x09:
            out.append("\\t")
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


class Tracer:
    """One line per event: '<seconds since start> <tag> <text>'.

    Tags: 'host>' bytes from the host, 'modem<' bytes to the host,
    'fault' an injected fault, 'note' anything else worth knowing.
    """

    def __init__(self, stream=None, close_stream=False):
        self._stream = stream
        self._close_stream = close_stream
        self._lock = threading.Lock()
        self._t0 = time.monotonic()

    @classmethod
    def open(cls, target):
        """'-' traces to stdout, anything else is a file path, None disables."""
        if not target:
            return cls(None)
        if target == "-":
            return cls(sys.stdout)
        return cls(open(target, "w", encoding="utf-8", buffering=1), close_stream=True)

    @property
    def enabled(self):
        return self._stream is not None

    def _line(self, tag, text):
        if self._stream is None:
            return
        with self._lock:  # stamp under the lock: lines stay in time order
            stamp = time.monotonic() - self._t0
            try:
                self._stream.write(f"{stamp:10.6f} {tag:<6} {text}\n")
                self._stream.flush()
            except (OSError, ValueError):
                self._stream = None  # e.g. stdout pipe closed; stop tracing

    def host(self, data):
        self._line("host>", escape(data))

    def modem(self, data):
        self._line("modem<", escape(data))

    def fault(self, text):
        self._line("fault", text)

    def note(self, text):
        self._line("note", text)

    def close(self):
        with self._lock:
            if self._stream is not None and self._close_stream:
                self._stream.close()
            self._stream = None


# ---------------------------------------------------------------------------
# Commands and dialects


@dataclass
class Request:
    """One parsed command line."""

    line: str                 # from 'AT' on, without terminator and inline payload
    name: str                 # upper-cased: '' for plain AT, 'E0', 'I', '+CMEE', ...
    op: str                   # 'exec' | 'set' (=...) | 'read' (?) | 'test' (=?) | 'other'
    args: str = ""            # text after '=' for 'set' (verbatim); trailing junk for 'other'
    payload: Optional[bytes] = None  # inline raw payload, if the command has one
    tail: str = ""            # text between an inline payload and the line end


@dataclass
class Command:
    """A command table entry.

    handler(ctx, request) produces the response through ctx.
    inline(args_so_far) -> Optional[int]: for commands that carry raw bytes
    inside the command line (AT+INLINE=<n>,<bytes>); called while the line is
    being assembled with the 'set' arguments received so far, it returns the
    number of raw bytes that follow *now*, or None to keep assembling text.
    """

    handler: Callable
    inline: Optional[Callable[[str], Optional[int]]] = None


_EXTENDED = re.compile(r"([+&%#$^*][A-Za-z0-9_.!%-]*)(.*)", re.S)
_AT = re.compile(rb"[Aa][Tt]")


def find_at(text):
    """Offset of the first 'AT' (any case) in a byte line, or None."""
    m = _AT.search(text)
    return m.start() if m else None


def parse_at_line(line):
    """Split 'AT...' into a Request (name upper-cased, arguments verbatim)."""
    if line[:2].upper() != "AT":
        return None
    body = line[2:]
    m = _EXTENDED.fullmatch(body)
    if not m:  # basic command such as E0, I, Z, or '' for plain AT
        return Request(line=line, name=body.upper(), op="exec")
    name, rest = m.group(1).upper(), m.group(2)
    if rest == "":
        return Request(line, name, "exec")
    if rest == "?":
        return Request(line, name, "read")
    if rest == "=?":
        return Request(line, name, "test")
    if rest.startswith("="):
        return Request(line, name, "set", rest[1:])
    return Request(line, name, "other", rest)


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def flag(value):
    """An option value as a boolean: true/false, on/off, yes/no, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def one_of(*values):
    """An option parser accepting exactly one of `values` (case-insensitive)."""
    def parse(value):
        text = str(value).strip().lower()
        for v in values:
            if text == v.lower():
                return v
        raise ValueError(f"one of {', '.join(values)}, got {value!r}")
    return parse


def seconds(value):
    """An option value as a non-negative number of seconds."""
    number = float(value)
    if not 0.0 <= number <= 3600.0:
        raise ValueError(f"seconds must be within 0..3600, got {value!r}")
    return number


class Dialect:
    """Base class of modem dialects: a command table plus formatting hooks.

    Subclasses override command_table() and whichever hooks differ.
    """

    name = "base"
    startup_urc = None         # text of the URC sent after power-on/reboot
    echo_default = True        # echo is on after power-on unless overridden
    cmee_default = 0
    max_line = 1024            # longer command lines are rejected
    payload_timeout = 5.0      # inactivity limit while reading raw payload bytes
    prompt = b"\r\n> "
    plain_error = "ERROR"      # framing problems: over-long line, payload timeout
    unknown_error_code = 4     # 'operation not supported'

    def __init__(self):
        self.commands = {}
        for name, entry in self.command_table().items():
            self.commands[name.upper()] = entry if isinstance(entry, Command) else Command(entry)
        self.has_inline = any(c.inline for c in self.commands.values())

    def command_table(self):
        """Return {name: handler or Command}; names as produced by parse()."""
        return {}

    def initial_state(self):
        """Dialect state after power-on/reboot (available as ctx.state)."""
        return {}

    def release(self, state, wait):
        """Free what a state from initial_state() holds (network connections,
        worker threads) when the modem reboots (wait=False) or stops
        (wait=True).  Called without any modem lock held by the core, but
        possibly from inside a command handler or the timer thread, so with
        wait=False it must not block: hand slow teardown to a thread."""

    def drop_links(self, state, what):
        """The network drops live connections now, as if the peer or the
        path failed (not the modem): `what` names which ("mqtt", "sockets",
        "all"); returns the list of what was dropped. Runs in a control
        thread. Dialects without connections refuse."""
        raise ValueError(f"dialect {self.name!r} has no connections to drop")

    # -- dialect options ---------------------------------------------------------
    # Subclasses list their run-time switches in OPTIONS: name -> (attribute,
    # converter, help).  `python3 -m sim --option NAME=VALUE` and the control
    # socket's {"cmd": "option"} set them; converters raise ValueError.
    OPTIONS = {}

    def set_option(self, name, value):
        key = str(name).strip().lower().replace("_", "-")
        if key not in self.OPTIONS:
            known = ", ".join(sorted(self.OPTIONS)) or "none"
            raise ValueError(f"dialect {self.name!r} has no option {name!r} (options: {known})")
        attr, convert, _ = self.OPTIONS[key]
        setattr(self, attr, convert(value))

    def options(self):
        """{name: current value} of every option (JSON-friendly)."""
        return {name: _jsonable(getattr(self, attr)) for name, (attr, _, _) in self.OPTIONS.items()}

    # -- hooks the core calls ------------------------------------------------------

    def before_final(self, ctx):
        """Called right before a final result code goes out (in the reader
        thread); a dialect may emit URCs here with ctx.urc()."""

    # Whether Modem.async_urc holds a network URC back while a command is
    # being answered (until its final result).  A dialect whose module sends
    # URCs at once, even between a command and its result, says False.
    urc_hold = True

    # A module that sleeps when the line is idle may send stray bytes when it
    # wakes: after `wake_glitch_after` seconds without traffic either way
    # (0: never), the first output unit is preceded by `wake_glitch`.
    wake_glitch_after = 0.0
    wake_glitch = b""

    def after_boot(self, modem, epoch):
        """Called in the timer thread right after the startup URC went out."""

    def parse(self, line):
        return parse_at_line(line)

    def lookup(self, request):
        return self.commands.get(request.name)

    def frame(self, text):
        """Bytes of one information line, final result or URC."""
        return b"\r\n" + to_bytes(text) + b"\r\n"

    def echo(self, line):
        """Echo of a received command line (bytes, without payload)."""
        return line + b"\r"

    def format_error(self, code, cmee):
        return self.plain_error

    def unknown_command(self, ctx, request):
        ctx.cme_error(self.unknown_error_code)


# Standard texts of 3GPP TS 27.007 section 9.2 (+CME ERROR).
CME_TEXTS = {
    0: "phone failure",
    1: "no connection to phone",
    2: "phone-adaptor link reserved",
    3: "operation not allowed",
    4: "operation not supported",
    5: "PH-SIM PIN required",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    15: "SIM wrong",
    16: "incorrect password",
    20: "memory full",
    21: "invalid index",
    22: "not found",
    23: "memory failure",
    24: "text string too long",
    25: "invalid characters in text string",
    30: "no network service",
    31: "network timeout",
    32: "network not allowed - emergency calls only",
    50: "incorrect parameters",
    100: "unknown",
}


class ThreeGppDialect(Dialect):
    """Common ground of 3GPP modems: ATE0/ATE1, AT+CMEE and +CME ERROR."""

    def format_error(self, code, cmee):
        if cmee == 1:
            return f"+CME ERROR: {code}"
        if cmee == 2:
            return f"+CME ERROR: {CME_TEXTS.get(code, f'error {code}')}"
        return "ERROR"

    def command_table(self):
        return {"E0": self.cmd_echo_off, "E1": self.cmd_echo_on, "+CMEE": self.cmd_cmee}

    def cmd_echo_off(self, ctx, req):
        ctx.modem.echo = False
        ctx.ok()

    def cmd_echo_on(self, ctx, req):
        ctx.modem.echo = True
        ctx.ok()

    def cmd_cmee(self, ctx, req):
        if req.op == "set" and req.args in ("0", "1", "2"):
            ctx.modem.cmee = int(req.args)
            ctx.ok()
        elif req.op == "read":
            ctx.info(f"+CMEE: {ctx.modem.cmee}")
            ctx.ok()
        else:
            self.unknown_command(ctx, req)


# ---------------------------------------------------------------------------
# Handler context


class Context:
    """What a command handler uses to talk to the host.

    Output methods raise Rebooted if the modem rebooted meanwhile, which
    unwinds the handler; the core catches it.
    """

    def __init__(self, modem, request, epoch):
        self.modem = modem
        self.request = request
        self.epoch = epoch
        self.cut_pending = False  # reboot-after-cmds armed for this command

    @property
    def dialect(self):
        return self.modem.dialect

    @property
    def state(self):
        return self.modem.state

    # -- output ------------------------------------------------------------

    def send(self, data, kind="raw"):
        """Emit one unit atomically (kind is for the fault layer/trace)."""
        if self.cut_pending and kind != "echo":
            self.cut_pending = False
            self.modem._cut_and_reboot(data, self.epoch)
            raise Rebooted()
        if not self.modem._emit(data, kind, self.epoch):
            raise Rebooted()

    def info(self, text):
        self.send(self.dialect.frame(text), "info")

    def urc(self, text):
        self.send(self.dialect.frame(text), "urc")

    def prompt(self):
        self.send(self.dialect.prompt, "prompt")

    def final(self, text):
        """A final result code; this is where the delay-ms fault applies."""
        self.dialect.before_final(self)
        delay = self.modem.faults.result_delay()
        if delay:
            self.modem.trace.fault(f"delay: final result held back {delay * 1000:.0f} ms")
            self.sleep(delay)
        self.send(self.dialect.frame(text), "final")

    def ok(self):
        self.final("OK")

    def error(self):
        self.final(self.dialect.plain_error)

    def cme_error(self, code):
        self.final(self.dialect.format_error(code, self.modem.cmee))

    # -- input -------------------------------------------------------------

    def read_raw(self, n, timeout=None):
        """Read exactly n raw bytes (any values); None after `timeout`
        seconds without progress (default: the dialect's payload_timeout)."""
        if timeout is None:
            timeout = self.dialect.payload_timeout
        return self.modem._read_exact(n, timeout)

    def swallow(self, byte, timeout):
        """Consume `byte` if it is the next input byte within timeout."""
        return self.modem._swallow(byte, timeout)

    # -- time --------------------------------------------------------------

    def sleep(self, seconds):
        self.modem._sleep(seconds, self.epoch)

    def later(self, seconds, fn):
        """Run fn() after `seconds` unless the modem reboots first."""
        self.modem.call_later(seconds, fn, epoch=self.epoch)

    def urc_later(self, seconds, text):
        epoch = self.epoch
        self.later(seconds, lambda: self.modem.urc(text, epoch=epoch))


# ---------------------------------------------------------------------------
# Timers


class Scheduler:
    """A single timer thread running callables in due-time order
    (ties in submission order, so equal delays keep their sequence)."""

    def __init__(self):
        self._heap = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sim-timers", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        with self._cv:
            self._stopped = True
            self._cv.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    def call_later(self, delay, fn):
        with self._cv:
            due = time.monotonic() + max(0.0, delay)
            heapq.heappush(self._heap, (due, next(self._seq), fn))
            self._cv.notify()

    def _run(self):
        while True:
            with self._cv:
                while True:
                    if self._stopped:
                        return
                    wait = None
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            fn = heapq.heappop(self._heap)[2]
                            break
                    self._cv.wait(wait)
            try:
                fn()
            except Exception:  # a timer bug must not kill the timer thread
                traceback.print_exc()


# ---------------------------------------------------------------------------
# The modem


@dataclass
class Options:
    echo: Optional[bool] = None   # None: the dialect's default
    cmee: Optional[int] = None    # None: the dialect's default
    boot_delay: float = 0.05      # power-on/reboot to startup URC


@dataclass
class _Line:
    text: bytes                   # line bytes without terminator and payload
    payload: Optional[bytes] = None
    split: Optional[int] = None   # offset in text where the payload was
    overflow: bool = False
    timed_out: bool = False       # inline payload did not arrive


class Modem:
    """A simulated modem serving one transport with one dialect.

    Public API (thread-safe): start(), stop(), urc(), async_urc(), raw(),
    reboot(), set_fault(), stats(), commands(), drop_links(),
    call_later(); attributes
    echo, cmee, state, faults, trace.
    """

    def __init__(self, dialect, transport, options=None, faults=None, trace=None):
        self.dialect = dialect
        self.transport = transport
        self.options = options or Options()
        self.faults = faults or Faults()
        self.trace = trace or Tracer(None)
        self.default_echo = dialect.echo_default if self.options.echo is None else self.options.echo
        self.default_cmee = dialect.cmee_default if self.options.cmee is None else self.options.cmee
        self.echo = self.default_echo
        self.cmee = self.default_cmee
        self.state = dialect.initial_state()

        self._out_lock = threading.RLock()  # re-entrant: a cut output reboots
        self._cv = threading.Condition()    # epoch/booting/stopping changes
        self._epoch = 0
        self._rx_epoch = 0                  # epoch the reader is working in
        self._booting = False
        self._stopping = False
        self._rx = bytearray()              # received, not yet consumed
        self._carry = b""                   # input read just after a reboot
        self._last_traffic = time.monotonic()  # last byte in or out (wake glitch)
        self._woke = False                  # input after a long idle: glitch the next output

        # async_urc(): URCs held back while a command is being answered.
        self._held_lock = threading.Lock()
        self._answering = False
        self._held = []

        self._stats_lock = threading.Lock()
        self._commands = []
        self._stats = {"commands_seen": 0, "bytes_in": 0, "bytes_out": 0, "reboots": 0}

        self._scheduler = Scheduler()
        self._thread = threading.Thread(target=self._run, name="sim-reader", daemon=True)

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        """Power on: serve in background threads; startup URC after boot_delay."""
        self._scheduler.start()
        with self._cv:
            self._booting = True
        self.trace.note(f"power on, dialect {self.dialect.name}")
        self._schedule_boot_end(0, None)
        self._thread.start()
        return self

    def stop(self):
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        self._scheduler.stop()
        interrupt = getattr(self.transport, "interrupt", None)
        if interrupt:
            interrupt()  # wake a reader blocked in read()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        self.dialect.release(self.state, wait=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- public API ----------------------------------------------------------

    def urc(self, text, epoch=None):
        """Emit a URC now (between other units, never inside one)."""
        return self._emit(self.dialect.frame(text), "urc", epoch)

    def async_urc(self, text, epoch=None, hold=None):
        """Emit a URC caused by something outside the command flow (network
        events): at once when the modem is idle; while a command is being
        answered, held back until its final result when `hold` (default: the
        dialect's urc_hold), so it never lands between a command's echo and
        its final result, else sent at once between two output units.  Held
        URCs keep their order."""
        if hold is None:
            hold = self.dialect.urc_hold
        with self._held_lock:
            if self._answering and (hold or self._held):
                self._held.append((text, epoch))
                return True
            return self.urc(text, epoch)

    def raw(self, data):
        return self._emit(bytes(data), "raw")

    def reboot(self, reason="reboot", delay=None):
        """Simulated reboot: abandon running work and partial input, restore
        power-on settings, send the startup URC after `delay` (boot_delay)."""
        with self._out_lock:  # no old-epoch output can follow the reboot
            with self._cv:
                self._epoch += 1
                epoch = self._epoch
                self._booting = True
                self.echo = self.default_echo
                self.cmee = self.default_cmee
                old_state, self.state = self.state, self.dialect.initial_state()
                self._cv.notify_all()
            self._count("reboots", 1)
            self.trace.note(f"reboot ({reason})")
        self.dialect.release(old_state, wait=False)
        self._schedule_boot_end(epoch, delay)

    def set_fault(self, name, value):
        self.faults.set(name, value)
        self.trace.note(f"fault switch {name} = {value}")

    def stats(self):
        with self._stats_lock:
            result = dict(self._stats)
        result["faults"] = self.faults.snapshot_counts()
        result["fault_settings"] = self.faults.settings()
        result["echo"] = self.echo
        result["cmee"] = self.cmee
        return result

    def commands(self):
        """Every command line received so far (from 'AT' on, payload included)."""
        with self._stats_lock:
            return list(self._commands)

    def drop_links(self, what):
        """The network drops connections of the current state (see
        Dialect.drop_links); the modem reports it as it would a real loss."""
        dropped = self.dialect.drop_links(self.state, what)
        self.trace.note(f"links dropped by the network ({what}): {dropped}")
        return dropped

    def call_later(self, delay, fn, epoch=None):
        """Run fn() in the timer thread after `delay` seconds; if `epoch` is
        given, skip it when the modem rebooted meanwhile."""
        def run():
            if epoch is None or epoch == self._epoch:
                fn()
        self._scheduler.call_later(delay, run)

    # -- boot ----------------------------------------------------------------

    def _schedule_boot_end(self, epoch, delay):
        delay = self.options.boot_delay if delay is None else delay
        self._scheduler.call_later(delay, lambda: self._finish_boot(epoch))

    def _finish_boot(self, epoch):
        with self._cv:
            if epoch != self._epoch or self._stopping:
                return
            # Cleared before the URC goes out, so a host that waits for the
            # URC can never have its next command dropped as boot noise.
            self._booting = False
        if self.dialect.startup_urc is not None:
            self.urc(self.dialect.startup_urc, epoch)
        self.dialect.after_boot(self, epoch)

    # -- output ----------------------------------------------------------------

    def _emit(self, data, kind, epoch=None):
        """Write one unit through the fault layer; False if `epoch` is stale."""
        with self._out_lock:
            if epoch is not None and epoch != self._epoch:
                return False
            if kind == "prompt" and self.faults.prompt_lost():
                self.trace.fault("lose-prompts: a data prompt lost on the wire")
                return True
            junk = self.faults.garbage()
            if junk:
                self.trace.fault(junk[1])
                self._write(junk[0])
            out, notes = self.faults.mangle(data)
            for note in notes:
                self.trace.fault(note)
            self._write(self._wake_glitch() + out)
            return True

    def _wake_glitch(self):
        """The dialect's wake bytes when this output is the first after an
        idle spell (the module slept), else b"".  Under _out_lock."""
        after = self.dialect.wake_glitch_after
        if not after or not self.dialect.wake_glitch:
            self._woke = False
            return b""
        idle = time.monotonic() - self._last_traffic
        if not self._woke and idle < after:
            return b""
        self._woke = False
        self.trace.note(f"wake after {idle:.1f} s idle: {escape(self.dialect.wake_glitch)} first")
        return self.dialect.wake_glitch

    def _cut_and_reboot(self, data, epoch):
        """reboot-after-cmds: send the first half of a unit, then reboot."""
        with self._out_lock:
            if epoch != self._epoch:
                return
            part = data[:max(1, len(data) // 2)] if data else b""
            self.trace.fault(f"reboot-after-cmds: response cut after {len(part)} of {len(data)} bytes")
            out, notes = self.faults.mangle(part)
            for note in notes:
                self.trace.fault(note)
            self._write(out)
            self.reboot("reboot-after-cmds")

    def _write(self, data):
        if not data:
            return
        # Traced and counted before writing: the host may react (and ask for
        # stats) before write() even returns; corrected below if cut short.
        self.trace.modem(data)
        self._count("bytes_out", len(data))
        self._last_traffic = time.monotonic()
        try:
            n = self.transport.write(data)
        except (OSError, ValueError) as exc:  # transport closed under us
            n = 0
            self.trace.note(f"write failed: {exc}")
        if n < len(data):
            self._count("bytes_out", n - len(data))
            self.trace.note(f"{len(data) - n} output bytes lost (host not reading?)")

    def _count(self, key, delta):
        with self._stats_lock:
            self._stats[key] += delta

    # -- input -----------------------------------------------------------------

    def _check_alive(self):
        if self._stopping:
            raise Shutdown()
        if self._epoch != self._rx_epoch:
            raise Rebooted()

    def _fill(self, timeout):
        """Read what the transport has (waiting up to timeout) into _rx."""
        self._check_alive()
        data = self.transport.read(timeout)
        if data:
            now = time.monotonic()
            after = self.dialect.wake_glitch_after
            if after and now - self._last_traffic >= after:
                self._woke = True   # the host woke the module: its answer carries the glitch
            self._last_traffic = now
            self._count("bytes_in", len(data))
            self.trace.host(data)
            if self._booting:
                self.trace.note(f"{len(data)} input bytes ignored while booting")
            elif self._epoch != self._rx_epoch:
                # Rebooted and already booted while we waited: these bytes are
                # the first input of the new epoch; keep them across _resync.
                self._carry += data
            else:
                self._rx += data
        self._check_alive()

    def _resync(self):
        """Start over in command mode after a reboot."""
        with self._cv:
            self._rx_epoch = self._epoch
        self._rx = bytearray(self._carry)
        self._carry = b""

    def _next_byte(self):
        while not self._rx:
            self._fill(READ_TICK)
        b = self._rx[0]
        del self._rx[0]
        return b

    def _read_exact(self, n, timeout):
        """n raw bytes, or None (bytes so far discarded) after `timeout`
        seconds without progress.  Inactivity rather than total time, so a
        64 KiB payload over a slow real UART is not cut short."""
        last_progress = time.monotonic()
        while len(self._rx) < n:
            have = len(self._rx)
            remaining = timeout - (time.monotonic() - last_progress)
            if remaining <= 0:
                self.trace.note(f"payload timeout: {have} of {n} bytes received, discarded")
                self._rx.clear()
                return None
            self._fill(min(READ_TICK, remaining))
            if len(self._rx) > have:
                last_progress = time.monotonic()
        data = bytes(self._rx[:n])
        del self._rx[:n]
        return data

    def _swallow(self, byte, timeout):
        value = to_bytes(byte)[0]
        deadline = time.monotonic() + timeout
        while not self._rx:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._fill(min(READ_TICK, remaining))
        if self._rx[0] == value:
            del self._rx[0]
            return True
        return False

    def _sleep(self, seconds, epoch):
        """Sleep in a handler; a reboot or stop ends it early by exception."""
        end = time.monotonic() + seconds
        with self._cv:
            while True:
                if self._stopping:
                    raise Shutdown()
                if self._epoch != epoch:
                    raise Rebooted()
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return
                self._cv.wait(remaining)

    # -- the reader loop -------------------------------------------------------

    def _run(self):
        while True:
            try:
                line = self._read_line()
                self._dispatch(line)
            except Rebooted:
                self._resync()
            except Shutdown:
                return
            except OSError as exc:  # transport gone: nothing left to serve
                self.trace.note(f"transport error, reader stops: {exc}")
                return
            except Exception as exc:  # a core bug: report it, keep serving
                traceback.print_exc()
                self.trace.note(f"internal error, line dropped: {exc!r}")

    def _read_line(self):
        """Assemble one line up to CR or LF, reading inline payloads."""
        text = bytearray()
        overflow = False
        payload = split = None
        while True:
            b = self._next_byte()
            if b == CR or b == LF:
                if b == CR and self._rx[:1] == b"\n":
                    # CR LF sent together is one terminator; otherwise the
                    # LF would become the first payload byte after a prompt.
                    del self._rx[0]
                return _Line(bytes(text), payload, split, overflow)
            if overflow:
                continue
            text.append(b)
            if len(text) > self.dialect.max_line:
                overflow = True  # keep swallowing until the line ends
                continue
            if payload is None and self.dialect.has_inline:
                n = self._inline_length(bytes(text))
                if n is not None:
                    split = len(text)
                    payload = self._read_exact(n, self.dialect.payload_timeout)
                    if payload is None:
                        return _Line(bytes(text), None, split, timed_out=True)

    def _inline_length(self, text):
        at = find_at(text)
        if at is None:
            return None
        req = self.dialect.parse(text[at:].decode("latin-1"))
        if req is None or req.op != "set":
            return None
        cmd = self.dialect.lookup(req)
        if cmd is None or cmd.inline is None:
            return None
        return cmd.inline(req.args)

    def _record(self, command):
        with self._stats_lock:
            self._commands.append(command)
            self._stats["commands_seen"] += 1

    def _dispatch(self, line):
        ctx = Context(self, None, self._rx_epoch)
        if line.overflow:
            self.trace.note(f"line longer than {self.dialect.max_line} bytes discarded")
            ctx.final(self.dialect.plain_error)
            return
        at = find_at(line.text)
        if at is None:
            if line.text:
                self.trace.note("line without AT ignored")
            return

        split = line.split if line.split is not None else len(line.text)
        head, tail = line.text[at:split], line.text[split:]
        self._record((head + (line.payload or b"") + tail).decode("latin-1"))
        ctx.cut_pending = self.faults.command_seen()
        self._set_answering(True)
        try:
            if self.echo:
                ctx.send(self.dialect.echo(line.text), "echo")
            if line.timed_out:
                ctx.final(self.dialect.plain_error)
            else:
                self._run_handler(ctx, head.decode("latin-1"), line.payload, tail.decode("latin-1"))
            if ctx.cut_pending:  # armed, but the command produced no output
                self._cut_and_reboot(b"", ctx.epoch)
                raise Rebooted()
        finally:
            self._set_answering(False)

    def _set_answering(self, answering):
        """Mark a command as being answered; on the way out release the
        URCs async_urc() held meanwhile (stale-epoch ones are dropped)."""
        with self._held_lock:
            self._answering = answering
            if answering:
                return
            held, self._held = self._held, []
            for text, epoch in held:
                self.urc(text, epoch)

    def _run_handler(self, ctx, head, payload, tail):
        req = self.dialect.parse(head)
        req.payload = payload
        req.tail = tail
        req.line = head + tail
        ctx.request = req
        cmd = self.dialect.lookup(req)
        try:
            if cmd is None:
                self.dialect.unknown_command(ctx, req)
            else:
                cmd.handler(ctx, req)
        except (Rebooted, Shutdown):
            raise
        except Exception:  # a handler bug must look like an error, not a hang
            traceback.print_exc()
            self.trace.note(f"handler failed for {req.line!r}: see stderr")
            ctx.final(self.dialect.plain_error)
