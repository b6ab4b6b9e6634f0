"""Transports: the pty is raw and 8-bit clean; SerialTransport works on a pty."""

import os
import select
import termios
import time

from sim.common.core import Modem, SerialTransport
from sim.dialects.generic import GenericDialect
from sim.common.testing import PtyPort
from sim.common.transport import PtyTransport

OK = b"\r\nOK\r\n"


def read_fd_until(fd, suffix, timeout=5.0):
    deadline = time.monotonic() + timeout
    got = b""
    while not got.endswith(suffix):
        assert time.monotonic() < deadline, f"timeout, got {got!r}"
        if select.select([fd], [], [], 0.1)[0]:
            got += os.read(fd, 1024)
    return got


def test_pty_slave_is_raw():
    t = PtyTransport()
    try:
        with PtyPort(t.slave_path) as port:
            iflag, oflag, _, lflag = termios.tcgetattr(port.fd)[0:4]
        assert not lflag & (termios.ECHO | termios.ICANON | termios.ISIG)
        assert not iflag & (termios.ICRNL | termios.IXON | termios.INLCR | termios.IGNCR)
        assert not oflag & termios.OPOST
    finally:
        t.close()


def test_pty_stays_raw_when_a_host_turns_opost_on():
    """A host that re-enables output processing (older QEMU tty chardevs do)
    must still send LF as LF, or binary payloads change length."""
    t = PtyTransport()
    try:
        with PtyPort(t.slave_path) as port:
            attrs = termios.tcgetattr(port.fd)
            attrs[1] |= termios.OPOST
            termios.tcsetattr(port.fd, termios.TCSANOW, attrs)
            port.write(b"a\nb\r\n")
            got = b""
            deadline = time.monotonic() + 5
            while len(got) < 5 and time.monotonic() < deadline:
                got += t.read(0.1)
            assert got == b"a\nb\r\n"
    finally:
        t.close()


def test_pty_passes_every_byte_value_both_ways():
    t = PtyTransport()
    try:
        with PtyPort(t.slave_path) as port:
            everything = bytes(range(256))
            port.write(everything)
            got = b""
            deadline = time.monotonic() + 5
            while len(got) < 256 and time.monotonic() < deadline:
                got += t.read(0.1)
            assert got == everything
            assert t.write(everything) == 256
            assert port.read_exactly(256) == everything
    finally:
        t.close()


def test_serial_transport_on_a_pty():
    """pyserial opens a pty slave like any tty: the host is the master."""
    master, slave = os.openpty()
    serial_transport = SerialTransport(os.ttyname(slave), 115200)
    modem = Modem(GenericDialect(), serial_transport).start()
    try:
        read_fd_until(master, b"+SYSSTART\r\n")
        os.write(master, b"ATE0\rAT+GMR\r")
        got = read_fd_until(master, b"1.0.0\r\n" + OK)
        assert got == b"ATE0\r" + OK + b"\r\n1.0.0\r\n" + OK
    finally:
        modem.stop()
        serial_transport.close()
        os.close(master)
        os.close(slave)
