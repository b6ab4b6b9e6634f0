"""Sequans dialect: sockets as real TCP/TLS connections to the test bed.

Contract section "Sockets (command mode only)".
"""

import socket
import time

import pytest

from conftest import OK, PROMPT

NO_CARRIER = b"\r\nNO CARRIER\r\n"   # a failed dial (dial-error=no-carrier, the default)
from sim.network.testbed import TlsEchoServer
from sim.common.testing import wait_for

ALL_BYTES = bytes(range(256))
SYSSTART = b"\r\n+SYSSTART\r\n"


def open_socket(host, conn, port, sp_id=None, address="localhost", sr_mode=1):
    host.ok(f"AT+SQNSCFG={conn},1,300,90,600,50")
    host.ok(f"AT+SQNSCFGEXT={conn},{sr_mode},0,0")
    if sp_id is not None:
        host.ok(f"AT+SQNSSCFG={conn},1,{sp_id}")
    return host.final(f'AT+SQNSD={conn},0,{port},"{address}",0,0,1', timeout=10)


def send(host, conn, data):
    return host.payload(f"AT+SQNSSENDEXT={conn},{len(data)}", data)


def recv(host, conn, n):
    """One SQNSRECV, checking the exact framing; the data."""
    host.port.write(b"AT+SQNSRECV=%d,%d\r" % (conn, n))
    head = host.port.read_until(b"\r\n", 5) + host.port.read_until(b"\r\n", 5)
    prefix = b"\r\n+SQNSRECV: %d," % conn
    assert head.startswith(prefix), head
    length = int(head[len(prefix):-2])
    data = host.port.read_exactly(length, 5)
    assert host.port.read_exactly(2 + len(OK), 5) == b"\r\n" + OK
    return data


def test_every_byte_value_through_tls(sqn_tls, bed):
    host = sqn_tls
    assert open_socket(host, 1, bed.echo.port, sp_id=1) == OK
    assert send(host, 1, ALL_BYTES) == OK
    assert host.port.read_until(b"\r\n+SQNSRING: 1,256\r\n", 5) == b"\r\n+SQNSRING: 1,256\r\n"
    assert host.cmd("AT+SQNSRECV=1,1500") == \
        b"\r\n+SQNSRECV: 1,256\r\n" + ALL_BYTES + b"\r\n" + OK
    assert host.ok("AT+SQNSI=1") == b"\r\n+SQNSI: 1,256,256,0,0\r\n"
    assert host.ok("AT+SQNSH=1") == b""
    assert host.quiet(0.1) == b""                     # no URC for a local close


def test_partial_reads_and_one_ring_per_burst(sqn_tls, bed):
    host = sqn_tls
    data = bytes(range(256)) * 8                        # 2048 bytes
    with TlsEchoServer(bed.pki) as server:
        assert open_socket(host, 2, server.port, sp_id=2, address="127.0.0.1") == OK
        assert send(host, 2, data[:1500]) == OK
        ring = host.urc("+SQNSRING: 2,")
        announced = int(ring.split(b",")[1])
        assert send(host, 2, data[1500:]) == OK         # more data, no new RING yet
        wait_for(lambda: len(server.received) == len(data))
        time.sleep(0.1)
        assert host.quiet(0.1) == b""
        got = recv(host, 2, 100)
        assert host.quiet(0.1) == b""                   # still announced bytes unread
        got += recv(host, 2, announced - 100)
        # Everything announced is read: what came later is announced, once.
        ring2 = host.urc("+SQNSRING: 2,")
        assert int(ring2.split(b",")[1]) == len(data) - announced
        while len(got) < len(data):
            got += recv(host, 2, 1500)
        assert got == data
        assert host.quiet(0.2) == b""                  # no RING for an empty buffer
        assert recv(host, 2, 1500) == b""              # len 0 is fine


def test_sr_mode_0_rings_without_count(sqn_tls, bed):
    host = sqn_tls
    assert open_socket(host, 3, bed.echo.port, sp_id=4, sr_mode=0) == OK
    send(host, 3, b"ping")
    assert host.urc("+SQNSRING:") == b"+SQNSRING: 3"


def test_remote_close_after_data(sqn_tls, bed):
    host = sqn_tls
    with TlsEchoServer(bed.pki, greeting=b"hello") as server:
        assert open_socket(host, 1, server.port, sp_id=2) == OK
        assert host.urc("+SQNSRING:") == b"+SQNSRING: 1,5"
        server.close_clients()
        assert host.urc("+SQNSH:") == b"+SQNSH: 1"
    assert host.ok("AT+SQNSS").startswith(b"\r\n+SQNSS: 1,0\r\n")
    assert recv(host, 1, 1500) == b"hello"             # still readable after the close
    assert host.cme("AT+SQNSRECV=1,1500") == 3
    assert host.cme("AT+SQNSSENDEXT=1,5") == 3


def test_remote_close_waits_for_the_last_ring(sqn_tls, bed):
    host = sqn_tls
    with TlsEchoServer(bed.pki) as server:
        assert open_socket(host, 1, server.port, sp_id=4) == OK
        send(host, 1, b"first")
        assert host.urc("+SQNSRING:") == b"+SQNSRING: 1,5"
        send(host, 1, b"second")                        # arrives unannounced
        wait_for(lambda: len(server.received) == 11)
        time.sleep(0.1)
        server.close_clients()
        assert host.quiet(0.2) == b""                   # +SQNSH must wait
        assert host.cmd("AT+SQNSRECV=1,5") == b"\r\n+SQNSRECV: 1,5\r\nfirst\r\n" + OK
        assert host.port.read_until(b"+SQNSH: 1\r\n") == \
            b"\r\n+SQNSRING: 1,6\r\n\r\n+SQNSH: 1\r\n"
        assert recv(host, 1, 1500) == b"second"


def test_sqnss_states_and_local_close(sqn_tls, bed):
    host = sqn_tls
    assert open_socket(host, 4, bed.echo.port, sp_id=1) == OK
    states = host.ok("AT+SQNSS")
    assert states == b"".join(b"\r\n+SQNSS: %d,%d\r\n" % (i, 1 if i == 4 else 0)
                              for i in range(1, 7))
    assert host.cme(f'AT+SQNSD=4,0,{bed.echo.port},"localhost",0,0,1') == 3   # busy
    host.ok("AT+SQNSH=4")
    assert host.ok("AT+SQNSS").startswith(b"\r\n+SQNSS: 1,0\r\n")
    assert b"+SQNSS: 4,0" in host.ok("AT+SQNSS")
    host.ok("AT+SQNSH=4")                              # closing twice is fine


def test_plain_tcp_without_profile(sqn, bed):
    host = sqn
    with TlsEchoServer(tls=False) as server:
        assert open_socket(host, 5, server.port) == OK
        send(host, 5, b"plain")
        host.urc("+SQNSRING: 5,5")
        assert recv(host, 5, 10) == b"plain"


def test_wrong_ca_is_a_tls_error(sqn_tls, bed):
    assert open_socket(sqn_tls, 1, bed.echo.port, sp_id=3) == NO_CARRIER
    assert sqn_tls.ok("AT+SQNSS").startswith(b"\r\n+SQNSS: 1,0\r\n")


def test_host_name_check_only_with_bit_2(sqn_tls, bed):
    host = sqn_tls
    with TlsEchoServer(bed.pki, host="127.0.0.2") as server:   # not in the SAN
        assert open_socket(host, 1, server.port, sp_id=2, address="127.0.0.2") == OK  # level 1
        host.ok("AT+SQNSH=1")
        host.ok('AT+SQNSPCFG=5,2,"",5,10')                                          # level 5
        assert open_socket(host, 1, server.port, sp_id=5, address="127.0.0.2") == \
            NO_CARRIER


def test_server_requiring_client_certificate(sqn_tls, bed):
    host = sqn_tls
    with TlsEchoServer(bed.pki, require_client_cert=True) as server:
        assert open_socket(host, 1, server.port, sp_id=1) == OK     # mutual TLS
        send(host, 1, b"mutual")
        host.urc("+SQNSRING: 1,6")
        assert recv(host, 1, 100) == b"mutual"
        # Without a client certificate the server refuses: in the TLS 1.2
        # handshake, or over TLS 1.3 (handshake done first) by closing.
        assert open_socket(host, 2, server.port, sp_id=2) == NO_CARRIER
        host.ok('AT+SQNSPCFG=5,3,"",1,10')
        assert open_socket(host, 2, server.port, sp_id=5) == OK
        assert host.urc("+SQNSH:") == b"+SQNSH: 2"


def test_profile_problems_are_found_at_connect_time(sqn_tls, bed):
    host = sqn_tls
    host.ok('AT+SQNSPCFG=5,2,"",1,18')                          # CA slot 18 is empty
    assert open_socket(host, 1, bed.echo.port, sp_id=5) == NO_CARRIER
    host.ok('AT+SQNSPCFG=5,2,"",1,10,11,11,"","",1')            # key in the ATECC608:
    assert open_socket(host, 1, bed.echo.port, sp_id=5) == b"\r\n+CME ERROR: 554\r\n"  # no HCE
    host.ok('AT+SQNSPCFG=5,2,"0xC02B",1,10')                    # ECDHE-ECDSA: fine
    assert open_socket(host, 1, bed.echo.port, sp_id=5) == OK
    host.ok("AT+SQNSH=1")
    host.ok('AT+SQNSPCFG=5,2,"0x9C",1,10')                      # RSA kx: no shared suite
    assert open_socket(host, 1, bed.echo.port, sp_id=5) == NO_CARRIER


def test_refused_and_non_loopback(sqn):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]                 # bound, not listening
        assert open_socket(sqn, 1, closed_port) == NO_CARRIER
    for address in ("8.8.8.8", "example.com", "10.0.0.1", "::2"):
        assert open_socket(sqn, 1, 443, address=address) == NO_CARRIER


def test_not_registered_and_unsimulated_modes(sqn_raw, bed):
    host = sqn_raw
    host.cmd("ATE0")
    host.ok("AT+CMEE=1")
    assert host.cme(f'AT+SQNSD=1,0,{bed.echo.port},"localhost",0,0,1') == 30
    host.register()
    assert host.cme(f'AT+SQNSD=1,1,{bed.echo.port},"localhost",0,0,1') == 4    # UDP
    assert host.cme(f'AT+SQNSD=1,0,{bed.echo.port},"localhost"') == 4          # online mode
    assert host.cme("AT+SQNSCFGEXT=1,2,0,0") == 4                              # data view
    assert host.cme("AT+SQNSCFGEXT=1,1,1,0") == 4                              # hex
    assert host.cme("AT+SQNSSENDEXT=1,1501") == 4
    assert host.cme("AT+SQNSSENDEXT=1,10") == 3                                # not open
    assert host.cme("AT+SQNSRECV=1,10") == 3


def test_cfun_0_drops_sockets(sqn_tls, bed):
    host = sqn_tls
    assert open_socket(host, 6, bed.echo.port, sp_id=1) == OK
    host.ok("AT+CFUN=0")
    out = host.port.read_until(b"+SQNSH: 6\r\n")
    assert out.endswith(b"\r\n+SQNSH: 6\r\n")
    assert b"+SQNSS: 6,0" in host.ok("AT+SQNSS")


def test_reboot_during_a_transfer(sqn_tls, bed):
    host = sqn_tls
    with TlsEchoServer(bed.pki) as server:
        assert open_socket(host, 1, server.port, sp_id=1) == OK
        wait_for(lambda: server.accepted == 1)
        host.port.write(b"AT+SQNSSENDEXT=1,100\r")
        host.port.read_until(PROMPT)
        host.port.write(b"x" * 40)                       # 60 bytes still to come
        time.sleep(0.05)
        host.modem.reboot("test")
        assert host.port.read_until(SYSSTART, 5).endswith(SYSSTART)
        assert host.port.command(b"AT+SQNSS") == b"".join(   # echo off again
            b"\r\n+SQNSS: %d,0\r\n" % i for i in range(1, 7)) + OK
        wait_for(lambda: server.open_count == 0, timeout=5)   # the server saw the close
        assert bytes(server.received) == b""             # partial payload never sent


def test_reboot_fault_switch_cuts_a_response_and_closes_sockets(sqn_tls, bed):
    host = sqn_tls
    assert open_socket(host, 1, bed.echo.port, sp_id=1) == OK
    host.modem.set_fault("reboot-after-cmds", 1)
    host.port.write(b"AT+SQNSS\r")
    out = host.port.read_until(SYSSTART, 5)
    assert out.startswith(b"\r\n+SQN") and out.endswith(SYSSTART)
    assert b"+SQNSS: 1,0" in host.port.command(b"AT+SQNSS")


@pytest.mark.parametrize("fault,value", [("delay-ms", 150)])
def test_delay_fault_applies_to_socket_commands(sqn_tls, bed, fault, value):
    host = sqn_tls
    host.modem.set_fault(fault, value)
    start = time.monotonic()
    assert open_socket(host, 1, bed.echo.port, sp_id=1) == OK    # 4 commands
    assert time.monotonic() - start >= 4 * value / 1000
