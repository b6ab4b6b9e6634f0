"""Sequans dialect: the real GM02S/GM02SP behaviours that are the defaults
(issue 16 item 6), each against its --option variant.

Sources are cited in sim/dialects/sequans.py next to the code; the test names say
which behaviour and which option value they check.
"""

import math
import datetime
import hashlib
import re
import socket
import ssl
import threading
import time

import pytest

from conftest import CA_SLOT, FAST, OK, PROMPT, SqnHost
from sim.common.core import Options
from sim.dialects.sequans import HCE_FORMATS, LEGACY_OPTIONS, SequansDialect
from sim.common.testing import wait_for
from test_sequans_mqtt import connect, publish, subscribe
from test_sequans_socket import open_socket

NO_CARRIER = b"\r\nNO CARRIER\r\n"


def options(host, **values):
    for name, value in values.items():
        host.dialect.set_option(name, value)


# ---------------------------------------------------------------------------
# The defaults as a whole


def test_defaults_are_the_real_module():
    d = SequansDialect()
    assert d.echo_default is False
    assert d.options() | {"hce-helper": None} == {
        "hce-timeout": 10.0, "hce-helper": None, "payload-timeout": math.inf, "urc-timing": "immediate", "rcvmessage-urc": "",
        "command-urc": "", "publish-answer": "pmid", "disconnect-urc": "off",
        "mqtt-resume-s": 360.0, "mqtt-ping": "off", "dial-error": "no-carrier",
        "http-sized-read": "cme4", "http-ring-quotes": "on", "nvr": "metadata",
        "nvw-size": "no-cr", "sleep-ff-after-s": 2.0, "clock": "unset",
        "plaintext-fallback": "on", "hce-format": "key-alg-hex", "cgsn-quotes": "on"}
    assert d.urc_hold is False and d.wake_glitch_after == 2.0 and d.wake_glitch == b"\xff"


def test_legacy_options_and_bad_values():
    d = SequansDialect()
    for setting in LEGACY_OPTIONS:
        name, _, value = setting.partition("=")
        d.set_option(name, value)
    assert d.urc_hold is True and d.wake_glitch_after == 0.0
    for name, value in (("urc-timing", "later"), ("publish-answer", "1"), ("mqtt-resume-s", "0"),
                        ("command-urc", "a\r\nb"), ("hce-format", "raw"), ("clock", "gps"),
                        ("sleep-ff-after-s", "-1"), ("disconnect-urc", "maybe")):
        with pytest.raises(ValueError):
            d.set_option(name, value)


# ---------------------------------------------------------------------------
# 2. URC timing


def test_urc_goes_out_at_once_while_a_command_waits_for_its_payload(sqn):
    """urc-timing=immediate: a network URC is not held back by the command
    sitting at its prompt (the after-final variant: test_sequans_basic)."""
    sqn.port.write(b'AT+SQNSNVW="certificate",1,5\r')
    sqn.port.read_until(PROMPT)
    sqn.modem.async_urc("+SQNSRING: 1,5")
    assert sqn.port.read_until(b"\r\n+SQNSRING: 1,5\r\n", 2) == b"\r\n+SQNSRING: 1,5\r\n"
    sqn.port.write(b"xxxxx")                     # not a PEM: ERROR
    assert sqn.port.read_until(b"\r\nERROR\r\n") == b"\r\nERROR\r\n"


def test_command_urc_hook_lands_before_every_final_result(sqn):
    options(sqn, command_urc="+SQNSH: 1")
    assert sqn.cmd("AT") == b"\r\n+SQNSH: 1\r\n" + OK
    assert sqn.cmd("AT+CFUN?") == b"\r\n+CFUN: 1\r\n\r\n+SQNSH: 1\r\n" + OK
    assert sqn.final("AT+CFUN=9") == b"\r\n+SQNSH: 1\r\n\r\n+CME ERROR: 4\r\n"
    options(sqn, command_urc="")
    assert sqn.cmd("AT") == OK


def test_rcvmessage_urc_hook_lands_before_the_headerless_payload(sqn_tls, bed):
    host = sqn_tls
    assert connect(host, bed.broker.port, client_id="sim-hook") == 0
    subscribe(host, "h/t", 0)
    publish(host, "h/t", 0, b"payload")
    host.urc("+SQNSMQTTONMESSAGE:")
    options(host, rcvmessage_urc="+SQNSMQTTONPUBLISH:0,7,0")
    host.port.write(b'AT+SQNSMQTTRCVMESSAGE=0,"h/t"\r')
    want = b"\r\n+SQNSMQTTONPUBLISH:0,7,0\r\n" + b"\r\npayload\r\n" + OK
    assert host.port.read_exactly(len(want), 5) == want


def test_onpublish_follows_the_ok_of_its_publish(sqn_tls, bed):
    """The acknowledgement never overtakes the answer, even with immediate
    URCs (PAGER phaseW: +SQNSMQTTPUBLISH: 5, OK, +SQNSMQTTONPUBLISH:0,5,0)."""
    host = sqn_tls
    assert connect(host, bed.broker.port, client_id="sim-order") == 0
    for qos in (0, 1):
        host.port.write(b'AT+SQNSMQTTPUBLISH=0,"o/t",%d,2\r' % qos)
        host.port.read_until(PROMPT)
        host.port.write(b"hi")
        out = host.port.read_until(b"+SQNSMQTTONPUBLISH:0,", 5) + host.port.read_until(b"\r\n")
        assert re.fullmatch(rb"\r\n\+SQNSMQTTPUBLISH: (\d+)\r\n\r\nOK\r\n"
                            rb"\r\n\+SQNSMQTTONPUBLISH:0,\1,0\r\n", out), out


# ---------------------------------------------------------------------------
# 3. +SQNSMQTTPUBLISH


def test_publish_answer_ctx_pmid_variant(sqn_tls, bed):
    host = sqn_tls
    options(host, publish_answer="ctx-pmid")
    assert connect(host, bed.broker.port, client_id="sim-ctx") == 0
    out = host.payload('AT+SQNSMQTTPUBLISH=0,"c/t",1,3', b"abc")
    assert out == b"\r\n+SQNSMQTTPUBLISH: 0,1\r\n" + OK
    assert host.urc("+SQNSMQTTONPUBLISH:") == b"+SQNSMQTTONPUBLISH:0,1,0"
    options(host, publish_answer="pmid")
    assert host.payload('AT+SQNSMQTTPUBLISH=0,"c/t",1,3', b"abc") == \
        b"\r\n+SQNSMQTTPUBLISH: 2\r\n" + OK


# ---------------------------------------------------------------------------
# 4. MQTT session death


def connect_keepalive(host, port, keepalive, client_id, sp_id=1):
    host.ok(f'AT+SQNSMQTTCFG=0,"{client_id}","","",{sp_id}')
    assert host.cmd(f'AT+SQNSMQTTCONNECT=0,"localhost",{port},{keepalive}') == OK
    return host.urc("+SQNSMQTTONCONNECT:", timeout=10)


def test_broker_drop_is_silent_then_the_modem_resumes_without_subscriptions(sqn_tls, bed):
    host = sqn_tls
    options(host, mqtt_resume_s=1.0)
    assert connect(host, bed.broker.port, client_id="sim-resume") == 0
    subscribe(host, "r/t", 1)
    assert bed.broker.kick("sim-resume")
    start = time.monotonic()
    # No +SQNSMQTTONDISCONNECT; meanwhile the client is not usable.
    assert host.quiet(0.4) == b""
    assert host.cme('AT+SQNSMQTTPUBLISH=0,"r/t",1,3') == 3
    line = host.urc("+SQNSMQTTONCONNECT:", timeout=5)
    assert line == b"+SQNSMQTTONCONNECT:0,0"               # unsolicited
    assert time.monotonic() - start >= 0.9
    # Clean session: the subscription is gone until the host subscribes again.
    with bed.probe(client_id="probe-resume") as probe:
        probe.publish("r/t", b"lost", qos=1)
        assert host.quiet(0.5) == b""
        subscribe(host, "r/t", 1)
        probe.publish("r/t", b"found", qos=1)
        assert host.urc("+SQNSMQTTONMESSAGE:").startswith(b'+SQNSMQTTONMESSAGE:0,"r/t",5,1,')
    pmid, line = publish(host, "r/x", 1, b"after resume")
    assert line == b"+SQNSMQTTONPUBLISH:0,%d,0" % pmid


def test_host_connect_or_disconnect_cancels_the_resume(sqn_tls, bed):
    host = sqn_tls
    options(host, mqtt_resume_s=0.5)
    assert connect(host, bed.broker.port, client_id="sim-cancel") == 0
    host.modem.drop_links("mqtt")
    time.sleep(0.1)
    assert host.cmd("AT+SQNSMQTTDISCONNECT=0") == OK       # forgets the pending resume
    assert host.quiet(1.0) == b""
    assert connect(host, bed.broker.port, client_id="sim-cancel") == 0
    host.modem.drop_links("mqtt")
    time.sleep(0.1)
    assert connect(host, bed.broker.port, client_id="sim-cancel") == 0   # host's own CONNECT
    assert host.quiet(1.0) == b""                                       # no second ONCONNECT


def test_cfun_0_drops_mqtt_silently(sqn_tls, bed):
    host = sqn_tls
    options(host, mqtt_resume_s=0.3)
    assert connect(host, bed.broker.port, client_id="sim-cfun") == 0
    assert host.cmd("AT+CFUN=0") == OK
    assert host.quiet(0.8) == b"\r\n+CEREG: 0\r\n"         # and no MQTT URC
    options(host, disconnect_urc="on")
    host.register()
    assert connect(host, bed.broker.port, client_id="sim-cfun") == 0
    assert host.cmd("AT+CFUN=0") == OK
    assert host.urc("+SQNSMQTTONDISCONNECT:") == b"+SQNSMQTTONDISCONNECT:0,-7"


def test_no_pingreq_so_the_broker_drops_at_one_and_a_half_keepalive(sqn_tls, bed):
    """mqtt-ping=off: the keepalive goes out in CONNECT, no PINGREQ follows,
    mosquitto closes the client after 1.5 x keepalive; silently, then the
    modem's own reconnection."""
    host = sqn_tls
    options(host, mqtt_resume_s=0.5)
    assert connect_keepalive(host, bed.broker.port, 1, "sim-noping") == b"+SQNSMQTTONCONNECT:0,0"
    start = time.monotonic()
    assert host.urc("+SQNSMQTTONCONNECT:", timeout=8) == b"+SQNSMQTTONCONNECT:0,0"
    assert time.monotonic() - start >= 1.5 + 0.5 - 0.2
    assert wait_for(lambda: "sim-noping" in bed.broker.log() and
                    re.search(r"sim-noping.*(exceeded timeout|disconnect)", bed.broker.log()),
                    timeout=3)
    host.cmd("AT+SQNSMQTTDISCONNECT=0")


def test_mqtt_ping_on_keeps_the_session(sqn_tls, bed):
    host = sqn_tls
    options(host, mqtt_ping="on", disconnect_urc="on")
    assert connect_keepalive(host, bed.broker.port, 1, "sim-ping") == b"+SQNSMQTTONCONNECT:0,0"
    assert host.quiet(3.0) == b""                     # no drop, no URC
    pmid, line = publish(host, "p/t", 1, b"alive")
    assert line == b"+SQNSMQTTONPUBLISH:0,%d,0" % pmid


# ---------------------------------------------------------------------------
# 5. AT+SQNSD failures


def test_dial_error_cme_variant(sqn_tls, bed):
    host = sqn_tls
    options(host, dial_error="cme")
    assert open_socket(host, 1, bed.echo.port, sp_id=3) == b"\r\n+CME ERROR: 551\r\n"   # wrong CA
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    assert open_socket(host, 1, closed_port) == b"\r\n+CME ERROR: 550\r\n"
    assert open_socket(host, 1, 443, address="192.0.2.1") == b"\r\n+CME ERROR: 552\r\n"
    options(host, dial_error="no-carrier")
    assert open_socket(host, 1, closed_port) == NO_CARRIER
    assert open_socket(host, 1, bed.echo.port, sp_id=1) == OK   # the socket is usable after


# ---------------------------------------------------------------------------
# 6, 7. HTTP


def http_get(host, port, path="/text"):
    host.ok(f'AT+SQNHTTPCFG=0,"localhost",{port},0,"","",1,10,,2')
    assert host.cmd(f'AT+SQNHTTPQRY=0,0,"{path}"') == OK
    return host.urc("+SQNHTTPRING: 0,", timeout=10)


def test_http_sized_read_flush_variant(sqn_tls, bed):
    from sim.network.testbed import GET_BODY
    host = sqn_tls
    options(host, http_sized_read="flush")
    http_get(host, bed.https.port, "/data")
    assert host.cmd("AT+SQNHTTPRCV=0,100") == b"\r\n<<<" + GET_BODY[:100] + OK
    assert host.cme("AT+SQNHTTPRCV=0") == 22                 # the rest was flushed


def test_http_default_sized_read_refused_unsized_read_everything(sqn_tls, bed):
    from sim.network.testbed import TEXT_BODY
    host = sqn_tls
    ring = http_get(host, bed.https.port)
    assert ring == b'+SQNHTTPRING: 0,200,"text/plain",%d' % len(TEXT_BODY)
    assert host.cme("AT+SQNHTTPRCV=0,64") == 4
    assert host.cmd("AT+SQNHTTPRCV=0") == b"\r\n<<<" + TEXT_BODY + OK


def test_http_ring_without_quotes_variant(sqn_tls, bed):
    from sim.network.testbed import TEXT_BODY
    host = sqn_tls
    options(host, http_ring_quotes="off")
    assert http_get(host, bed.https.port) == b"+SQNHTTPRING: 0,200,text/plain,%d" % len(TEXT_BODY)


# ---------------------------------------------------------------------------
# 8, 9. NVM


def oneline(pem_name):
    """OpenSSL's one-line DN, computed independently of the simulator."""
    return "".join(f"/{part}" for part in reversed(pem_name.split(",")))


def test_nvr_certificate_answers_the_metadata_line(sqn, bed):
    from cryptography import x509
    pem = bed.pki.client.cert_pem
    sqn.store("certificate", 14, pem)
    cert = x509.load_pem_x509_certificate(pem)
    der = ssl.PEM_cert_to_DER_cert(pem.decode())
    start = cert.not_valid_before_utc if hasattr(cert, "not_valid_before_utc") \
        else cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    end = cert.not_valid_after_utc if hasattr(cert, "not_valid_after_utc") \
        else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    zeros = "0" * 32
    want = (f'+SQNSNVR: "certificate",14,"{oneline(cert.issuer.rfc4514_string())}","{zeros}",'
            f'"{oneline(cert.subject.rfc4514_string())}",'
            f'"{start:%y/%m/%d %H:%M:%S}","{end:%y/%m/%d %H:%M:%S}","sha256ECDSA","{zeros}",'
            f'"sha1","{hashlib.sha1(der).hexdigest()}"')
    assert want.startswith('+SQNSNVR: "certificate",14,"/O=secmodem test bed/CN=')
    assert sqn.ok('AT+SQNSNVR="certificate",14') == f"\r\n{want}\r\n".encode()
    # the listing shows the same line per slot
    assert f"\r\n{want}\r\n".encode() in sqn.ok('AT+SQNSNVR="certificate"')
    # a private key slot: the <len> line alone (no source shows more)
    key = bed.pki.client.key_pem
    sqn.store("privatekey", 14, key)
    assert sqn.ok('AT+SQNSNVR="privatekey",14') == \
        b'\r\n+SQNSNVR: "privatekey",14,%d\r\n' % len(key)


def test_nvw_size_does_not_count_cr(sqn, bed):
    pem = bed.pki.ca.cert_pem
    crlf = pem.replace(b"\n", b"\r\n")
    assert len(crlf) > len(pem)
    out = sqn.payload(f'AT+SQNSNVW="certificate",15,{len(pem)}', crlf + b"\r")
    assert out == OK
    assert sqn.cmd("AT") == OK                              # nothing left over
    options(sqn, nvr="bytes")
    assert sqn.cmd('AT+SQNSNVR="certificate",15') == \
        b'\r\n+SQNSNVR: "certificate",15,%d\r\n' % len(pem) + pem + b"\r\n" + OK


def test_nvw_size_all_bytes_variant(sqn, bed):
    options(sqn, nvw_size="all-bytes", nvr="bytes")
    crlf = bed.pki.ca.cert_pem.replace(b"\n", b"\r\n")
    assert sqn.payload(f'AT+SQNSNVW="certificate",16,{len(crlf)}', crlf) == OK
    assert crlf in sqn.cmd('AT+SQNSNVR="certificate",16')
    # the CR-free count under all-bytes leaves the tail unread: it becomes input
    options(sqn, nvw_size="no-cr")
    pem = bed.pki.ca.cert_pem
    assert sqn.payload(f'AT+SQNSNVW="certificate",17,{len(pem)}', crlf) == OK


# ---------------------------------------------------------------------------
# 10. 0xFF after light sleep


def test_stray_ff_before_the_first_answer_after_idle(make_sim):
    host = SqnHost(make_sim(SequansDialect(**FAST, sleep_ff_after_s=0.4)))
    assert host.port.command(b"AT") == OK                  # right after +SYSSTART: no glitch
    assert host.port.command(b"AT") == OK
    time.sleep(0.6)
    assert host.port.command(b"AT") == b"\xff" + OK        # PAGER §1.18: \xff\r\nOK\r\n
    assert host.port.command(b"AT") == OK
    host.ok("AT+CEREG=1")
    time.sleep(0.6)
    host.modem.async_urc("+CEREG: 1")                      # a URC after idle carries it too
    assert host.port.read_until(b"+CEREG: 1\r\n") == b"\xff\r\n+CEREG: 1\r\n"
    host.dialect.set_option("sleep-ff-after-s", "0")
    time.sleep(0.6)
    assert host.port.command(b"AT") == OK


# ---------------------------------------------------------------------------
# 11. The clock


def test_clock_unset_after_attach_until_ntp(sqn_raw, bed):
    host = sqn_raw
    host.ok("AT+CMEE=1")
    host.register(sync_clock=False)
    assert host.ok("AT+CCLK?") == b'\r\n+CCLK: "70/01/01,00:00:00+00"\r\n'
    # TLS with date checks fails while the clock is unset.
    host.store("certificate", CA_SLOT, bed.pki.ca.cert_pem)
    host.ok(f'AT+SQNSPCFG=2,2,"",1,{CA_SLOT}')
    assert open_socket(host, 1, bed.echo.port, sp_id=2) == NO_CARRIER
    assert connect(host, bed.broker.port, sp_id=2) == -8
    host.ok(f'AT+SQNHTTPCFG=0,"localhost",{bed.https.port},0,"","",1,10,,2')
    assert host.cmd('AT+SQNHTTPQRY=0,0,"/text"') == OK
    assert host.urc("+SQNHTTPSH:", timeout=10) == b"+SQNHTTPSH: 0,60"   # verification failed
    host.ok(f'AT+SQNSPCFG=3,2,"",0,{CA_SLOT}')            # no date check: works
    assert open_socket(host, 1, bed.echo.port, sp_id=3) == OK
    host.ok("AT+SQNSH=1")
    # Microchip's NTP request, then the URC with status 0.
    assert host.cmd('AT+SQNNTP=2,"time.google.com,time.windows.com,pool.ntp.org",1') == OK
    assert host.urc("+SQNNTP:") == b"+SQNNTP: 0"
    m = re.fullmatch(rb'\r\n\+CCLK: "(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)\+00"\r\n',
                     host.ok("AT+CCLK?"))
    assert m and int(m.group(1)) == time.gmtime().tm_year % 100
    assert open_socket(host, 1, bed.echo.port, sp_id=2) == OK


def test_ntp_without_network_and_bad_arguments(sqn_raw):
    host = sqn_raw
    host.ok("AT+CMEE=1")
    assert host.cmd('AT+SQNNTP=2,"pool.ntp.org",1') == OK
    assert host.urc("+SQNNTP:") == b"+SQNNTP: 1"
    assert host.ok("AT+CCLK?") == b'\r\n+CCLK: "70/01/01,00:00:00+00"\r\n'
    for bad in ("AT+SQNNTP=3,\"x\",1", "AT+SQNNTP=2", 'AT+SQNNTP=2,""', "AT+SQNNTP?"):
        assert host.cme(bad) == 4, bad


def test_cclk_set_and_read_back(sqn_raw):
    host = sqn_raw
    host.ok("AT+CMEE=1")
    assert host.cmd('AT+CCLK="30/02/03,04:05:06+08"') == OK
    info = host.ok("AT+CCLK?")
    assert re.fullmatch(rb'\r\n\+CCLK: "30/02/03,04:05:0[6-9]\+08"\r\n', info), info
    for bad in ('AT+CCLK="30/13/03,04:05:06+08"', 'AT+CCLK="30/02/03 04:05:06+08"',
                'AT+CCLK="30/02/03,04:05:06+99"', "AT+CCLK=1"):
        assert host.cme(bad) == 4, bad


def test_clock_network_variant_sets_it_at_registration(sqn_raw):
    host = sqn_raw
    options(host, clock="network")
    host.register(sync_clock=False)
    assert not host.ok("AT+CCLK?").startswith(b'\r\n+CCLK: "70/')


# ---------------------------------------------------------------------------
# 12. Plaintext MQTT fallback


class Listener:
    """A TCP listener that records the first bytes a client sends."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.first = b""
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(3)
            self.first = conn.recv(4096)
            time.sleep(1.5)              # like a TLS server waiting for a handshake
            conn.close()
        except OSError:
            pass

    def close(self):
        self.sock.close()


def test_plaintext_fallback_sends_credentials_in_clear_and_hangs(sqn_tls):
    host = sqn_tls
    lst = Listener()
    try:
        host.ok('AT+SQNSPCFG=5,2,"",0,,,,"","",0,1,0')      # PAGER §1: level 0, no CA slot
        host.ok('AT+SQNSMQTTCFG=0,"client","user","secret-pass",5')
        assert host.cmd(f'AT+SQNSMQTTCONNECT=0,"127.0.0.1",{lst.port},60') == OK
        assert wait_for(lambda: lst.first, timeout=3)
        assert lst.first[0] == 0x10                         # an MQTT CONNECT, no ClientHello
        assert b"user" in lst.first and b"secret-pass" in lst.first
        assert host.quiet(2.0) == b""                      # no URC, ever
        assert host.cme('AT+SQNSMQTTCONNECT=0,"127.0.0.1",1,60') == 3
        assert host.cmd("AT+SQNSMQTTDISCONNECT=0") == OK   # the simulator's way out
    finally:
        lst.close()


def test_plaintext_fallback_off_and_ca_slot_give_tls(sqn_tls):
    host = sqn_tls
    for profile, fallback in (('AT+SQNSPCFG=5,2,"",0,,,,"","",0,1,0', "off"),
                              (f'AT+SQNSPCFG=5,2,"",0,{CA_SLOT},,,"","",0,1,0', "on")):
        options(host, plaintext_fallback=fallback)
        lst = Listener()
        try:
            host.ok(profile)
            host.ok('AT+SQNSMQTTCFG=0,"client","user","secret-pass",5')
            assert host.cmd(f'AT+SQNSMQTTCONNECT=0,"127.0.0.1",{lst.port},60') == OK
            assert wait_for(lambda: lst.first, timeout=3)
            assert lst.first[0] == 0x16 and b"secret-pass" not in lst.first   # TLS handshake
            assert host.urc("+SQNSMQTTONCONNECT:", timeout=5) in (
                b"+SQNSMQTTONCONNECT:0,-8", b"+SQNSMQTTONCONNECT:0,-4")
        finally:
            lst.close()


# ---------------------------------------------------------------------------
# 13. +SQNHCESIGN request forms


@pytest.mark.parametrize("form,want", [
    ("key-alg-hex", "+SQNHCESIGN:7,3,0,{hex}"),
    ("quoted-digest", '+SQNHCESIGN:7,3,0,"{hex}"'),
    ("extra-field", "+SQNHCESIGN:7,3,0,{hex},32"),
    ("field2-nonzero", "+SQNHCESIGN:7,3,1,{hex}"),
    ("field1-not-slot", "+SQNHCESIGN:7,4,0,{hex}"),
])
def test_hce_request_forms(form, want):
    d = SequansDialect(hce_format=form)
    digest = bytes(range(32))
    assert d.hce_request_line(7, 3, digest) == want.format(hex=digest.hex())
    assert form in HCE_FORMATS


def test_hce_field1_differs_from_the_slot_at_the_top_too():
    d = SequansDialect(hce_format="field1-not-slot")
    assert d.hce_request_line(1, 255, b"\x00" * 32).startswith("+SQNHCESIGN:1,0,0,")


def test_echo_option_process_flag(make_sim):
    host = SqnHost(make_sim(SequansDialect(**FAST, sleep_ff_after_s=0), options=Options(echo=True)))
    assert host.port.command(b"AT") == b"AT\r" + OK
