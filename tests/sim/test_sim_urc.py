"""URC emission: timing, interleaving, atomicity, and loss on reboot."""

import threading
import time
import zlib

OK = b"\r\nOK\r\n"


def test_urc_right_after_ok(quiet_sim):
    port = quiet_sim.port
    assert port.command(b"AT+URC=+HELLO: 1", expect=b"+HELLO: 1\r\n") == \
        OK + b"\r\n+HELLO: 1\r\n"
    assert port.command(b"AT+URC=+HELLO: 2,0", expect=b"+HELLO: 2\r\n") == \
        OK + b"\r\n+HELLO: 2\r\n"


def test_urc_after_delay(quiet_sim):
    port = quiet_sim.port
    start = time.monotonic()
    assert port.command(b"AT+URC=+LATER: 7,300") == OK  # OK comes first
    assert port.read_until(b"\r\n+LATER: 7\r\n", timeout=5) == b"\r\n+LATER: 7\r\n"
    assert time.monotonic() - start >= 0.3


def test_urc_text_keeps_non_numeric_last_field(quiet_sim):
    port = quiet_sim.port
    assert port.command(b"AT+URC=+X: 1,abc", expect=b"abc\r\n") == OK + b"\r\n+X: 1,abc\r\n"
    assert port.command(b"AT+URC=+Y: 1,2,3", expect=b"\r\n+Y: 1,2\r\n") == \
        OK + b"\r\n+Y: 1,2\r\n"


def test_urcin_interleaves_urcs_and_response_lines(quiet_sim):
    out = quiet_sim.port.command(b"AT+URCIN=3")
    assert out == (b"\r\n+TICK: 0\r\n\r\n+URCIN: 0\r\n"
                   b"\r\n+TICK: 1\r\n\r\n+URCIN: 1\r\n"
                   b"\r\n+TICK: 2\r\n\r\n+URCIN: 2\r\n"
                   b"\r\n+TICK: 3\r\n" + OK)
    assert quiet_sim.port.command(b"AT+URCIN=0") == b"\r\n+TICK: 0\r\n" + OK


def test_pending_urc_is_lost_on_reboot(quiet_sim):
    port = quiet_sim.port
    port.command(b"AT+URC=+NEVER,800")
    quiet_sim.modem.reboot("test")
    assert port.read_until(b"\r\n+SYSSTART\r\n") == b"\r\n+SYSSTART\r\n"
    assert port.read_for(1.0) == b""


def test_concurrent_urcs_never_split_response_lines(quiet_sim):
    """Hammer URCs from another thread during a long response: every unit
    must arrive whole, so the stream splits cleanly into framed lines."""
    port = quiet_sim.port
    stop = threading.Event()

    def spam():
        while not stop.is_set():
            quiet_sim.modem.urc("+SPAM: 123456789")
            time.sleep(0.0005)

    t = threading.Thread(target=spam)
    t.start()
    try:
        out = port.command(b"AT+LINES=300")
    finally:
        stop.set()
        t.join()
    out += port.read_for(0.2)
    assert out.startswith(b"\r\n") and out.endswith(b"\r\n")
    lines = out[2:-2].split(b"\r\n\r\n")
    assert all(line in (b"+SPAM: 123456789", b"OK") or line.startswith(b"+LINES: ")
               for line in lines)
    assert [line for line in lines if line.startswith(b"+LINES")] == \
        [b"+LINES: %d" % i for i in range(300)]


def test_async_urc_is_held_until_the_command_ends(quiet_sim):
    """Modem.async_urc (network events) never lands inside an answer: not
    between echo and final result, not while a prompt waits for data."""
    port, modem = quiet_sim.port, quiet_sim.modem
    port.write(b"AT+SEND=4\r")
    assert port.read_until(b"\r\n> ") == b"\r\n> "
    modem.async_urc("+NET: 1")
    modem.async_urc("+NET: 2")
    assert port.read_for(0.2) == b""
    port.write(b"data")
    crc = b"%08x" % (zlib.crc32(b"data") & 0xFFFFFFFF)
    assert port.read_until(b"+NET: 2\r\n") == (b"\r\n+SEND: 4," + crc + b"\r\n" + OK +
                                               b"\r\n+NET: 1\r\n\r\n+NET: 2\r\n")
    assert modem.async_urc("+NET: 3")                        # idle: at once
    assert port.read_until(b"+NET: 3\r\n") == b"\r\n+NET: 3\r\n"


def test_async_urc_of_an_old_epoch_is_dropped(quiet_sim):
    port, modem = quiet_sim.port, quiet_sim.modem
    port.write(b"AT+SLOW=300\r")
    time.sleep(0.05)
    epoch = 0
    modem.async_urc("+STALE", epoch=epoch)
    modem.reboot("test")
    assert port.read_until(b"\r\n+SYSSTART\r\n").endswith(b"\r\n+SYSSTART\r\n")
    assert b"+STALE" not in port.read_for(0.5)


def test_release_hook_runs_on_reboot_and_stop(make_sim):
    from sim.dialects.generic import GenericDialect

    class Tracking(GenericDialect):
        released = []

        def initial_state(self):
            return {"data": b"", "id": object()}

        def release(self, state, wait):
            self.released.append((state["id"], wait))

    s = make_sim(Tracking())
    first = s.modem.state["id"]
    s.modem.reboot("test")
    s.port.read_until(b"\r\n+SYSSTART\r\n")
    second = s.modem.state["id"]
    s.modem.stop()
    assert Tracking.released == [(first, False), (second, True)]
