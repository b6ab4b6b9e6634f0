"""Prompt/data mode, raw reads, inline payloads and garbage output."""

import random
import time
import zlib

from sim.dialects.generic import DEFAULT_PATTERN, GenericDialect

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
PROMPT = b"\r\n> "
# Binary payload full of things that look like protocol elements.
NASTY = b"a\r\nOK\r\n\x00> \r\x00\xff\nERROR\r\n+CME ERROR: 4\r\n\x11\x13\x03\x1a\x04"


def crc(data):
    return b"%08x" % (zlib.crc32(data) & 0xFFFFFFFF)


def send_data(port, data, trailer=b""):
    port.write(b"AT+SEND=%d\r" % len(data))
    assert port.read_until(PROMPT) == PROMPT
    port.write(data + trailer)
    return port.read_until(OK)


def test_send_binary_data_exactly(quiet_sim):
    reply = send_data(quiet_sim.port, NASTY)
    assert reply == b"\r\n+SEND: %d,%s\r\n" % (len(NASTY), crc(NASTY)) + OK
    assert quiet_sim.modem.state["data"] == NASTY
    assert quiet_sim.port.command(b"AT") == OK
    # The payload is data, not commands: only the two real lines were seen.
    assert quiet_sim.modem.commands() == ["ATE0", "AT+SEND=%d" % len(NASTY), "AT"]


def test_send_echoes_command_but_not_payload(sim):
    port = sim.port
    port.write(b"AT+SEND=3\r")
    assert port.read_until(PROMPT) == b"AT+SEND=3\r" + PROMPT
    port.write(b"A\rT")
    assert port.read_until(OK) == b"\r\n+SEND: 3,%s\r\n" % crc(b"A\rT") + OK


def test_send_command_ending_in_cr_lf(quiet_sim):
    port = quiet_sim.port
    port.write(b"AT+SEND=3\r\n")  # the LF belongs to the command line
    port.read_until(PROMPT)
    port.write(b"\n\r\n")
    assert port.read_until(OK) == b"\r\n+SEND: 3,%s\r\n" % crc(b"\n\r\n") + OK


def test_send_trailing_cr_is_swallowed(quiet_sim):
    port = quiet_sim.port
    send_data(port, b"12345", trailer=b"\r")
    # Had the CR been taken as a line, nothing would show; check the modem
    # state directly: exactly one command line after the payload.
    assert port.command(b"AT") == OK
    assert quiet_sim.modem.commands()[-2:] == ["AT+SEND=5", "AT"]


def test_send_without_trailing_cr_then_next_command(quiet_sim):
    port = quiet_sim.port
    port.write(b"AT+SEND=2\r")
    port.read_until(PROMPT)
    # The payload is two CRs; the third CR is the optional one, swallowed.
    port.write(b"\r\r\rAT+GMR\r")
    assert port.read_until(OK) == b"\r\n+SEND: 2,%s\r\n" % crc(b"\r\r") + OK
    assert port.read_until(OK) == b"\r\n1.0.0\r\n" + OK


def test_send_only_one_cr_is_swallowed(quiet_sim):
    port = quiet_sim.port
    send_data(port, b"xy", trailer=b"\r\rAT\r")
    assert port.read_until(OK) == OK
    assert quiet_sim.modem.commands()[-1] == "AT"


def test_send_late_cr_is_just_an_empty_line(quiet_sim):
    port = quiet_sim.port
    reply = send_data(port, b"abc")  # OK arrives only after the 100 ms window
    assert reply.endswith(OK)
    port.write(b"\r")
    assert port.read_for(0.2) == b""
    assert port.command(b"AT") == OK


def test_send_zero_bytes(quiet_sim):
    assert send_data(quiet_sim.port, b"") == b"\r\n+SEND: 0,00000000\r\n" + OK


def test_send_timeout_returns_to_command_mode(make_sim):
    s = make_sim(GenericDialect(send_timeout=0.3))
    port = s.port
    port.command(b"ATE0")
    port.write(b"AT+SEND=10\r")
    port.read_until(PROMPT)
    start = time.monotonic()
    port.write(b"abc")
    assert port.read_until(ERROR, timeout=5) == ERROR
    assert time.monotonic() - start >= 0.3
    assert port.command(b"AT") == OK


def test_send_range(quiet_sim):
    assert quiet_sim.port.command(b"AT+SEND=65536", expect=ERROR) == ERROR


def recv(port, n):
    """AT+RECV=n, read by length: the data may contain '\r\nOK\r\n' itself."""
    header = b"\r\n+RECV: %d\r\n" % n
    port.write(b"AT+RECV=%d\r" % n)
    reply = port.read_exactly(len(header) + n + len(OK))
    assert reply.startswith(header) and reply.endswith(OK)
    assert port.read_for(0.1) == b""
    return reply[len(header):-len(OK)]


def test_recv_framing_with_buffer_and_pattern(quiet_sim):
    port = quiet_sim.port
    send_data(port, b"hello")
    n = 5 + 2 * len(DEFAULT_PATTERN) + 3
    assert recv(port, n) == b"hello" + DEFAULT_PATTERN * 2 + DEFAULT_PATTERN[:3]
    assert recv(port, 3) == b"hel"
    assert recv(port, 0) == b""


def test_recv_without_data_uses_pattern(quiet_sim):
    assert recv(quiet_sim.port, 10) == DEFAULT_PATTERN[:10]


def test_large_send_and_recv_roundtrip(quiet_sim):
    data = random.Random(7).randbytes(65535)
    assert send_data(quiet_sim.port, data) == b"\r\n+SEND: 65535,%s\r\n" % crc(data) + OK
    header = b"\r\n+RECV: 65535\r\n"
    quiet_sim.port.write(b"AT+RECV=65535\r")
    assert quiet_sim.port.read_exactly(len(header), timeout=10) == header
    assert quiet_sim.port.read_exactly(65535, timeout=10) == data
    assert quiet_sim.port.read_until(OK) == OK


def test_data_buffer_is_lost_on_reboot(quiet_sim):
    send_data(quiet_sim.port, b"zzz")
    quiet_sim.modem.reboot("test")
    quiet_sim.port.read_until(b"+SYSSTART\r\n")
    quiet_sim.port.command(b"ATE0")
    assert recv(quiet_sim.port, 3) == DEFAULT_PATTERN[:3]


def test_inline_payload_with_cr_lf(quiet_sim):
    port = quiet_sim.port
    payload = b"\r\n\x00OK\r\n"
    port.write(b"AT+INLINE=%d," % len(payload) + payload + b"\r\n")
    assert port.read_until(OK) == b"\r\n+INLINE: %d,%s\r\n" % (len(payload), crc(payload)) + OK
    port.write(b"AT+INLINE=2,\r\r\r")  # CR-only terminator
    assert port.read_until(OK) == b"\r\n+INLINE: 2,%s\r\n" % crc(b"\r\r") + OK
    assert port.read_for(0.2) == b""
    assert quiet_sim.modem.commands()[-2:] == ["AT+INLINE=7," + payload.decode("latin-1"),
                                               "AT+INLINE=2,\r\r"]


def test_inline_echo_omits_payload(sim):
    sim.port.write(b"AT+INLINE=3,\r\n\x00\r")
    assert sim.port.read_until(OK) == b"AT+INLINE=3,\r\r\n+INLINE: 3,%s\r\n" % crc(b"\r\n\x00") + OK


def test_inline_zero_length_and_bad_forms(quiet_sim):
    port = quiet_sim.port
    assert port.command(b"AT+INLINE=0,") == b"\r\n+INLINE: 0,00000000\r\n" + OK
    assert port.command(b"AT+INLINE=3", expect=ERROR) == ERROR
    port.write(b"AT+INLINE=1,xjunk\r")  # text after the payload is not allowed
    assert port.read_until(ERROR) == ERROR


def test_inline_payload_timeout(make_sim):
    dialect = GenericDialect()
    dialect.payload_timeout = 0.3
    s = make_sim(dialect)
    port = s.port
    port.command(b"ATE0")
    port.write(b"AT+INLINE=5,ab")
    assert port.read_until(ERROR, timeout=5) == ERROR
    assert port.command(b"AT") == OK


def test_garbage_command_output(quiet_sim):
    out = quiet_sim.port.command(b"AT+GARBAGE")
    assert out == (b"\r" + b"\n" + b"\x00" * 5 + b"\xff\xfe" + b"x" * 3000 + b"\r\n"
                   + b"+PART" + OK)
    assert quiet_sim.port.command(b"AT") == OK
