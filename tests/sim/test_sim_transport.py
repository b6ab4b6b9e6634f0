"""Transports: the pty is raw, SerialTransport works (on a pty), links."""

import os
import termios

from sim.core import Modem, SerialTransport
from sim.generic import GenericDialect
from sim.testing import PtyPort
from sim.transport import PtyTransport

OK = b"\r\nOK\r\n"


def test_pty_slave_is_raw():
    t = PtyTransport()
    try:
        iflag, oflag, _, lflag = termios.tcgetattr(os.open(t.slave_path, os.O_RDWR | os.O_NOCTTY))[0:4]
        assert not lflag & (termios.ECHO | termios.ICANON | termios.ISIG)
        assert not iflag & (termios.ICRNL | termios.IXON | termios.INLCR | termios.IGNCR)
        assert not oflag & termios.OPOST
    finally:
        t.close()


def test_pty_passes_every_byte_value_both_ways():
    t = PtyTransport()
    try:
        with PtyPort(t.slave_path) as port:
            everything = bytes(range(256))
            port.write(everything)
            got = b""
            while len(got) < 256:
                got += t.read(1.0)
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
        got = b""
        while not got.endswith(b"+SYSSTART\r\n"):
            got += os.read(master, 1024)
        os.write(master, b"ATE0\rAT+GMR\r")
        got = b""
        while not got.endswith(b"1.0.0\r\n" + OK):
            got += os.read(master, 1024)
        assert got == b"ATE0\r" + OK + b"\r\n1.0.0\r\n" + OK
    finally:
        modem.stop()
        serial_transport.close()
        os.close(master)
        os.close(slave)
