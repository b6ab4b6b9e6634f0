"""Each fault switch changes the output, deterministically for a seed."""

import time

import pytest

from sim.common.faults import Faults
from sim.common.testing import wait_for

OK = b"\r\nOK\r\n"


def test_drop_rate_one_drops_everything(quiet_sim):
    quiet_sim.modem.set_fault("drop-rate", 1.0)
    quiet_sim.port.write(b"AT+LINES=3\r")
    # The command is processed; its output just never arrives.
    wait_for(lambda: quiet_sim.modem.stats()["faults"]["dropped_bytes"] == 3 * 13 + 6)
    assert quiet_sim.modem.commands()[-1] == "AT+LINES=3"
    assert quiet_sim.port.read_for(0.2) == b""


def test_corrupt_rate_one_changes_every_byte(quiet_sim):
    quiet_sim.modem.set_fault("corrupt-rate", 1.0)
    quiet_sim.port.write(b"ATI\r")
    expected = b"\r\nsecmodem-sim\r\n\r\ngeneric\r\n" + OK
    got = quiet_sim.port.read_exactly(len(expected))
    assert all(a != b for a, b in zip(got, expected))
    assert quiet_sim.port.read_for(0.2) == b""
    assert quiet_sim.modem.stats()["faults"]["corrupted_bytes"] == len(expected)


def test_garbage_rate_one_precedes_every_unit(quiet_sim):
    quiet_sim.modem.set_fault("garbage-rate", 1.0)
    out = quiet_sim.port.command(b"ATI") + quiet_sim.port.read_for(0.3)
    clean = b"\r\nsecmodem-sim\r\n\r\ngeneric\r\n" + OK
    assert len(out) > len(clean)
    assert quiet_sim.modem.stats()["faults"]["garbage_units"] == 3
    # The real units are still intact and in order amid the garbage.
    pos = 0
    for unit in (b"\r\nsecmodem-sim\r\n", b"\r\ngeneric\r\n", OK):
        pos = out.index(unit, pos) + len(unit)


def test_garbage_kinds_are_mixed():
    f = Faults(seed=5, garbage_rate=1.0)
    chunks = [f.garbage() for _ in range(200)]
    notes = " ".join(note for _, note in chunks)
    assert "junk" in notes and "nul" in notes and "long" in notes
    assert any(data.endswith(b"\r\n") for data, _ in chunks)
    assert any(not data.endswith(b"\r\n") for data, _ in chunks)
    for data, note in chunks:
        body = data[:-2] if data.endswith(b"\r\n") else data
        assert b"\r" not in body and b"\n" not in body
        if note.startswith("garbage: nul"):
            assert b"\x00" in body
        if note.startswith("garbage: long"):
            assert len(body) >= 3000


def test_same_seed_same_faults():
    def run(seed):
        f = Faults(seed=seed, drop_rate=0.2, corrupt_rate=0.2, garbage_rate=0.5)
        out = []
        for _ in range(20):
            junk = f.garbage()
            out.append(junk[0] if junk else b"")
            out.append(f.mangle(b"\r\n+LINES: 12\r\n")[0])
        return b"".join(out)

    assert run(99) == run(99)
    assert run(99) != run(100)


def test_seeded_faults_reproduce_on_the_wire(make_sim):
    def capture():
        s = make_sim(faults=Faults(seed=321))
        s.port.command(b"ATE0")
        s.modem.set_fault("corrupt-rate", 0.3)
        s.modem.set_fault("drop-rate", 0.1)
        s.port.write(b"AT+LINES=20\r")
        return s.port.read_quiet(0.3)

    first, second = capture(), capture()
    assert first == second and first != b""


def test_delay_ms_delays_final_results(quiet_sim):
    quiet_sim.modem.set_fault("delay-ms", 300)
    start = time.monotonic()
    out = quiet_sim.port.command(b"AT+GMR")
    assert time.monotonic() - start >= 0.3
    assert out == b"\r\n1.0.0\r\n" + OK
    assert quiet_sim.modem.stats()["faults"]["delayed_results"] == 1


def test_reboot_after_cmds_cuts_the_response(sim):
    port = sim.port
    sim.modem.set_fault("reboot-after-cmds", 2)
    assert port.command(b"AT") == b"AT\r" + OK  # command 1: untouched
    port.write(b"AT+LINES=3\r")                   # command 2: cut mid-line
    out = port.read_until(b"\r\n+SYSSTART\r\n")
    assert out == b"AT+LINES=3\r" + b"\r\n+LIN" + b"\r\n+SYSSTART\r\n"
    assert port.read_for(0.2) == b""  # the rest of the response is gone
    # One-shot, and the host can carry on after resynchronising.
    assert port.command(b"AT") == b"AT\r" + OK
    assert port.command(b"AT") == b"AT\r" + OK
    stats = sim.modem.stats()
    assert stats["faults"]["forced_reboots"] == 1 and stats["reboots"] == 1


def test_reboot_after_cmds_on_command_without_output(quiet_sim):
    quiet_sim.modem.set_fault("reboot-after-cmds", 1)
    quiet_sim.port.write(b"AT+NORESP\r")
    assert quiet_sim.port.read_until(b"\r\n+SYSSTART\r\n") == b"\r\n+SYSSTART\r\n"


def test_lose_prompts_loses_the_prompt_not_the_wait(quiet_sim):
    """lose-prompts: the "> " never reaches the host, yet the modem counts
    the bytes that follow as the payload, whatever they are (a GM02SP
    publishes them: docs/payload-abandon.md). One-shot per count."""
    quiet_sim.modem.set_fault("lose-prompts", 1)
    quiet_sim.port.write(b"AT+SEND=5\r")
    assert quiet_sim.port.read_for(0.3) == b""        # no prompt
    quiet_sim.port.write(b"AT+X\r")                   # the next command line...
    out = quiet_sim.port.read_until(OK)
    assert out.startswith(b"\r\n+SEND: 5,")          # ...taken as the 5 bytes
    assert quiet_sim.modem.stats()["faults"]["lost_prompts"] == 1
    quiet_sim.port.write(b"AT+SEND=2\r")
    assert quiet_sim.port.read_until(b"> ") == b"\r\n> "  # the count was 1
    quiet_sim.port.write(b"ok")
    assert quiet_sim.port.read_until(OK).endswith(OK)
    with pytest.raises(ValueError):
        Faults().set("lose-prompts", -1)


def test_bad_fault_switches_are_rejected():
    f = Faults()
    with pytest.raises(ValueError):
        f.set("drop-rate", 1.5)
    with pytest.raises(ValueError):
        f.set("no-such-fault", 1)
    f.set("drop_rate", 0.5)  # underscores accepted
    assert f.settings()["drop-rate"] == 0.5
