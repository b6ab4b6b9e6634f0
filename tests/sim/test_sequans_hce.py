"""Sequans dialect: host signing (HCE) for storage=1 profiles, against
mosquitto requiring client certificates and an HTTPS server requiring them.

Contract section "Host signing".  The host here is this test: it reads
+SQNHCESIGN, signs the digest with the test bed's client key (the one the
certificate in NVM belongs to; the modem never sees it) and answers with
AT+SQNHCESIGN.  Needs the TLS helper build/hce_tls (make build/hce_tls).
"""

import math
import re
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

from conftest import CA_SLOT, OK
from sim.network import hce
from sim.network.testbed import HttpsServer

pytestmark = pytest.mark.skipif(hce.find_helper() is None,
                                reason="the TLS helper build/hce_tls is not built (make build/hce_tls)")

CERT_ONLY_SLOT = 14      # the client certificate, and no private key anywhere in NVM
HCE_SP = 5
SIGN_RE = re.compile(rb"\+SQNHCESIGN:(\d+),(\d+),(\d+),([0-9a-f]{64})")


@pytest.fixture
def hce_host(sqn_tls, bed):
    """Registered; the client certificate alone in slot 14; profile 5 =
    TLS 1.2, chain checked against the bed's CA, key id 0 in the host."""
    sqn_tls.store("certificate", CERT_ONLY_SLOT, bed.pki.client.cert_pem)
    sqn_tls.ok(f'AT+SQNSPCFG={HCE_SP},2,"0xC02B",1,{CA_SLOT},{CERT_ONLY_SLOT},0,"","",1')
    return sqn_tls


def rs_of(key, digest):
    r, s = decode_dss_signature(key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256()))))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def start_connect(host, port, client_id="hce-device", sp_id=HCE_SP):
    host.ok(f'AT+SQNSMQTTCFG=0,"{client_id}","","",{sp_id}')
    assert host.cmd(f'AT+SQNSMQTTCONNECT=0,"localhost",{port},30') == OK


def sign_request(host, timeout=10):
    """The next +SQNHCESIGN: (ctx, key id, alg, digest)."""
    line = host.urc("+SQNHCESIGN:", timeout)
    m = SIGN_RE.fullmatch(line)
    assert m, line
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), bytes.fromhex(m.group(4).decode())


def answer(host, ctx, rs):
    return host.final(f'AT+SQNHCESIGN={ctx},0,64,"{rs.hex()}"')


def onconnect(host, timeout=10):
    return int(host.urc("+SQNSMQTTONCONNECT:", timeout).split(b",")[1])


def test_mqtt_with_the_host_signing(hce_host, bed):
    host = hce_host
    with bed.probe(["hce/#"]) as probe:
        start_connect(host, bed.broker.port)
        ctx, key_id, alg, digest = sign_request(host)
        assert (key_id, alg) == (0, 0) and 1 <= ctx <= 65535
        assert answer(host, ctx, rs_of(bed.pki.client.key, digest)) == OK
        assert onconnect(host) == 0
        host.cmd('AT+SQNSMQTTSUBSCRIBE=0,"hce/#",1')
        host.urc("+SQNSMQTTONSUBSCRIBE:")
        host.payload('AT+SQNSMQTTPUBLISH=0,"hce/up",1,5', b"hello")
        assert host.urc("+SQNSMQTTONMESSAGE:").startswith(b'+SQNSMQTTONMESSAGE:0,"hce/up",5,1,')
        assert probe.wait_for(1)[0][:2] == ("hce/up", b"hello")
    assert "u'client'" in bed.broker.log()          # the certificate's CN: it was ours
    # a second connection: a new context id, and no private key was ever stored
    host.cmd("AT+SQNSMQTTDISCONNECT=0")
    host.urc("+SQNSMQTTONDISCONNECT:")
    start_connect(host, bed.broker.port)
    ctx2, _, _, digest2 = sign_request(host)
    assert ctx2 == ctx + 1 and digest2 != digest
    assert answer(host, ctx2, rs_of(bed.pki.client.key, digest2)) == OK
    assert onconnect(host) == 0
    assert host.cme('AT+SQNSNVR="privatekey",0') == 4


def test_a_wrong_signature_is_refused_by_the_modem(hce_host, bed):
    host = hce_host
    start_connect(host, bed.broker.port)
    ctx, _, _, digest = sign_request(host)
    assert answer(host, ctx, rs_of(bed.pki.rogue.key, digest)) == OK   # well formed: OK
    assert onconnect(host) == -8                                       # but no handshake
    start_connect(host, bed.broker.port)
    ctx, _, _, digest = sign_request(host)
    assert answer(host, ctx, rs_of(bed.pki.client.key, b"\x00" * 32)) == OK   # another digest
    assert onconnect(host) == -8


def test_a_failure_answer_fails_fast(hce_host, bed):
    host = hce_host
    host.dialect.hce_timeout = 30.0
    start_connect(host, bed.broker.port)
    ctx, _, _, _ = sign_request(host)
    t0 = time.monotonic()
    assert host.final(f'AT+SQNHCESIGN={ctx},1,0,""') == OK
    assert onconnect(host) == -8
    assert time.monotonic() - t0 < 3.0
    assert host.cme(f'AT+SQNHCESIGN={ctx},0,64,"{"00" * 64}"') == 3   # already answered


def test_no_answer_times_out(hce_host, bed):
    host = hce_host
    host.dialect.hce_timeout = 0.5
    start_connect(host, bed.broker.port)
    ctx, _, _, digest = sign_request(host)
    assert onconnect(host, timeout=5) == -8
    assert host.cme(f'AT+SQNHCESIGN={ctx},0,64,"{rs_of(bed.pki.client.key, digest).hex()}"') == 3


def test_malformed_answers_are_refused_and_the_request_stays(hce_host, bed):
    host = hce_host
    start_connect(host, bed.broker.port)
    ctx, _, _, digest = sign_request(host)
    good = rs_of(bed.pki.client.key, digest).hex()
    for bad in (f'{ctx},0,63,"{good}"', f'{ctx},0,64,"{good[:-1]}"', f'{ctx},0,64,"{good[:-1]}x"',
                f'{ctx},0,64,{good}', f'{ctx},0,64', f'{ctx},1,64,"{good}"', f'{ctx},1,0,"00"',
                f'{ctx},256,0,""', f'65536,0,64,"{good}"', f'{ctx},0,64,"{good}",1'):
        assert host.cme(f"AT+SQNHCESIGN={bad}") == 4, bad
    assert host.cme(f'AT+SQNHCESIGN={ctx + 1},0,64,"{good}"') == 3      # no such request
    assert host.final(f'AT+SQNHCESIGN={ctx},0,64,"{good.upper()}"') == OK
    assert onconnect(host) == 0


def test_a_certificate_that_is_not_the_signers(hce_host, bed):
    """The profile names a certificate of another key: whatever the host
    signs with its own key cannot verify."""
    host = hce_host
    host.store("certificate", 15, bed.pki.server.cert_pem)
    host.ok(f'AT+SQNSPCFG=6,2,"",1,{CA_SLOT},15,0,"","",1')
    start_connect(host, bed.broker.port, sp_id=6)
    ctx, _, _, digest = sign_request(host)
    assert answer(host, ctx, rs_of(bed.pki.client.key, digest)) == OK
    assert onconnect(host) == -8


def test_profile_problems_are_tls_errors(hce_host, bed):
    host = hce_host
    host.ok(f'AT+SQNSPCFG=6,2,"",1,{CA_SLOT},16,0,"","",1')          # empty certificate slot
    start_connect(host, bed.broker.port, sp_id=6)
    assert onconnect(host) == -8
    host.ok(f'AT+SQNSPCFG=6,2,"",1,{CA_SLOT},{CERT_ONLY_SLOT},,"","",1')   # no key id
    start_connect(host, bed.broker.port, sp_id=6)
    assert onconnect(host) == -8
    host.dialect.hce_helper = "/nonexistent/hce_tls"                   # no helper
    start_connect(host, bed.broker.port)
    assert onconnect(host) == -8
    assert b"+SQNHCESIGN" not in host.quiet(0.2)


def test_sockets_cannot_use_host_signing(hce_host, bed):
    host = hce_host
    host.ok("AT+SQNSCFG=1,1,0,0,600,50")
    host.ok(f"AT+SQNSSCFG=1,1,{HCE_SP}")
    assert host.cme(f'AT+SQNSD=1,0,{bed.echo.port},"127.0.0.1",0,0,1') == 554
    assert b"+SQNHCESIGN" not in host.quiet(0.3)


def test_https_with_a_client_certificate(hce_host, bed):
    host = hce_host
    with HttpsServer(bed.pki, require_client_cert=True) as server:
        host.ok(f'AT+SQNHTTPCFG=0,"127.0.0.1",{server.port},0,"","",1,30,,{HCE_SP}')
        assert host.cmd('AT+SQNHTTPQRY=0,0,"/text"') == OK
        ctx, _, _, digest = sign_request(host)
        assert answer(host, ctx, rs_of(bed.pki.client.key, digest)) == OK
        assert host.urc("+SQNHTTPRING:") == b'+SQNHTTPRING: 0,200,"text/plain",33'
        # refused: the HTTP failure path
        assert host.cmd('AT+SQNHTTPQRY=0,0,"/text"') == OK
        ctx, _, _, _ = sign_request(host)
        assert host.final(f'AT+SQNHCESIGN={ctx},5,0,""') == OK
        assert host.urc("+SQNHTTPRING:") == b'+SQNHTTPRING: 0,0,"",0'
        assert host.urc("+SQNHTTPSH:") == b"+SQNHTTPSH: 0,35"


def test_a_restart_ends_a_waiting_request(hce_host, bed):
    host = hce_host
    start_connect(host, bed.broker.port)
    ctx, _, _, digest = sign_request(host)
    host.port.write(b"AT^RESET\r")
    host.urc("+SYSSTART")
    assert host.cmd("ATE0") == OK                    # echo is off after the restart anyway
    host.ok("AT+CMEE=1")
    assert host.cme(f'AT+SQNHCESIGN={ctx},0,64,"{rs_of(bed.pki.client.key, digest).hex()}"') == 3
    assert b"+SQNSMQTTONCONNECT" not in host.quiet(0.5)


def test_tls13_with_the_host_signing(hce_host, bed):
    """TLS 1.3: CertificateVerify is signed the same way (ecdsa_secp256r1_sha256)."""
    host = hce_host
    host.ok(f'AT+SQNSPCFG=6,3,"0x1301",1,{CA_SLOT},{CERT_ONLY_SLOT},0,"","",1')
    with HttpsServer(bed.pki, require_client_cert=True) as server:
        host.ok(f'AT+SQNHTTPCFG=1,"127.0.0.1",{server.port},0,"","",1,30,,6')
        assert host.cmd('AT+SQNHTTPQRY=1,0,"/text"') == OK
        ctx, _, _, digest = sign_request(host)
        assert answer(host, ctx, rs_of(bed.pki.client.key, digest)) == OK
        assert host.urc("+SQNHTTPRING:") == b'+SQNHTTPRING: 1,200,"text/plain",33'


def test_options_from_the_command_line_and_the_control_socket():
    from sim.common.testing import SimProcess
    with SimProcess("--dialect", "sequans", "--option", "hce-timeout=7",
                    "--hce-helper", hce.find_helper()) as sim:
        reply = sim.control("option", name="hce-timeout", value=2.5)
        assert reply["ok"] and reply["options"]["hce-timeout"] == 2.5
        assert reply["options"]["hce-helper"] == hce.find_helper()
        assert reply["options"]["dial-error"] == "no-carrier"        # the other options too
        assert reply["options"]["payload-timeout"] == math.inf     # the GM02SP never gives up
        assert not sim.control("option", name="hce-timeout", value=0)["ok"]
        assert not sim.control("option", name="nonsense", value=1)["ok"]
    for bad in (["--dialect", "sequans", "--option", "hce-timeout=x"],
                ["--dialect", "sequans", "--option", "nonsense"],
                ["--dialect", "generic", "--option", "hce-timeout=3"]):
        with pytest.raises(RuntimeError):
            SimProcess(*bad).__enter__()


@pytest.mark.parametrize("form,pattern", [
    ("quoted-digest", rb'\+SQNHCESIGN:(\d+),0,0,"([0-9a-f]{64})"'),
    ("extra-field", rb"\+SQNHCESIGN:(\d+),0,0,([0-9a-f]{64}),32"),
    ("field2-nonzero", rb"\+SQNHCESIGN:(\d+),0,1,([0-9a-f]{64})"),
    ("field1-not-slot", rb"\+SQNHCESIGN:(\d+),1,0,([0-9a-f]{64})"),
])
def test_request_forms_of_hce_format_sign_the_same_handshake(hce_host, bed, form, pattern):
    """Each hce-format variant only changes the request line: field 0 and the
    digest (the fields MCHP reads) still complete a real handshake."""
    host = hce_host
    host.dialect.set_option("hce-format", form)
    start_connect(host, bed.broker.port, client_id=f"hce-{form}")
    line = host.urc("+SQNHCESIGN:", 10)
    m = re.fullmatch(pattern, line)
    assert m, line
    digest = bytes.fromhex(m.group(2).decode())
    assert answer(host, int(m.group(1)), rs_of(bed.pki.client.key, digest)) == OK
    assert onconnect(host) == 0
    host.cmd("AT+SQNSMQTTDISCONNECT=0")
