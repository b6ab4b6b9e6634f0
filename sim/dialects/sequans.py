"""The 'sequans' dialect: a Sequans Monarch 2 GM02S (AVR-IoT Cellular Mini).

What it is
    A simulated GM02S whose sockets, TLS, MQTT and HTTP are real: a socket is
    a TCP connection made by this PC (wrapped in TLS with Python's ssl when a
    security profile is attached), the MQTT client is paho-mqtt, the HTTP
    client is http.client.  Only the radio is pretended (CFUN/CEREG/CCLK).
    It connects to loopback hosts only (127.0.0.0/8, ::1, localhost); any
    other host fails the way an unreachable one would.

How to use it
    python3 -m sim --dialect sequans --pty          prints "PTY /dev/pts/N"
    Point a PC build of the firmware at /dev/pts/N, or wire a real board's
    UART through a USB-UART adapter and use --port /dev/ttyUSB0 --baud 115200.
    The servers it talks to are yours: sim/network/testbed.py starts a mutual-TLS
    mosquitto, a TLS echo server and an HTTPS server on 127.0.0.1.
    In Python tests: InProcessSim(SequansDialect()) from sim.common.testing.

The wire contract is sim/sequans_contract.md ("contract" below; its facts and
their sources are the rows of docs/sequans.md).  Commands, by the contract's sections:

  Framing and general   ATE0/ATE1, AT+CMEE=0|1|2, AT, ATI, AT+CGMR, AT^RESET,
                        AT+CPIN?; boot URC +SYSSTART; echo off, CMEE 0 at boot.
  Network               AT+CFUN=0|1|4[,1] / ?, AT+CEREG=0|1|2|5 / ?, AT+CCLK? / =,
                        AT+SQNNTP; URC +SQNNTP
  NVM                   AT+SQNSNVW="certificate"|"privatekey",<0..19>,<size>
                        AT+SQNSNVR="certificate"|"privatekey"[,<0..19>]
  Security profiles     AT+SQNSPCFG=<spId>,...(12 fields) ; AT+SQNSPCFG (list)
  Sockets 1..6          AT+SQNSCFG, AT+SQNSCFGEXT, AT+SQNSSCFG, AT+SQNSD,
                        AT+SQNSSENDEXT, AT+SQNSRECV, AT+SQNSI, AT+SQNSS, AT+SQNSH;
                        URCs +SQNSRING, +SQNSH
  MQTT client 0         AT+SQNSMQTTCFG, ...CONNECT, ...SUBSCRIBE, ...UNSUBSCRIBE,
                        ...PUBLISH, ...RCVMESSAGE, ...DISCONNECT; URCs
                        +SQNSMQTTONCONNECT/ONSUBSCRIBE/ONUNSUBSCRIBE/ONPUBLISH/
                        ONMESSAGE/ONDISCONNECT, +SQNSMQTTMEMORYFULL
  Host signing          AT+SQNHCESIGN; URC +SQNHCESIGN (storage=1 profiles)
  HTTP profiles 0..2    AT+SQNHTTPCFG, AT+SQNHTTPQRY, AT+SQNHTTPSND, AT+SQNHTTPRCV;
                        URCs +SQNHTTPRING, +SQNHTTPSH

Real-module defaults (issue 16 item 6) and their variants.  By default the
simulator behaves as published GM02S/GM02SP captures and vendor drivers show,
quirks included; each other plausible behaviour is one `--option NAME=VALUE`
away (`python3 -m sim --dialect sequans --list-options`; the control socket's
{"cmd": "option"}; SequansDialect(name=value) in Python; for every runner
started through sim.common.testing.SimProcess, SM_SIM_SEQUANS_ARGS="--option ...").
LEGACY_OPTIONS plus --echo on (the word --legacy in SM_SIM_SEQUANS_ARGS or
for tests/run_sequans_e2e.py) give back the old contract's behaviour.  Sources (also cited
next to the code; MCHP = microchip-pic-avr-solutions/avr-iot-cellular-
arduino-library @5ffc687, WAL = QuickSpot/walter-arduino @5875e1b, PAGER =
awong-dev/pager, a GM02SP on LR8.2.1.0, M2RS = sevents-os/sequans-rs @3ee671f):

  1 Echo OFF after boot: every Walter log (walter-arduino issues 109, 121,
    walter-micropython issue 5, PAGER PATCHES.md §1.12).  Variant: --echo on.
  2 urc-timing=immediate: a network URC goes out as soon as it is due, also
    between a command and its final result or between AT+SQNSMQTTRCVMESSAGE
    and its headerless payload (walter-arduino issues 109 and 143).  A URC
    that a command's own answer must precede (+SQNSMQTTONPUBLISH, ON(UN)
    SUBSCRIBE, the host's ONCONNECT) still waits for that answer.
    after-final: held back until the final result (the old contract).
    Test hooks: command-urc=<line> goes out before every final result,
    rcvmessage-urc=<line> between RCVMESSAGE and its payload.
  3 publish-answer=pmid: "+SQNSMQTTPUBLISH: <pmid>", OK, then
    +SQNSMQTTONPUBLISH:0,<pmid>,<rc> (PAGER phaseW log; M2RS
    mqtt/responses.rs PromptToPayload { pmid }).  ctx-pmid: "0,<pmid>".
  4 disconnect-urc=off: a drop the host did not ask for (broker close, path
    failure, control "drop", CFUN 0) raises no +SQNSMQTTONDISCONNECT (PAGER
    docs/VENDOR_BUG_REPORTS.md §9, docs/GOTCHAS.md; MCHP lte.cpp:67); after
    mqtt-resume-s seconds (default 360) the modem reconnects by itself with a
    clean session and sends +SQNSMQTTONCONNECT:0,0 unsolicited, subscribed to
    nothing (not after CFUN 0: no network).  Meanwhile PUBLISH/SUBSCRIBE get
    +CME ERROR: 3, CONNECT is allowed and DISCONNECT answers OK (both cancel
    the resume; the simulator's reading).  on: +SQNSMQTTONDISCONNECT:0,-7, no
    resume.  mqtt-ping=off: no PINGREQ ever (PAGER §9), so the broker drops
    the client at 1.5 x keepalive; done by disabling paho's keepalive check
    on the client (see without_pings: a private paho method).  on: pings.
  5 dial-error=no-carrier: a failed AT+SQNSD (refused, unreachable, TLS,
    unusable profile) ends with NO CARRIER (PAGER VENDOR_BUG_REPORTS.md §2,
    TinyGSM TinyGsmClientSequansMonarch.h:526, WAL WalterModem.cpp:2125).
    cme: +CME ERROR: 550..553 (below).  554 (host signing) stays a CME error.
  6 http-sized-read=cme4: AT+SQNHTTPRCV=<p>,<size> answers +CME ERROR: 4
    (WAL src/proto/WalterHTTP.cpp:200 "Known bug"); AT+SQNHTTPRCV=<p> sends
    "<<<", the whole body, OK.  flush: at most <size> bytes, the rest
    discarded (MCHP http_client.cpp:437-438); partial: the rest readable later.
  7 http-ring-quotes=on: +SQNHTTPRING: <p>,<status>,"<type>",<size>
    (walter-micropython issue 5); off: the type bare.  A failure: type "".
  8 nvr=metadata: AT+SQNSNVR="certificate"[,<i>] answers per slot the
    metadata line of avr-iot-cellular-arduino-library issue 6: issuer and
    subject (OpenSSL one-line DNs), notBefore "yy/MM/dd hh:mm:ss", notAfter
    (empty for year 9999), signature algorithm ("sha256ECDSA"), "sha1" and
    the SHA-1 fingerprint of the DER; two fields the issue shows as zeros
    (meaning unknown) are 32 zeros.  A private key slot answers the
    '"privatekey",<i>,<len>' line alone: no source shows its answer.  bytes:
    the '"<type>",<i>,<len>' line, then the PEM.
  9 nvw-size=no-cr: <size> of AT+SQNSNVW does not count CR bytes (the
    manual, quoted in M2RS command/nvm/mod.rs:34): the modem reads until
    <size> non-CR bytes came and drops the CRs.  all-bytes: every byte counts.
 10 sleep-ff-after-s=2: after that many seconds without traffic either way
    (light sleep), the next output starts with a stray 0xFF (PAGER PATCHES.md
    §1.18: "\xff\r\nOK\r\n", "\xff\r\n+SQNSMQTTONMESSAGE..."); 0 disables.
 11 clock=unset: AT+CCLK? answers "70/01/01,00:00:00+00" after attach until
    the time is set (PAGER GOTCHAS.md, VENDOR_BUG_REPORTS.md §8), by
    AT+SQNNTP=<mode>,"<servers>"[,<n>] (MCHP lte.cpp:253: OK, then
    "+SQNNTP: 0"; "+SQNNTP: 1" without network, a guess) or
    AT+CCLK="yy/MM/dd,hh:mm:ss+zz" (27.007).  Meanwhile a profile with
    certValidLevel bit 0 fails its handshake: MQTT rc -8, SQNSD NO CARRIER
    (or CME 551), HTTP +SQNHTTPSH 60.  network: set at registration.
 12 plaintext-fallback=on: the MQTT client with a profile whose
    certValidLevel has bit 0 clear and that names no CA slot speaks PLAIN
    MQTT to the port, user name and password readable, and if that gets no
    CONNACK hangs without any URC (PAGER VENDOR_BUG_REPORTS.md §1,
    GOTCHAS.md, BRINGUP_NOTES.md); sockets and HTTP still do TLS.  off: TLS
    without verification.
 13 hce-format: the +SQNHCESIGN request; no capture exists, and the one
    implementation (MCHP mqtt_client.cpp:191-237) reads field 0 (context)
    and field 3 (digest) only.  key-alg-hex (default, today's form)
    <ctx>,<keyId>,0,<hex>; quoted-digest; extra-field (",32" appended);
    field2-nonzero (1); field1-not-slot (keyId+1 mod 256).
 14 cgsn-quotes=on: AT+CGSN=<snt> answers +CGSN: "<digits>" (the form WAL's
    parser expects, WalterModem.cpp:2428-2450); off: the digits bare (3GPP
    TS 27.007 allows it; no log shows either on a GM02S).

Still the contract's own assumptions, implemented as written: boot in CFUN
0; the +SQNSPCFG line answering the set command; +SQNSMQTTONUNSUBSCRIBE;
RCVMESSAGE without a header line.

This simulator's own readings where the contract leaves room:
  * Error numbers (+CME ERROR: n; CMEE 0 gives ERROR): 3 wrong state, 4 bad
    or unsimulated parameter and empty NVM slot, 22 no such MQTT message or
    HTTP data, 30 not registered, 31 connect timeout; and, invented here
    because no source gives any, 550 connection refused, 551 TLS failure
    (handshake, verification or unusable profile), 552 host not allowed
    (not loopback), 553 connection failed, 554 host signing (storage=1) on
    a socket.  CMEE 2 gives texts for all.
  * MQTT rc: -4 TCP failure or non-loopback host, -5 CONNACK refused (1..3),
    -8 TLS failure (also: dropped before CONNACK over TLS, which is how a
    TLS 1.3 server rejects a client certificate), -11 CONNACK 4/5,
    -12 SUBACK failure (0x80).  HTTP +SQNHTTPSH uses libcurl numbers: 7
    could not connect (also non-loopback), 28 timeout, 35 TLS, 56 receive
    failure, 58 unusable profile, 60 certificate verification.
  * certValidLevel bit 2 (host name) only counts together with bit 0, as the
    notes say ("on top of bit 0"); level 4 alone verifies nothing.
  * Omitted SQNSPCFG version = 2 (TLS 1.2); omitted numbers print empty.
    Cipher lists are IANA ids mapped to OpenSSL names; TLS 1.3 suites can
    only be allowed, not restricted (Python's ssl).  resume/lifetime are
    stored, not used.  PSK-only profiles fail with a TLS error (Python 3.11's
    ssl has no PSK).
  * storage=1 (key in the host's ATECC608, contract "Host signing"): MQTT
    and HTTP connections make a real TLS handshake through the C helper
    build/hce_tls (sim/network/hce.py); its CertificateVerify digest goes to the
    host as +SQNHCESIGN:<ctx>,<keyId>,0,<64 hex>, the host's r||s from
    AT+SQNHCESIGN is verified against the profile's certificate before it
    is used.  No answer within hce_timeout (10 s; --option hce-timeout=S),
    a failure answer, a wrong signature, a missing helper: TLS error (-8,
    +SQNHTTPSH 35).  Sockets (SQNSD) cannot: the handshake would need
    AT+SQNHCESIGN while AT+SQNSD waits for its own result, so SQNSD with
    such a profile answers +CME ERROR: 554.
  * SQNHTTPCFG with ssl=1 but no spId: TLS without any verification.
  * Socket, MQTT and HTTP configuration is volatile (lost on reboot) like the
    connections; NVM and security profiles persist for the process's life.
  * Only TCP in command mode (SQNSD connMode 1) and raw data modes are
    simulated; UDP, online mode, hex modes and srMode 2 answer CME 4.
  * After a remote close the socket is closed (SQNSS 0) but bytes still
    buffered stay readable with SQNSRECV until read, SQNSH or the next SQNSD.
  * CFUN 0/4 drops open sockets (+SQNSH) and the MQTT connection (silently;
    +SQNSMQTTONDISCONNECT:0,-7 with disconnect-urc=on).
  * AT+SQNSMQTTRCVMESSAGE without <mid> takes the QoS 0 message of the topic,
    else its oldest; an optional 4th field (Walter's maxLen) is ignored.
    AT+SQNHTTPRCV without <max> returns everything left.
  * +SQNSNVR without an index lists one line per used slot (the metadata
    line or, with nvr=bytes or for keys, '"<type>",<i>,<len>').

Timing: URCs caused by the network leave through Modem.async_urc after a
small latency (urc_latency), at once or after the running command's final
result (urc-timing); connects wait net_delay first.  All network work runs
in worker threads; a command that must wait (SQNSD) polls and gives up when
the modem reboots.  Reboots close every connection (Dialect.release).

Faults of the network: the control socket's {"cmd": "drop", "what": "mqtt"}
(or "sockets", "all") breaks the live connections as a failing path would;
the host hears +SQNSH, and for MQTT nothing (then the resume) or, with
disconnect-urc=on, +SQNSMQTTONDISCONNECT:0,-7, as for a real loss.
"""

import base64
import datetime
import math
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from ..common.core import ThreeGppDialect, flag, one_of, seconds
from ..network import hce, netio

# ---------------------------------------------------------------------------
# Numbers from the contract

SLOTS = range(0, 20)                                   # NVM slots 0..19
NVM_LIMITS = {"certificate": 8192, "privatekey": 2048}
PROFILE_IDS = range(1, 7)                              # security profiles 1..6
SOCKET_IDS = range(1, 7)                               # sockets 1..6
HTTP_IDS = range(0, 3)                                 # HTTP profiles 0..2
MAX_SEND = 1500                                        # SQNSSENDEXT / SQNSRECV
MAX_PUBLISH = 4096
MQTT_QUEUE = 100                                       # ONMESSAGE FIFO depth
# The optional CR after a payload (contract "Framing") is swallowed if it came
# with the payload; one arriving later is an empty line, which the core ignores,
# so waiting for it would only slow every payload command down.
CR_GRACE = 0.0

# SQNSS states (docs/sequans.md C-20, R-19)
CLOSED, ACTIVE, OPENING = 0, 1, 6

# +CEREG (contract "Network")
CEREG_CELL = '"0001","01A2D001",7'  # tac, ci, AcT 7 = LTE-M

# +CME ERROR numbers (see the module docstring)
CME_NOT_ALLOWED = 3
CME_BAD = 4
CME_NOT_FOUND = 22
CME_NO_SERVICE = 30
CME_TIMEOUT = 31
CME_REFUSED = 550
CME_TLS = 551
CME_HOST = 552
CME_CONN_FAILED = 553
CME_HCE_SOCKET = 554
SIM_CME_TEXTS = {CME_REFUSED: "connection refused", CME_TLS: "TLS failure",
                 CME_HOST: "host not allowed (simulator: loopback only)",
                 CME_CONN_FAILED: "connection failed",
                 CME_HCE_SOCKET: "host signing (storage=1) not supported on sockets"}

# +SQNHCESIGN (contract "Host signing"): <alg> 0 = ECDSA P-256 over the
# SHA-256 digest given, answered with r || s (64 bytes)
HCE_ALG_P256_SHA256 = 0
HCE_SIG_LEN = 64
HCE_CTX_MAX = 65535                                    # 16 bits (docs/sequans.md R-35)

SOCKET_CME = {netio.HOST: CME_HOST, netio.REFUSED: CME_REFUSED, netio.TIMEOUT: CME_TIMEOUT,
              netio.VERIFY: CME_TLS, netio.TLS: CME_TLS, netio.CONFIG: CME_TLS,
              netio.IO: CME_CONN_FAILED}
CURL_CODES = {netio.HOST: 7, netio.REFUSED: 7, netio.TIMEOUT: 28, netio.VERIFY: 60,
              netio.TLS: 35, netio.CONFIG: 58, netio.IO: 56}

HTTP_QUERY_METHODS = {0: "GET", 1: "HEAD", 2: "DELETE"}
HTTP_SEND_METHODS = {0: "POST", 1: "PUT"}
# SQNHTTPSND <post_param> (docs/sequans.md C-31)
POST_TYPES = {"0": "application/x-www-form-urlencoded", "1": "text/plain",
              "2": "application/octet-stream", "3": "multipart/form-data",
              "4": "application/json"}


class AtError(Exception):
    """Answer the command with +CME ERROR: code (or ERROR, per CMEE)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------------------
# Argument parsing


@dataclass
class Field:
    text: str
    quoted: bool


def split_fields(text):
    """'1,"a,b",,x' -> fields; None if quoting is broken.  No escapes inside
    quotes (no source shows one)."""
    fields, i, n = [], 0, len(text)
    if n == 0:
        return fields
    while True:
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                return None
            fields.append(Field(text[i + 1:end], True))
            i = end + 1
            if i < n and text[i] != ",":
                return None
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            value = text[i:end].strip()
            if '"' in value:
                return None
            fields.append(Field(value, False))
            i = end
        if i >= n:
            return fields
        i += 1  # the comma
        if i == n:
            fields.append(Field("", False))
            return fields


_REQUIRED = object()


class Args:
    """The fields of a set command; every accessor raises AtError(4)."""

    def __init__(self, req, least, most):
        fields = split_fields(req.args) if req.op == "set" else None
        if fields is None or not least <= len(fields) <= most:
            raise AtError(CME_BAD)
        self.fields = fields

    def present(self, i):
        return i < len(self.fields) and (self.fields[i].quoted or self.fields[i].text != "")

    def int(self, i, lo, hi, default=_REQUIRED):
        if not self.present(i):
            if default is _REQUIRED:
                raise AtError(CME_BAD)
            return default
        f = self.fields[i]
        if f.quoted or not f.text.isascii() or not f.text.isdigit():
            raise AtError(CME_BAD)
        value = int(f.text)
        if not lo <= value <= hi:
            raise AtError(CME_BAD)
        return value

    def text(self, i, default=_REQUIRED):
        """A string field, quoted or not (hosts differ, e.g. post_param)."""
        if not self.present(i):
            if default is _REQUIRED:
                raise AtError(CME_BAD)
            return default
        return self.fields[i].text

    def choice(self, i, options):
        value = self.text(i)
        if value not in options:
            raise AtError(CME_BAD)
        return value


def wire_text(text):
    """Command text (latin-1 decoded by the core) -> the str it encodes as
    UTF-8 (MQTT topics).  Bytes that are not UTF-8 fail."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise AtError(CME_BAD) from None


def to_wire(text):
    """A str -> text whose latin-1 encoding is its UTF-8 bytes (for URCs)."""
    return text.encode("utf-8").decode("latin-1")


def optional(value):
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------
# NVM contents (contract "NVM certificates and keys")

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def is_certificate_pem(data):
    """One or more PEM certificates (a chain may share a slot, notes 2.1);
    text between blocks is ignored like a PEM parser would."""
    blocks = _PEM_CERT.findall(data)
    if not blocks:
        return False
    try:
        for block in blocks:
            x509.load_pem_x509_certificate(block)
    except ValueError:
        return False
    return True


def is_private_key_pem(data):
    """An unencrypted PEM private key (PKCS#8 or SEC1)."""
    try:
        serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


PEM_CHECKS = {"certificate": is_certificate_pem, "privatekey": is_private_key_pem}

# Short names of distinguished-name attributes in the OpenSSL "oneline" form
# the issue-6 metadata line shows ("/O=Microchip Technology Inc/CN=...").
_DN_NAMES = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
             "2.5.4.10": "O", "2.5.4.11": "OU", "1.2.840.113549.1.9.1": "emailAddress",
             "2.5.4.5": "serialNumber", "2.5.4.46": "dnQualifier"}
# The two fields the issue-6 poster shortened to "000---000" held zeros; their
# meaning and width are unknown: 32 zeros here.
_NVR_ZEROS = "0" * 32


def oneline_dn(name):
    parts = []
    for rdn in name.rdns:
        for attr in rdn:
            short = _DN_NAMES.get(attr.oid.dotted_string, attr.oid.dotted_string)
            parts.append(f"/{short}={attr.value}")
    return "".join(parts)


def _nvr_date(moment):
    """yy/MM/dd hh:mm:ss as issue 6 shows ("21/04/27 08:00:00").  Year 9999
    (RFC 5280: no well-defined expiration, what ATECC608 device
    certificates carry) is left empty, as the notAfter of issue 6's slot 0
    (an ATECC device certificate) is: an inference."""
    if moment.year >= 9999:
        return ""
    return f'"{moment.strftime("%y/%m/%d %H:%M:%S")}"'


def _signature_name(cert):
    """"sha256ECDSA" as issue 6 shows; RSA and others by the same pattern
    (a guess: only the ECDSA name was seen)."""
    digest = cert.signature_hash_algorithm
    algo = digest.name if digest is not None else ""
    oid = cert.signature_algorithm_oid.dotted_string
    if oid.startswith("1.2.840.10045.4"):
        return f"{algo}ECDSA"
    if oid.startswith("1.2.840.113549.1.1"):
        return f"{algo}RSA"
    return cert.signature_algorithm_oid._name or oid


def certificate_metadata(pem):
    """The fields after '"certificate",<i>,' in the metadata line of the
    first certificate in a slot (avr-iot-cellular-arduino-library issue 6):
    issuer, zeros, subject, notBefore, notAfter (empty when 9999), signature
    algorithm, zeros, "sha1", SHA-1 fingerprint of the DER."""
    cert = x509.load_pem_x509_certificate(_PEM_CERT.search(pem).group(0))
    try:
        before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except AttributeError:   # cryptography < 42
        before, after = cert.not_valid_before, cert.not_valid_after
    der = cert.public_bytes(serialization.Encoding.DER)
    return (f'"{oneline_dn(cert.issuer)}","{_NVR_ZEROS}","{oneline_dn(cert.subject)}",'
            f'{_nvr_date(before)},{_nvr_date(after)},"{_signature_name(cert)}",'
            f'"{_NVR_ZEROS}","sha1","{hashlib.sha1(der).hexdigest()}"')

_CIPHER_LIST = re.compile(r"(0[xX][0-9A-Fa-f]{1,4})(;0[xX][0-9A-Fa-f]{1,4})*;?")


@dataclass
class Profile:
    """One AT+SQNSPCFG security profile (notes 3.1, in parameter order)."""

    sp_id: int
    version: int = 2
    ciphers: str = ""
    level: int = 0
    ca: Optional[int] = None
    cert: Optional[int] = None
    key: Optional[int] = None
    psk: str = ""
    psk_id: str = ""
    storage: int = 0
    resume: int = 0
    lifetime: int = 0

    def line(self):
        return (f'+SQNSPCFG: {self.sp_id},{self.version},"{self.ciphers}",{self.level},'
                f'{optional(self.ca)},{optional(self.cert)},{optional(self.key)},'
                f'"{self.psk}","{self.psk_id}",{self.storage},{self.resume},{self.lifetime}')

    def cipher_ids(self):
        return [int(part, 16) for part in self.ciphers.split(";") if part]


# ---------------------------------------------------------------------------
# Volatile state (reset on reboot)


class Emitter:
    """Network URCs for one modem epoch: after `latency`, in call order,
    through Modem.async_urc (held back while a command is answered only with
    urc-timing=after-final, or when `hold`: a URC that the command's own
    answer must precede)."""

    def __init__(self, modem, epoch, latency):
        self.modem, self.epoch, self.latency = modem, epoch, latency

    def urc(self, text, delay=None, hold=None):
        wait = self.latency if delay is None else delay
        self.modem.call_later(wait, lambda: self.modem.async_urc(text, self.epoch, hold),
                              epoch=self.epoch)


class Socket:
    """One of the sockets 1..6: configuration, state and its live link."""

    def __init__(self, conn_id):
        self.conn_id = conn_id
        self.conn_timeout = 600     # SQNSCFG connTo, 100 ms units
        self.sr_mode = 0            # SQNSCFGEXT srMode (0 = default, notes 5.1)
        self.sp_id = None           # SQNSSCFG: security profile when enabled
        self.state = CLOSED
        self.pump = None            # netio.StreamPump while data may be read
        self.em = None
        self.sent = self.received = 0
        self.lock = threading.Lock()   # announced/sh_pending: pump vs reader thread
        self.announced = 0          # bytes covered by the last +SQNSRING, unread
        self.sh_pending = False     # remote close seen, +SQNSH waits for the last RING

    def ring_text(self, buffered):
        if self.sr_mode == 0:
            return f"+SQNSRING: {self.conn_id}"
        return f"+SQNSRING: {self.conn_id},{buffered}"

    def drop_link(self, wait=False):
        """Forget the connection and whatever it still buffered."""
        with self.lock:
            pump, self.pump = self.pump, None
            self.state = CLOSED
            self.announced = 0
            self.sh_pending = False
        if pump is not None:
            pump.close(wait)


@dataclass
class MqttConfig:
    client_id: str
    user: str = ""
    password: str = ""
    sp_id: Optional[int] = None


@dataclass
class MqttLink:
    """What AT+SQNSMQTTCONNECT asked for: the modem reconnects with it by
    itself after a broker-side drop (pager VENDOR_BUG_REPORTS.md §9)."""
    cfg: MqttConfig
    host: str
    port: int
    keepalive: int
    em: "Emitter"
    modem: object


@dataclass
class MqttMessage:
    topic: str
    payload: bytes
    qos: int
    mid: Optional[int]   # modem-local, QoS > 0 only


@dataclass
class HttpProfile:
    host: str
    port: int = 80
    auth: int = 0
    user: str = ""
    password: str = ""
    ssl: int = 0
    timeout: int = 120
    sp_id: Optional[int] = None
    body: bytearray = field(default_factory=bytearray)   # response bytes not yet read
    busy: bool = False


class SqnState:
    """Everything that a reboot resets (contract "Framing": volatile)."""

    def __init__(self):
        self.cfun = 0
        self.cereg_mode = 0
        self.reg_stat = 0
        self.reg_gen = 0            # bumps on every CFUN change: stale timers give up
        self.clock_set = False
        self.clock_offset = 0.0     # AT+CCLK= set: seconds added to the PC's UTC clock
        self.clock_tz = 0           # quarter hours of the time zone last set
        self.sockets = {i: Socket(i) for i in SOCKET_IDS}
        self.mqtt_cfg = None
        self.mqtt = None            # netio.MqttSession while connecting/connected
        self.mqtt_link = None       # MqttLink of the last CONNECT (for the modem's own resume)
        self.mqtt_gen = 0           # bumps on CONNECT, DISCONNECT, CFUN change: stale resumes give up
        self.mqtt_resuming = False  # dropped, the modem's own reconnection is pending
        self.mqtt_lock = threading.Lock()
        self.mqtt_queue = []        # MqttMessage, oldest first
        self.pmid = 0               # last +SQNSMQTTPUBLISH id
        self.rx_mid = 0             # last ONMESSAGE mid
        self.http = {}              # prof -> HttpProfile
        self.hce_lock = threading.Lock()
        self.hce_ctx = 0            # last +SQNHCESIGN context id
        self.hce_pending = {}       # ctx id -> HceRequest waiting for AT+SQNHCESIGN
        self.hce_closed = False     # released: no new requests

    def registered(self):
        return self.cfun == 1 and self.reg_stat in (1, 5)

    def next_pmid(self):
        self.pmid = self.pmid % 65535 + 1
        return self.pmid

    def new_hce_request(self, key_id, digest):
        """A request with the next context id (1..65535, wrapping), or None
        once the state is released (the modem restarted)."""
        with self.hce_lock:
            if self.hce_closed:
                return None
            self.hce_ctx = self.hce_ctx % HCE_CTX_MAX + 1
            req = HceRequest(self.hce_ctx, key_id, digest)
            self.hce_pending[req.ctx] = req
            return req

    def end_hce_request(self, req):
        with self.hce_lock:
            if self.hce_pending.get(req.ctx) is req:
                del self.hce_pending[req.ctx]

    def cancel_hce(self, closing=False):
        """Ends every pending request without a signature (restart, CFUN 0)."""
        with self.hce_lock:
            self.hce_closed = self.hce_closed or closing
            pending, self.hce_pending = list(self.hce_pending.values()), {}
        for req in pending:
            req.finish(None, "cancelled")

    def release(self, wait):
        self.cancel_hce(closing=True)
        for sock in self.sockets.values():
            sock.drop_link(wait)
        session, self.mqtt = self.mqtt, None
        if session is not None:
            session.close(wait)


class HceRequest:
    """One +SQNHCESIGN: a digest waiting for the host's AT+SQNHCESIGN."""

    def __init__(self, ctx, key_id, digest):
        self.ctx, self.key_id, self.digest = ctx, key_id, digest
        self.done = threading.Event()
        self.signature = None       # r || s once the host signed
        self.outcome = "pending"    # "signed", "host failure <status>", "cancelled"

    def finish(self, signature, outcome):
        self.signature, self.outcome = signature, outcome
        self.done.set()


class MqttEvents(netio.MqttSessionEvents):
    """What a netio.MqttSession reports, turned into URCs (contract "MQTT").

    silent_failure: a connect that fails sends no URC and the session stays
    in place, unusable (the plaintext fallback hangs, pager §1).  on_drop:
    called instead of +SQNSMQTTONDISCONNECT for a drop the host did not ask
    for (disconnect-urc=off).  resumed: the modem's own reconnection: only
    success is reported; on_retry() after a failure."""

    def __init__(self, state, em, silent_failure=False, on_drop=None, resumed=False,
                 on_retry=None):
        self.state, self.em = state, em
        self.session = None
        self.silent_failure, self.on_drop = silent_failure, on_drop
        self.resumed, self.on_retry = resumed, on_retry

    def connected(self, rc):
        if not self._current():
            return
        if rc != 0 and self.silent_failure:
            # The plaintext CONNECT went unanswered: no URC, ever.  The
            # session stays, unusable, until DISCONNECT, CFUN 0 or a reboot.
            self.session.close(wait=False)
            return
        if rc != 0:
            self._end()
            if self.resumed:
                if self.on_retry is not None:
                    self.on_retry()
                return
        self.em.urc(f"+SQNSMQTTONCONNECT:0,{rc}")

    def disconnected(self, rc):
        if not self._current():
            return
        self._end()
        if rc != 0 and self.on_drop is not None:
            # No +SQNSMQTTONDISCONNECT for a drop (pager VENDOR_BUG_REPORTS.md §9;
            # MCHP lte.cpp:67 "The modem does not give any notification of a
            # MQTT disconnect"): the modem resumes by itself later.
            self.on_drop()
            return
        self.em.urc(f"+SQNSMQTTONDISCONNECT:0,{rc}")

    def message(self, topic, payload, qos):
        """Queue it (100 deep, oldest dropped; a QoS 0 message replaces the
        previous QoS 0 message of its topic) and announce it."""
        if not self._current():
            return
        st = self.state
        with st.mqtt_lock:
            mid = None
            if qos > 0:
                st.rx_mid = st.rx_mid % 65535 + 1
                mid = st.rx_mid
            msg = MqttMessage(topic, payload, qos, mid)
            old = next((i for i, m in enumerate(st.mqtt_queue)
                        if m.qos == 0 and qos == 0 and m.topic == topic), None)
            full = False
            if old is not None:
                st.mqtt_queue[old] = msg
            else:
                if len(st.mqtt_queue) >= MQTT_QUEUE:
                    st.mqtt_queue.pop(0)
                    full = True
                st.mqtt_queue.append(msg)
            if full:
                self.em.urc("+SQNSMQTTMEMORYFULL")
            tail = f",{mid}" if mid is not None else ""
            self.em.urc(f'+SQNSMQTTONMESSAGE:0,"{to_wire(topic)}",{len(payload)},{qos}{tail}')


def without_pings(client):
    """Make a paho client send no PINGREQ, as the GM02SP's MQTT client does
    (pager VENDOR_BUG_REPORTS.md §9: the broker's recv_pkt stays at 1 for a
    whole session, keepAlive=480 negotiated; the broker closes at 1.5 x
    keepAlive).  paho (1.6 and 2.x) sends pings and detects a silent broker
    in Client._check_keepalive, called from its network loop: this
    instance's copy does nothing, so the keepalive still goes out in CONNECT
    and the broker enforces it, but paho neither pings nor times out.
    Relies on that private method's name (present in paho 1.6 and 2.x)."""
    client._check_keepalive = lambda: 0


# ---------------------------------------------------------------------------
# The dialect


def _hce_timeout(value):
    seconds = float(value)
    if not 0.0 < seconds <= 3600.0:
        raise ValueError("hce-timeout must be within (0, 3600] seconds")
    return seconds


def _payload_timeout(value):
    seconds = float(value)
    if not 0.0 <= seconds <= 3600.0:
        raise ValueError("payload-timeout must be within [0, 3600] seconds (0: never)")
    return math.inf if seconds == 0.0 else seconds


def _on_off(value):
    return "on" if flag(value) else "off"


def _urc_text(value):
    """A test hook's URC line: printable text, no CR/LF (one line), or empty."""
    text = str(value)
    if any(c in text for c in "\r\n"):
        raise ValueError("the URC text must be one line (no CR or LF)")
    return text


def _resume_seconds(value):
    number = float(value)
    if not 0.0 < number <= 86400.0:
        raise ValueError("mqtt-resume-s must be within (0, 86400] seconds")
    return number


# The +SQNHCESIGN request forms hce-format offers (see the module docstring).
HCE_FORMATS = ("key-alg-hex", "quoted-digest", "extra-field", "field2-nonzero", "field1-not-slot")

# Options that give back this simulator's behaviour before issue 16 item 6
# (before the defaults followed the real GM02SP): pass each as --option, and
# use --echo on.  For hosts and tests written against the old contract.
LEGACY_OPTIONS = ("payload-timeout=5", "urc-timing=after-final", "publish-answer=ctx-pmid", "disconnect-urc=on",
                  "mqtt-ping=on", "dial-error=cme", "http-sized-read=partial",
                  "http-ring-quotes=off", "nvr=bytes", "nvw-size=all-bytes",
                  "sleep-ff-after-s=0", "clock=network", "plaintext-fallback=off")


class SequansDialect(ThreeGppDialect):
    name = "sequans"
    startup_urc = "+SYSSTART"
    # At its "> " prompt a GM02SP waits for the whole count with no timeout of
    # its own (awong-dev/pager PATCHES.md §1.12: 30 s and more, then it took
    # the next bytes as the payload; docs/payload-abandon.md): never give up.
    payload_timeout = math.inf
    # Echo OFF after boot: every published Walter (GM02SP) log shows the
    # answers without the command echoed: walter-arduino issues 121 ("TX:
    # AT+CMEE=1" / "RX: OK") and 109 ("TX: AT+SQNSSENDEXT=1,201,0" / "RX: > "),
    # walter-micropython issue 5, awong-dev/pager PATCHES.md §1.12 (phaseW
    # log).  --echo on (Options.echo) is the variant.
    echo_default = False
    cmee_default = 0
    wake_glitch = b"\xff"    # pager PATCHES.md §1.18 (see sleep-ff-after-s)

    def __init__(self, urc_latency=0.02, net_delay=0.05, search_delay=0.05,
                 register_delay=0.3, reboot_delay=0.1, hce_timeout=10.0, hce_helper=None,
                 ntp_delay=0.2, **options):
        self.urc_latency = urc_latency        # network event -> URC
        self.net_delay = net_delay            # before every connect attempt
        self.search_delay = search_delay      # CFUN=1 -> +CEREG: 2
        self.register_delay = register_delay  # +CEREG: 2 -> +CEREG: 1 (contract ~300 ms)
        self.reboot_delay = reboot_delay      # OK of AT^RESET -> reboot
        self.hce_timeout = hce_timeout        # +SQNHCESIGN -> AT+SQNHCESIGN at most
        self.hce_helper = hce_helper          # build/hce_tls (None: search, see sim/network/hce.py)
        self.ntp_delay = ntp_delay            # OK of AT+SQNNTP -> +SQNNTP
        # Real-firmware defaults of the switchable behaviours (OPTIONS below).
        self.urc_timing = "immediate"
        self.rcvmessage_urc = ""
        self.command_urc = ""
        self.publish_answer = "pmid"
        self.disconnect_urc = "off"
        self.mqtt_resume_s = 360.0
        self.mqtt_ping = "off"
        self.dial_error = "no-carrier"
        self.http_sized_read = "cme4"
        self.http_ring_quotes = "on"
        self.nvr = "metadata"
        self.nvw_size = "no-cr"
        self.sleep_ff_after_s = 2.0
        self.clock = "unset"
        self.plaintext_fallback = "on"
        self.hce_format = "key-alg-hex"
        self.cgsn_quotes = "on"
        # Non-volatile: survives reboots (contract "Framing").
        self.nvm = {kind: {} for kind in NVM_LIMITS}
        self.profiles = {}
        super().__init__()
        for name, value in options.items():   # e.g. SequansDialect(dial_error="cme")
            self.set_option(name, value)

    def initial_state(self):
        return SqnState()

    # The core's hooks follow the options.
    @property
    def urc_hold(self):
        return self.urc_timing == "after-final"

    @property
    def wake_glitch_after(self):
        return self.sleep_ff_after_s

    # Options that `python3 -m sim --option NAME=VALUE`, `--hce-helper` and the
    # control socket ({"cmd": "option", ...}) may set (the core's mechanism).
    # The first value named in each help text is the default: the real module.
    OPTIONS = {
        "hce-timeout": ("hce_timeout", _hce_timeout,
                        "seconds to wait for the host's AT+SQNHCESIGN answer (0 < s <= 3600)"),
        "hce-helper": ("hce_helper", lambda v: str(v) or None,
                       "path of the TLS helper for host signing (build/hce_tls)"),
        # A GM02SP at its "> " prompt waited the host's whole 30 s with no
        # timeout of its own, then took the next bytes as the payload
        # (docs/payload-abandon.md): 0 (never), the default, models it; 5 s
        # is the older simulator's value (LEGACY_OPTIONS).
        "payload-timeout": ("payload_timeout", _payload_timeout,
                            "seconds without data after the prompt before the payload is given "
                            "up with ERROR (0, the default: never, as the GM02SP bench log "
                            "shows; the older simulator gave up after 5)"),
        "urc-timing": ("urc_timing", one_of("immediate", "after-final"),
                       "immediate: a network URC goes out when due, also between a command and "
                       "its final result (walter-arduino issues 109, 143); after-final: held "
                       "back until the final result"),
        "rcvmessage-urc": ("rcvmessage_urc", _urc_text,
                           "test hook: this URC line goes out after AT+SQNSMQTTRCVMESSAGE "
                           "is received and before its payload (empty: none)"),
        "command-urc": ("command_urc", _urc_text,
                        "test hook: this URC line goes out before the final result of every "
                        "command (empty: none)"),
        "publish-answer": ("publish_answer", one_of("pmid", "ctx-pmid"),
                           "pmid: +SQNSMQTTPUBLISH: <pmid> (pager phaseW log, monarch2); "
                           "ctx-pmid: +SQNSMQTTPUBLISH: 0,<pmid>"),
        "disconnect-urc": ("disconnect_urc", _on_off,
                           "off: a broker-side drop raises no +SQNSMQTTONDISCONNECT, the modem "
                           "resumes by itself after mqtt-resume-s (pager VENDOR_BUG_REPORTS §9); "
                           "on: +SQNSMQTTONDISCONNECT:0,-7 and no resume"),
        "mqtt-resume-s": ("mqtt_resume_s", _resume_seconds,
                          "seconds from a broker-side drop to the modem's own reconnection "
                          "and unsolicited +SQNSMQTTONCONNECT:0,0 (default 360)"),
        "mqtt-ping": ("mqtt_ping", _on_off,
                      "off: the MQTT client sends no PINGREQ, the broker drops it at 1.5 x "
                      "keepalive (pager §9); on: pings as MQTT wants"),
        "dial-error": ("dial_error", one_of("no-carrier", "cme"),
                       "no-carrier: a failed AT+SQNSD answers NO CARRIER (pager §2, TinyGSM, "
                       "Walter); cme: +CME ERROR: 550..553"),
        "http-sized-read": ("http_sized_read", one_of("cme4", "flush", "partial"),
                            "AT+SQNHTTPRCV=<p>,<size>: cme4 = +CME ERROR: 4 (Walter "
                            "WalterHTTP.cpp); flush = up to size bytes, the rest discarded "
                            "(Microchip http_client.cpp); partial = the rest readable later"),
        "http-ring-quotes": ("http_ring_quotes", _on_off,
                             "on: +SQNHTTPRING content type quoted (walter-micropython issue 5)"),
        "nvr": ("nvr", one_of("metadata", "bytes"),
                'AT+SQNSNVR="certificate",<i>: metadata = the certificate\'s metadata line '
                "(avr-iot-cellular-arduino-library issue 6); bytes = <len> line + the PEM"),
        "nvw-size": ("nvw_size", one_of("no-cr", "all-bytes"),
                     "AT+SQNSNVW <size>: no-cr = CR bytes not counted and dropped (manual, "
                     "quoted in monarch2 nvm/mod.rs); all-bytes = every byte counts"),
        "sleep-ff-after-s": ("sleep_ff_after_s", seconds,
                             "after this many idle seconds the next output starts with a stray "
                             "0xFF (light sleep, pager PATCHES.md §1.18); 0 disables (default 2)"),
        "clock": ("clock", one_of("unset", "network"),
                  "unset: AT+CCLK? reads 70/01/01 until AT+SQNNTP or AT+CCLK= sets it (pager "
                  "GOTCHAS.md, Microchip lte.cpp); network: set at registration"),
        "plaintext-fallback": ("plaintext_fallback", _on_off,
                               "on: the MQTT client with a certValidLevel-0 profile naming no CA "
                               "slot sends MQTT in plaintext and hangs without a URC (pager "
                               "VENDOR_BUG_REPORTS §1); off: TLS without verification"),
        "cgsn-quotes": ("cgsn_quotes", _on_off,
                        'on: AT+CGSN=<snt> answers +CGSN: "<digits>" (the form Walter\'s parser '
                        "expects); off: the digits bare (3GPP TS 27.007 allows it)"),
        "hce-format": ("hce_format", one_of(*HCE_FORMATS),
                       "form of the +SQNHCESIGN request (no capture exists): key-alg-hex = "
                       "<ctx>,<keyId>,0,<hex>; quoted-digest; extra-field (,32 appended); "
                       "field2-nonzero (1); field1-not-slot"),
    }

    def release(self, state, wait):
        state.release(wait)

    def before_final(self, ctx):
        """command-urc (test hook): a URC between a command and its final
        result, where the real module may put one (walter-arduino issue 109:
        "+SQNSH: 1" between AT+SQNSRECV=1,318 and its +SQNSRECV answer)."""
        if self.command_urc:
            ctx.urc(self.command_urc)

    def drop_links(self, state, what):
        """Control "drop": the network loses the MQTT connection (then
        +SQNSMQTTONDISCONNECT:0,-7) and/or the open sockets (then +SQNSH),
        exactly as when the peer or the path fails."""
        if what not in ("mqtt", "sockets", "all"):
            raise ValueError(f"drop: 'what' must be mqtt, sockets or all, not {what!r}")
        dropped = []
        if what in ("mqtt", "all"):
            session = state.mqtt
            if session is not None and session.break_link():
                dropped.append("mqtt")
        if what in ("sockets", "all"):
            for conn_id, sock in state.sockets.items():
                pump = sock.pump
                if sock.state == ACTIVE and pump is not None and pump.break_link():
                    dropped.append(f"socket {conn_id}")
        return dropped

    def format_error(self, code, cmee):
        if cmee == 2 and code in SIM_CME_TEXTS:
            return f"+CME ERROR: {SIM_CME_TEXTS[code]}"
        return super().format_error(code, cmee)

    def command_table(self):
        table = {
            # general (V.250, 27.007)
            "": self.cmd_at,
            "I": self.cmd_ati,
            "+CGMR": self.cmd_cgmr,
            "^RESET": self.cmd_reset,
            "+CPIN": self.cmd_cpin,
            # network (contract "Network")
            "+CFUN": self.cmd_cfun,
            "+CEREG": self.cmd_cereg,
            "+CCLK": self.cmd_cclk,
            "+CSQ": self.cmd_csq,
            "+CGSN": self.cmd_cgsn,
            "+SQNNTP": self.cmd_ntp,
            # NVM certificates and keys
            "+SQNSNVW": self.cmd_nvw,
            "+SQNSNVR": self.cmd_nvr,
            # security profiles
            "+SQNSPCFG": self.cmd_spcfg,
            # sockets
            "+SQNSCFG": self.cmd_scfg,
            "+SQNSCFGEXT": self.cmd_scfgext,
            "+SQNSSCFG": self.cmd_sscfg,
            "+SQNSD": self.cmd_sd,
            "+SQNSSENDEXT": self.cmd_ssendext,
            "+SQNSRECV": self.cmd_srecv,
            "+SQNSI": self.cmd_si,
            "+SQNSS": self.cmd_ss,
            "+SQNSH": self.cmd_sh,
            # built-in MQTT client
            "+SQNSMQTTCFG": self.cmd_mqtt_cfg,
            "+SQNSMQTTCONNECT": self.cmd_mqtt_connect,
            "+SQNSMQTTSUBSCRIBE": self.cmd_mqtt_subscribe,
            "+SQNSMQTTUNSUBSCRIBE": self.cmd_mqtt_unsubscribe,
            "+SQNSMQTTPUBLISH": self.cmd_mqtt_publish,
            "+SQNSMQTTRCVMESSAGE": self.cmd_mqtt_rcvmessage,
            "+SQNSMQTTDISCONNECT": self.cmd_mqtt_disconnect,
            # host signing for storage=1 profiles (contract "Host signing")
            "+SQNHCESIGN": self.cmd_hce_sign,
            # built-in HTTP client
            "+SQNHTTPCFG": self.cmd_http_cfg,
            "+SQNHTTPQRY": self.cmd_http_qry,
            "+SQNHTTPSND": self.cmd_http_snd,
            "+SQNHTTPRCV": self.cmd_http_rcv,
        }
        table = {name: self._guarded(handler) for name, handler in table.items()}
        base = super().command_table()   # E0, E1, +CMEE
        base.update(table)
        return base

    @staticmethod
    def _guarded(handler):
        def run(ctx, req):
            try:
                handler(ctx, req)
            except AtError as exc:
                ctx.cme_error(exc.code)
        return run

    # -- helpers -------------------------------------------------------------

    def emitter(self, ctx):
        return Emitter(ctx.modem, ctx.epoch, self.urc_latency)

    @staticmethod
    def need_network(state):
        if not state.registered():
            raise AtError(CME_NO_SERVICE)

    @staticmethod
    def exec_only(req):
        if req.op != "exec":
            raise AtError(CME_BAD)

    def read_payload(self, ctx, n):
        """Prompt, exactly n bytes, one optional CR (contract "Framing");
        None after payload_timeout (never by default; --option payload-timeout) without data."""
        ctx.prompt()
        data = ctx.read_raw(n)
        if data is not None:
            ctx.swallow(b"\r", CR_GRACE)
        return data

    def tls_spec(self, sp_id, st=None):
        """A profile plus the NVM slots it names -> netio.TlsSpec.  Checked
        lazily, when a connection uses it (contract "Security profiles").
        With the modem's state `st`: a profile that checks certificate dates
        (certValidLevel bit 0) fails while the clock is unset."""
        prof = self.profiles.get(sp_id)
        if prof is None:
            raise netio.NetError(netio.CONFIG, f"security profile {sp_id} not configured")
        if st is not None and prof.level & 1 and not st.clock_set:
            # The clock reads 1970 until synchronised (pager docs/GOTCHAS.md),
            # so no certificate is valid yet; MCHP added NTP to Lte.begin() for
            # this (CHANGELOG.md: "Add NTP synchronization in Lte.begin() if
            # modem clock is not set"; the security-profile patch went away
            # "as this is now taken care of by NTP synchronization").
            raise netio.NetError(netio.VERIFY, "the modem's clock is not set (1970): "
                                 "certificate dates cannot be checked")
        if prof.psk and prof.cert is None:
            raise netio.NetError(netio.CONFIG, "PSK profiles are not simulated")
        certs, keys = self.nvm["certificate"], self.nvm["privatekey"]
        spec = netio.TlsSpec(version=prof.version, ciphers=prof.cipher_ids(),
                             verify_chain=bool(prof.level & 1),
                             verify_host=bool(prof.level & 1) and bool(prof.level & 4))
        if spec.verify_chain:
            spec.ca_pem = certs.get(prof.ca) if prof.ca is not None else None
            if spec.ca_pem is None:
                raise netio.NetError(netio.CONFIG, f"CA slot {prof.ca} is empty")
        if prof.storage == 1:
            # Key in the host's secure element (contract "Host signing"): the
            # key field is its id there, no NVM key is read, a certificate is needed.
            spec.cert_pem = certs.get(prof.cert) if prof.cert is not None else None
            if spec.cert_pem is None:
                raise netio.NetError(netio.CONFIG, "storage=1: the client certificate slot is empty")
            if prof.key is None:
                raise netio.NetError(netio.CONFIG, "storage=1: no key id in the profile")
            spec.host_key = prof.key
        elif prof.cert is not None or prof.key is not None:
            spec.cert_pem = certs.get(prof.cert)
            spec.key_pem = keys.get(prof.key)
            if spec.cert_pem is None or spec.key_pem is None:
                raise netio.NetError(netio.CONFIG, "client certificate or key slot is empty")
        return spec

    def tls_context(self, sp_id):
        return netio.build_tls_context(self.tls_spec(sp_id))

    # -- host signing (contract "Host signing") ---------------------------------

    def hce_stream(self, modem, st, em, spec, host, port, abort):
        """Worker thread: a TLS connection whose client signature the host
        makes (sim/network/hce.py), as the plaintext socket; NetError on failure."""
        trace = modem.trace

        def sign(digest):
            if abort():
                return None
            req = st.new_hce_request(spec.host_key, digest)
            if req is None:
                return None
            em.urc(self.hce_request_line(req.ctx, req.key_id, digest))
            if not req.done.wait(self.hce_timeout):
                st.end_hce_request(req)
                trace.note(f"HCE: no AT+SQNHCESIGN for context {req.ctx} within "
                           f"{self.hce_timeout:g} s: TLS failure")
                return None
            st.end_hce_request(req)
            if req.signature is None:
                trace.note(f"HCE: context {req.ctx}: {req.outcome}: TLS failure")
            return req.signature

        return hce.open_stream(host, port, spec, sign, hce.find_helper(self.hce_helper),
                               note=trace.note, abort=abort)

    def hce_request_line(self, ctx_id, key_id, digest):
        """The +SQNHCESIGN request.  No capture of one exists; the only
        implementation (microchip avr-iot-cellular-arduino-library@5ffc687
        src/mqtt_client.cpp:191-237 generateSigningCommand) reads field 0 (the
        context) and field 3 (the digest, 64 hex characters) and signs with
        ATECC slot 0 whatever fields 1 and 2 say.  hce-format picks a form:
        key-alg-hex <ctx>,<keyId>,0,<hex> (the contract's); quoted-digest
        <ctx>,<keyId>,0,"<hex>"; extra-field <ctx>,<keyId>,0,<hex>,32;
        field2-nonzero <ctx>,<keyId>,1,<hex>; field1-not-slot
        <ctx>,<keyId+1 mod 256>,0,<hex>."""
        form, hexed, alg, field1 = self.hce_format, digest.hex(), HCE_ALG_P256_SHA256, key_id
        tail = ""
        if form == "quoted-digest":
            hexed = f'"{hexed}"'
        elif form == "extra-field":
            tail = f",{len(digest)}"
        elif form == "field2-nonzero":
            alg = 1
        elif form == "field1-not-slot":
            field1 = (key_id + 1) % 256
        return f"+SQNHCESIGN:{ctx_id},{field1},{alg},{hexed}{tail}"

    def cmd_hce_sign(self, ctx, req):
        """AT+SQNHCESIGN=<ctx>,0,64,"<128 hex r||s>" or, when the host could
        not sign, AT+SQNHCESIGN=<ctx>,<status 1..255>,0,"" (contract)."""
        args = Args(req, 3, 4)
        ctx_id = args.int(0, 0, HCE_CTX_MAX)
        status = args.int(1, 0, 255)
        length = args.int(2, 0, HCE_SIG_LEN)
        text = args.text(3, "")
        quoted = len(args.fields) == 4 and args.fields[3].quoted
        if status == 0:
            if length != HCE_SIG_LEN or len(text) != 2 * HCE_SIG_LEN or not quoted or \
                    any(c not in "0123456789abcdefABCDEF" for c in text):
                raise AtError(CME_BAD)
            answer = bytes.fromhex(text)
        elif length != 0 or text:
            raise AtError(CME_BAD)
        st = ctx.state
        with st.hce_lock:
            pending = st.hce_pending.pop(ctx_id, None)
        if pending is None:
            raise AtError(CME_NOT_ALLOWED)   # no such request (any more): answered, timed out
        if status == 0:
            pending.finish(answer, "signed")
        else:
            pending.finish(None, f"the host could not sign (status {status})")
        ctx.ok()

    # -- general -------------------------------------------------------------

    def cmd_at(self, ctx, req):
        ctx.ok()

    def cmd_ati(self, ctx, req):
        self.exec_only(req)
        ctx.info("Sequans")
        ctx.info("GM02S")
        ctx.ok()

    def cmd_cgmr(self, ctx, req):
        self.exec_only(req)
        ctx.info("UE8.0.5.10")
        ctx.ok()

    def cmd_csq(self, ctx, req):
        """AT+CSQ: "+CSQ: <rssi>,<ber>" (27.007 §8.5; docs/sequans.md C-41,
        R-41).  ber is always 99 on a Monarch (sequans-rs quotes the manual);
        rssi 20 (-73 dBm) while registered, 99 (not known) before: values
        chosen here, no device log shows them."""
        self.exec_only(req)
        ctx.info(f"+CSQ: {20 if ctx.state.registered() else 99},99")
        ctx.ok()

    # The identity (docs/sequans.md C-42, R-42).  490154203237518 is the
    # example IMEI of 3GPP TS 23.003; its IMEISV here has SVN 01.
    IMEI = "490154203237518"
    SVN = "01"

    def cmd_cgsn(self, ctx, req):
        """AT+CGSN[=<snt>] (3GPP TS 27.007 §5.4): the exec form and snt 0
        answer the serial number (the IMEI) bare, snt 1 the IMEI, 2 the
        IMEISV (what Walter's GM02SP driver asks, WalterModem.cpp:4538-4541,
        and parses as +CGSN: "<16 digits>", :2428-2450), 3 the SVN, each as
        +CGSN: "<digits>" (cgsn-quotes=off: bare).  Other forms: CME 4."""
        if req.op == "exec" or (req.op == "set" and req.args == "0"):
            ctx.info(self.IMEI)
        elif req.op == "set" and req.args in ("1", "2", "3"):
            digits = {"1": self.IMEI, "2": self.IMEI[:14] + self.SVN, "3": self.SVN}[req.args]
            ctx.info(f'+CGSN: "{digits}"' if self.cgsn_quotes == "on" else f"+CGSN: {digits}")
        else:
            raise AtError(CME_BAD)
        ctx.ok()

    def cmd_reset(self, ctx, req):
        self.exec_only(req)
        ctx.ok()
        ctx.later(self.reboot_delay, lambda: ctx.modem.reboot("AT^RESET"))

    def cmd_cpin(self, ctx, req):
        if req.op != "read":
            raise AtError(CME_BAD)
        ctx.info("+CPIN: READY")
        ctx.ok()

    # -- network -------------------------------------------------------------

    def cereg_text(self, state, urc):
        """+CEREG URC (`urc`) or read answer; tac/ci/AcT with mode 2/5 once registered."""
        head = f"+CEREG: {state.reg_stat}" if urc else f"+CEREG: {state.cereg_mode},{state.reg_stat}"
        if state.cereg_mode in (2, 5) and state.reg_stat == 1:
            head += "," + CEREG_CELL
        return head

    def cmd_cfun(self, ctx, req):
        """AT+CFUN=<0|1|4>[,<0|1>] (docs/sequans.md C-05; 1,1 resets) and
        AT+CFUN? (C-43, R-43): `+CFUN: <fun>`, the level set last (0 after
        boot, the simulator's reading), one space after the colon as every
        driver's parser and pycom issue 308's log show it."""
        st = ctx.state
        if req.op == "read":
            ctx.info(f"+CFUN: {st.cfun}")
            return ctx.ok()
        args = Args(req, 1, 2)
        fun, rst = args.int(0, 0, 4), args.int(1, 0, 1, 0)
        if fun not in (0, 1, 4) or (rst and fun != 1):
            raise AtError(CME_BAD)
        ctx.ok()
        if rst:  # AT+CFUN=1,1: reset (contract "Framing")
            ctx.later(self.reboot_delay, lambda: ctx.modem.reboot("AT+CFUN=1,1"))
        else:
            self.set_fun(st, fun, self.emitter(ctx))

    def set_fun(self, st, fun, em):
        old, st.cfun = st.cfun, fun
        if fun == old:
            return
        st.reg_gen += 1
        if fun == 1:
            st.reg_stat = 2
            if st.cereg_mode:
                em.urc(self.cereg_text(st, True), self.search_delay)
            gen = st.reg_gen
            em.modem.call_later(self.search_delay + self.register_delay,
                                lambda: self.registered(st, gen, em), epoch=em.epoch)
            return
        was, st.reg_stat = st.reg_stat, 0
        if st.cereg_mode and was:
            em.urc(self.cereg_text(st, True))
        self.drop_connections(st, em)

    def registered(self, st, gen, em):
        """Timer thread: the search ends, home network (+CEREG: 1)."""
        if st.reg_gen != gen:
            return  # CFUN changed meanwhile
        st.reg_stat = 1
        if self.clock == "network":
            st.clock_set = True  # network time arrives with registration (old contract)
        if st.cereg_mode:
            em.modem.async_urc(self.cereg_text(st, True), em.epoch)

    def drop_connections(self, st, em):
        """Leaving CFUN 1 loses the network: sockets and MQTT go down, host
        signing requests end unanswered."""
        st.cancel_hce()
        for sock in st.sockets.values():
            if sock.state != CLOSED:
                sock.drop_link()
                em.urc(f"+SQNSH: {sock.conn_id}")
        session, st.mqtt = st.mqtt, None
        st.mqtt_gen += 1
        st.mqtt_resuming = False
        if session is not None:
            was_connected = session.state == "connected"
            session.close()
            # Losing the network is not announced either (MCHP lte.cpp:67: "The
            # modem does not give any notification of a MQTT disconnect. This
            # must be called directly following a connection loss").
            if was_connected and self.disconnect_urc == "on":
                em.urc("+SQNSMQTTONDISCONNECT:0,-7")

    def cmd_cereg(self, ctx, req):
        st = ctx.state
        if req.op == "read":
            ctx.info(self.cereg_text(st, False))
            return ctx.ok()
        mode = Args(req, 1, 1).int(0, 0, 5)
        if mode not in (0, 1, 2, 5):
            raise AtError(CME_BAD)
        st.cereg_mode = mode
        ctx.ok()

    def cmd_cclk(self, ctx, req):
        """AT+CCLK? reads "yy/MM/dd,hh:mm:ss+zz"; "70/01/01,..." while unset,
        as the GM02SP does right after attach (awong-dev/pager
        docs/VENDOR_BUG_REPORTS.md §8, docs/GOTCHAS.md; MCHP lte.cpp:219 tests
        for 70/01/01).  AT+CCLK="yy/MM/dd,hh:mm:ss+zz" sets it (27.007 §8.15)."""
        st = ctx.state
        if req.op == "set":
            args = Args(req, 1, 1)
            m = re.fullmatch(r"(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d)",
                             args.text(0))
            if m is None:
                raise AtError(CME_BAD)
            yy, mo, dd, hh, mi, ss = (int(g) for g in m.groups()[:6])
            tz = int(m.group(7))
            try:
                local = datetime.datetime(2000 + yy, mo, dd, hh, mi, ss,
                                          tzinfo=datetime.timezone.utc)
            except ValueError:
                raise AtError(CME_BAD) from None
            if not -96 <= tz <= 96:
                raise AtError(CME_BAD)
            utc = local - datetime.timedelta(minutes=15 * tz)
            st.clock_offset = (utc - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            st.clock_tz = tz
            st.clock_set = True
            return ctx.ok()
        if req.op != "read":
            raise AtError(CME_BAD)
        if st.clock_set:
            now = datetime.datetime.now(datetime.timezone.utc) + \
                datetime.timedelta(seconds=st.clock_offset, minutes=15 * st.clock_tz)
            stamp = now.strftime("%y/%m/%d,%H:%M:%S") + f"{st.clock_tz:+03d}"
        else:
            stamp = "70/01/01,00:00:00+00"
        ctx.info(f'+CCLK: "{stamp}"')
        ctx.ok()

    def cmd_ntp(self, ctx, req):
        """AT+SQNNTP=<mode>,"<servers, comma separated>",<n>: OK, then
        +SQNNTP: <status> (0 = synchronised) when done.  The form is the one
        MCHP lte.cpp:253-254 sends (AT+SQNNTP=2,"time.google.com,
        time.windows.com,pool.ntp.org",1) and reads (lte.cpp:260-267: waits
        for the SQNNTP URC, status '0' at index 1 of the text after the colon,
        so "+SQNNTP: 0").  Fields after the status and other modes are not
        known: the simulator accepts mode 0..2 and answers only the status;
        status 1 (failure, a guess) when not registered."""
        args = Args(req, 2, 3)
        args.int(0, 0, 2)
        if not args.text(1):
            raise AtError(CME_BAD)
        args.int(2, 0, 255, 1)
        st, em = ctx.state, self.emitter(ctx)
        ctx.ok()
        gen = st.reg_gen

        def done():
            if st.registered() and st.reg_gen == gen:
                st.clock_offset, st.clock_tz, st.clock_set = 0.0, 0, True
                em.urc("+SQNNTP: 0", 0)
            else:
                em.urc("+SQNNTP: 1", 0)
        ctx.later(self.ntp_delay, done)

    # -- NVM -----------------------------------------------------------------

    def cmd_nvw(self, ctx, req):
        args = Args(req, 3, 3)
        kind = args.choice(0, NVM_LIMITS)
        slot = args.int(1, SLOTS.start, SLOTS.stop - 1)
        size = args.int(2, 0, NVM_LIMITS[kind])   # over-size: error, no prompt
        store = self.nvm[kind]
        if size == 0:  # delete; an empty slot is an error
            if store.pop(slot, None) is None:
                raise AtError(CME_BAD)
            return ctx.ok()
        if self.nvw_size == "no-cr":
            data = self.read_without_cr(ctx, size)
        else:
            data = self.read_payload(ctx, size)
        if data is None or not PEM_CHECKS[kind](data):
            return ctx.error()
        store[slot] = data
        ctx.ok()

    def read_without_cr(self, ctx, size):
        """Prompt, then bytes until `size` of them were not CR; the CRs are
        dropped.  The manual: "The MQTT broker can provide certificates and
        private keys files with <CR><LF> ... endings.  The parameter <size>,
        however, must not take the <CR> characters into account" (quoted in
        sevents-os/sequans-rs@3ee671f monarch2/src/command/nvm/mod.rs:34).
        A CR after the last counted byte is swallowed like the optional CR
        after any payload (MCHP provision.ino sends one)."""
        ctx.prompt()
        data = bytearray()
        while len(data) < size:
            part = ctx.read_raw(size - len(data))
            if part is None:
                return None
            data += part.replace(b"\r", b"")
        ctx.swallow(b"\r", CR_GRACE)
        return bytes(data)

    def cmd_nvr(self, ctx, req):
        """A certificate slot answers a metadata line, as the GM02S on the
        AVR-IoT Cellular Mini (avr-iot-cellular-arduino-library issue 6):
        +SQNSNVR: "certificate",0,"/O=Microchip Technology Inc/CN=Crypto
        Authentication Signer 2D40","000---000","/O=Microchip Technology Inc/
        CN=sn0123F44A618A528A01","21/04/27 08:00:00",,"sha256ECDSA",
        "000---000","sha1","171a9709..." (the poster shortened zeros to
        "000---000").  nvr=bytes: the old '"<type>",<i>,<len>' line and the
        PEM.  A private key slot: no source shows its answer; the simulator
        keeps the '"privatekey",<i>,<len>' line alone (key bytes never leave)."""
        args = Args(req, 1, 2)
        kind = args.choice(0, NVM_LIMITS)
        store = self.nvm[kind]
        metadata = kind == "certificate" and self.nvr == "metadata"
        if not args.present(1):
            for slot in sorted(store):
                if metadata:
                    ctx.info(f'+SQNSNVR: "{kind}",{slot},{certificate_metadata(store[slot])}')
                else:
                    ctx.info(f'+SQNSNVR: "{kind}",{slot},{len(store[slot])}')
            return ctx.ok()
        slot = args.int(1, SLOTS.start, SLOTS.stop - 1)
        data = store.get(slot)
        if data is None:
            raise AtError(CME_BAD)
        header = f'+SQNSNVR: "{kind}",{slot},{len(data)}'
        if metadata:
            ctx.info(f'+SQNSNVR: "{kind}",{slot},{certificate_metadata(data)}')
        elif kind == "privatekey":  # key bytes never leave the module
            ctx.info(header)
        else:  # header, the PEM, CRLF: one unit, nothing may come between
            ctx.send(self.frame(header) + data + b"\r\n", "data")
        ctx.ok()

    # -- security profiles ---------------------------------------------------

    def cmd_spcfg(self, ctx, req):
        if req.op in ("exec", "read"):
            for sp_id in sorted(self.profiles):
                ctx.info(self.profiles[sp_id].line())
            return ctx.ok()
        prof = self.parse_profile(Args(req, 1, 12))
        self.profiles[prof.sp_id] = prof
        ctx.info(prof.line())
        ctx.ok()

    @staticmethod
    def parse_profile(args):
        slot_max = SLOTS.stop - 1
        prof = Profile(
            sp_id=args.int(0, PROFILE_IDS.start, PROFILE_IDS.stop - 1),
            version=args.int(1, 0, 3, 2),
            ciphers=args.text(2, ""),
            level=args.int(3, 0, 255, 0),
            ca=args.int(4, 0, slot_max, None),
            cert=args.int(5, 0, slot_max, None),
            key=args.int(6, 0, slot_max, None),
            psk=args.text(7, ""),
            psk_id=args.text(8, ""),
            storage=args.int(9, 0, 1, 0),
            resume=args.int(10, 0, 1, 0),
            lifetime=args.int(11, 0, 86400, 0))
        if prof.ciphers and not _CIPHER_LIST.fullmatch(prof.ciphers):
            raise AtError(CME_BAD)
        return prof

    # -- sockets -------------------------------------------------------------

    def socket_arg(self, ctx, args):
        return ctx.state.sockets[args.int(0, SOCKET_IDS.start, SOCKET_IDS.stop - 1)]

    def cmd_scfg(self, ctx, req):
        args = Args(req, 1, 6)
        sock = self.socket_arg(ctx, args)
        args.int(1, 0, 16, 0)        # cid: one PDP context here
        args.int(2, 0, MAX_SEND, 0)  # pktSz: online mode only
        args.int(3, 0, 65535, 0)     # maxTo
        conn_to = args.int(4, 0, 1200, sock.conn_timeout)
        if 0 < conn_to < 10:
            raise AtError(CME_BAD)
        args.int(5, 0, 255, 0)       # txTo: online mode only
        sock.conn_timeout = conn_to or 600
        ctx.ok()

    def cmd_scfgext(self, ctx, req):
        args = Args(req, 4, 6)
        sock = self.socket_arg(ctx, args)
        sr_mode = args.int(1, 0, 2)
        recv_mode = args.int(2, 0, 1)
        args.int(3, 0, 65535)              # keepalive: unused
        args.int(4, 0, 1, 0)               # listenAutoRsp: no listening sockets
        send_mode = args.int(5, 0, 1, 0)
        if sr_mode == 2 or recv_mode or send_mode:
            raise AtError(CME_BAD)          # data view and hex modes: not simulated
        sock.sr_mode = sr_mode
        ctx.ok()

    def cmd_sscfg(self, ctx, req):
        args = Args(req, 2, 3)
        sock = self.socket_arg(ctx, args)
        enable = args.int(1, 0, 1)
        sp_id = args.int(2, PROFILE_IDS.start, PROFILE_IDS.stop - 1, None)
        if enable and sp_id is None:
            raise AtError(CME_BAD)
        sock.sp_id = sp_id if enable else None
        ctx.ok()

    def cmd_sd(self, ctx, req):
        args = Args(req, 4, 9)
        sock = self.socket_arg(ctx, args)
        proto = args.int(1, 0, 1)
        port = args.int(2, 1, 65535)
        host = args.text(3)
        args.int(4, 0, 1, 0)             # closureType
        args.int(5, 0, 65535, 0)         # lPort (UDP)
        conn_mode = args.int(6, 0, 1, 0)
        args.int(7, 0, 2, 0)             # acceptAnyRemote (UDP)
        if proto != 0 or conn_mode != 1:
            raise AtError(CME_BAD)        # UDP and online mode are not simulated
        self.need_network(ctx.state)
        if sock.state != CLOSED:
            raise AtError(CME_NOT_ALLOWED)
        sock.drop_link()                  # leftovers of a remotely closed connection
        try:
            spec = self.tls_spec(sock.sp_id, ctx.state) if sock.sp_id is not None else None
            if spec is not None and spec.host_key is not None:
                # The handshake would need AT+SQNHCESIGN while AT+SQNSD waits
                # for its own result: not possible on one command channel.
                ctx.modem.trace.note(f"socket {sock.conn_id}: host signing (storage=1) is not "
                                     f"supported on sockets")
                raise AtError(CME_HCE_SOCKET)
            tls = netio.build_tls_context(spec) if spec is not None else None
        except netio.NetError as exc:
            ctx.modem.trace.note(f"socket {sock.conn_id}: {exc}")
            return self.dial_failed(ctx, exc.kind)
        sock.state = OPENING
        job = netio.Job(lambda: self.dial(host, port, tls, sock.conn_timeout / 10.0),
                        discard=lambda s: s.close(), name=f"sqnsd-{sock.conn_id}")
        job.wait(ctx)
        if job.error is not None:
            sock.state = CLOSED
            ctx.modem.trace.note(f"socket {sock.conn_id}: {job.error}")
            return self.dial_failed(ctx, getattr(job.error, "kind", netio.IO))
        self.attach(sock, job.result, self.emitter(ctx))
        ctx.ok()

    def dial_failed(self, ctx, kind):
        """A dial that failed on the way (refused, unreachable, TLS) ends with
        NO CARRIER: pager docs/VENDOR_BUG_REPORTS.md §2 ("the modem answers
        NO CARRIER" to an AT+SQNSD whose TLS never completes); TinyGSM
        (vshymanskyy/TinyGSM@4c55210 src/TinyGsmClientSequansMonarch.h:526)
        waits for "NO CARRIER" after +SQNSD; Walter (QuickSpot/walter-arduino
        @5875e1b src/WalterModem.cpp:2125) takes it as an error result.
        dial-error=cme: the simulator's +CME ERROR: 550..553 instead."""
        if self.dial_error == "cme":
            raise AtError(SOCKET_CME[kind])
        ctx.final("NO CARRIER")

    def dial(self, host, port, tls, timeout):
        time.sleep(self.net_delay)
        return netio.open_stream(host, port, tls, timeout)

    def attach(self, sock, conn, em):
        sock.em = em
        sock.sent = sock.received = 0
        sock.state = ACTIVE
        pump = netio.StreamPump(conn, lambda new, total: self.on_socket_data(sock, pump, new, total),
                                lambda reason: self.on_socket_closed(sock, pump, reason),
                                name=f"socket-{sock.conn_id}")
        sock.pump = pump   # before start(): the first bytes may arrive at once
        pump.start()

    def on_socket_data(self, sock, pump, new, buffered):
        """Pump thread: RING once per burst, when everything announced
        before has been read (contract "Sockets")."""
        with sock.lock:
            if sock.pump is not pump:
                return  # closed by the host meanwhile
            sock.received += new
            if sock.announced == 0:
                sock.announced = buffered
                sock.em.urc(sock.ring_text(buffered))

    def on_socket_closed(self, sock, pump, reason):
        """Pump thread: the peer closed.  +SQNSH follows the last RING."""
        with sock.lock:
            if sock.pump is not pump:
                return
            sock.state = CLOSED
            if pump.buffered() > sock.announced:
                sock.sh_pending = True
            else:
                sock.em.urc(f"+SQNSH: {sock.conn_id}")

    def cmd_ssendext(self, ctx, req):
        args = Args(req, 2, 3)
        sock = self.socket_arg(ctx, args)
        n = args.int(1, 1, MAX_SEND)
        args.int(2, 0, 2, 0)             # rai
        if sock.state != ACTIVE:
            raise AtError(CME_NOT_ALLOWED)
        data = self.read_payload(ctx, n)
        if data is None:
            return ctx.error()
        if sock.pump is None or not sock.pump.send(data):
            raise AtError(CME_NOT_ALLOWED)   # closed while the bytes came in
        sock.sent += n
        ctx.ok()

    def cmd_srecv(self, ctx, req):
        args = Args(req, 2, 2)
        sock = self.socket_arg(ctx, args)
        limit = args.int(1, 1, MAX_SEND)
        if sock.pump is None or (sock.state != ACTIVE and not sock.pump.buffered()):
            raise AtError(CME_NOT_ALLOWED)
        data = sock.pump.take(limit)
        header = self.frame(f"+SQNSRECV: {sock.conn_id},{len(data)}")
        ctx.send(header + data + b"\r\n", "data")   # one unit
        self.after_read(sock, len(data))
        ctx.ok()

    def after_read(self, sock, taken):
        """A new RING if unannounced bytes wait; then a pending +SQNSH.
        Both are held back until the OK of this SQNSRECV."""
        with sock.lock:
            sock.announced = max(0, sock.announced - taken)
            left = sock.pump.buffered()
            if sock.announced == 0 and left:
                sock.announced = left
                sock.em.urc(sock.ring_text(left))
            if sock.sh_pending and left <= sock.announced:
                sock.sh_pending = False
                sock.em.urc(f"+SQNSH: {sock.conn_id}")

    def cmd_si(self, ctx, req):
        sock = self.socket_arg(ctx, Args(req, 1, 1))
        pump = sock.pump
        buffered = pump.buffered() if pump else 0
        unsent = pump.unsent() if pump else 0
        ctx.info(f"+SQNSI: {sock.conn_id},{sock.sent},{sock.received},{buffered},{unsent}")
        ctx.ok()

    def cmd_ss(self, ctx, req):
        if req.op not in ("exec", "read"):
            raise AtError(CME_BAD)
        for conn_id, sock in ctx.state.sockets.items():
            ctx.info(f"+SQNSS: {conn_id},{sock.state}")
        ctx.ok()

    def cmd_sh(self, ctx, req):
        sock = self.socket_arg(ctx, Args(req, 1, 1))
        sock.drop_link()
        ctx.ok()

    # -- MQTT ------------------------------------------------------------------

    def cmd_mqtt_cfg(self, ctx, req):
        args = Args(req, 2, 5)
        args.int(0, 0, 0)
        ctx.state.mqtt_cfg = MqttConfig(
            client_id=wire_text(args.text(1, "")), user=wire_text(args.text(2, "")),
            password=wire_text(args.text(3, "")),
            sp_id=args.int(4, PROFILE_IDS.start, PROFILE_IDS.stop - 1, None))
        ctx.ok()

    def cmd_mqtt_connect(self, ctx, req):
        args = Args(req, 3, 4)
        args.int(0, 0, 0)
        host = args.text(1)
        port = args.int(2, 1, 65535)
        keepalive = args.int(3, 0, 65535, 60)
        st = ctx.state
        cfg = st.mqtt_cfg
        if cfg is None or st.mqtt is not None:
            raise AtError(CME_NOT_ALLOWED)
        self.need_network(st)
        st.mqtt_gen += 1                  # a resume still pending gives up
        st.mqtt_resuming = False
        link = MqttLink(cfg, host, port, keepalive, self.emitter(ctx), ctx.modem)
        st.mqtt_link = link
        self.start_mqtt(st, link)
        ctx.ok()

    def plaintext_profile(self, sp_id):
        """The GM02SP's MQTT client speaks PLAIN MQTT when its profile has
        certValidLevel bit 0 clear and names no CA slot: "the first bytes the
        modem sends to port 8883 are a plaintext MQTT 3.1.1 CONNECT ... with
        the client id, username and password readable.  No ClientHello is ever
        sent ... +SQNSMQTTONCONNECT never fires" (awong-dev/pager
        docs/VENDOR_BUG_REPORTS.md §1, docs/BRINGUP_NOTES.md; naming a CA slot,
        validation still off, gives a normal TLS handshake)."""
        prof = self.profiles.get(sp_id)
        return (self.plaintext_fallback == "on" and prof is not None
                and not prof.level & 1 and prof.ca is None)

    def start_mqtt(self, st, link, resumed=False):
        """A connection as `link` says, from the host's CONNECT or (resumed)
        the modem's own reconnection after a drop."""
        cfg, em, modem = link.cfg, link.em, link.modem
        tls = stream = spec = None
        plaintext = cfg.sp_id is not None and self.plaintext_profile(cfg.sp_id)
        try:
            if cfg.sp_id is not None and not plaintext:
                spec = self.tls_spec(cfg.sp_id, st)
                if spec.host_key is None:
                    tls = netio.build_tls_context(spec)
        except netio.NetError as exc:  # profile checked lazily: OK, then the URC
            modem.trace.note(f"MQTT: {exc}")
            if resumed:
                return self.schedule_resume(st, link, st.mqtt_gen)
            return em.urc(f"+SQNSMQTTONCONNECT:0,{netio.connect_failure_rc(exc.kind)}", hold=True)
        if plaintext:
            modem.trace.note(f"MQTT: profile {cfg.sp_id} has validation off and no CA slot: "
                             f"plaintext MQTT (plaintext-fallback=on)")
        if spec is not None and spec.host_key is not None:
            stream = lambda: self.hce_stream(modem, st, em, spec, link.host, link.port,   # noqa: E731
                                             lambda: session.state == "closed")
        gen = st.mqtt_gen
        retry = lambda: self.schedule_resume(st, link, gen)   # noqa: E731
        events = MqttEvents(st, em, silent_failure=plaintext,
                            on_drop=retry if self.disconnect_urc == "off" else None,
                            resumed=resumed, on_retry=retry)
        session = netio.MqttSession(events, cfg.client_id, cfg.user or None,
                                    cfg.password or None, tls, stream=stream)
        if self.mqtt_ping == "off":
            without_pings(session.client)
        events.session = st.mqtt = session
        session.start(link.host, link.port, link.keepalive, delay=self.net_delay)

    def schedule_resume(self, st, link, gen):
        """After a broker-side drop the GM02SP reconnects by itself "about 6
        minutes later" and "emits +SQNSMQTTONCONNECT:0,0 unsolicited", with no
        subscriptions (pager VENDOR_BUG_REPORTS.md §9): mqtt-resume-s later,
        clean session, unless the host connected, disconnected or the network
        went meanwhile.  A failed attempt is retried as silently."""
        st.mqtt_resuming = True
        link.modem.trace.note(f"MQTT: dropped without a URC; the modem resumes in "
                              f"{self.mqtt_resume_s:g} s")

        def resume():
            if st.mqtt_gen != gen or st.mqtt is not None or not st.mqtt_resuming:
                return
            if not st.registered():
                return self.schedule_resume(st, link, gen)
            st.mqtt_resuming = False
            self.start_mqtt(st, link, resumed=True)
        link.modem.call_later(self.mqtt_resume_s, resume, epoch=link.em.epoch)

    def connected_session(self, st):
        session = st.mqtt
        if session is None or session.state != "connected":
            raise AtError(CME_NOT_ALLOWED)
        return session

    @staticmethod
    def topic_arg(args, i, wildcards):
        topic = wire_text(args.text(i))
        if not wildcards and ("+" in topic or "#" in topic):
            raise AtError(CME_BAD)   # MQTT-3.3.2-2: no wildcards in topic names
        return topic

    def cmd_mqtt_subscribe(self, ctx, req):
        args = Args(req, 2, 3)
        args.int(0, 0, 0)
        topic = self.topic_arg(args, 1, True)
        qos = args.int(2, 0, 2, 0)
        session = self.connected_session(ctx.state)
        em, quoted = self.emitter(ctx), to_wire(topic)

        def done(granted):
            rc = 0 if granted <= 2 else -12
            em.urc(f'+SQNSMQTTONSUBSCRIBE:0,"{quoted}",{rc}', hold=True)   # after the OK
        if not session.subscribe(topic, qos, done):
            raise AtError(CME_NOT_ALLOWED)
        ctx.ok()

    def cmd_mqtt_unsubscribe(self, ctx, req):
        args = Args(req, 2, 2)
        args.int(0, 0, 0)
        topic = self.topic_arg(args, 1, True)
        session = self.connected_session(ctx.state)
        em, quoted = self.emitter(ctx), to_wire(topic)
        if not session.unsubscribe(topic, lambda: em.urc(f'+SQNSMQTTONUNSUBSCRIBE:0,"{quoted}",0', hold=True)):
            raise AtError(CME_NOT_ALLOWED)
        ctx.ok()

    def cmd_mqtt_publish(self, ctx, req):
        args = Args(req, 4, 4)
        args.int(0, 0, 0)
        topic = self.topic_arg(args, 1, False)
        qos = args.int(2, 0, 2, 0)       # EWF leaves it empty: QoS 0
        n = args.int(3, 1, MAX_PUBLISH)
        st = ctx.state
        self.connected_session(st)
        data = self.read_payload(ctx, n)
        if data is None:
            return ctx.error()
        session = self.connected_session(st)   # may have dropped meanwhile
        pmid, em = st.next_pmid(), self.emitter(ctx)
        # hold: the acknowledgement never overtakes this command's own answer.
        if not session.publish(topic, data, qos,
                               lambda: em.urc(f"+SQNSMQTTONPUBLISH:0,{pmid},0", hold=True)):
            raise AtError(CME_NOT_ALLOWED)
        # One field, the pmid that +SQNSMQTTONPUBLISH repeats: GM02SP LR8.2.1.0
        # "+SQNSMQTTPUBLISH: 5" then OK then "+SQNSMQTTONPUBLISH:0,5,0"
        # (awong-dev/pager PATCHES.md §1.12, phaseW-prompt.log); monarch2
        # (sevents-os/sequans-rs@3ee671f monarch2/src/command/mqtt/responses.rs:4-6
        # PromptToPayload { pmid }).  publish-answer=ctx-pmid: "0,<pmid>".
        if self.publish_answer == "ctx-pmid":
            ctx.info(f"+SQNSMQTTPUBLISH: 0,{pmid}")
        else:
            ctx.info(f"+SQNSMQTTPUBLISH: {pmid}")
        ctx.ok()

    def cmd_mqtt_rcvmessage(self, ctx, req):
        args = Args(req, 2, 4)
        args.int(0, 0, 0)
        topic = wire_text(args.text(1))
        mid = args.int(2, 1, 65535, None)
        args.int(3, 0, 65535, 0)         # Walter's maxLen: ignored
        msg = self.take_message(ctx.state, topic, mid)
        if self.rcvmessage_urc:
            # Test hook: a URC between the command and its headerless payload,
            # as walter-arduino issue 143 saw ("while AT+SQNSMQTTRCVMESSAGE is
            # in flight, a parser buffer starts with +SQNSMQTT").
            ctx.urc(self.rcvmessage_urc)
        # No header line: the host knows the length from ONMESSAGE.
        ctx.send(b"\r\n" + msg.payload + b"\r\n", "data")
        ctx.ok()

    @staticmethod
    def take_message(st, topic, mid):
        with st.mqtt_lock:
            same = [m for m in st.mqtt_queue if m.topic == topic]
            if mid is not None:
                found = next((m for m in same if m.mid == mid), None)
            else:
                found = next((m for m in same if m.qos == 0), same[0] if same else None)
            if found is None:
                raise AtError(CME_NOT_FOUND)
            st.mqtt_queue.remove(found)
            return found

    def cmd_mqtt_disconnect(self, ctx, req):
        Args(req, 1, 1).int(0, 0, 0)
        st = ctx.state
        session = st.mqtt
        if session is not None and session.state == "connected":
            session.disconnect()   # ONDISCONNECT:0,0 follows from paho's callback
            return ctx.ok()
        if st.mqtt_resuming or (session is not None and session.state == "closed"):
            # Waiting to resume after a drop, or the hung plaintext fallback:
            # the simulator's reading (no source shows it): OK, forgotten, no URC.
            st.mqtt_gen += 1
            st.mqtt_resuming = False
            st.mqtt = None
            return ctx.ok()
        raise AtError(CME_NOT_ALLOWED)

    # -- HTTP ------------------------------------------------------------------

    def cmd_http_cfg(self, ctx, req):
        args = Args(req, 2, 12)
        prof = args.int(0, HTTP_IDS.start, HTTP_IDS.stop - 1)
        use_ssl = args.int(6, 0, 1, 0)
        ctx.state.http[prof] = HttpProfile(
            host=args.text(1), port=args.int(2, 1, 65535, 443 if use_ssl else 80),
            auth=args.int(3, 0, 1, 0), user=args.text(4, ""), password=args.text(5, ""),
            ssl=use_ssl, timeout=args.int(7, 1, 65535, 120),
            sp_id=args.int(9, PROFILE_IDS.start, PROFILE_IDS.stop - 1, None))
        args.text(8, "")                  # cid (notes: empty in every source)
        args.int(10, 0, 65535, 0)         # cnxTimeout
        args.int(11, 0, 65535, 0)         # inactivityTimeout
        ctx.ok()

    def http_profile(self, ctx, prof):
        hp = ctx.state.http.get(prof)
        if hp is None or hp.busy:
            raise AtError(CME_NOT_ALLOWED)
        self.need_network(ctx.state)
        return hp

    def cmd_http_qry(self, ctx, req):
        args = Args(req, 3, 4)
        prof = args.int(0, HTTP_IDS.start, HTTP_IDS.stop - 1)
        method = HTTP_QUERY_METHODS.get(args.int(1, 0, 2))
        resource, extra = args.text(2), args.text(3, "")
        hp = self.http_profile(ctx, prof)
        ctx.ok()
        self.start_http(ctx, prof, hp, method, resource, None, None, extra)

    def cmd_http_snd(self, ctx, req):
        args = Args(req, 4, 6)
        prof = args.int(0, HTTP_IDS.start, HTTP_IDS.stop - 1)
        method = HTTP_SEND_METHODS.get(args.int(1, 0, 1))
        resource = args.text(2)
        n = args.int(3, 0, 65535)
        ctype = POST_TYPES.get(args.text(4, "0"))
        extra = args.text(5, "")
        if ctype is None:
            raise AtError(CME_BAD)
        hp = self.http_profile(ctx, prof)
        body = b""
        if n:  # prompt only when there is a body (docs/sequans.md C-31)
            body = self.read_payload(ctx, n)
            if body is None:
                return ctx.error()
        ctx.ok()
        self.start_http(ctx, prof, hp, method, resource, body, ctype, extra)

    def start_http(self, ctx, prof, hp, method, resource, body, ctype, extra):
        """The request in a worker; +SQNHTTPRING (and +SQNHTTPSH on failure)."""
        em = self.emitter(ctx)
        headers = {}
        if ctype:
            headers["Content-Type"] = ctype
        if hp.auth:
            token = base64.b64encode(f"{hp.user}:{hp.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        name, colon, value = extra.partition(":")
        if colon and name.strip():
            headers[name.strip()] = value.strip()
        hp.body = bytearray()   # unread bytes of the previous answer are gone
        hp.busy = True

        st, modem = ctx.state, ctx.modem

        def work():
            time.sleep(self.net_delay)
            spec = self.tls_spec(hp.sp_id, st) if hp.ssl and hp.sp_id else (
                netio.TlsSpec() if hp.ssl else None)
            if spec is not None and spec.host_key is not None:   # host signing
                return netio.http_exchange(
                    hp.host, hp.port, None, method, resource, body, headers, hp.timeout,
                    stream=lambda: self.hce_stream(modem, st, em, spec, hp.host, hp.port,
                                                   lambda: st.hce_closed))
            tls = netio.build_tls_context(spec) if spec is not None else None
            return netio.http_exchange(hp.host, hp.port, tls, method, resource, body,
                                       headers, hp.timeout)

        def run():
            try:
                result = work()
            except netio.NetError as exc:
                ctx.modem.trace.note(f"HTTP profile {prof}: {exc}")
                hp.busy = False
                em.urc(f"+SQNHTTPRING: {prof},0,{self.ring_type('')},0")
                return em.urc(f"+SQNHTTPSH: {prof},{CURL_CODES[exc.kind]}")
            hp.body = bytearray(result.body)
            hp.busy = False
            em.urc(f"+SQNHTTPRING: {prof},{result.status},{self.ring_type(result.content_type)},"
                   f"{len(result.body)}")
        threading.Thread(target=run, name=f"http-{prof}", daemon=True).start()

    def ring_type(self, content_type):
        """The content type as +SQNHTTPRING carries it: quoted, as in
        walter-micropython issue 5 (GM02SP: +SQNHTTPRING: 1,405,"text/html",157);
        http-ring-quotes=off: bare."""
        return f'"{content_type}"' if self.http_ring_quotes == "on" else content_type

    def cmd_http_rcv(self, ctx, req):
        """AT+SQNHTTPRCV=<p>: "<<<", the whole body, OK.  With <size>, by
        http-sized-read: cme4 = +CME ERROR: 4, the GM02SP's answer (QuickSpot/
        walter-arduino@5875e1b src/proto/WalterHTTP.cpp:200 "Known bug: CME
        ERROR 4 when attempting to receive a HTTP payload with a fixed size.
        Omit size for now"), the body stays readable; flush = at most <size>
        bytes, the rest discarded (microchip avr-iot-cellular-arduino-library
        @5ffc687 src/http_client.cpp:437-438 "We send the buffer size ... The
        rest will be flushed from the modem"); partial = the rest readable by
        later reads (the old contract)."""
        args = Args(req, 1, 2)
        prof = args.int(0, HTTP_IDS.start, HTTP_IDS.stop - 1)
        limit = args.int(1, 64, MAX_SEND, None)
        hp = ctx.state.http.get(prof)
        if hp is None or hp.busy or not hp.body:
            raise AtError(CME_NOT_FOUND)
        if limit is not None and self.http_sized_read == "cme4":
            raise AtError(CME_BAD)
        count = len(hp.body) if limit is None else min(limit, len(hp.body))
        chunk = bytes(hp.body[:count])
        if limit is not None and self.http_sized_read == "flush":
            hp.body = bytearray()
        else:
            del hp.body[:count]
        ctx.send(b"\r\n<<<" + chunk, "data")
        ctx.ok()


DIALECT = SequansDialect
