"""Helpers for tests and harnesses that drive the simulator.

    with SimProcess("--echo", "off") as sim:       # python3 -m sim subprocess
        port = sim.open_port()
        port.write(b"AT\r")
        port.read_until(b"\r\nOK\r\n")
        sim.control("urc", text="+FOO: 1")

    with InProcessSim(GenericDialect()) as sim:     # same process, faster
        sim.port.command(b"ATI")

Reads always wait for an expected byte sequence (or a given quiet time), so
tests do not depend on scheduling luck.
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time

from .core import Modem, Options, Tracer
from .faults import Faults
from .transport import PtyTransport

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class PtyPort:
    """The host side: a non-blocking descriptor on the pty slave."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.buffer = bytearray()  # received but not yet returned

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def write(self, data, timeout=10.0):
        view = memoryview(bytes(data))
        deadline = time.monotonic() + timeout
        while view:
            try:
                n = os.write(self.fd, view)
                view = view[n:]
                continue
            except BlockingIOError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"write stalled with {len(view)} bytes left")
            select.select([], [self.fd], [], 0.05)

    def _fill(self, timeout):
        """Append whatever arrives within timeout; True if anything did."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return False
        self.buffer += data
        return bool(data)

    def _take(self, n):
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def read_until(self, pattern, timeout=5.0):
        """Everything up to and including the first `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.buffer.find(pattern)
            if i >= 0:
                return self._take(i + len(pattern))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{pattern!r} not seen within {timeout}s; "
                                   f"got {bytes(self.buffer)[-400:]!r}")
            self._fill(min(remaining, 0.1))

    def read_exactly(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"only {len(self.buffer)} of {n} bytes within {timeout}s")
            self._fill(min(remaining, 0.1))
        return self._take(n)

    def read_for(self, seconds):
        """Everything that arrives within `seconds` (plus what is buffered)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self._fill(min(remaining, 0.1))
        return self._take(len(self.buffer))

    def read_quiet(self, quiet=0.3, timeout=10.0):
        """Everything until nothing arrives for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._fill(quiet):
            pass
        return self._take(len(self.buffer))

    def discard_input(self):
        termios.tcflush(self.fd, termios.TCIFLUSH)
        self.buffer.clear()

    def command(self, line, expect=b"\r\nOK\r\n", timeout=5.0):
        """Send `line` + CR, return the output up to and including `expect`."""
        self.write(bytes(line) + b"\r")
        return self.read_until(expect, timeout)


class InProcessSim:
    """A Modem on a fresh pty in this process, plus a PtyPort on it.

    By default waits for the dialect's startup URC so tests start in sync.
    """

    def __init__(self, dialect=None, options=None, faults=None, trace=None, wait_ready=True):
        if dialect is None:
            from ..dialects.generic import GenericDialect
            dialect = GenericDialect()
        self.dialect = dialect
        self.options = options or Options()
        self.faults = faults or Faults()
        self.trace = trace
        self.wait_ready = wait_ready
        self.modem = self.port = self.transport = None

    def __enter__(self):
        self.transport = PtyTransport()
        try:
            self.modem = Modem(self.dialect, self.transport, self.options, self.faults,
                               self.trace or Tracer(None)).start()
            self.port = PtyPort(self.transport.slave_path)
            if self.wait_ready and self.dialect.startup_urc is not None:
                self.port.read_until(self.dialect.frame(self.dialect.startup_urc), timeout=5.0)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.port:
            self.port.close()
        if self.modem:
            self.modem.stop()
        self.transport.close()


def dialect_extra_args(args):
    """Extra simulator arguments for every SimProcess of one dialect, from the
    environment: SM_SIM_<DIALECT>_ARGS (e.g. SM_SIM_SEQUANS_ARGS="--option
    dial-error=cme"), split like a shell would.  The word --legacy there
    stands for the dialect's LEGACY_OPTIONS and --echo on (sim/dialects/sequans.py):
    the simulator as it was before its defaults followed the real module.
    Lets every runner (tests/run_*.py) run against a variant unchanged."""
    import shlex
    dialect = "generic"
    for i, arg in enumerate(args[:-1]):
        if arg == "--dialect":
            dialect = args[i + 1]
    words = shlex.split(os.environ.get(f"SM_SIM_{dialect.upper()}_ARGS", ""))
    out = []
    for word in words:
        if word == "--legacy":
            import importlib
            module = importlib.import_module(f"..dialects.{dialect}", __package__)
            out += ["--echo", "on"]
            for setting in getattr(module, "LEGACY_OPTIONS", ()):
                out += ["--option", setting]
        else:
            out.append(word)
    return out


class ChildProcess:
    """`with` for a child process: start() on entry (stop() too when start
    fails halfway), stop() on exit. Subclasses define both."""

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()


class SimProcess(ChildProcess):
    """`python3 -m sim --pty --control <tmp>/control.sock ARGS...` as a child,
    plus SM_SIM_<DIALECT>_ARGS from the environment (dialect_extra_args).

    Attributes once started: pty_path, control_path, proc, tmpdir.  Always
    terminated (SIGTERM, then SIGKILL) and cleaned up on exit.
    """

    def __init__(self, *args, python=None, control=True, startup_timeout=10.0):
        self.args = [str(a) for a in args]
        self.python = python or sys.executable
        self.use_control = control
        self.startup_timeout = startup_timeout
        self.proc = self.pty_path = self.control_path = self.tmpdir = None
        self.returncode = None
        self._stdout_rest = bytearray()
        self._drain = None
        self._ports = []

    # -- lifecycle -------------------------------------------------------------

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix="secmodem-sim-")
        cmd = [self.python, "-m", "sim", "--pty"]
        if self.use_control:
            self.control_path = os.path.join(self.tmpdir, "control.sock")
            cmd += ["--control", self.control_path]
        cmd += self.args + dialect_extra_args(self.args)
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        self._stderr = open(os.path.join(self.tmpdir, "stderr.log"), "wb")
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._stderr)
        first = self._read_first_line()
        if not first.startswith(b"PTY "):
            raise RuntimeError(f"unexpected first line {first!r}; stderr: {self.stderr()!r}")
        self.pty_path = first[4:].decode().strip()
        # Keep draining stdout (e.g. '--trace -') so the child never blocks.
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()
        return self

    def _read_first_line(self):
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.startup_timeout
        data = bytearray()
        while b"\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"simulator did not announce its pty within "
                                   f"{self.startup_timeout}s; got {bytes(data)!r}")
            if select.select([fd], [], [], min(remaining, 0.1))[0]:
                chunk = os.read(fd, 4096)
                if not chunk:  # EOF: the child died before announcing
                    self.proc.wait(5.0)
                    raise RuntimeError(f"simulator exited ({self.proc.returncode}): "
                                       f"{self.stderr().decode(errors='replace')}")
                data += chunk
        line, _, rest = bytes(data).partition(b"\n")
        self._stdout_rest += rest
        return line

    def _drain_stdout(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self._stdout_rest += chunk

    def stop(self, timeout=5.0):
        """SIGTERM, wait, SIGKILL if needed; returns the exit code."""
        for port in self._ports:
            port.close()
        self._ports = []
        if self.proc is not None and self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.returncode = self.proc.returncode
            if self._drain:
                self._drain.join(2.0)
            self.proc.stdout.close()
            self._stderr.close()
        if self.tmpdir:
            self._stderr_text = self.stderr()
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        return self.returncode

    # -- access ------------------------------------------------------------------

    def open_port(self):
        port = PtyPort(self.pty_path)
        self._ports.append(port)
        return port

    def stdout(self):
        """Child stdout after the PTY line (e.g. '--trace -' output)."""
        return bytes(self._stdout_rest)

    def stderr(self):
        if self.tmpdir:
            try:
                with open(os.path.join(self.tmpdir, "stderr.log"), "rb") as f:
                    return f.read()
            except OSError:
                return b""
        return getattr(self, "_stderr_text", b"")

    def control(self, cmd, timeout=5.0, **fields):
        """Send one control request; returns the decoded reply."""
        return control_request(self.control_path, {"cmd": cmd, **fields}, timeout)


def wait_for(predicate, timeout=5.0, interval=0.02):
    """Poll until predicate() is truthy; returns its value or raises."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)


def control_request(path, request, timeout=5.0):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(json.dumps(request).encode() + b"\n")
        reply = bytearray()
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("control socket closed without a reply")
            reply += chunk
    return json.loads(reply)


class AteccProcess(ChildProcess):
    """`python3 -m sim.chips.atecc --socket <tmp>/atecc.sock ARGS...` as a child.

    Attribute once started: socket_path. Always terminated and cleaned up.
    """

    def __init__(self, *args, python=None, startup_timeout=10.0):
        self.args = [str(a) for a in args]
        self.python = python or sys.executable
        self.startup_timeout = startup_timeout
        self.proc = self.socket_path = self.tmpdir = None

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix="secmodem-atecc-")
        self.socket_path = os.path.join(self.tmpdir, "atecc.sock")
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        self._stderr = open(os.path.join(self.tmpdir, "stderr.log"), "wb")
        self.proc = subprocess.Popen(
            [self.python, "-m", "sim.chips.atecc", "--socket", self.socket_path] + self.args,
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._stderr)
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.startup_timeout
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise RuntimeError(f"emulator not ready within {self.startup_timeout}s")
            chunk = os.read(fd, 1)
            if not chunk:
                raise RuntimeError(f"emulator exited: {self.stderr().decode(errors='replace')}")
            line += chunk
        if line.strip() != f"ATECC608 READY {self.socket_path}".encode():
            raise RuntimeError(f"unexpected first line {line!r}")
        return self

    def stderr(self):
        try:
            with open(os.path.join(self.tmpdir, "stderr.log"), "rb") as f:
                return f.read()
        except (OSError, TypeError):
            return b""

    def stop(self, timeout=5.0):
        code = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            code = self.proc.returncode
            self.proc.stdout.close()
            self._stderr.close()
            self.proc = None
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        return code
