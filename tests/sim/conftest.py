"""Shared fixtures for the simulator tests.

No __init__.py in this directory on purpose: as a package it would be named
'sim' and shadow the simulator package itself.
"""

import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from sim.common.faults import Faults  # noqa: E402
from sim.dialects.generic import GenericDialect  # noqa: E402
from sim.common.testing import InProcessSim  # noqa: E402


@pytest.fixture
def make_sim():
    """Factory for in-process simulators, all stopped at test end."""
    started = []

    def make(dialect=None, **kwargs):
        s = InProcessSim(dialect or GenericDialect(), **kwargs).__enter__()
        started.append(s)
        return s

    yield make
    for s in started:
        s.__exit__(None, None, None)


@pytest.fixture
def sim(make_sim):
    """A generic-dialect simulator, synchronised on +SYSSTART."""
    return make_sim()


@pytest.fixture
def quiet_sim(make_sim):
    """Like `sim` but with echo off, for exact response comparisons."""
    s = make_sim()
    assert s.port.command(b"ATE0") == b"ATE0\r\r\nOK\r\n"
    return s


@pytest.fixture
def seeded_faults():
    return Faults(seed=1234)


# ---------------------------------------------------------------------------
# Sequans dialect: a host-side helper, a shared test bed, a registered modem

import re  # noqa: E402

from sim.dialects.sequans import SequansDialect  # noqa: E402
from sim.network.testbed import TestBed  # noqa: E402

OK = b"\r\nOK\r\n"
PROMPT = b"\r\n> "
_FINAL = re.compile(rb"\r\n(OK|ERROR|NO CARRIER|\+CME ERROR: [^\r]*)\r\n")


class SqnHost:
    """Raw-byte conversations with a Sequans simulator (echo off, CMEE 1)."""

    def __init__(self, sim):
        self.sim = sim
        self.port = sim.port
        self.modem = sim.modem
        self.dialect = sim.dialect

    @staticmethod
    def _bytes(line):
        return line.encode("latin-1") if isinstance(line, str) else line

    def cmd(self, line, expect=OK, timeout=5.0):
        return self.port.command(self._bytes(line), expect, timeout)

    def final(self, line, timeout=5.0):
        """Send a command, return everything up to its final result code."""
        self.port.write(self._bytes(line) + b"\r")
        data = self.port.read_until(b"\r\n", timeout)
        while not _FINAL.search(data):
            data += self.port.read_until(b"\r\n", timeout)
        return data

    def ok(self, line, timeout=5.0):
        """The information part of a command that must answer OK."""
        out = self.final(line, timeout)
        assert out.endswith(OK), out
        return out[:-len(OK)]

    def cme(self, line, timeout=5.0):
        """The number of a +CME ERROR answer (CMEE 1)."""
        out = self.final(line, timeout)
        m = re.search(rb"\r\n\+CME ERROR: (\d+)\r\n$", out)
        assert m, out
        return int(m.group(1))

    def payload(self, line, data, expect=OK, timeout=5.0):
        """Command, prompt, exactly `data`; output after the prompt."""
        self.port.write(self._bytes(line) + b"\r")
        assert self.port.read_until(PROMPT, timeout).endswith(PROMPT)
        self.port.write(data)
        return self.port.read_until(expect, timeout)

    def urc(self, prefix, timeout=5.0):
        """Skip to the URC starting with `prefix`; its whole line (no CRLF)."""
        prefix = self._bytes(prefix)
        self.port.read_until(b"\r\n" + prefix, timeout)
        return prefix + self.port.read_until(b"\r\n", timeout)[:-2]

    def quiet(self, seconds=0.2):
        return self.port.read_for(seconds)

    def register(self, sync_clock=True):
        self.ok("AT+CEREG=1")
        self.ok("AT+CFUN=1")
        self.urc("+CEREG: 1")
        if sync_clock:   # the clock is unset after attach (clock=unset)
            self.ok('AT+SQNNTP=2,"time.google.com,time.windows.com,pool.ntp.org",1')
            assert self.urc("+SQNNTP:") == b"+SQNNTP: 0"

    def store(self, kind, slot, pem):
        out = self.payload(f'AT+SQNSNVW="{kind}",{slot},{len(pem)}', pem)
        assert out == OK, out


# Timings shortened for speed; test_sequans_basic checks the defaults.
FAST = dict(register_delay=0.05, search_delay=0.01, urc_latency=0.005, net_delay=0.005)

# NVM slots the tests use for the test bed's credentials
CA_SLOT, WRONG_CA_SLOT, CLIENT_SLOT, ROGUE_SLOT = 10, 12, 11, 13


@pytest.fixture(scope="session")
def bed():
    """One test bed for all Sequans tests: PKI, mosquitto, echo, HTTPS."""
    with TestBed() as b:
        yield b


@pytest.fixture
def sqn_raw(make_sim):
    """A Sequans simulator straight after +SYSSTART (echo off, CMEE 0), real
    GM02SP defaults except two that would disturb exact byte comparisons:
    no stray 0xFF after idle spells (sleep-ff-after-s=0) and the clock set by
    NTP at once (tests of those set them back)."""
    return SqnHost(make_sim(SequansDialect(**FAST, sleep_ff_after_s=0, ntp_delay=0.01)))


@pytest.fixture
def sqn(sqn_raw):
    """Echo off, CMEE 1, registered (CEREG mode 1), clock set by AT+SQNNTP."""
    assert sqn_raw.cmd("ATE0") == OK
    sqn_raw.ok("AT+CMEE=1")
    sqn_raw.register()
    return sqn_raw


@pytest.fixture
def sqn_tls(sqn, bed):
    """Registered, with the bed's CA, wrong CA and client credentials in NVM
    and profiles: 1 = mutual TLS (level 5), 2 = server auth only (level 1),
    3 = mutual TLS trusting the wrong CA, 4 = no verification, no client cert."""
    pki = bed.pki
    sqn.store("certificate", CA_SLOT, pki.ca.cert_pem)
    sqn.store("certificate", WRONG_CA_SLOT, pki.wrong_ca.cert_pem)
    sqn.store("certificate", CLIENT_SLOT, pki.client.cert_pem)
    sqn.store("privatekey", CLIENT_SLOT, pki.client.key_pem)
    sqn.ok(f'AT+SQNSPCFG=1,2,"",5,{CA_SLOT},{CLIENT_SLOT},{CLIENT_SLOT},"",""')
    sqn.ok(f'AT+SQNSPCFG=2,2,"",1,{CA_SLOT}')
    sqn.ok(f'AT+SQNSPCFG=3,2,"",1,{WRONG_CA_SLOT},{CLIENT_SLOT},{CLIENT_SLOT},"",""')
    sqn.ok('AT+SQNSPCFG=4,2,"",0')
    return sqn


# ---------------------------------------------------------------------------
# Cordelia-I dialect: a host-side helper and modems with fast timings

from sim.dialects.cordelia import CordeliaDialect, STARTUP  # noqa: E402

CORD_STARTUP = STARTUP.encode() + b"\r\n"
CORD_OK = b"OK\r\n"
_CORD_FINAL = re.compile(rb"(?:^|\r\n)(OK|(?:ERROR|Error|error):[^\r\n]*)\r\n$")
# Timings shortened for speed; test_cordelia_basic checks the defaults.
CORD_FAST = dict(wlan_delay=0.02, factory_reset_time=0.05, reboot_delay=0.02, net_delay=0.0,
                 event_latency=0.002, inject_hold=0.3)
SSID, WIFI_KEY = "secmodem-lab", "secmodem-pass"


class CordHost:
    """Raw-byte conversations with a Cordelia simulator: commands end with
    CR LF, answers are bare lines, the final one OK or ERROR:<text>,<code>."""

    def __init__(self, sim):
        self.sim = sim
        self.port = sim.port
        self.modem = sim.modem
        self.dialect = sim.dialect

    @staticmethod
    def _bytes(line):
        return line.encode("latin-1") if isinstance(line, str) else bytes(line)

    def send(self, line, payload=b""):
        self.port.write(self._bytes(line) + payload + b"\r\n")

    def final(self, line, payload=b"", timeout=5.0):
        """Send a command; everything up to and including its final line."""
        self.send(line, payload)
        return self.read_final(timeout)

    def read_final(self, timeout=5.0):
        data = b""
        while not _CORD_FINAL.search(data):
            data += self.port.read_until(b"\r\n", timeout)
        return data

    def ok(self, line, payload=b"", timeout=5.0):
        """The information lines of a command that must answer OK."""
        out = self.final(line, payload, timeout)
        assert out.endswith(b"\r\n" + CORD_OK) or out == CORD_OK, out
        return out[:-len(CORD_OK)]

    def error(self, line, payload=b"", timeout=5.0):
        """(text, code) of an error answer, in any of the error-style forms
        (ERROR:<text>,<code>, "ERROR: t, c", "Error: t, c", error:<t>,<c>)."""
        out = self.final(line, payload, timeout)
        m = re.search(rb"(?:^|\r\n)(?:ERROR|Error|error): ?(.*), ?(-\d+)\r\n$", out)
        assert m, out
        return m.group(1).decode(), int(m.group(2))

    def event(self, prefix, timeout=5.0):
        """Skip to the line starting with `prefix`; that line (no CR LF)."""
        prefix = self._bytes(prefix)
        while True:
            line = self.port.read_until(b"\r\n", timeout)[:-2]
            if line.startswith(prefix):
                return line

    def events(self, count, timeout=5.0):
        return [self.port.read_until(b"\r\n", timeout)[:-2] for _ in range(count)]

    def quiet(self, seconds=0.2):
        return self.port.read_for(seconds)

    def get(self, group, key):
        out = self.ok(f"AT+get={group},{key}")
        assert out.startswith(b"+get:") and out.endswith(b"\r\n"), out
        return out[5:-2].decode("latin-1")

    def set(self, group, key, value):
        assert self.ok(f"AT+set={group},{key},{value}") == b""

    def wifi(self, ssid=SSID, key=WIFI_KEY):
        """Associate and wait for the address."""
        assert self.ok(f"AT+wlanConnect={ssid},,WPA_WPA2,{key},,,") == b""
        self.event("+eventwlan:connect,")
        assert self.event("+eventnetapp:ipv4_acquired,") == \
            b"+eventnetapp:ipv4_acquired,127.0.0.1,127.0.0.1,127.0.0.1"

    def upload(self, name, data, chunk=1460):
        """fileOpen CREATE|WRITE|OVERWRITE, binary writes, fileClose."""
        out = self.ok(f"AT+fileOpen={name},CREATE|WRITE|OVERWRITE,{max(len(data), 1)}")
        fid = int(re.fullmatch(rb"\+fileopen:(\d+),0\r\n", out).group(1))
        for off in range(0, len(data), chunk):
            part = data[off:off + chunk]
            assert self.ok(f"AT+fileWrite={fid},{off},0,{len(part)},", part) == \
                b"+filewrite:%d\r\n" % len(part)
        assert self.ok(f"AT+fileClose={fid},,") == b""
        return fid

    def reboot(self):
        assert self.ok("AT+reboot") == b""
        assert self.port.read_until(CORD_STARTUP) == CORD_STARTUP


@pytest.fixture
def cord_dialect():
    return CordeliaDialect(**CORD_FAST)


@pytest.fixture
def cord(make_sim, cord_dialect):
    """A Cordelia simulator straight after +eventstartup, fast timings."""
    return CordHost(make_sim(cord_dialect))


@pytest.fixture
def cord_files(cord, bed):
    """The test bed's PEM files in the module: ca.pem, wrong-ca.pem,
    client.pem, client.key, rogue.pem, rogue.key."""
    pki = bed.pki
    for name, data in (("ca.pem", pki.ca.cert_pem), ("wrong-ca.pem", pki.wrong_ca.cert_pem),
                       ("client.pem", pki.client.cert_pem), ("client.key", pki.client.key_pem),
                       ("rogue.pem", pki.rogue.cert_pem), ("rogue.key", pki.rogue.key_pem)):
        cord.upload(name, data)
    return cord


@pytest.fixture
def cord_mqtt(cord_files, bed):
    """Files, the mutual-TLS MQTT settings for the bed's broker, Wi-Fi up."""
    host = cord_files
    for key, value in (("iotHubEndpoint", '"127.0.0.1"'), ("iotHubPort", bed.broker.port),
                       ("flags", '"url|sec"'), ("clientId", '"cordelia-test"'),
                       ("rootCAPath", '"ca.pem"'), ("clientCertPath", '"client.pem"'),
                       ("clientPrivateKey", '"client.key"')):
        host.set("MQTT", key, value)
    host.set("SUBTOPIC0", "name", '"cordelia/+"')
    host.set("PUBTOPIC0", "name", '"cordelia/apple"')
    host.wifi()
    return host
