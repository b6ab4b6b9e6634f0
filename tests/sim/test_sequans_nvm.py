"""Sequans dialect: NVM certificates/keys and security profiles.

Contract sections "NVM certificates and keys" and "Security profiles".
"""

import time

import pytest

from conftest import OK, PROMPT

ERROR = b"\r\nERROR\r\n"


def nvw(host, kind, slot, data, size=None, trailer=b""):
    size = len(data) if size is None else size
    return host.payload(f'AT+SQNSNVW="{kind}",{slot},{size}', data + trailer,
                        expect=b"\r\n", timeout=10) + host.port.read_until(b"\r\n")


def test_write_read_back_and_delete_certificate(sqn, bed):
    sqn.dialect.set_option("nvr", "bytes")     # the <len> + PEM variant (default: metadata)
    pem = bed.pki.ca.cert_pem
    assert nvw(sqn, "certificate", 19, pem) == OK
    out = sqn.cmd('AT+SQNSNVR="certificate",19')
    assert out == b'\r\n+SQNSNVR: "certificate",19,%d\r\n' % len(pem) + pem + b"\r\n" + OK
    assert sqn.cmd('AT+SQNSNVW="certificate",19,0') == OK          # delete
    assert sqn.cme('AT+SQNSNVR="certificate",19') == 4
    assert sqn.cme('AT+SQNSNVW="certificate",19,0') == 4           # already empty


def test_certificate_chain_and_trailing_cr(sqn, bed):
    sqn.dialect.set_option("nvr", "bytes")
    chain = bed.pki.client.cert_pem + bed.pki.ca.cert_pem
    assert nvw(sqn, "certificate", 0, chain, trailer=b"\r") == OK     # MCHP sends a CR
    assert sqn.cmd("AT") == OK                                        # CR swallowed
    assert chain in sqn.cmd('AT+SQNSNVR="certificate",0')


def test_private_key_is_stored_but_never_read_back(sqn, bed):
    key = bed.pki.client.key_pem
    assert nvw(sqn, "privatekey", 7, key) == OK
    assert sqn.cmd('AT+SQNSNVR="privatekey",7') == \
        b'\r\n+SQNSNVR: "privatekey",7,%d\r\n' % len(key) + OK
    assert sqn.cmd('AT+SQNSNVW="privatekey",7,0') == OK


def test_listing_without_index(sqn, bed):
    sqn.dialect.set_option("nvr", "bytes")
    nvw(sqn, "certificate", 3, bed.pki.ca.cert_pem)
    nvw(sqn, "certificate", 1, bed.pki.wrong_ca.cert_pem)
    assert sqn.cmd('AT+SQNSNVR="certificate"') == (
        b'\r\n+SQNSNVR: "certificate",1,%d\r\n' % len(bed.pki.wrong_ca.cert_pem) +
        b'\r\n+SQNSNVR: "certificate",3,%d\r\n' % len(bed.pki.ca.cert_pem) + OK)


def test_invalid_contents_are_refused(sqn, bed):
    assert nvw(sqn, "certificate", 2, b"not a certificate") == ERROR
    assert nvw(sqn, "certificate", 2, bed.pki.client.key_pem) == ERROR       # key as cert
    assert nvw(sqn, "privatekey", 2, bed.pki.client.cert_pem) == ERROR       # cert as key
    broken = bed.pki.ca.cert_pem.replace(b"A", b"B", 5)
    assert nvw(sqn, "certificate", 2, broken) == ERROR
    assert sqn.cme('AT+SQNSNVR="certificate",2') == 4                         # unchanged


def test_size_limits_and_bad_arguments_answer_without_prompt(sqn):
    for line in ('AT+SQNSNVW="certificate",0,8193', 'AT+SQNSNVW="privatekey",0,2049',
                 'AT+SQNSNVW="certificate",20,10', 'AT+SQNSNVW="strid",0,10',
                 'AT+SQNSNVW=certificate,0', 'AT+SQNSNVR="certificate",20'):
        out = sqn.final(line)
        assert PROMPT not in out and out == b"\r\n+CME ERROR: 4\r\n", (line, out)
    # The limits themselves are accepted (the prompt comes, data times out later).
    sqn.port.write(b'AT+SQNSNVW="privatekey",0,2048\r')
    assert sqn.port.read_until(PROMPT) == PROMPT
    sqn.port.write(b"x" * 2048)
    assert sqn.port.read_until(ERROR) == ERROR


def test_data_timeout_gives_error(sqn):
    sqn.dialect.payload_timeout = 0.3   # the contract's 5 s, shortened
    sqn.port.write(b'AT+SQNSNVW="certificate",4,100\r')
    sqn.port.read_until(PROMPT)
    sqn.port.write(b"-----BEGIN")
    start = time.monotonic()
    assert sqn.port.read_until(ERROR, 5) == ERROR
    assert time.monotonic() - start >= 0.3
    assert sqn.cmd("AT") == OK


def test_payload_timeout_option_zero_waits_for_the_count(sqn):
    """--option payload-timeout=0: as the GM02SP bench log shows, the modem
    waits at its prompt with no timeout of its own, and the next bytes,
    whatever they are, meet the count (docs/payload-abandon.md). There is
    no escape: ESC is one of the counted bytes."""
    sqn.dialect.set_option("payload-timeout", "0.3")   # the 5 s default, shortened
    sqn.port.write(b'AT+SQNSNVW="certificate",4,4\r')
    sqn.port.read_until(PROMPT)
    assert sqn.port.read_until(ERROR, 5) == ERROR
    sqn.dialect.set_option("payload-timeout", "0")
    assert sqn.dialect.options()["payload-timeout"] == float("inf")
    sqn.port.write(b'AT+SQNSNVW="certificate",4,4\r')
    sqn.port.read_until(PROMPT)
    sqn.port.write(b"\x1b")                         # no abort...
    assert sqn.port.read_for(0.8) == b""           # ...and no timeout
    sqn.port.write(b"ATI\r")                       # the next command line is taken
    assert sqn.port.read_until(ERROR, 5) == ERROR  # as 3 bytes of a bad certificate (CR not counted)
    assert sqn.cmd("AT") == OK
    with pytest.raises(ValueError):
        sqn.dialect.set_option("payload-timeout", "-1")


def test_profile_set_echoes_the_stored_line(sqn):
    assert sqn.cmd('AT+SQNSPCFG=1,2,"0xC02B",5,19,0,0,"","",1') == \
        b'\r\n+SQNSPCFG: 1,2,"0xC02B",5,19,0,0,"","",1,0,0\r\n' + OK
    # Empty middle fields and omitted trailing ones (MCHP's HTTPS example).
    assert sqn.cmd("AT+SQNSPCFG=2,,,5,1") == \
        b'\r\n+SQNSPCFG: 2,2,"",5,1,,,"","",0,0,0\r\n' + OK
    # FW 5.4 form: ciphers left empty instead of "".
    assert sqn.cmd("AT+SQNSPCFG=3,3,,1,1,1,1") == \
        b'\r\n+SQNSPCFG: 3,3,"",1,1,1,1,"","",0,0,0\r\n' + OK
    assert sqn.cmd('AT+SQNSPCFG=6,2,"0x8C;0x8D;0XAE;0xAF",,,,,"AABC","Client_identity",0,1,3600') \
        == b'\r\n+SQNSPCFG: 6,2,"0x8C;0x8D;0XAE;0xAF",0,,,,"AABC","Client_identity",0,1,3600\r\n' + OK


def test_profile_list_and_overwrite(sqn):
    assert sqn.cmd("AT+SQNSPCFG") == OK                    # none configured
    sqn.ok('AT+SQNSPCFG=4,2,"",1,10')
    sqn.ok('AT+SQNSPCFG=2,2,"",0')
    sqn.ok('AT+SQNSPCFG=4,2,"",5,11')                      # replaces profile 4
    assert sqn.cmd("AT+SQNSPCFG") == (b'\r\n+SQNSPCFG: 2,2,"",0,,,,"","",0,0,0\r\n'
                                      b'\r\n+SQNSPCFG: 4,2,"",5,11,,,"","",0,0,0\r\n' + OK)


def test_profile_bad_values(sqn):
    for line in ("AT+SQNSPCFG=0,2", "AT+SQNSPCFG=7,2", "AT+SQNSPCFG=1,4", "AT+SQNSPCFG=1,2,,256",
                 "AT+SQNSPCFG=1,2,,1,20", 'AT+SQNSPCFG=1,2,"",1,1,1,1,"","",2',
                 'AT+SQNSPCFG=1,2,"0xZZ"', "AT+SQNSPCFG=1,2,,1,1,1,1,,,0,0,0,9"):
        assert sqn.cme(line) == 4, line


def test_echo_on_prompt_follows_the_echo(sqn_raw, bed):
    port, pem = sqn_raw.port, bed.pki.ca.cert_pem
    assert port.command(b"ATE1") == OK
    line = b'AT+SQNSNVW="certificate",9,%d' % len(pem)
    port.write(line + b"\r")
    assert port.read_until(PROMPT) == line + b"\r" + PROMPT
    port.write(pem + b"\r")
    assert port.read_until(OK) == OK                         # no echo of the PEM
    assert port.command(b"AT") == b"AT\r" + OK
