"""Sequans dialect: the built-in HTTP client doing real HTTPS requests.

Contract section "Built-in HTTP client (profiles 0..2)".
"""

import re

from conftest import OK
from sim.network.testbed import ECHO_TYPE, GET_BODY, GET_TYPE, TEXT_BODY, HttpsServer


def configure(host, port, sp_id=2, prof=0, use_ssl=1, address="localhost", auth=0):
    spid = "" if sp_id is None else sp_id
    host.ok(f'AT+SQNHTTPCFG={prof},"{address}",{port},{auth},"user","pw",{use_ssl},10,,{spid}')


def ring(host, prof=0, quoted=True):
    """The +SQNHTTPRING fields: (status, content type, size); the content
    type quoted (the default, http-ring-quotes=on) or bare."""
    line = host.urc(f"+SQNHTTPRING: {prof},", timeout=10)
    ctype = rb'"([^"]*)"' if quoted else rb"([^,\"]*)"
    m = re.fullmatch(rb"\+SQNHTTPRING: \d,(\d+),%s,(\d+)" % ctype, line)
    assert m, line
    return int(m.group(1)), m.group(2).decode(), int(m.group(3))


def read_body(host, size, prof=0, chunk=None):
    """The body, checking the '<<<' framing exactly: one AT+SQNHTTPRCV=<p>
    (chunk None: the only form the GM02SP serves), or reads of `chunk`
    bytes until `size` (needs http-sized-read=partial)."""
    if chunk is None:
        host.port.write(b"AT+SQNHTTPRCV=%d\r" % prof)
        data = host.port.read_exactly(5 + size + len(OK), 5)
        assert data.startswith(b"\r\n<<<") and data.endswith(OK), data[:40]
        assert host.quiet(0.05) == b""
        return data[5:-len(OK)]
    body = b""
    while len(body) < size:
        n = min(chunk, size - len(body))
        host.port.write(b"AT+SQNHTTPRCV=%d,%d\r" % (prof, chunk))
        data = host.port.read_exactly(5 + n + len(OK), 5)
        assert data.startswith(b"\r\n<<<") and data.endswith(OK), data[:40]
        body += data[5:-len(OK)]
    return body


def test_https_get_whole_body(sqn_tls, bed):
    host = sqn_tls
    configure(host, bed.https.port)
    assert host.cmd('AT+SQNHTTPQRY=0,0,"/data"') == OK
    assert ring(host) == (200, GET_TYPE, len(GET_BODY))
    assert host.cme("AT+SQNHTTPRCV=0,1500") == 4      # GM02SP: sized read refused ...
    assert read_body(host, len(GET_BODY)) == GET_BODY  # ... the body still readable
    assert host.cme("AT+SQNHTTPRCV=0") == 22          # nothing left


def test_https_get_in_chunks_with_partial_reads(sqn_tls, bed):
    host = sqn_tls
    host.dialect.set_option("http-sized-read", "partial")
    configure(host, bed.https.port)
    assert host.cmd('AT+SQNHTTPQRY=0,0,"/data"') == OK
    status, ctype, size = ring(host)
    assert (status, ctype, size) == (200, GET_TYPE, len(GET_BODY))
    assert read_body(host, size, chunk=1500) == GET_BODY          # 1500 + 1500 + rest
    assert host.cme("AT+SQNHTTPRCV=0,1500") == 22      # nothing left
    req = bed.https.requests[-1]
    assert (req.method, req.path) == ("GET", "/data")


def test_small_reads_and_discarded_rest(sqn_tls, bed):
    host = sqn_tls
    host.dialect.set_option("http-sized-read", "partial")
    configure(host, bed.https.port, prof=1)
    host.cmd('AT+SQNHTTPQRY=1,0,"/text"')
    assert ring(host, 1) == (200, "text/plain", len(TEXT_BODY))
    assert host.cmd("AT+SQNHTTPRCV=1,64") == b"\r\n<<<" + TEXT_BODY + OK
    host.cmd('AT+SQNHTTPQRY=1,0,"/"')
    assert ring(host, 1)[2] == len(GET_BODY)
    assert read_body(host, 64, prof=1, chunk=64) == GET_BODY[:64]
    host.cmd('AT+SQNHTTPQRY=1,0,"/text"')                # the unread rest is discarded
    ring(host, 1)
    assert host.cmd("AT+SQNHTTPRCV=1") == b"\r\n<<<" + TEXT_BODY + OK   # no max: all
    assert host.cme("AT+SQNHTTPRCV=1,63") == 4


def test_post_and_put_echo_with_post_param_and_extra_header(sqn_tls, bed):
    host = sqn_tls
    configure(host, bed.https.port, sp_id=1, auth=1)     # mutual TLS profile works too
    body = bytes(range(256)) + b"\r\nOK\r\n"
    out = host.payload(f'AT+SQNHTTPSND=0,0,"/post",{len(body)},"4","X-Test: yes"', body)
    assert out == OK
    assert ring(host) == (200, ECHO_TYPE, len(body))
    assert read_body(host, len(body)) == body
    req = bed.https.requests[-1]
    assert req.method == "POST" and req.body == body
    assert req.headers["content-type"] == "application/json"
    assert req.headers["x-test"] == "yes"
    assert req.headers["authorization"] == "Basic dXNlcjpwdw=="     # user:pw
    assert host.payload('AT+SQNHTTPSND=0,1,"/put",3,"2"', b"abc") == OK
    assert ring(host) == (200, ECHO_TYPE, 3)
    assert bed.https.requests[-1].headers["content-type"] == "application/octet-stream"


def test_post_without_body_has_no_prompt(sqn_tls, bed):
    host = sqn_tls
    configure(host, bed.https.port)
    assert host.cmd('AT+SQNHTTPSND=0,0,"/empty",0') == OK
    assert ring(host) == (200, ECHO_TYPE, 0)
    assert bed.https.requests[-1].headers["content-type"] == "application/x-www-form-urlencoded"


def test_head_delete_and_status_codes(sqn_tls, bed):
    host = sqn_tls
    configure(host, bed.https.port)
    host.cmd('AT+SQNHTTPQRY=0,1,"/"')
    assert ring(host) == (200, GET_TYPE, 0)
    host.cmd('AT+SQNHTTPQRY=0,2,"/thing"')
    assert ring(host) == (200, "text/plain", 8)
    host.cmd('AT+SQNHTTPQRY=0,0,"/status/404"')
    assert ring(host)[0] == 404


def test_plain_http(sqn, bed):
    with HttpsServer(tls=False) as server:
        configure(sqn, server.port, sp_id=None, use_ssl=0, address="127.0.0.1")
        sqn.cmd('AT+SQNHTTPQRY=0,0,"/text"')
        assert ring(sqn) == (200, "text/plain", len(TEXT_BODY))


def test_failures_ring_status_0_then_curl_code(sqn_tls, bed):
    host = sqn_tls
    configure(host, bed.https.port, sp_id=3)                    # wrong CA
    host.cmd('AT+SQNHTTPQRY=0,0,"/"')
    assert host.urc("+SQNHTTPRING:") == b'+SQNHTTPRING: 0,0,"",0'
    assert host.urc("+SQNHTTPSH:") == b"+SQNHTTPSH: 0,60"
    assert host.cme("AT+SQNHTTPRCV=0,64") == 22
    configure(host, 1, sp_id=2)                                 # nobody on port 1
    host.cmd('AT+SQNHTTPQRY=0,0,"/"')
    assert host.urc("+SQNHTTPSH:") == b"+SQNHTTPSH: 0,7"
    configure(host, 443, address="www.example.com")             # not loopback
    host.cmd('AT+SQNHTTPQRY=0,0,"/"')
    assert host.urc("+SQNHTTPSH:") == b"+SQNHTTPSH: 0,7"
    host.ok('AT+SQNSPCFG=5,2,"",1,18')                          # empty CA slot
    configure(host, bed.https.port, sp_id=5)
    host.cmd('AT+SQNHTTPQRY=0,0,"/"')
    assert host.urc("+SQNHTTPSH:") == b"+SQNHTTPSH: 0,58"


def test_state_and_argument_errors(sqn_raw, bed):
    host = sqn_raw
    host.cmd("ATE0")
    host.ok("AT+CMEE=1")
    assert host.cme('AT+SQNHTTPQRY=0,0,"/"') == 3                # not configured
    configure(host, bed.https.port)
    assert host.cme('AT+SQNHTTPQRY=0,0,"/"') == 30               # not registered
    host.register()
    assert host.cme('AT+SQNHTTPQRY=3,0,"/"') == 4
    assert host.cme('AT+SQNHTTPQRY=0,3,"/"') == 4
    assert host.cme('AT+SQNHTTPSND=0,0,"/",5,"9"') == 4
    assert host.cme("AT+SQNHTTPRCV=0,1501") == 4
