"""The `python3 -m sim` subprocess: PTY line, control socket, trace, exit."""

import os
import re
import signal
import time

import pytest

from sim.common.testing import SimProcess, wait_for

OK = b"\r\nOK\r\n"
SYSSTART = b"\r\n+SYSSTART\r\n"


def test_prints_pty_and_exits_cleanly_on_sigterm(tmp_path):
    link = tmp_path / "modem"
    with SimProcess("--link", link) as sim:
        assert re.fullmatch(r"/dev/pts/\d+", sim.pty_path)
        assert os.readlink(link) == sim.pty_path
        port = sim.open_port()
        assert port.read_until(SYSSTART) == SYSSTART
        assert port.command(b"AT") == b"AT\r" + OK
        control_path = sim.control_path
        assert sim.stop() == 0  # SIGTERM
    assert not os.path.lexists(link)
    assert not os.path.exists(control_path)


def test_exits_cleanly_on_sigint():
    with SimProcess() as sim:
        sim.proc.send_signal(signal.SIGINT)
        assert sim.proc.wait(5) == 0


def test_echo_and_cmee_options():
    with SimProcess("--echo", "off", "--cmee", "2") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        assert port.command(b"AT") == OK
        expected = b"\r\n+CME ERROR: operation not supported\r\n"
        assert port.command(b"AT+BOGUS", expect=expected) == expected


def test_unknown_dialect_fails():
    with pytest.raises(RuntimeError, match="no dialect"):
        with SimProcess("--dialect", "nosuch"):
            pass


def test_control_urc_raw_stats_commands():
    with SimProcess("--echo", "off") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        assert sim.control("urc", text="+FOO: 1") == {"ok": True}
        assert port.read_until(b"\r\n+FOO: 1\r\n") == b"\r\n+FOO: 1\r\n"
        assert sim.control("raw", hex="0d0a4f00ff")["ok"]
        assert port.read_exactly(5) == b"\r\nO\x00\xff"

        assert port.command(b"AT") == OK
        assert port.command(b"AT+GMR") == b"\r\n1.0.0\r\n" + OK
        assert sim.control("commands") == {"ok": True, "commands": ["AT", "AT+GMR"]}
        stats = sim.control("stats")
        assert stats["ok"] and stats["commands_seen"] == 2
        assert stats["bytes_in"] == len(b"AT\rAT+GMR\r")
        assert stats["bytes_out"] == len(SYSSTART + b"\r\n+FOO: 1\r\n" + b"\r\nO\x00\xff"
                                         + OK + b"\r\n1.0.0\r\n" + OK)


def test_control_urc_between_response_lines_during_slow():
    with SimProcess("--echo", "off") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        port.write(b"AT+SLOW=500\r")
        time.sleep(0.1)
        sim.control("urc", text="+DURING")
        assert port.read_until(OK) == b"\r\n+DURING\r\n" + OK


def test_control_reboot_resets_settings_and_drops_partial_input():
    with SimProcess() as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        port.command(b"ATE0")
        port.command(b"AT+CMEE=2")
        port.write(b"AT+FAIL=")  # partial line, lost by the reboot
        time.sleep(0.1)
        assert sim.control("reboot") == {"ok": True}
        assert port.read_until(SYSSTART) == SYSSTART
        assert port.command(b"AT") == b"AT\r" + OK  # echo on again
        assert port.command(b"AT+CMEE?") == b"AT+CMEE?\r\r\n+CMEE: 0\r\n" + OK
        assert sim.control("commands")["commands"] == ["ATE0", "AT+CMEE=2", "AT", "AT+CMEE?"]
        assert sim.control("stats")["reboots"] == 1


def test_control_fault_switch_and_errors():
    with SimProcess("--echo", "off") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        reply = sim.control("fault", name="drop-rate", value=1.0)
        assert reply["ok"] and reply["faults"]["drop-rate"] == 1.0
        port.write(b"AT\r")
        wait_for(lambda: sim.control("stats")["faults"]["dropped_bytes"] == len(OK))
        assert port.read_for(0.2) == b""
        sim.control("fault", name="drop-rate", value=0)
        assert port.command(b"AT") == OK

        assert not sim.control("fault", name="bogus", value=1)["ok"]
        assert not sim.control("fault", name="corrupt-rate", value=7)["ok"]
        assert not sim.control("nosuch")["ok"]
        assert "error" in sim.control("urc")


def test_cli_fault_flags():
    with SimProcess("--echo", "off", "--delay-ms", "250", "--seed", "3") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        start = time.monotonic()
        assert port.command(b"AT") == OK
        assert time.monotonic() - start >= 0.25
    with SimProcess("--reboot-after-cmds", "1") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        port.write(b"ATI\r")
        assert port.read_until(SYSSTART) == b"ATI\r\r\nsecmod" + SYSSTART


def test_trace_file(tmp_path):
    trace = tmp_path / "trace.txt"
    with SimProcess("--trace", trace, "--echo", "off") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        assert port.command(b"AT") == OK
        sim.control("fault", name="corrupt-rate", value=1.0)
        port.write(b"AT\r")
        port.read_exactly(6)
        assert sim.stop() == 0
    lines = trace.read_text().splitlines()
    event = re.compile(r"^\s*\d+\.\d{6} (host>|modem<|fault|note)\s")
    assert lines and all(event.match(line) for line in lines), lines
    text = "\n".join(lines)
    assert re.search(r" modem< \\r\\n\+SYSSTART\\r\\n$", text, re.M)
    assert re.search(r" host>  AT\\r$", text, re.M)
    assert re.search(r" modem< \\r\\nOK\\r\\n$", text, re.M)
    assert re.search(r" fault  corrupt: 6 of 6 bytes corrupted$", text, re.M)
    # Timestamps are relative and never go backwards.
    stamps = [float(line.split()[0]) for line in lines]
    assert stamps == sorted(stamps) and stamps[0] < 5


def test_trace_to_stdout():
    with SimProcess("--trace", "-") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        port.command(b"AT")
        sim.stop()
        out = sim.stdout().decode()
    assert " host>  AT\\r" in out and " modem< AT\\r" in out
