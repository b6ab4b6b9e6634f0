"""Cordelia-I dialect: framing, errors, device commands, user settings,
options, the event-injection mode and the core's fault switches.

Contract sections "Framing" and "Device".
"""

import json
import subprocess
import sys
import time

import pytest

from conftest import CORD_FAST, CORD_OK, CORD_STARTUP, REPO_ROOT, CordHost
from sim.dialects.cordelia import CordeliaDialect
from sim.common.faults import Faults
from sim.common.testing import SimProcess


def test_defaults_match_the_contract():
    d = CordeliaDialect()
    assert (d.wlan_delay, d.factory_reset_time, d.reboot_delay) == (0.2, 2.0, 0.1)
    assert d.echo_default is False
    assert d.inject_events is False
    assert (d.error_style, d.fileread_count, d.getinfo, d.events, d.sockets) == \
        ("compact", "chars", "text", "interleaved", "calypso")
    assert CORD_STARTUP == b"+eventstartup:2610011025010,0x31000019,88:01:f9:b3:76:73,1.0.0\r\n"


def test_no_echo_bare_lines_and_case_insensitive_names(cord):
    cord.send("AT+test")
    assert cord.port.read_until(CORD_OK) == CORD_OK          # no echo, no leading CR LF
    assert cord.final("at+TEST") == CORD_OK
    assert cord.final("AT+Get=General,Version") == b"+get:1.0.0\r\n" + CORD_OK
    assert cord.quiet(0.1) == b""


def test_commands_split_cr_and_lf_still_work(cord):
    cord.port.write(b"AT+te")
    time.sleep(0.05)
    cord.port.write(b"st\r")
    time.sleep(0.05)
    cord.port.write(b"\n")
    assert cord.port.read_until(CORD_OK) == CORD_OK
    assert cord.quiet(0.1) == b""                             # the lone LF is no command


def test_errors_carry_text_and_negative_code(cord):
    assert cord.error("AT+bogus") == ("unknown command", -2006)
    assert cord.error("AT") == ("unknown command", -2006)
    assert cord.error("AT+test=1") == ("invalid input", -2006)
    assert cord.error("AT+get=MQTT") == ("invalid input", -2006)
    assert cord.error("AT+fileClose=17,,") == ("invalid handle", -10335)
    assert cord.error("AT+iotconnect") == ("not connected", -2069)
    assert cord.error("AT+wlanDisconnect") == ("not connected", -2071)


def test_over_long_line_is_refused(cord):
    assert cord.error("AT+set=MQTT,clientId," + "x" * 2100) == ("invalid input", -2006)
    assert cord.final("AT+test") == CORD_OK


def test_reboot_ok_then_startup_event(cord):
    t0 = time.monotonic()
    assert cord.final("AT+reboot") == CORD_OK
    assert cord.port.read_until(CORD_STARTUP) == CORD_STARTUP
    assert time.monotonic() - t0 >= CORD_FAST["reboot_delay"]
    assert cord.final("AT+test") == CORD_OK
    assert cord.modem.stats()["reboots"] == 1


def test_hibernate_ok_silence_then_startup_event(cord):
    """AT+hibernate=<s> (docs/cordelia.md C27): OK; nothing is answered while
    the module sleeps; the start-up event after <s> seconds; 0 and 86401
    are refused (the driver's range)."""
    assert cord.error("AT+hibernate=0") == ("invalid input", -2006)
    assert cord.error("AT+hibernate=86401") == ("invalid input", -2006)
    t0 = time.monotonic()
    assert cord.final("AT+hibernate=1") == CORD_OK
    time.sleep(CORD_FAST["reboot_delay"] + 0.1)        # asleep after reboot-delay
    cord.port.write(b"AT+test\r\n")                      # not heard
    assert cord.port.read_until(CORD_STARTUP) == CORD_STARTUP
    assert time.monotonic() - t0 >= 1.0
    assert cord.final("AT+test") == CORD_OK
    assert cord.modem.stats()["reboots"] == 1


def test_settings_case_insensitive_quotes_stripped_types_checked(cord):
    cord.set("MQTT", "iotHubEndpoint", '"broker.example"')
    assert cord.get("mqtt", "IOTHUBENDPOINT") == "broker.example"
    cord.set("mqtt", "flags", "url|sec|whitelist_rootca")     # the driver sends it bare
    assert cord.get("MQTT", "flags") == "url|sec|whitelist_rootca"
    cord.set("SUBTOPIC0", "name", '"cordelia/+"')
    assert cord.get("subtopic0", "name") == "cordelia/+"
    cord.set("SUBTOPIC0", "name", '""')                       # clears it
    assert cord.get("SUBTOPIC0", "name") == ""
    cord.set("MQTT", "password", '"p@ss word"')               # spaces kept
    assert cord.get("MQTT", "password") == "p@ss word"
    cord.set("MQTT", "clientId", '""quoted""')                # ONE pair stripped
    assert cord.get("MQTT", "clientId") == '"quoted"'
    cord.set("IOT", "UDID", "0x01,0x02,0x03")                 # the value is the rest of the line
    assert cord.get("IOT", "UDID") == "0x01,0x02,0x03"
    cord.set("PUBTOPIC1", "name", '"caf\xc3\xa9"')            # UTF-8 bytes kept
    assert cord.get("PUBTOPIC1", "name") == "caf\xc3\xa9"
    cord.set("MQTT", "iotHubPort", "8883")
    cord.set("MQTT", "cleanConnect", "TRUE")
    assert cord.get("MQTT", "cleanConnect") == "true"
    for bad in ("AT+set=MQTT,willQos,-1", "AT+set=MQTT,willQos,3", "AT+set=MQTT,iotHubPort,x",
                "AT+set=MQTT,TLS1_3,1", "AT+set=MQTT,nosuchkey,1", "AT+set=nosuchgroup,a,1",
                "AT+get=MQTT,nosuchkey", "AT+set=MQTT,clientId," + "x" * 257):
        assert cord.error(bad) == ("invalid setting", -2006), bad
    assert cord.error("AT+set=general,version,2.0.0") == ("read only setting", -2006)


def test_setting_defaults(cord):
    assert cord.get("MQTT", "iotHubPort") == "8883"
    assert cord.get("MQTT", "flags") == "url|sec"
    assert cord.get("MQTT", "cleanConnect") == "true"
    assert cord.get("MQTT", "keepAliveTimeOut") == "60"
    assert cord.get("PUBTOPIC3", "retain") == "false"
    assert cord.get("SUBTOPIC2", "name") == ""


def test_settings_and_files_survive_reboot_factory_reset_clears_them(cord):
    cord.set("MQTT", "clientId", '"dev-1"')
    cord.upload("keep.pem", b"data")
    cord.reboot()
    assert cord.get("MQTT", "clientId") == "dev-1"
    assert cord.ok("AT+fileGetInfo=keep.pem,0").startswith(b"+filegetinfo:,4,")
    t0 = time.monotonic()
    assert cord.final("AT+factoryreset") == CORD_OK
    assert time.monotonic() - t0 >= CORD_FAST["factory_reset_time"]
    assert cord.port.read_until(CORD_STARTUP) == CORD_STARTUP
    assert cord.get("MQTT", "clientId") == ""
    assert cord.error("AT+fileGetInfo=keep.pem,0") == ("file not found", -10341)


def test_reboot_after_cmds_fault_cuts_an_answer_and_restarts(make_sim):
    faults = Faults()
    host = CordHost(make_sim(CordeliaDialect(**CORD_FAST), faults=faults))
    host.modem.set_fault("reboot-after-cmds", 2)
    assert host.final("AT+test") == CORD_OK
    host.send("AT+get=general,version")
    # Half of "+get:1.0.0\r\n", then the restart: the line is never finished
    # (bare lines: the start-up event follows the cut bytes directly).
    assert host.port.read_until(CORD_STARTUP) == b"+get:1" + CORD_STARTUP
    assert host.final("AT+test") == CORD_OK


def test_garbage_and_delay_faults_apply(make_sim):
    host = CordHost(make_sim(CordeliaDialect(**CORD_FAST)))
    host.modem.set_fault("delay-ms", 150)
    t0 = time.monotonic()
    assert host.final("AT+test") == CORD_OK
    assert time.monotonic() - t0 >= 0.15
    host.modem.set_fault("delay-ms", 0)
    host.modem.set_fault("garbage-rate", 1.0)
    host.send("AT+test")
    out = host.port.read_until(b"OK\r\n")
    assert len(out) > len(CORD_OK)                              # junk came first
    host.modem.set_fault("garbage-rate", 0.0)
    host.port.read_for(0.1)


def test_options_set_and_listed(cord):
    d = cord.dialect
    d.set_option("inject_events", "on")
    d.set_option("inject-hold", "0.25")
    d.set_option("networks", "a=12345678;open=")
    assert d.options()["inject-events"] is True
    assert d.options()["inject-hold"] == 0.25
    assert d.networks == {"a": "12345678", "open": ""}
    d.set_option("networks", '{"x": "abcdefgh"}')
    assert d.networks == {"x": "abcdefgh"}
    for name, value in (("nosuch", 1), ("inject-events", "maybe"), ("wlan-delay", "-1"),
                        ("networks", '{"": "k"}')):
        with pytest.raises(ValueError):
            d.set_option(name, value)


# ---------------------------------------------------------------------------
# Event injection: events between a command's information lines and its OK


def test_after_ok_mode_never_puts_events_before_the_final_result(cord):
    cord.dialect.set_option("events", "after-ok")
    cord.send("AT+wlanConnect=lab,,WPA_WPA2,12345678,,,")
    assert cord.port.read_until(CORD_OK) == CORD_OK           # OK first, events later
    assert cord.events(2)[0].startswith(b"+eventwlan:connect,lab,")
    # An event raised while a command is being answered waits for its OK.
    cord.dialect.factory_reset_time = 0.3
    cord.send("AT+factoryreset")
    time.sleep(0.1)
    cord.dialect.event(cord.modem, 0, "+eventsock:closed,3")
    assert cord.port.read_until(CORD_STARTUP) == CORD_OK + b"+eventsock:closed,3\r\n" + CORD_STARTUP


def test_default_mode_lets_events_come_before_the_final_result(cord):
    """events=interleaved (the default: the driver takes events at any time,
    CordeliaI.c:572-581): an event raised while a command is answered goes
    out at once, before its OK."""
    cord.dialect.factory_reset_time = 0.3
    cord.send("AT+factoryreset")
    time.sleep(0.1)
    cord.dialect.event(cord.modem, 0, "+eventsock:closed,3")
    assert cord.port.read_until(CORD_STARTUP) == b"+eventsock:closed,3\r\n" + CORD_OK + CORD_STARTUP


def test_error_styles(cord):
    for style, line in (("compact", b"ERROR:unknown command,-2006\r\n"),
                        ("spaced", b"ERROR: unknown command, -2006\r\n"),
                        ("title", b"Error: unknown command, -2006\r\n"),
                        ("lower", b"error:unknown command,-2006\r\n")):
        cord.dialect.set_option("error-style", style)
        assert cord.final("AT+bogus") == line
        assert cord.error("AT+bogus") == ("unknown command", -2006)
    assert cord.dialect.plain_error == "error:invalid input,-2006"


def test_inject_mode_sends_own_events_before_ok(cord):
    cord.dialect.set_option("inject-events", True)
    out = cord.final("AT+wlanConnect=lab,,WPA_WPA2,12345678,,,")
    lines = out.split(b"\r\n")
    assert lines[0].startswith(b"+eventwlan:connect,lab,0x02:0x57:")
    assert lines[1] == b"+eventnetapp:ipv4_acquired,127.0.0.1,127.0.0.1,127.0.0.1"
    assert lines[2:] == [b"OK", b""]


def test_inject_mode_puts_pending_events_between_information_and_ok(cord):
    d = cord.dialect
    d.set_option("inject-events", True)
    d.set_option("inject-hold", 5)
    d.event(cord.modem, 0, "+eventsock:closed,3")           # a pending network event
    assert cord.quiet(0.2) == b""                            # held back...
    out = cord.final("AT+get=general,version")               # ...until this final result
    assert out == b"+get:1.0.0\r\n+eventsock:closed,3\r\n" + CORD_OK


def test_inject_mode_releases_events_after_the_hold_when_idle(cord):
    d = cord.dialect
    d.set_option("inject-events", True)
    d.set_option("inject-hold", 0.2)
    d.event(cord.modem, 0, "+eventsock:closed,3")
    t0 = time.monotonic()
    assert cord.event("+eventsock:closed,3") == b"+eventsock:closed,3"
    assert time.monotonic() - t0 >= 0.15


# ---------------------------------------------------------------------------
# In its own process


def test_subprocess_options_and_control_socket():
    with SimProcess("--dialect", "cordelia", "--option", "wlan-delay=0.05",
                    "--option", "networks=lab=12345678") as sim:
        port = sim.open_port()
        assert port.read_until(CORD_STARTUP) == CORD_STARTUP
        port.write(b"AT+test\r\n")
        assert port.read_until(CORD_OK) == CORD_OK
        reply = sim.control("options")
        assert reply["options"]["wlan-delay"] == 0.05
        assert reply["options"]["networks"] == {"lab": "12345678"}
        reply = sim.control("option", name="inject-events", value=True)
        assert reply["ok"] and reply["options"]["inject-events"] is True
        assert sim.control("option", name="bogus", value=1)["ok"] is False
        port.write(b"AT+wlanConnect=lab,,WPA_WPA2,12345678,,,\r\n")
        out = port.read_until(CORD_OK, 5)
        assert out.startswith(b"+eventwlan:connect,lab,") and b"ipv4_acquired" in out
        assert sim.control("reboot")["ok"]
        assert port.read_until(CORD_STARTUP).endswith(CORD_STARTUP)
        assert sim.stop() == 0


def test_list_options_and_bad_option_exit_codes():
    env_cmd = [sys.executable, "-m", "sim", "--dialect", "cordelia"]
    out = subprocess.run(env_cmd + ["--list-options"], cwd=REPO_ROOT, capture_output=True,
                         timeout=20)
    assert out.returncode == 0
    text = out.stdout.decode()
    for name in ("inject-events", "networks", "wlan-delay", "auto-reconnect"):
        assert name in text
    bad = subprocess.run(env_cmd + ["--option", "nosuch=1"], cwd=REPO_ROOT, capture_output=True,
                         timeout=20)
    assert bad.returncode == 2 and b"no option" in bad.stderr
    bad = subprocess.run(env_cmd + ["--option", "novalue"], cwd=REPO_ROOT, capture_output=True,
                         timeout=20)
    assert bad.returncode == 2
    assert json.dumps(CordeliaDialect().options())            # JSON-friendly
