"""Sequans dialect: boot, framing, echo, CMEE, CFUN/CEREG/CCLK, reboots.

Contract sections "Framing" and "Network" (sim/sequans_contract.md).
"""

import re
import time

from conftest import OK, SqnHost
from sim.dialects.sequans import SequansDialect

SYSSTART = b"\r\n+SYSSTART\r\n"


def test_boot_defaults_echo_off_and_plain_errors(sqn_raw):
    port = sqn_raw.port
    assert port.command(b"AT") == OK                                # echo OFF after boot
    assert port.command(b"ATI") == b"\r\nSequans\r\n\r\nGM02S\r\n" + OK
    assert port.command(b"AT+CGMR") == b"\r\nUE8.0.5.10\r\n" + OK
    assert port.command(b"AT+CFUN?") == b"\r\n+CFUN: 0\r\n" + OK   # boots in CFUN 0
    assert port.command(b"AT+NOSUCH", b"ERROR\r\n") == b"\r\nERROR\r\n"  # CMEE 0
    assert port.command(b"ATE1") == OK                  # echo is decided before ATE1 runs
    assert port.command(b"AT") == b"AT\r" + OK
    assert port.command(b"ATE0") == b"ATE0\r" + OK
    assert port.command(b"AT") == OK


def test_echo_on_variant(make_sim):
    """--echo on (Options.echo): the V.250 default the old contract assumed."""
    from sim.common.core import Options
    host = SqnHost(make_sim(SequansDialect(sleep_ff_after_s=0), options=Options(echo=True)))
    assert host.port.command(b"AT") == b"AT\r" + OK
    assert host.port.command(b"AT+CFUN?") == b"AT+CFUN?\r\r\n+CFUN: 0\r\n" + OK


def test_cmee_modes(sqn_raw):
    sqn_raw.cmd("ATE0")
    sqn_raw.ok("AT+CMEE=1")
    assert sqn_raw.cme('AT+SQNSNVR="certificate",3') == 4    # empty slot
    sqn_raw.ok("AT+CMEE=2")
    assert sqn_raw.final("AT+SQNSD=1,0,80,\"127.0.0.1\",0,0,1") == \
        b"\r\n+CME ERROR: no network service\r\n"


def test_registration_urcs_with_default_timing(make_sim):
    host = SqnHost(make_sim(SequansDialect()))
    host.cmd("ATE0")
    host.ok("AT+CEREG=1")
    start = time.monotonic()
    assert host.cmd("AT+CFUN=1") == OK
    assert host.port.read_until(b"\r\n+CEREG: 2\r\n") == b"\r\n+CEREG: 2\r\n"
    assert host.port.read_until(b"\r\n+CEREG: 1\r\n") == b"\r\n+CEREG: 1\r\n"
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 2.0
    assert host.ok("AT+CEREG?") == b"\r\n+CEREG: 1,1\r\n"
    assert host.ok("AT+CFUN?") == b"\r\n+CFUN: 1\r\n"


def test_cereg_mode_5_reports_cell_and_cfun_0_deregisters(sqn_raw):
    host = sqn_raw
    host.cmd("ATE0")
    host.ok("AT+CEREG=5")
    assert host.ok("AT+CEREG?") == b"\r\n+CEREG: 5,0\r\n"
    host.ok("AT+CFUN=1")
    assert host.urc("+CEREG: 2") == b"+CEREG: 2"
    assert host.urc("+CEREG: 1") == b'+CEREG: 1,"0001","01A2D001",7'
    assert host.ok("AT+CEREG?") == b'\r\n+CEREG: 5,1,"0001","01A2D001",7\r\n'
    host.ok("AT+CFUN=4")
    assert host.urc("+CEREG:") == b"+CEREG: 0"
    assert host.ok("AT+CEREG?") == b"\r\n+CEREG: 5,0\r\n"


def test_no_urcs_with_cereg_mode_0(sqn_raw):
    host = sqn_raw
    host.cmd("ATE0")
    host.ok("AT+CFUN=1")
    assert host.quiet(0.3) == b""
    assert host.ok("AT+CEREG?") == b"\r\n+CEREG: 0,1\r\n"


def test_cclk_before_and_after_registration(sqn_raw):
    host = sqn_raw
    host.cmd("ATE0")
    assert host.ok("AT+CCLK?") == b'\r\n+CCLK: "70/01/01,00:00:00+00"\r\n'
    host.register()
    info = host.ok("AT+CCLK?")
    m = re.fullmatch(rb'\r\n\+CCLK: "(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)\+00"\r\n', info)
    assert m
    now = time.gmtime()
    assert int(m.group(1)) == now.tm_year % 100 and int(m.group(2)) == now.tm_mon


def test_bad_parameters(sqn):
    assert sqn.cme("AT+CFUN=3") == 4
    assert sqn.cme("AT+CEREG=3") == 4
    assert sqn.cme('AT+CEREG="1"') == 4
    assert sqn.cme("AT+SQNSD=7,0,80,\"localhost\",0,0,1") == 4
    assert sqn.cme('AT+SQNSPCFG=1,2,"abc",1') == 4      # cipher list syntax
    assert sqn.cme('AT+SQNSPCFG=1,2,"",1,"x') == 4      # broken quotes


def test_reset_reboots_and_keeps_nvm_and_profiles(sqn, bed):
    sqn.store("certificate", 5, bed.pki.ca.cert_pem)
    sqn.ok('AT+SQNSPCFG=2,2,"",1,5')
    sqn.ok("AT+CEREG=5")
    assert sqn.cmd("AT^RESET") == OK
    assert sqn.port.read_until(SYSSTART, 5).endswith(SYSSTART)
    # Volatile: echo (off again after ATE1), CMEE 0, CFUN 0, CEREG mode 0.
    assert sqn.port.command(b"AT+CFUN?") == b"\r\n+CFUN: 0\r\n" + OK
    assert sqn.port.command(b"AT+CEREG?") == b"\r\n+CEREG: 0,0\r\n" + OK
    # Persistent: NVM and profiles.
    out = sqn.port.command(b"AT+SQNSPCFG")
    assert out == b'\r\n+SQNSPCFG: 2,2,"",1,5,,,"","",0,0,0\r\n' + OK
    assert b'"/O=secmodem test bed/CN=' in sqn.port.command(b'AT+SQNSNVR="certificate",5')   # metadata line


def test_cfun_1_1_reboots(sqn):
    assert sqn.cmd("AT+CFUN=1,1") == OK
    assert sqn.port.read_until(SYSSTART, 5).endswith(SYSSTART)
    assert sqn.port.command(b"AT") == OK


def test_network_urcs_wait_for_the_running_command_with_after_final(sqn):
    """urc-timing=after-final: network URCs go through Modem.async_urc; one
    raised while a command sits at its prompt comes after that command's
    final result."""
    sqn.dialect.set_option("urc-timing", "after-final")
    sqn.port.write(b'AT+SQNSNVW="certificate",1,5\r')
    sqn.port.read_until(b"\r\n> ")
    sqn.modem.async_urc("+SQNSRING: 1,5")
    assert sqn.quiet(0.1) == b""
    sqn.port.write(b"xxxxx")                     # not a PEM: ERROR
    assert sqn.port.read_until(b"+SQNSRING: 1,5\r\n") == \
        b"\r\nERROR\r\n\r\n+SQNSRING: 1,5\r\n"


def test_signal_quality_before_and_after_registration(make_sim):
    """AT+CSQ (docs/sequans.md C-41, R-41): `+CSQ: <rssi>,<ber>`, ber always
    99; rssi 99 (not known) until registered."""
    host = SqnHost(make_sim(SequansDialect()))
    host.cmd("ATE0")
    host.ok("AT+CEREG=1")
    assert host.ok("AT+CSQ") == b"\r\n+CSQ: 99,99\r\n"
    assert host.cmd("AT+CFUN=1") == OK
    host.port.read_until(b"\r\n+CEREG: 1\r\n")
    assert host.ok("AT+CSQ") == b"\r\n+CSQ: 20,99\r\n"
    assert host.final("AT+CSQ=?") != OK     # the exec form only


def test_identity_forms(make_sim):
    """AT+CGSN[=<snt>] (docs/sequans.md C-42, R-42): =2, what the library
    and Walter's driver send, answers the IMEISV quoted (cgsn-quotes=on, the
    default) or bare (off); the exec form the IMEI bare; snt 4: CME 4."""
    host = SqnHost(make_sim(SequansDialect(sleep_ff_after_s=0)))
    host.cmd("ATE0")
    assert host.ok("AT+CGSN=2") == b'\r\n+CGSN: "4901542032375101"\r\n'
    assert host.ok("AT+CGSN=1") == b'\r\n+CGSN: "490154203237518"\r\n'
    assert host.ok("AT+CGSN") == b"\r\n490154203237518\r\n"
    assert host.final("AT+CGSN=4") != OK
    bare = SqnHost(make_sim(SequansDialect(sleep_ff_after_s=0, cgsn_quotes="off")))
    bare.cmd("ATE0")
    assert bare.ok("AT+CGSN=2") == b"\r\n+CGSN: 4901542032375101\r\n"


def test_functionality_read(make_sim):
    """AT+CFUN? (docs/sequans.md C-43, R-43): `+CFUN: <fun>`, the level set
    last: 0 after boot, then 4, 1 and 0 again as AT+CFUN= sets them."""
    host = SqnHost(make_sim(SequansDialect(sleep_ff_after_s=0)))
    host.cmd("ATE0")
    assert host.ok("AT+CFUN?") == b"\r\n+CFUN: 0\r\n"
    for fun in (4, 1, 0):
        assert host.cmd(f"AT+CFUN={fun}") == OK
        assert host.ok("AT+CFUN?") == f"\r\n+CFUN: {fun}\r\n".encode()
