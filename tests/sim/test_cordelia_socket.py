"""Cordelia-I dialect: TLS sockets as real connections to the test bed, with
the trust anchor and client credentials from the module's files.

Contract section "TLS sockets".
"""

import base64
import re

import pytest

from conftest import CORD_OK, CORD_STARTUP
from sim.network.testbed import TlsEchoServer, free_port
from sim.common.testing import wait_for

ALL_BYTES = bytes(range(256))


def new_socket(host, proto="SEC"):
    out = host.ok(f"AT+socket=INET,STREAM,{proto}")
    return int(re.fullmatch(rb"\+socket:(\d+)\r\n", out).group(1))


def tls_options(host, sid, ca="ca.pem", cert="client.pem", key="client.key", domain=None):
    host.ok(f"AT+setSockOpt={sid},SOCKET,SECMETHOD,TLSV1_2")
    if ca:
        host.ok(f"AT+setSockOpt={sid},SOCKET,SECURE_FILES_CA_FILE_NAME,{ca}")
    if cert:
        host.ok(f"AT+setSockOpt={sid},SOCKET,SECURE_FILES_CERTIFICATE_FILE_NAME,{cert}")
    if key:
        host.ok(f"AT+setSockOpt={sid},SOCKET,SECURE_FILES_PRIVATE_KEY_FILE_NAME,{key}")
    if domain:
        host.ok(f"AT+setSockOpt={sid},SOCKET,SECURE_DOMAIN_NAME_VERIFICATION,{domain}")


def connect(host, sid, port, address="127.0.0.1"):
    return host.final(f"AT+connect={sid},INET,{port},{address}", timeout=10)


def recv(host, sid, n):
    """One AT+recv with its exact framing checked; the data."""
    host.send(f"AT+recv={sid},0,{n}")
    head = f"+recv:{sid},0,".encode()
    assert host.port.read_exactly(len(head)) == head
    digits = host.port.read_until(b",")
    length = int(digits[:-1])
    data = host.port.read_exactly(length)
    assert host.port.read_exactly(2 + len(CORD_OK)) == b"\r\n" + CORD_OK
    return data


@pytest.fixture
def online(cord_files):
    """The older reading (sockets=inline): connect's OK after the handshake,
    +recv: before AT+recv's OK, +eventsock:data announcements.  The
    default, Calypso model is tested at the end of this file."""
    cord_files.dialect.set_option("sockets", "inline")
    cord_files.wifi()
    return cord_files


@pytest.fixture
def calypso(cord_files):
    cord_files.wifi()
    return cord_files


def test_every_byte_value_through_mutual_tls(online, bed):
    host = online
    with TlsEchoServer(bed.pki, require_client_cert=True) as server:
        sid = new_socket(host)
        tls_options(host, sid, domain="localhost")
        assert connect(host, sid, server.port) == CORD_OK
        assert host.events(1) == [b"+connect:%d,127.0.0.1" % server.port]   # right after OK
        payload = ALL_BYTES + b"\r\nOK\r\n"
        assert host.final(f"AT+send={sid},0,{len(payload)},", payload) == CORD_OK
        assert host.event("+eventsock:data,") == b"+eventsock:data,%d,%d" % (sid, len(payload))
        assert recv(host, sid, 1460) == payload
        assert bytes(server.received) == payload
        assert host.final(f"AT+close={sid}") == CORD_OK
        wait_for(lambda: server.open_count == 0)
        assert host.quiet(0.1) == b""                   # no event for a local close


def test_one_data_event_per_burst_and_partial_reads(online, bed):
    host = online
    data = bytes(range(256)) * 8                       # 2048 bytes
    sid = new_socket(host)
    tls_options(host, sid, cert=None, key=None)
    assert connect(host, sid, bed.echo.port) == CORD_OK
    host.event("+connect:")
    assert host.final(f"AT+send={sid},0,1460,", data[:1460]) == CORD_OK
    announced = int(host.event("+eventsock:data,").split(b",")[2])
    assert host.final(f"AT+send={sid},0,{len(data) - 1460},", data[1460:]) == CORD_OK
    wait_for(lambda: len(bed.echo.received) >= len(data))
    assert host.quiet(0.2) == b""                      # announced bytes still unread
    got = recv(host, sid, 100)
    got += recv(host, sid, announced - 100)
    assert int(host.event("+eventsock:data,").split(b",")[2]) == len(data) - announced
    while len(got) < len(data):
        got += recv(host, sid, 1460)
    assert got == data
    assert recv(host, sid, 1460) == b""                # nothing waiting: n = 0
    host.ok(f"AT+close={sid}")


def test_peer_close_after_the_last_data_event(online, bed):
    host = online
    with TlsEchoServer(bed.pki, greeting=b"hello\r\n") as server:
        sid = new_socket(host)
        tls_options(host, sid, cert=None, key=None, domain="127.0.0.1")
        assert connect(host, sid, server.port) == CORD_OK
        host.event("+connect:")
        assert host.event("+eventsock:data,") == b"+eventsock:data,%d,7" % sid
        server.close_clients()
        # Every byte was announced: the close follows at once; what was
        # received stays readable.
        assert host.event("+eventsock:closed,") == b"+eventsock:closed,%d" % sid
        assert recv(host, sid, 3) == b"hel"
        assert recv(host, sid, 100) == b"lo\r\n"
        assert host.error(f"AT+recv={sid},0,10") == ("not connected", -107)
        assert host.error(f"AT+send={sid},0,1,", b"x") == ("not connected", -107)
        host.ok(f"AT+close={sid}")


def test_plain_tcp_socket_and_base64_formats(online, bed):
    host = online
    with TlsEchoServer(tls=False) as server:
        sid = new_socket(host, "TCP")
        assert host.error(f"AT+setSockOpt={sid},SOCKET,SECURE_DOMAIN_NAME_VERIFICATION,x") == \
            ("invalid input", -2006)
        assert host.ok(f"AT+setSockOpt={sid},SOCKET,KEEPALIVE,1") == b""
        assert connect(host, sid, server.port, "localhost") == CORD_OK
        host.event("+connect:")
        body = base64.b64encode(b"\x00\xff\r\n")
        assert host.final(f"AT+send={sid},1,{len(body)},", body) == CORD_OK
        host.event("+eventsock:data,")
        out = host.ok(f"AT+recv={sid},1,100")
        assert out == b"+recv:%d,1,4,%s\r\n" % (sid, body)
        host.ok(f"AT+close={sid}")


@pytest.mark.parametrize("options,error", [
    (dict(ca="wrong-ca.pem"), ("unknown root CA", -468)),
    (dict(domain="broker.local"), ("domain name mismatch", -722)),
    (dict(ca="nosuch.pem"), ("CA file not found", -454)),
    (dict(ca="client.key"), ("bad CA file", -456)),
    (dict(cert="client.key"), ("bad certificate file", -457)),
    (dict(key="client.pem"), ("bad private key file", -458)),
    (dict(cert="rogue.pem"), ("bad private key file", -458)),   # key does not match
])
def test_tls_failures(online, bed, options, error):
    host = online
    with TlsEchoServer(bed.pki, require_client_cert=True) as server:
        sid = new_socket(host)
        tls_options(host, sid, **options)
        assert host.error(f"AT+connect={sid},INET,{server.port},127.0.0.1", timeout=10) == error
        # The socket can still be used once the options are right.
        tls_options(host, sid, domain="localhost")
        assert connect(host, sid, server.port) == CORD_OK
        host.ok(f"AT+close={sid}")


def test_close_waits_for_the_data_event_of_unannounced_bytes(online, bed):
    host = online
    with TlsEchoServer(bed.pki) as server:
        sid = new_socket(host)
        tls_options(host, sid, cert=None, key=None)
        assert connect(host, sid, server.port) == CORD_OK
        host.event("+connect:")
        assert host.final(f"AT+send={sid},0,3,", b"abc") == CORD_OK
        assert host.event("+eventsock:data,") == b"+eventsock:data,%d,3" % sid
        assert host.final(f"AT+send={sid},0,2,", b"de") == CORD_OK
        wait_for(lambda: len(server.received) == 5)
        server.close_clients()
        assert host.quiet(0.3) == b""              # "de" is not announced yet
        assert recv(host, sid, 3) == b"abc"
        # What was announced is read: the rest is announced, then the close.
        assert host.events(2) == [b"+eventsock:data,%d,2" % sid, b"+eventsock:closed,%d" % sid]
        assert recv(host, sid, 10) == b"de"


def test_client_certificate_refused_by_the_server(online, bed):
    host = online
    with TlsEchoServer(bed.pki, require_client_cert=True) as server:
        sid = new_socket(host)
        tls_options(host, sid, cert="rogue.pem", key="rogue.key")
        # SECMETHOD TLSV1_2: the server refuses the certificate in the handshake
        assert host.error(f"AT+connect={sid},INET,{server.port},127.0.0.1", timeout=10) == \
            ("handshake failure", -340)


def test_connection_errors(online, bed):
    host = online
    sid = new_socket(host, "TCP")
    assert host.error(f"AT+connect={sid},INET,{free_port()},127.0.0.1") == \
        ("connection refused", -111)
    assert host.error(f"AT+connect={sid},INET,80,192.0.2.1") == ("connection refused", -111)
    assert host.error(f"AT+connect={sid},INET,80,example.com") == ("host not found", -6161)
    assert host.error(f"AT+connect={sid},INET6,80,::1") == ("family not supported", -97)
    assert host.error("AT+connect=9,INET,80,127.0.0.1") == ("invalid socket", -9)
    assert host.error(f"AT+connect={sid},INET,0,127.0.0.1") == ("invalid input", -2006)
    assert host.error("AT+socket=INET6,STREAM,TCP") == ("family not supported", -97)
    assert host.error("AT+socket=INET,DGRAM,UDP") == ("protocol not supported", -93)


def test_sixteen_sockets_at_most_and_ids_reused(cord):
    ids = [new_socket(cord) for _ in range(16)]
    assert ids == list(range(16))
    assert cord.error("AT+socket=INET,STREAM,SEC") == ("no free socket", -1)
    cord.ok("AT+close=5")
    assert new_socket(cord) == 5
    assert cord.error("AT+close=16") == ("invalid socket", -9)


def test_connect_needs_wifi_and_wifi_loss_closes_sockets(cord_files, bed):
    host = cord_files
    sid = new_socket(host)
    tls_options(host, sid, cert=None, key=None)
    assert host.error(f"AT+connect={sid},INET,{bed.echo.port},127.0.0.1") == \
        ("not connected", -2069)
    host.wifi()
    assert connect(host, sid, bed.echo.port) == CORD_OK
    host.event("+connect:")
    assert host.error(f"AT+connect={sid},INET,{bed.echo.port},127.0.0.1") == \
        ("already connected", -106)
    assert host.final("AT+wlanDisconnect") == CORD_OK
    assert host.events(2)[1] == b"+eventsock:closed,%d" % sid


def test_restart_closes_sockets(online, bed):
    host = online
    host.dialect.auto_reconnect = False
    sid = new_socket(host)
    tls_options(host, sid, cert=None, key=None)
    assert connect(host, sid, bed.echo.port) == CORD_OK
    host.event("+connect:")
    opened = bed.echo.open_count
    host.modem.reboot("test")
    assert host.port.read_until(CORD_STARTUP).endswith(CORD_STARTUP)
    wait_for(lambda: bed.echo.open_count < opened)
    assert host.error(f"AT+recv={sid},0,10") == ("invalid socket", -9)


# ---------------------------------------------------------------------------
# The default, Calypso model (ATSocket.c:180-245): AT+connect answers OK before
# the handshake, the result is an event; AT+recv arms a receive, the data come
# as the +recv: event read by count.


def recv_event(host, sid, timeout=5.0):
    """The bytes of one +recv:<sid>,0,<n>,<bytes> event."""
    head = f"+recv:{sid},0,".encode()
    line = host.port.read_until(head, timeout)
    assert line.endswith(head), line
    length = int(host.port.read_until(b",", timeout)[:-1])
    data = host.port.read_exactly(length)
    assert host.port.read_exactly(2) == b"\r\n"
    return data


def test_calypso_connect_ok_then_event_recv_arms_then_event(calypso, bed):
    host = calypso
    with TlsEchoServer(bed.pki, require_client_cert=True) as server:
        sid = new_socket(host)
        tls_options(host, sid, domain="localhost")
        assert connect(host, sid, server.port) == CORD_OK          # before the handshake
        assert host.event("+connect:") == b"+connect:%d,127.0.0.1" % server.port
        assert host.final(f"AT+send={sid},0,{len(ALL_BYTES)},", ALL_BYTES) == CORD_OK
        got = b""
        while len(got) < len(ALL_BYTES):
            assert host.final(f"AT+recv={sid},0,1460") == CORD_OK  # arms only
            got += recv_event(host, sid)
        assert got == ALL_BYTES
        # armed with nothing buffered: the event comes when data arrive
        assert host.final(f"AT+recv={sid},0,100") == CORD_OK
        assert host.quiet(0.2) == b""
        assert host.final(f"AT+send={sid},0,3,", b"abc") == CORD_OK
        assert recv_event(host, sid) == b"abc"
        assert host.final(f"AT+close={sid}") == CORD_OK


def test_calypso_connect_failure_is_an_event(calypso, bed):
    host = calypso
    sid = new_socket(host, "TCP")
    assert connect(host, sid, free_port()) == CORD_OK
    assert host.event("+eventsock:") == b"+eventsock:async_event,%d,-111" % sid
    assert host.quiet(0.1) == b""


@pytest.mark.parametrize("variant,line", [("off", b""), ("len", b"+send:5\r\n"),
                                          ("id-len", b"+send:%d,5\r\n")])
def test_send_count_variants(calypso, bed, variant, line):
    """--option send-count: OK alone (default, the Calypso driver), or a
    count line before it (invented; docs/receive-checks.md)."""
    host = calypso
    if variant != "off":
        host.dialect.set_option("send-count", variant)
    sid = new_socket(host, "TCP")
    assert connect(host, sid, bed.echo.port) == CORD_OK
    host.event("+connect:")
    want = line % sid if b"%d" in line else line
    assert host.final(f"AT+send={sid},0,5,", b"hello") == want + CORD_OK
    host.ok(f"AT+close={sid}")
