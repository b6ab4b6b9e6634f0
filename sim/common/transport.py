"""Byte transports between the simulated modem and the host.

A transport has three methods:

    read(timeout)  -> bytes   (b"" when nothing arrived within timeout)
    write(data)    -> int     (bytes actually written; short only if stalled)
    interrupt()               (optional: make a blocked read() return now)
    close()
"""

import errno
import os
import select
import termios
import time

# Give up on a write when the host has not drained a single byte for this
# long: a UART with nobody listening just loses the bytes, and blocking the
# whole modem forever would hide that from the trace.
WRITE_STALL_TIMEOUT = 3.0


def make_raw(fd):
    """Put a tty in fully raw 8-bit mode (like cfmakeraw).

    tty.setraw leaves a few input flags (IXOFF, INLCR, IGNCR...) alone; any of
    them would alter binary payloads, so clear them all explicitly.
    """
    attrs = termios.tcgetattr(fd)
    iflag, oflag, cflag, lflag = attrs[0:4]
    iflag &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP
               | termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON
               | termios.IXOFF | termios.IXANY | termios.INPCK)
    # No output translation even if a host turns OPOST back on: QEMU's tty
    # chardev did (older versions' tty_serial_init set OPOST), and a fresh pty
    # has ONLCR set, which would turn every LF the host sends into CR LF.
    oflag &= ~(termios.OPOST | termios.ONLCR | termios.OCRNL | termios.ONOCR | termios.ONLRET)
    lflag &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
    cflag &= ~(termios.CSIZE | termios.PARENB)
    cflag |= termios.CS8
    attrs[0:4] = [iflag, oflag, cflag, lflag]
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class _Interruptible:
    """A self-pipe, so stop() need not wait for a read timeout to expire."""

    def __init__(self):
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def interrupt(self):
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # pipe full (already interrupted) or closed

    def _wait_readable(self, fd, timeout):
        ready, _, _ = select.select([fd, self._wake_r], [], [], timeout)
        if self._wake_r in ready:
            try:
                os.read(self._wake_r, 64)
            except OSError:
                pass
        return fd in ready

    def _close_wakeup(self):
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass


class PtyTransport(_Interruptible):
    """A pseudo-terminal; the host opens ``slave_path`` like a serial port.

    The simulator keeps its own descriptor on the slave side open for its
    whole life.  Without it, Linux reports EIO/HUP on the master whenever the
    host has the port closed (e.g. between two test programs), and the tty
    settings could be lost.  A side effect is that output produced while no
    host is attached (e.g. the startup URC) waits in the pty buffer.
    """

    def __init__(self, link=None):
        super().__init__()
        self.master, self._slave = os.openpty()
        make_raw(self._slave)
        os.set_blocking(self.master, False)
        self.slave_path = os.ttyname(self._slave)
        self.link = None
        if link:
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(self.slave_path, link)
            self.link = link

    def read(self, timeout):
        try:
            if not self._wait_readable(self.master, timeout):
                return b""
            return os.read(self.master, 65536)
        except BlockingIOError:
            return b""
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            time.sleep(timeout)  # no slave side open: nothing to read
            return b""

    def write(self, data):
        return _write_nonblocking(self.master, data)

    def close(self):
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self._close_wakeup()
        if self.link:
            try:
                if os.path.islink(self.link):
                    os.unlink(self.link)
            except OSError:
                pass
            self.link = None


def _write_nonblocking(fd, data):
    """Write all of data to a non-blocking fd unless the reader stalls."""
    view = memoryview(data)
    done = 0
    last_progress = time.monotonic()
    while done < len(view):
        try:
            n = os.write(fd, view[done:])
        except BlockingIOError:
            n = 0
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            n = 0
        if n:
            done += n
            last_progress = time.monotonic()
            continue
        if time.monotonic() - last_progress > WRITE_STALL_TIMEOUT:
            break
        select.select([], [fd], [], 0.05)
    return done


class SerialTransport(_Interruptible):
    """A real serial port (e.g. a USB-UART wired to a board) via pyserial."""

    def __init__(self, port, baudrate=115200, rtscts=False):
        import serial  # Debian python3-serial; only needed for real ports

        super().__init__()
        # rtscts: hardware flow control, for a UART wired with RTS/CTS
        self._serial = serial.Serial(port, baudrate=baudrate, timeout=0, rtscts=rtscts,
                                     write_timeout=WRITE_STALL_TIMEOUT)
        self.port = port

    def read(self, timeout):
        # select() on the descriptor gives an exact timeout without having to
        # reconfigure the port (pyserial's timeout setter rewrites termios).
        if not self._wait_readable(self._serial.fileno(), timeout):
            return b""
        return self._serial.read(max(1, self._serial.in_waiting))

    def write(self, data):
        import serial

        try:
            n = self._serial.write(data)
            self._serial.flush()
            return len(data) if n is None else n
        except serial.SerialTimeoutException:
            return 0

    def close(self):
        self._serial.close()
        self._close_wakeup()
