"""Command-mode behaviour of the generic dialect: echo, results, errors."""

import re
import time

import pytest

from sim.common.core import Options, parse_at_line
from sim.dialects.generic import GenericDialect

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


def test_echo_on_by_default(sim):
    assert sim.port.command(b"AT") == b"AT\r" + OK


def test_echo_off_and_back_on(sim):
    port = sim.port
    assert port.command(b"ATE0") == b"ATE0\r" + OK  # echoed before the switch
    assert port.command(b"AT") == OK
    assert port.command(b"ATE1") == OK
    assert port.command(b"AT") == b"AT\r" + OK


def test_echo_default_from_options(make_sim):
    s = make_sim(options=Options(echo=False))
    assert s.port.command(b"AT") == OK


def test_ati_and_gmr(quiet_sim):
    port = quiet_sim.port
    assert port.command(b"ATI") == b"\r\nsecmodem-sim\r\n\r\ngeneric\r\n" + OK
    assert port.command(b"AT+GMR") == b"\r\n1.0.0\r\n" + OK


def test_the_3gpp_basics_answer_like_any_modem(quiet_sim):
    """The Quick start's own commands (27.007) work on the generic simulator
    (issue 18, item 9): they were answered +CME ERROR: 4 before."""
    port = quiet_sim.port
    assert port.command(b"AT+CGMR") == b"\r\n1.0.0\r\n" + OK
    assert port.command(b"AT+CGMI") == b"\r\nsecmodem\r\n" + OK
    assert port.command(b"AT+CEREG?") == b"\r\n+CEREG: 0,1\r\n" + OK
    assert port.command(b"AT+CEREG=5") == OK
    assert port.command(b"AT+CEREG?") == b"\r\n+CEREG: 5,1\r\n" + OK
    assert port.command(b"AT+CFUN=1") == OK
    assert port.command(b"AT+CFUN?") == b"\r\n+CFUN: 1\r\n" + OK
    clock = port.command(b"AT+CCLK?")
    assert re.fullmatch(rb'\r\n\+CCLK: "\d\d/\d\d/\d\d,\d\d:\d\d:\d\d\+00"\r\n' + re.escape(OK), clock)
    assert port.command(b"AT+CSQ") == b"\r\n+CSQ: 20,99\r\n" + OK
    assert port.command(b"AT+CPIN?") == b"\r\n+CPIN: READY\r\n" + OK
    unknown = b"\r\nERROR\r\n"  # CMEE 0, the generic modem's default
    for bad in (b"AT+CEREG=9", b"AT+CFUN=2", b"AT+CCLK", b"AT+CFUN=1,7"):
        assert port.command(bad, expect=unknown) == unknown


def test_command_names_are_case_insensitive(quiet_sim):
    assert quiet_sim.port.command(b"at+gmr") == b"\r\n1.0.0\r\n" + OK
    assert quiet_sim.port.command(b"aT+EcHoLn=MiXeD") == b"\r\n+ECHOLN: MiXeD\r\n" + OK


@pytest.mark.parametrize("cmee, fail10, fail777, unknown", [
    (0, b"ERROR", b"ERROR", b"ERROR"),
    (1, b"+CME ERROR: 10", b"+CME ERROR: 777", b"+CME ERROR: 4"),
    (2, b"+CME ERROR: SIM not inserted", b"+CME ERROR: error 777",
     b"+CME ERROR: operation not supported"),
])
def test_errors_in_the_three_cmee_modes(quiet_sim, cmee, fail10, fail777, unknown):
    port = quiet_sim.port
    assert port.command(b"AT+CMEE=%d" % cmee) == OK
    assert port.command(b"AT+CMEE?") == b"\r\n+CMEE: %d\r\n" % cmee + OK
    assert port.command(b"AT+FAIL=10", expect=fail10 + b"\r\n") == b"\r\n" + fail10 + b"\r\n"
    assert port.command(b"AT+FAIL=777", expect=fail777 + b"\r\n") == b"\r\n" + fail777 + b"\r\n"
    assert port.command(b"AT+NOSUCH", expect=unknown + b"\r\n") == b"\r\n" + unknown + b"\r\n"
    # Malformed forms of known commands count as "anything else" too.
    assert port.command(b"AT+LINES=x", expect=unknown + b"\r\n") == b"\r\n" + unknown + b"\r\n"


def test_cme_texts(quiet_sim):
    port = quiet_sim.port
    port.command(b"AT+CMEE=2")
    for code, text in ((3, b"operation not allowed"), (4, b"operation not supported"),
                       (100, b"unknown")):
        expected = b"\r\n+CME ERROR: " + text + b"\r\n"
        assert port.command(b"AT+FAIL=%d" % code, expect=expected) == expected


def test_cmee_default_from_options(make_sim):
    s = make_sim(options=Options(echo=False, cmee=1))
    assert s.port.command(b"AT+FAIL=3", expect=b"3\r\n") == b"\r\n+CME ERROR: 3\r\n"


def test_echoln_is_verbatim(quiet_sim):
    line = b"AT+ECHOLN=a,b \"c\"=;?x"
    assert quiet_sim.port.command(line) == b"\r\n+ECHOLN: a,b \"c\"=;?x\r\n" + OK


def test_lines(quiet_sim):
    expected = b"".join(b"\r\n+LINES: %d\r\n" % i for i in range(5)) + OK
    assert quiet_sim.port.command(b"AT+LINES=5") == expected
    assert quiet_sim.port.command(b"AT+LINES=0") == OK
    big = quiet_sim.port.command(b"AT+LINES=1000")
    assert big.count(b"+LINES: ") == 1000 and big.endswith(b"\r\n+LINES: 999\r\n" + OK)
    assert quiet_sim.port.command(b"AT+LINES=1001", expect=ERROR) == ERROR


def test_line_terminators(sim):
    port = sim.port
    port.write(b"AT\n")
    assert port.read_until(OK) == b"AT\r" + OK
    port.write(b"AT\r\n")
    assert port.read_until(OK) == b"AT\r" + OK
    port.write(b"\r\n\r\r\n\n")  # empty lines are ignored
    port.write(b"AT+GMR\r")
    assert port.read_until(OK) == b"AT+GMR\r\r\n1.0.0\r\n" + OK
    assert port.read_for(0.2) == b""
    assert sim.modem.commands() == ["AT", "AT", "AT+GMR"]


def test_noise_before_at_is_ignored(sim):
    port = sim.port
    port.write(b"\x00\xffxyz AT+GMR\r")
    # Echo reproduces the line as received; the command itself is the AT part.
    assert port.read_until(OK) == b"\x00\xffxyz AT+GMR\r\r\n1.0.0\r\n" + OK
    port.write(b"no command here\r")
    assert port.command(b"AT") == b"AT\r" + OK
    assert sim.modem.commands() == ["AT+GMR", "AT"]


def test_overlong_line_is_rejected(quiet_sim):
    port = quiet_sim.port
    port.command(b"AT+CMEE=2")
    port.write(b"AT+ECHOLN=" + b"y" * 2000 + b"\r")
    assert port.read_until(ERROR) == ERROR  # plain ERROR whatever CMEE says
    assert port.command(b"AT") == OK
    # 1024 bytes exactly is still a valid line.
    text = b"z" * (1024 - len(b"AT+ECHOLN="))
    assert port.command(b"AT+ECHOLN=" + text) == b"\r\n+ECHOLN: " + text + b"\r\n" + OK
    assert quiet_sim.modem.commands()[-2:] == ["AT", "AT+ECHOLN=" + text.decode()]


def test_noresp_never_answers_but_modem_stays_usable(sim):
    port = sim.port
    port.write(b"AT+NORESP\r")
    assert port.read_for(0.3) == b"AT+NORESP\r"
    assert port.command(b"AT") == b"AT\r" + OK


def test_slow_answers_after_delay(quiet_sim):
    start = time.monotonic()
    assert quiet_sim.port.command(b"AT+SLOW=300") == OK
    assert time.monotonic() - start >= 0.3


def test_slow_lets_urcs_through(quiet_sim):
    port = quiet_sim.port
    port.write(b"AT+SLOW=400\r")
    time.sleep(0.1)
    quiet_sim.modem.urc("+MEANWHILE")
    assert port.read_until(OK, timeout=5) == b"\r\n+MEANWHILE\r\n" + OK


def test_at_reboot(sim):
    port = sim.port
    port.command(b"ATE0")
    start = time.monotonic()
    assert port.command(b"AT+REBOOT") == OK
    assert port.read_until(b"\r\n+SYSSTART\r\n") == b"\r\n+SYSSTART\r\n"
    assert time.monotonic() - start >= 0.1
    assert port.command(b"AT") == b"AT\r" + OK  # echo back to its default


def test_parser():
    r = parse_at_line("AT+CMEE=?")
    assert (r.name, r.op) == ("+CMEE", "test")
    r = parse_at_line("at+urc=+X: 1,5")
    assert (r.name, r.op, r.args) == ("+URC", "set", "+X: 1,5")
    assert parse_at_line("ATE0").name == "E0"
    assert parse_at_line("AT").name == ""
    assert parse_at_line("AT+GMR?").op == "read"
    assert parse_at_line("AT&F").name == "&F"
    assert parse_at_line("XX") is None


def test_dialect_table_is_extensible():
    class Custom(GenericDialect):
        def command_table(self):
            table = super().command_table()
            table["+HELLO"] = lambda ctx, req: (ctx.info("+HELLO: world"), ctx.ok())
            return table

    d = Custom()
    assert "+HELLO" in d.commands and "+GMR" in d.commands
