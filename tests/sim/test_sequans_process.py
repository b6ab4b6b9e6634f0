"""Sequans dialect in its own process: python3 -m sim --dialect sequans --pty,
the way a PC build of the firmware (or the C end-to-end tests) uses it."""

from sim.common.testing import SimProcess

OK = b"\r\nOK\r\n"
SYSSTART = b"\r\n+SYSSTART\r\n"


def test_subprocess_tls_socket_and_control_reboot(bed):
    pem = bed.pki.ca.cert_pem
    with SimProcess("--dialect", "sequans", "--cmee", "1", "--option", "sleep-ff-after-s=0") as sim:
        port = sim.open_port()
        port.read_until(SYSSTART)
        assert port.command(b"ATI") == b"\r\nSequans\r\n\r\nGM02S\r\n" + OK
        port.command(b"AT+CEREG=1")
        port.command(b"AT+CFUN=1")
        port.read_until(b"\r\n+CEREG: 1\r\n")
        port.command(b'AT+SQNNTP=2,"pool.ntp.org",1')          # the clock is unset after attach
        port.read_until(b"\r\n+SQNNTP: 0\r\n")
        port.write(b'AT+SQNSNVW="certificate",19,%d\r' % len(pem))
        port.read_until(b"\r\n> ")
        port.write(pem)
        assert port.read_until(OK) == OK
        port.command(b'AT+SQNSPCFG=1,2,"",5,19')
        port.command(b"AT+SQNSCFGEXT=1,1,0,0")
        port.command(b"AT+SQNSSCFG=1,1,1")
        assert port.command(b'AT+SQNSD=1,0,%d,"localhost",0,0,1' % bed.echo.port,
                            timeout=10) == OK
        port.write(b"AT+SQNSSENDEXT=1,3\r")
        port.read_until(b"\r\n> ")
        port.write(b"\x00\r\n")
        assert port.read_until(b"+SQNSRING: 1,3\r\n") == OK + b"\r\n+SQNSRING: 1,3\r\n"
        assert port.command(b"AT+SQNSRECV=1,10") == b"\r\n+SQNSRECV: 1,3\r\n\x00\r\n\r\n" + OK
        assert sim.control("reboot")["ok"]
        assert port.read_until(SYSSTART, 5).endswith(SYSSTART)
        assert b"+SQNSS: 1,0" in port.command(b"AT+SQNSS")
        # NVM survived the reboot; the profile too.
        assert b'+SQNSNVR: "certificate",19' in port.command(b'AT+SQNSNVR="certificate"')
        stats = sim.control("stats")
        assert stats["reboots"] == 1
        assert sim.stop() == 0


def test_extra_arguments_from_the_environment(monkeypatch):
    from sim.dialects.sequans import LEGACY_OPTIONS
    from sim.common.testing import dialect_extra_args
    monkeypatch.setenv("SM_SIM_SEQUANS_ARGS", "--option 'command-urc=+X: 1' --legacy")
    extra = dialect_extra_args(["--dialect", "sequans", "--cmee", "1"])
    assert extra[:4] == ["--option", "command-urc=+X: 1", "--echo", "on"]
    assert extra[4:] == [w for s in LEGACY_OPTIONS for w in ("--option", s)]
    assert dialect_extra_args(["--dialect", "cordelia"]) == []
    with SimProcess("--dialect", "sequans") as sim:
        assert sim.control("option", name="dial-error", value="cme")["options"]["clock"] == "network"
        port = sim.open_port()
        port.read_until(SYSSTART)
        assert port.command(b"AT") == b"AT\r\r\n+X: 1\r\n" + OK        # --echo on, the hook
