"""The 'cordelia' dialect: a Würth Elektronik Cordelia-I Wi-Fi module.

What it is
    A simulated Cordelia-I whose file system holds real PEM files and whose
    TLS sockets and on-module MQTT client are real: a socket is a TCP
    connection made by this PC (wrapped in TLS with Python's ssl, trust anchor
    and client credentials taken from the files the host uploaded), the MQTT
    client is paho-mqtt configured from the user settings.  Only the radio is
    pretended: Wi-Fi association is a timer and the address is 127.0.0.1.
    It connects to loopback hosts only (127.0.0.0/8, ::1, localhost); any
    other host fails the way an unreachable one would.

How to use it
    python3 -m sim --dialect cordelia --pty          prints "PTY /dev/pts/N"
    python3 -m sim --dialect cordelia --list-options the switches below
    python3 -m sim --dialect cordelia --pty --option inject-events=on \\
        --option networks='lab=secret123'
    Point a PC build of the firmware at /dev/pts/N (115200 8N1, no echo,
    commands end with CR LF), or wire a real board's UART through a USB-UART
    adapter and use --port /dev/ttyUSB0.  The servers it talks to are yours:
    sim/network/testbed.py starts a mutual-TLS mosquitto and a TLS echo server on
    127.0.0.1.  In Python tests: InProcessSim(CordeliaDialect()) from
    sim.common.testing.  The control socket's {"cmd": "option", ...} changes the
    options of a running simulator, {"cmd": "reboot"} restarts it.

The wire contract is sim/cordelia_contract.md ("contract"; its facts and their
sources are the rows of docs/cordelia.md).  Not 3GPP: no echo, CR LF after every
line, final results OK or ERROR:<text>,<negative code>, events +event...:
any time.  Commands, by the contract's sections:

  Device         AT+test, AT+reboot, AT+factoryreset, AT+hibernate=<s>,
                 AT+get=<group>,<key>,
                 AT+set=<group>,<key>,<value>; event +eventstartup
  Wi-Fi          AT+wlanConnect=<SSID>,<BSSID>,<security>,<key>,,,
                 AT+wlanDisconnect, AT+wlanSet (accepted, no effect);
                 events +eventwlan:connect/disconnect, +eventnetapp:ipv4_acquired
  File system    AT+fileOpen, AT+fileWrite (binary inline / Base64), AT+fileRead,
                 AT+fileClose, AT+fileDel, AT+fileGetInfo, AT+fileGetFileList
  TLS sockets    AT+socket, AT+setSockOpt, AT+connect, AT+send (inline),
                 AT+recv, AT+close.  Default (option sockets=calypso, Würth's
                 Calypso driver ATSocket.c:180-245, unverified on Cordelia-I):
                 AT+connect answers OK before the handshake, then +connect:
                 or +eventsock:async_event,<id>,<code> (invented); AT+recv
                 arms a receive, the data come as the +recv:<id>,<fmt>,<n>,
                 <bytes> event.  sockets=inline: OK after the handshake, raw
                 data inline in +recv: before OK, events +eventsock:data,
                 +eventsock:closed (not in the driver's event tables)
  MQTT client    AT+iotconnect, AT+iotpublish=<n>,<payload>, AT+iotdisconnect;
                 events +eventmqtt:info ("CONNACK", "DISCONNECT"),
                 +eventmqtt:error, +eventmqtt:recv

Options (--option NAME=VALUE, or the control socket).  Where the sources
disagree or are silent, the default is Würth's driver (WurthElektronik/
WirelessConnectivity-SDK_STM32@96c93e8, WCON_Drivers/CordeliaI and Calypso):
  error-style        compact ERROR:<t>,<c> (default), spaced "ERROR: t, c" (the
                     Calypso manual), title "Error: t, c" (the driver's
                     comment), lower error:<t>,<c> (its match string)
  fileread-count     chars (default): +fileread:1,<n> counts Base64 characters
                     (CordeliaI ATFile.c:594-616); bytes: decoded bytes
  getinfo            text (default): +filegetinfo flags and tokens as text
                     (ATFile.c:279-296: open_write|open_read, tokens empty);
                     number: 0
  events             interleaved (default): network events go out at once,
                     also between a command and its OK (CordeliaI.c:572-581
                     takes events at any time); after-ok: held until it
  sockets            calypso (default) or inline, see "TLS sockets" above
  inject-events      off: network events never come between a command and its
                     final result (held back until it is out).  on: they are
                     held up to inject-hold seconds and sent right BEFORE the
                     next final result (after its information lines), and
                     commands whose outcome is an event (wlanConnect,
                     wlanDisconnect, iotconnect, iotdisconnect, iotpublish,
                     send, connect) wait inject-hold seconds before their OK,
                     so their own events come first: a host parser's worst
                     case, as the contract allows.
  inject-hold        seconds, default 0.5
  networks           the access points in range, "SSID=KEY;SSID2=KEY2" or a
                     JSON object (KEY empty: an open network).  Default:
                     secmodem-lab=secmodem-pass.
  any-network        on (default): an SSID not listed associates with any key;
                     off: it is not found (+eventwlan:disconnect,...,-110)
  auto-reconnect     on (default): after a start-up the module rejoins the
                     network it was last connected to (contract "Start-up and device")
  wlan-delay         AT+wlanConnect's OK to the connect event, default 0.2 s
  factory-reset-time AT+factoryreset's work before its OK, default 2 s
  reboot-delay       OK of AT+reboot / AT+factoryreset to the restart, 0.1 s
  connack-timeout    iotconnect to CONNACK before CONNACK_TIMEOUT, 10 s
  net-delay          before every connection attempt, default 0.02 s

Readings of the contract where it is silent (also listed in the contract):
  * Files and user settings are non-volatile (kept for the life of the
    process, in memory); Wi-Fi, sockets, MQTT and open files are lost on a
    restart.  Data written to a file becomes visible at AT+fileClose; a
    restart before the close loses the write (the old content stays).
  * File names are case-sensitive; CREATE alone allows writing; opening an
    existing file for writing starts it empty; a write may not leave a hole
    (offset beyond the data written: -10337); READ with WRITE/CREATE -10340;
    8 files open at most (-10316); 1 MiB of storage in 4096-byte blocks
    (-10322); AT+fileDel is refused while Wi-Fi is connected, like writes.
    +filewrite: counts decoded bytes; AT+fileRead at or past the end answers
    0 bytes (its Base64 count: see fileread-count).  +filegetinfo: flags as
    text (see getinfo), allocated = max size rounded up to 4096,
    storage = twice that (fail-safe copy), write counter = closes that
    committed data.  +filegetfilelist: properties open_write/open_read.
  * Wi-Fi: wlanConnect while connected first disconnects (reason 0); a wrong
    key or security type for a listed network -> +eventwlan:disconnect,
    <SSID>,,-2058.  Synchronous checks: SSID 1..32 (-2060), key 8..64 for WPA
    (-2058), security OPEN|WPA_WPA2|WPA2_PLUS|WPA3 (-2054).  Losing Wi-Fi
    ends the MQTT connection (+eventmqtt:info,"DISCONNECT",-107) and every
    connected socket (+eventsock:closed,<id>).
  * Settings: unknown group/key, a number out of range or a boolean other
    than true/false -> ERROR:invalid setting,-2006; read-only keys
    (general version, IOT deviceID) -> ERROR:read only setting,-2006.  The
    value is the rest of the line (IOT UDID holds commas).  Settings of
    groups the simulator does not use (UART, csr, quarklink, ota) are stored.
  * MQTT: flags tokens url, sec, skip_cert_verify, skip_domain_verify; others
    (whitelist_rootca, ip4, ...) accepted without effect.  TLS1_3 true allows
    TLS 1.3 besides 1.2 (false: 1.2 only).  base64 true: the iotpublish
    payload is Base64 (decoded before publishing) and recv events carry the
    payload Base64-encoded.  The CONNACK event goes out after the
    SUBSCRIBE packets are sent, so a publish the host makes after it is
    delivered to the module's own subscriptions.  A SUBACK refusal ->
    +eventmqtt:error,"SUBSCRIBE_FAILED",-1.  Error events (invented, see the
    contract): DNS_FAILED -6161 (a name other than localhost), CONNECT_FAILED
    -111 refused / -110 timed out / -107 dropped, TLS_FAILED -340 handshake,
    -468 unknown root CA, -722 domain name mismatch, -461 date, -454 CA file
    missing, -456/-457/-458 bad CA / certificate / key file,
    CONNACK_TIMEOUT -110.  iotconnect while connecting or connected ->
    ERROR:already connected,-2012.
  * Sockets: negated errno numbers: -1 no free socket, -9 invalid socket,
    -97 family, -93 protocol not simulated (INET6, DGRAM, UDP), -106 already
    connected, -107 not connected, -110/-111; TLS codes as for MQTT.  A CA
    file enables chain verification, SECURE_DOMAIN_NAME_VERIFICATION adds the
    host name check (and is the TLS server name); no CA file: no
    verification.  SECMETHOD TLSV1_2 (default) and SSLV3_TLSV1_2 mean TLS 1.2;
    TLSV1, TLSV1_1 and SSLV3 are refused by OpenSSL at the handshake (-340).
    TLS options on a TCP socket -> ERROR:invalid input,-2006; other options
    (KEEPALIVE, RCVTIMEO...) are accepted without effect.
  * Unknown commands -> ERROR:unknown command,-2006; malformed arguments ->
    ERROR:invalid input,-2006.

Threads: network events leave through Modem.async_urc (or, with
inject-events, the queue flushed before the next final result) after a small
latency; connections run in worker threads (netio); AT+connect waits for its
worker and gives up when the module restarts.  Restarts close everything
(Dialect.release).
"""

import base64
import binascii
import ipaddress
import json
import random
import re
import threading
import time
import zlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from ..common.core import Command, Dialect, flag, one_of, seconds, to_bytes
from ..network import netio

# ---------------------------------------------------------------------------
# Identity and limits (contract "Framing", "File system", "TLS sockets")

ARTICLE = "2610011025010"
CHIP_ID = "0x31000019"
MAC = "88:01:f9:b3:76:73"
VERSION = "1.0.0"
STARTUP = f"+eventstartup:{ARTICLE},{CHIP_ID},{MAC},{VERSION}"
LOCAL_IP = "127.0.0.1"

MAX_NAME = 180            # file names
MAX_CHUNK = 1460          # bytes per fileWrite / fileRead / send / recv
MAX_INLINE = 65535        # raw bytes the line reader will swallow for one command
BLOCK = 4096              # allocation unit
STORAGE = 1 << 20         # simulated flash for user files
MAX_OPEN = 8              # open files
SOCKET_IDS = range(0, 16)

# +eventwlan:disconnect reasons (contract "Wi-Fi")
REASON_USER = 0
REASON_WRONG_KEY = -2058
REASON_NOT_FOUND = -110
MQTT_LOST = -107          # DISCONNECT code when the link broke
DEFAULT_NETWORKS = {"secmodem-lab": "secmodem-pass"}


class AtError(Exception):
    """Answer the command with ERROR:<text>,<code>."""

    def __init__(self, error):
        super().__init__(error)
        self.text, self.code = error


# ERROR:<text>,<code> answers (codes: docs/cordelia.md D27, SimpleLink numbering)
E_INVALID = ("invalid input", -2006)
E_UNKNOWN = ("unknown command", -2006)
E_SETTING = ("invalid setting", -2006)
E_READ_ONLY = ("read only setting", -2006)
E_SSID = ("invalid SSID length", -2060)
E_KEY = ("invalid key", -2058)
E_SECURITY = ("invalid security type", -2054)
E_WLAN_DOWN = ("not connected", -2071)       # wlanDisconnect, nothing to disconnect
E_NO_WLAN = ("not connected", -2069)         # needs Wi-Fi / an MQTT connection
E_WLAN_UP = ("wlan connected", -2013)        # file writes while associated
E_BUSY = ("already connected", -2012)
E_ROLE = ("not in station role", -2006)     # wlanConnect after a start-up as AP/P2P
E_NOT_FOUND = ("file not found", -10341)
E_EXISTS = ("file exists", -10326)
E_FLAGS = ("wrong open flags", -10340)
E_HANDLE = ("invalid handle", -10335)
E_OFFSET = ("offset out of range", -10337)
E_MAX_SIZE = ("max size exceeded", -10310)
E_STORAGE = ("not enough storage", -10322)
E_TOO_MANY = ("too many open files", -10316)
E_TOPIC = ("invalid topic", -2006)
E_NO_SOCKET = ("no free socket", -1)
E_SOCKET = ("invalid socket", -9)
E_FAMILY = ("family not supported", -97)
E_PROTOCOL = ("protocol not supported", -93)
E_IS_CONN = ("already connected", -106)
E_NOT_CONN = ("not connected", -107)
# TLS and connection failures: (socket error text, MQTT status, code)
T_CA_MISSING = ("CA file not found", "TLS_FAILED", -454)
T_BAD_CA = ("bad CA file", "TLS_FAILED", -456)
T_BAD_CERT = ("bad certificate file", "TLS_FAILED", -457)
T_BAD_KEY = ("bad private key file", "TLS_FAILED", -458)
T_HANDSHAKE = ("handshake failure", "TLS_FAILED", -340)
T_UNKNOWN_CA = ("unknown root CA", "TLS_FAILED", -468)
T_DOMAIN = ("domain name mismatch", "TLS_FAILED", -722)
T_DATE = ("certificate date error", "TLS_FAILED", -461)
T_DNS = ("host not found", "DNS_FAILED", -6161)
T_REFUSED = ("connection refused", "CONNECT_FAILED", -111)
T_TIMEOUT = ("timed out", "CONNECT_FAILED", -110)
T_DROPPED = ("not connected", "CONNECT_FAILED", -107)

# OpenSSL X509_V_ERR numbers (ssl.SSLCertVerificationError.verify_code)
_HOST_MISMATCH = (62, 64)          # host name, IP address
_DATE_ERRORS = (9, 10)             # not yet valid, expired


class TlsFailure(Exception):
    """A TLS configuration or connection failure, one of the T_* above."""

    def __init__(self, failure, detail=""):
        super().__init__(f"{failure[0]}: {detail}" if detail else failure[0])
        self.failure = failure


def classify(error, host):
    """netio.NetError -> one of the T_* failures."""
    kind = error.kind
    if kind == netio.HOST:
        try:
            ipaddress.ip_address(host.strip().strip("[]"))
        except ValueError:
            return T_DNS
        return T_REFUSED
    if kind == netio.VERIFY:
        if error.verify_code in _HOST_MISMATCH or "hostname" in error.detail.lower():
            return T_DOMAIN
        return T_DATE if error.verify_code in _DATE_ERRORS else T_UNKNOWN_CA
    return {netio.REFUSED: T_REFUSED, netio.TIMEOUT: T_TIMEOUT, netio.TLS: T_HANDSHAKE,
            netio.CONFIG: T_BAD_CERT}.get(kind, T_DROPPED)


# ---------------------------------------------------------------------------
# Arguments: no escaping exists (docs/cordelia.md F7).  Fields split at commas
# outside double quotes; one enclosing pair of quotes is not part of a value.


def unquote(text):
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def split_args(text, most=None):
    """'a,"b,c",d' -> ['a', '"b,c"', 'd']; with `most`, the last field is
    the rest of the line, verbatim."""
    fields, start, quoted = [], 0, False
    for i, ch in enumerate(text):
        if most is not None and len(fields) == most - 1:
            break
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            fields.append(text[start:i])
            start = i + 1
    fields.append(text[start:])
    return fields


def args_of(req, least, most=None, rest=False):
    """The fields of 'AT+X=...'; AtError(E_INVALID) if their number is wrong.
    rest=True: the last of `most` fields is the rest of the line."""
    if req.op != "set":
        raise AtError(E_INVALID)
    fields = split_args(req.args, most if rest else None)
    if len(fields) < least or (most is not None and len(fields) > most):
        raise AtError(E_INVALID)
    return fields


def number(text, lo, hi, error=E_INVALID):
    text = text.strip()
    body = text[1:] if text.startswith("-") else text
    if not body.isascii() or not body.isdigit():
        raise AtError(error)
    value = int(text)
    if not lo <= value <= hi:
        raise AtError(error)
    return value


def payload_bytes(payload, fmt):
    """The bytes an AT+fileWrite or AT+send carries: format 1 is Base64
    (decoded, strictly), anything else as it came; 1..MAX_CHUNK of them."""
    data = payload
    if fmt == "1":
        try:
            data = base64.b64decode(data, validate=True)
        except binascii.Error:
            raise AtError(E_INVALID) from None
    if not 1 <= len(data) <= MAX_CHUNK:
        raise AtError(E_INVALID)
    return data


def exec_only(req):
    if req.op != "exec":
        raise AtError(E_INVALID)


def wire_to_str(text):
    """Command text (latin-1 decoded by the core) -> the str its bytes
    encode as UTF-8 (topics, client ids)."""
    return text.encode("latin-1").decode("utf-8", "replace")


def str_to_wire(text):
    """A str -> text whose latin-1 encoding is its UTF-8 bytes."""
    return text.encode("utf-8").decode("latin-1")


_INLINE_WRITE = re.compile(r"\s*\d{1,10},\d{1,10},[01],(\d{1,5}),")
_INLINE_SEND = re.compile(r"\s*\d{1,3},[01],(\d{1,5}),")


def inline_after(pattern):
    """Command.inline for a command whose raw data follow its Nth comma."""
    def length(args):
        m = pattern.fullmatch(args)
        if not m:
            return None
        n = int(m.group(1))
        return n if n <= MAX_INLINE else None
    return length


# ---------------------------------------------------------------------------
# User settings (contract "Settings", docs/cordelia.md C4 to C7b)


@dataclass(frozen=True)
class Setting:
    kind: str            # "str", "int", "bool", "ro" (read-only text)
    default: str
    limit: int = 512     # longest string / highest number
    low: int = 0         # lowest number


def _text(limit=512, default=""):
    return Setting("str", default, limit)


def _int(default, high, low=0):
    return Setting("int", str(default), high, low)


def _bool(default):
    return Setting("bool", "true" if default else "false")


def _topic_group(pub):
    keys = {"name": _text(512), "qos": _int(0, 2)}
    if pub:
        keys["retain"] = _bool(False)
    return keys


SETTINGS = {
    "general": {"version": Setting("ro", VERSION), "time": _text(64), "persistent": _int(1, 1)},
    "MQTT": {
        "iotHubEndpoint": _text(512), "iotHubPort": _int(8883, 65535),
        "flags": _text(128, "url|sec"),
        "TLS1_3": _bool(False), "base64": _bool(False), "clientId": _text(256),
        "rootCAPath": _text(MAX_NAME), "clientCertPath": _text(MAX_NAME),
        "clientPrivateKey": _text(MAX_NAME), "userName": _text(512), "password": _text(512),
        "keepAliveTimeOut": _int(60, 65535), "cleanConnect": _bool(True),
        "willTopic": _text(512), "willMessage": _text(512), "willQos": _int(0, 2),
        "willRetain": _bool(False),
    },
    **{f"SUBTOPIC{n}": _topic_group(False) for n in range(4)},
    **{f"PUBTOPIC{n}": _topic_group(True) for n in range(4)},
    "IOT": {"UDID": _text(64), "deviceID": Setting("ro", "cordelia-sim-0001")},
    "UART": {"baudrate": _int(115200, 3000000, 1200), "parity": _int(0, 2),
             "flowcontrol": _bool(False), "transparent_trigger": _text(64),
             "transparent_timeout": _int(0, 65535), "transparent_etx": _text(8)},
    "csr": {k: _text(64) for k in ("country", "state", "locality", "surname", "organization",
                                   "unit", "email")},
    "quarklink": {"hostname": _text(253), "port": _int(0, 65535), "rootcapath": _text(MAX_NAME)},
    "ota": {"url": _text(512), "rootCAPath": _text(MAX_NAME), "updateVersion": Setting("ro", "")},
}
_GROUPS = {g.lower(): g for g in SETTINGS}
_KEYS = {g: {k.lower(): k for k in keys} for g, keys in SETTINGS.items()}


def setting_key(group, key):
    """Case-insensitive (group, key) -> canonical names, or AtError."""
    g = _GROUPS.get(unquote(group.strip()).lower())
    k = _KEYS[g].get(unquote(key.strip()).lower()) if g else None
    if k is None:
        raise AtError(E_SETTING)
    return g, k


def default_settings():
    return {(g, k): s.default for g, keys in SETTINGS.items() for k, s in keys.items()}


def checked_value(spec, value):
    """The text stored for `value` (one pair of quotes already removed)."""
    if spec.kind == "ro":
        raise AtError(E_READ_ONLY)
    if spec.kind == "int":
        return str(number(value, spec.low, spec.limit, E_SETTING))
    if spec.kind == "bool":
        if value.strip().lower() not in ("true", "false"):
            raise AtError(E_SETTING)
        return value.strip().lower()
    if len(value) > spec.limit:
        raise AtError(E_SETTING)
    return value


# ---------------------------------------------------------------------------
# Files (contract "File system", docs/cordelia.md C11 to C17, D4 to D8)

OPEN_FLAGS = {"CREATE", "READ", "WRITE", "OVERWRITE", "CREATE_FAILSAFE", "CREATE_SECURE",
              "CREATE_NOSIGNATURE", "CREATE_STATIC_TOKEN", "CREATE_VENDOR_TOKEN",
              "CREATE_PUBLIC_WRITE", "CREATE_PUBLIC_READ"}


def allocation(max_size):
    return max(BLOCK, -(-max_size // BLOCK) * BLOCK)


@dataclass
class StoredFile:
    data: bytes
    max_size: int
    writes: int = 0      # committed writes (closes)


@dataclass
class OpenFile:
    name: str
    writing: bool
    max_size: int
    data: bytearray      # a copy: reads see the file as opened, writes commit at close


_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def certificates_ok(data):
    blocks = _PEM_CERT.findall(data)
    try:
        for block in blocks:
            x509.load_pem_x509_certificate(block)
    except ValueError:
        return False
    return bool(blocks)


def private_key_ok(data):
    try:
        serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


# ---------------------------------------------------------------------------
# Volatile state (lost on a restart)


@dataclass
class WlanLink:
    ssid: str
    bssid: str


class Sock:
    """One of the sockets 0..15: options, state and its live link."""

    TLS_OPTIONS = ("SECMETHOD", "SECURE_MASK", "SECURE_FILES_CA_FILE_NAME",
                   "SECURE_FILES_PRIVATE_KEY_FILE_NAME", "SECURE_FILES_CERTIFICATE_FILE_NAME",
                   "SECURE_FILES_DH_KEY_FILE_NAME", "SECURE_DOMAIN_NAME_VERIFICATION",
                   "DISABLE_CERTIFICATE_STORE")
    OTHER_OPTIONS = ("KEEPALIVE", "KEEPALIVETIME", "RX_NO_IP_BOUNDARY", "RCVTIMEO", "RCVBUF",
                     "NONBLOCKING")

    def __init__(self, sid, secure):
        self.sid = sid
        self.secure = secure
        self.options = {}
        self.state = "new"          # new, connecting, connected, closed
        self.pump = None            # netio.StreamPump once connected
        self.sink = None
        self.lock = threading.Lock()
        self.announced = 0          # bytes covered by the last data event, unread
        self.close_pending = False  # peer closed; the event waits for the last data event
        self.armed = None           # sockets=calypso: (format, limit) of an AT+recv waiting

    def drop(self, wait=False):
        with self.lock:
            pump, self.pump = self.pump, None
            self.state = "closed"
            self.announced = 0
            self.close_pending = False
            self.armed = None
        if pump is not None:
            pump.close(wait)


class CordState:
    """Everything a restart resets."""

    def __init__(self):
        self.lock = threading.RLock()   # wlan / mqtt transitions across threads
        self.wlan = None                # WlanLink while associated with an address
        self.wlan_gen = 0               # bumps on every change: stale timers give up
        self.joining = None             # SSID of an association in progress
        self.sockets = {}               # id -> Sock
        self.mqtt = None                # netio.MqttSession while connecting/connected
        self.mqtt_base64 = False
        self.files = {}                 # file id -> OpenFile

    def release(self, wait):
        for sock in self.sockets.values():
            sock.drop(wait)
        with self.lock:
            session, self.mqtt = self.mqtt, None
            self.wlan_gen += 1
        if session is not None:
            session.close(wait, graceful=False)     # a restart: no DISCONNECT


class Sink:
    """Where the events of one module epoch go (see CordeliaDialect.event)."""

    def __init__(self, dialect, modem, epoch):
        self.dialect, self.modem, self.epoch = dialect, modem, epoch

    def __call__(self, text):
        self.dialect.event(self.modem, self.epoch, text)


class MqttEvents(netio.MqttSessionEvents):
    """What a netio.MqttSession reports, as Cordelia events (contract "On-
    module MQTT client")."""

    def __init__(self, state, sink, subscriptions, use_base64):
        self.state, self.sink = state, sink
        self.subscriptions = subscriptions
        self.use_base64 = use_base64
        self.session = None
        self.host = ""

    def connected(self, rc):
        with self.state.lock:
            if not self._current():
                return
            if rc == 0:
                # Subscribed before the CONNACK event goes out: MQTT keeps the
                # order, so the host's first publish already meets them.
                for topic, qos in self.subscriptions:
                    self.session.subscribe(topic, qos, self.suback)
                return self.sink('+eventmqtt:info,"CONNACK",0')
            self._end()
            if self.session.connack_code:
                return self.sink(f'+eventmqtt:info,"CONNACK",{self.session.connack_code}')
            error = self.session.error or netio.NetError(netio.IO, "connection failed")
            _, status, code = classify(error, self.host)
            self.sink(f'+eventmqtt:error,"{status}",{code}')

    def failed(self, failure):
        """A failure found before connecting (TLS files)."""
        with self.state.lock:
            if self._current():
                self._end()
                self.sink(f'+eventmqtt:error,"{failure[1]}",{failure[2]}')

    def suback(self, granted):
        if granted > 2:
            self.sink('+eventmqtt:error,"SUBSCRIBE_FAILED",-1')

    def disconnected(self, rc):
        with self.state.lock:
            if not self._current():
                return
            self._end()
            self.sink(f'+eventmqtt:info,"DISCONNECT",{0 if rc == 0 else MQTT_LOST}')

    def message(self, topic, payload, qos):
        with self.state.lock:
            if not self._current():
                return
            if self.use_base64:
                payload = base64.b64encode(payload)
            elif b"\r" in payload or b"\n" in payload:
                # One line cannot carry them (contract: assumption).
                return self.sink('+eventmqtt:error,"PAYLOAD_UNPRINTABLE",-1')
            self.sink(f'+eventmqtt:recv,{str_to_wire(topic)},qos{qos},"'
                      f'{payload.decode("latin-1")}"')

    def timeout(self):
        with self.state.lock:
            if self._current() and self.session.state == "connecting":
                self._end()
                self.sink('+eventmqtt:error,"CONNACK_TIMEOUT",-110')


# ---------------------------------------------------------------------------
# Options


# Error line forms (option error-style).  Würth's driver matches "error" in
# any case and skips spaces (CordeliaI.c:530-551); the Calypso manual writes
# "ERROR: <description>, <code>"; the driver's comment "Error:[arguments]".
ERROR_STYLES = {
    "compact": "ERROR:{0},{1}",      # the default (docs/cordelia.md D2)
    "spaced": "ERROR: {0}, {1}",     # the Calypso manual's form
    "title": "Error: {0}, {1}",      # the driver's comment "Error:[arguments]"
    "lower": "error:{0},{1}",        # the driver's match string ATCommands.h:57
}


def networks_option(value):
    """"SSID=KEY;SSID2=KEY2" or a JSON object (or a dict) -> {ssid: key}."""
    if isinstance(value, dict):
        table = value
    elif str(value).strip().startswith("{"):
        table = json.loads(value)
    else:
        table = {}
        for entry in filter(None, (e.strip() for e in str(value).split(";"))):
            ssid, _, key = entry.partition("=")
            table[ssid] = key
    if not all(isinstance(k, str) and isinstance(v, str) and 1 <= len(k) <= 32
               for k, v in table.items()):
        raise ValueError("networks: SSIDs of 1..32 characters with string keys")
    return dict(table)


def bssid_of(ssid):
    """A stable, locally administered BSSID per SSID, in the module's
    notation (0x34:0x31:... as the hands-on transcript shows)."""
    h = zlib.crc32(ssid.encode("latin-1", "replace")).to_bytes(4, "big")
    return ":".join(f"0x{b:02x}" for b in (0x02, 0x57) + tuple(h))


# ---------------------------------------------------------------------------
# The dialect


class CordeliaDialect(Dialect):
    name = "cordelia"
    startup_urc = STARTUP
    echo_default = False            # contract "Framing": no echo
    max_line = 2048                 # the vendor driver's line limit

    @property
    def plain_error(self):
        """Framing problems (over-long line...): invalid input, in the style."""
        return self.format_error_line(E_INVALID)

    def format_error_line(self, error):
        return ERROR_STYLES[getattr(self, "error_style", "compact")].format(*error)

    OPTIONS = {
        "inject-events": ("inject_events", flag, "send pending events right before final results"),
        "inject-hold": ("inject_hold", seconds, "how long events wait for a final result"),
        "networks": ("networks", networks_option, "access points: SSID=KEY;... or JSON"),
        "any-network": ("any_network", flag, "unlisted SSIDs associate with any key"),
        "auto-reconnect": ("auto_reconnect", flag, "rejoin the last network after start-up"),
        "wlan-delay": ("wlan_delay", seconds, "wlanConnect OK to the connect event"),
        "factory-reset-time": ("factory_reset_time", seconds, "factoryreset work before OK"),
        "reboot-delay": ("reboot_delay", seconds, "OK of reboot/factoryreset to the restart"),
        "connack-timeout": ("connack_timeout", seconds, "iotconnect to CONNACK_TIMEOUT"),
        "net-delay": ("net_delay", seconds, "before every connection attempt"),
        # Variants where the sources are silent or disagree (defaults: the driver)
        "error-style": ("error_style", one_of(*ERROR_STYLES),
                        "error line: compact ERROR:t,c (default), spaced ERROR: t, c, "
                        "title Error: t, c, lower error:t,c"),
        "fileread-count": ("fileread_count", one_of("chars", "bytes"),
                           "+fileread:1,<count>: Base64 characters (default) or decoded bytes"),
        "getinfo": ("getinfo", one_of("text", "number"),
                    "+filegetinfo flags and tokens as text (default) or numbers"),
        "events": ("events", one_of("interleaved", "after-ok"),
                   "network events at once, also before a command's OK (default), "
                   "or held until it"),
        "sockets": ("sockets", one_of("calypso", "inline"),
                    "calypso (default): connect OK then +connect:, recv arms and data come as "
                    "the +recv: event; inline: OK after the handshake, +recv: before OK"),
        "send-count": ("send_count", one_of("off", "len", "id-len"),
                       "AT+send answers OK alone (default: Calypso driver), or a count line "
                       "before it: +send:<n> (len) or +send:<id>,<n> (id-len), invented"),
    }

    def __init__(self, wlan_delay=0.2, factory_reset_time=2.0, reboot_delay=0.1,
                 connack_timeout=10.0, net_delay=0.02, event_latency=0.005,
                 inject_events=False, inject_hold=0.5, networks=None, any_network=True,
                 auto_reconnect=True, error_style="compact", fileread_count="chars",
                 getinfo="text", events="interleaved", sockets="calypso", send_count="off"):
        self.wlan_delay = wlan_delay
        self.factory_reset_time = factory_reset_time
        self.reboot_delay = reboot_delay
        self.connack_timeout = connack_timeout
        self.net_delay = net_delay
        self.event_latency = event_latency
        self.inject_events = inject_events
        self.inject_hold = inject_hold
        self.networks = dict(DEFAULT_NETWORKS if networks is None else networks)
        self.any_network = any_network
        self.auto_reconnect = auto_reconnect
        self.error_style = error_style
        self.fileread_count = fileread_count
        self.getinfo = getinfo
        self.events = events
        self.sockets = sockets
        self.send_count = send_count
        # Non-volatile (contract "Device": settings and files survive restarts).
        self.settings = default_settings()
        self.store = {}                   # name -> StoredFile
        self.last_network = None          # (ssid, security, key) for auto-reconnect
        self.wlan_mode = "STA"            # AT+wlanSetMode, stored; applies at a restart
        self._ids = random.Random()
        self._pending = []                # inject-events: (epoch, text) not yet sent
        self._pending_lock = threading.Lock()
        super().__init__()

    # -- core hooks ------------------------------------------------------------

    def initial_state(self):
        state = CordState()
        state.role = self.wlan_mode       # the stored role takes effect at start-up
        return state

    def release(self, state, wait):
        state.release(wait)

    def frame(self, text):
        return to_bytes(text) + b"\r\n"   # contract "Framing": a bare line

    def unknown_command(self, ctx, req):
        self.fail(ctx, E_UNKNOWN)

    def before_final(self, ctx):
        """inject-events: what is pending goes out before this final result."""
        with self._pending_lock:
            mine = [text for epoch, text in self._pending if epoch == ctx.epoch]
            self._pending = []
        for text in mine:
            ctx.urc(text)

    def after_boot(self, modem, epoch):
        """Auto-reconnect (contract "Start-up and device"): the last network is rejoined."""
        if self.auto_reconnect and self.last_network is not None and \
                modem.state.role == "STA":
            ssid, security, key = self.last_network
            self.join(modem.state, Sink(self, modem, epoch), modem, epoch, ssid, security, key)

    # -- events ------------------------------------------------------------------

    def event(self, modem, epoch, text):
        """An event caused by the network or a timer.  Normally it waits for
        the command being answered (Modem.async_urc); with inject-events it
        waits for the next final result, or inject_hold seconds."""
        if self.inject_events:
            with self._pending_lock:
                self._pending.append((epoch, text))
            modem.call_later(self.inject_hold, lambda: self._flush(modem), epoch=epoch)
        elif self.events == "interleaved":   # between units, maybe inside an answer
            modem.call_later(self.event_latency, lambda: modem.urc(text, epoch), epoch=epoch)
        else:
            modem.call_later(self.event_latency, lambda: modem.async_urc(text, epoch), epoch=epoch)

    def _flush(self, modem):
        with self._pending_lock:
            pending, self._pending = self._pending, []
        for epoch, text in pending:
            modem.urc(text, epoch)   # between units, maybe inside an answer: allowed

    def settle(self, ctx):
        """inject-events: let this command's own events come before its OK."""
        if self.inject_events:
            ctx.sleep(self.inject_hold)

    # -- command table (contract sections in order) --------------------------------

    def command_table(self):
        table = {
            # Device
            "+TEST": self.cmd_test,
            "+REBOOT": self.cmd_reboot,
            "+FACTORYRESET": self.cmd_factoryreset,
            "+HIBERNATE": self.cmd_hibernate,
            "+GET": self.cmd_get,
            "+SET": self.cmd_set,
            # Wi-Fi
            "+WLANCONNECT": self.cmd_wlan_connect,
            "+WLANDISCONNECT": self.cmd_wlan_disconnect,
            "+WLANSET": self.cmd_wlan_set,
            "+WLANSETMODE": self.cmd_wlan_set_mode,
            # File system
            "+FILEOPEN": self.cmd_file_open,
            "+FILEWRITE": Command(self.cmd_file_write, inline=inline_after(_INLINE_WRITE)),
            "+FILEREAD": self.cmd_file_read,
            "+FILECLOSE": self.cmd_file_close,
            "+FILEDEL": self.cmd_file_del,
            "+FILEGETINFO": self.cmd_file_info,
            "+FILEGETFILELIST": self.cmd_file_list,
            # On-module MQTT client
            "+IOTCONNECT": self.cmd_iot_connect,
            "+IOTPUBLISH": self.cmd_iot_publish,
            "+IOTDISCONNECT": self.cmd_iot_disconnect,
            # TLS sockets (Calypso syntax)
            "+SOCKET": self.cmd_socket,
            "+SETSOCKOPT": self.cmd_setsockopt,
            "+CONNECT": self.cmd_connect,
            "+SEND": Command(self.cmd_send, inline=inline_after(_INLINE_SEND)),
            "+RECV": self.cmd_recv,
            "+CLOSE": self.cmd_close,
        }
        return {name: self._guarded(entry) for name, entry in table.items()}

    def _guarded(self, entry):
        handler = entry.handler if isinstance(entry, Command) else entry

        def run(ctx, req):
            try:
                handler(ctx, req)
            except AtError as exc:
                self.fail(ctx, (exc.text, exc.code))
        return Command(run, entry.inline) if isinstance(entry, Command) else run

    def fail(self, ctx, error):
        ctx.final(self.format_error_line(error))

    def sink(self, ctx):
        return Sink(self, ctx.modem, ctx.epoch)

    # -- Device ----------------------------------------------------------------------

    def cmd_test(self, ctx, req):
        exec_only(req)
        ctx.ok()

    def cmd_reboot(self, ctx, req):
        exec_only(req)
        ctx.ok()
        ctx.later(self.reboot_delay, lambda: ctx.modem.reboot("AT+reboot"))

    def cmd_factoryreset(self, ctx, req):
        exec_only(req)
        ctx.sleep(self.factory_reset_time)    # "typically 60 s of silence" (notes 2)
        self.settings = default_settings()
        self.store = {}
        self.last_network = None
        self.wlan_mode = "STA"
        ctx.state.files.clear()
        ctx.ok()
        ctx.later(self.reboot_delay, lambda: ctx.modem.reboot("AT+factoryreset"))

    def cmd_hibernate(self, ctx, req):
        """AT+hibernate=<seconds> (docs/cordelia.md C27; Würth's driver
        ATDevice.c:170-196, the range 1..86400 ATDevice.h:39-40): OK, then
        (after reboot-delay, as for AT+reboot) the module hears nothing
        (input is ignored) until it wakes
        `seconds` later with the start-up event of a power-up, its volatile
        state gone.  The wake-up is the simulator's reading: no log shows
        one."""
        (value,) = args_of(req, 1, 1)
        seconds = number(value, 1, 86400)
        ctx.ok()
        ctx.later(self.reboot_delay,
                  lambda: ctx.modem.reboot("AT+hibernate", delay=float(seconds)))

    def cmd_get(self, ctx, req):
        group, key = args_of(req, 2, 2)
        ctx.info(f"+get:{self.settings[setting_key(group, key)]}")
        ctx.ok()

    def cmd_set(self, ctx, req):
        group, key, value = args_of(req, 3, 3, rest=True)
        name = setting_key(group, key)
        self.settings[name] = checked_value(SETTINGS[name[0]][name[1]], unquote(value))
        ctx.ok()

    def setting(self, group, key):
        return self.settings[(group, key)]

    # -- Wi-Fi -----------------------------------------------------------------------

    SECURITY = ("OPEN", "WPA_WPA2", "WPA2_PLUS", "WPA3")

    def cmd_wlan_connect(self, ctx, req):
        fields = [unquote(f) for f in args_of(req, 4, 7)]
        ssid, _bssid, security, key = fields[:4]
        if not 1 <= len(ssid) <= 32:
            raise AtError(E_SSID)
        security = security.upper()
        if security not in self.SECURITY:
            raise AtError(E_SECURITY)
        if security != "OPEN" and not 8 <= len(key) <= 64:
            raise AtError(E_KEY)
        if ctx.state.role != "STA":
            raise AtError(E_ROLE)
        st, sink = ctx.state, self.sink(ctx)
        with st.lock:
            link = st.wlan
            if link is None or link.ssid != ssid or self.refusal(ssid, security, key):
                self.drop_network(st, sink, REASON_USER)
            # else: the network it is on, rightly: it associates again, no disconnect
            self.join(st, sink, ctx.modem, ctx.epoch, ssid, security, key)
        self.settle(ctx)
        ctx.ok()

    def join(self, st, sink, modem, epoch, ssid, security, key):
        """Start an association: its events after wlan_delay."""
        with st.lock:
            st.wlan_gen += 1
            gen = st.wlan_gen
            st.joining = ssid
        modem.call_later(self.wlan_delay,
                         lambda: self.associated(st, sink, gen, ssid, security, key), epoch=epoch)

    def associated(self, st, sink, gen, ssid, security, key):
        """Timer thread: the association ends (contract "Wi-Fi")."""
        with st.lock:
            if st.wlan_gen != gen:
                return   # disconnected or replaced meanwhile
            st.joining = None
            reason = self.refusal(ssid, security, key)
            if reason is not None:
                return sink(f"+eventwlan:disconnect,{ssid},,{reason}")
            st.wlan = WlanLink(ssid, bssid_of(ssid))
            self.last_network = (ssid, security, key)
            sink(f"+eventwlan:connect,{ssid},{st.wlan.bssid}")
            sink(f"+eventnetapp:ipv4_acquired,{LOCAL_IP},{LOCAL_IP},{LOCAL_IP}")

    def refusal(self, ssid, security, key):
        """None if the network takes these credentials, else the reason."""
        if ssid in self.networks:
            expected = self.networks[ssid]
            if (security == "OPEN") != (expected == "") or (expected and key != expected):
                return REASON_WRONG_KEY
        elif not self.any_network:
            return REASON_NOT_FOUND
        return None

    def drop_network(self, st, sink, reason):
        """Wi-Fi goes away: its event, then MQTT and the sockets with it.
        True if there was a link or an association in progress."""
        with st.lock:
            link, joining = st.wlan, st.joining
            st.wlan = st.joining = None
            st.wlan_gen += 1
            if link is not None:
                sink(f"+eventwlan:disconnect,{link.ssid},{link.bssid},{reason}")
            session, st.mqtt = st.mqtt, None
        if session is not None:
            session.close(graceful=False)           # the radio is gone: no DISCONNECT
            sink(f'+eventmqtt:info,"DISCONNECT",{MQTT_LOST}')
        for sid, sock in sorted(st.sockets.items()):
            if sock.state in ("connecting", "connected"):
                sock.drop()
                sink(f"+eventsock:closed,{sid}")
        return link is not None or joining is not None

    def cmd_wlan_disconnect(self, ctx, req):
        exec_only(req)
        if not self.drop_network(ctx.state, self.sink(ctx), REASON_USER):
            raise AtError(E_WLAN_DOWN)
        self.settle(ctx)
        ctx.ok()

    def cmd_wlan_set_mode(self, ctx, req):
        (mode,) = args_of(req, 1, 1)
        mode = unquote(mode).strip().upper()
        if mode not in ("STA", "AP", "P2P"):
            raise AtError(E_INVALID)
        self.wlan_mode = mode
        ctx.ok()

    def cmd_wlan_set(self, ctx, req):
        args_of(req, 2)        # e.g. general,country_code,EU: nothing to simulate
        ctx.ok()

    # -- File system -------------------------------------------------------------------

    def file_name(self, text):
        name = unquote(text.strip())
        if not 1 <= len(name) <= MAX_NAME or any(ord(c) < 0x20 for c in name):
            raise AtError(E_INVALID)
        return name

    def cmd_file_open(self, ctx, req):
        fields = args_of(req, 2, 3)
        name = self.file_name(fields[0])
        tokens = {t.strip().upper() for t in unquote(fields[1]).split("|")}
        size = fields[2].strip() if len(fields) == 3 else ""
        max_size = number(size, 0, STORAGE, E_STORAGE) if size else 0   # READ may omit it
        if not tokens <= OPEN_FLAGS:
            raise AtError(E_FLAGS)
        create = any(t.startswith("CREATE") for t in tokens)
        writing = create or "WRITE" in tokens
        if writing == ("READ" in tokens):
            raise AtError(E_FLAGS)        # both, or neither (e.g. OVERWRITE alone)
        st = ctx.state
        if len(st.files) >= MAX_OPEN:
            raise AtError(E_TOO_MANY)
        stored = self.store.get(name)
        if not writing:
            if stored is None:
                raise AtError(E_NOT_FOUND)
            handle = OpenFile(name, False, stored.max_size, bytearray(stored.data))
        else:
            handle = self.open_for_writing(st, name, stored, create, "OVERWRITE" in tokens,
                                           max_size)
        fid = self.new_file_id(st)
        st.files[fid] = handle
        ctx.info(f"+fileopen:{fid},0")
        ctx.ok()

    def open_for_writing(self, st, name, stored, create, overwrite, max_size):
        if st.wlan is not None:
            raise AtError(E_WLAN_UP)     # notes 4: Wi-Fi must be disconnected
        if stored is not None and create and not overwrite:
            raise AtError(E_EXISTS)
        if stored is None and not create:
            raise AtError(E_NOT_FOUND)
        if create:
            if max_size < 1:
                raise AtError(E_INVALID)
            used = sum(allocation(f.max_size) for n, f in self.store.items() if n != name)
            if used + allocation(max_size) > STORAGE:
                raise AtError(E_STORAGE)
        else:
            max_size = stored.max_size
        return OpenFile(name, True, max_size, bytearray())

    def new_file_id(self, st):
        while True:
            fid = self._ids.getrandbits(32)
            if fid and fid not in st.files:
                return fid

    def handle(self, st, text, writing):
        fid = number(text, 0, 0xFFFFFFFF, E_HANDLE)
        handle = st.files.get(fid)
        if handle is None:
            raise AtError(E_HANDLE)
        if handle.writing != writing:
            raise AtError(E_FLAGS)
        return handle

    def cmd_file_write(self, ctx, req):
        if req.payload is None or req.tail:
            raise AtError(E_INVALID)
        fid, offset, fmt, _length, _ = split_args(req.args)
        handle = self.handle(ctx.state, fid, True)
        data = payload_bytes(req.payload, fmt)
        offset = number(offset, 0, 0xFFFFFFFF, E_OFFSET)
        if offset > len(handle.data):
            raise AtError(E_OFFSET)
        if offset + len(data) > handle.max_size:
            raise AtError(E_MAX_SIZE)
        handle.data[offset:offset + len(data)] = data
        ctx.info(f"+filewrite:{len(data)}")
        ctx.ok()

    def cmd_file_read(self, ctx, req):
        fid, offset, fmt, length = args_of(req, 4, 4)
        handle = self.handle(ctx.state, fid, False)
        offset = number(offset, 0, 0xFFFFFFFF, E_OFFSET)
        fmt = number(fmt, 0, 1)
        data = bytes(handle.data[offset:offset + number(length, 1, MAX_CHUNK)])
        if fmt == 1:   # Base64: one text line; the count as Würth's parser reads it
            text = base64.b64encode(data).decode("ascii")
            count = len(text) if self.fileread_count == "chars" else len(data)
            ctx.info(f"+fileread:1,{count},{text}")
        else:          # binary: the bytes inline, then CR LF (one unit)
            ctx.send(b"+fileread:0,%d," % len(data) + data + b"\r\n", "data")
        ctx.ok()

    def cmd_file_close(self, ctx, req):
        fields = args_of(req, 1, 3)
        fid = number(fields[0], 0, 0xFFFFFFFF, E_HANDLE)
        handle = ctx.state.files.pop(fid, None)
        if handle is None:
            raise AtError(E_HANDLE)
        if handle.writing:   # the data become visible now
            old = self.store.get(handle.name)
            self.store[handle.name] = StoredFile(bytes(handle.data), handle.max_size,
                                                 (old.writes if old else 0) + 1)
        ctx.ok()

    def cmd_file_del(self, ctx, req):
        fields = args_of(req, 1, 2)
        name = self.file_name(fields[0])
        if ctx.state.wlan is not None:
            raise AtError(E_WLAN_UP)
        if self.store.pop(name, None) is None:
            raise AtError(E_NOT_FOUND)
        ctx.ok()

    def cmd_file_info(self, ctx, req):
        fields = args_of(req, 1, 2)
        stored = self.store.get(self.file_name(fields[0]))
        if stored is None:
            raise AtError(E_NOT_FOUND)
        alloc = allocation(stored.max_size)
        if self.getinfo == "text":
            # The driver reads flags and tokens as text (ATFile.c:279-296); the
            # exact words are unknown: the property names of the file list
            # (open_write|open_read while open), tokens empty.
            name = self.file_name(fields[0])
            handles = ctx.state.files.values()
            flags = "|".join(p for p, writing in (("open_write", True), ("open_read", False))
                             if any(h.name == name and h.writing == writing for h in handles))
            tokens = ""
        else:
            flags, tokens = "0", "0"
        ctx.info(f"+filegetinfo:{flags},{len(stored.data)},{alloc},{tokens},{2 * alloc},"
                 f"{stored.writes}")
        ctx.ok()

    def cmd_file_list(self, ctx, req):
        exec_only(req)
        handles = list(ctx.state.files.values())
        for name in sorted(self.store):
            stored = self.store[name]
            props = [p for p, writing in (("open_write", True), ("open_read", False))
                     if any(h.name == name and h.writing == writing for h in handles)]
            ctx.info(f"+filegetfilelist:{name},{stored.max_size},{'|'.join(props)},"
                     f"{allocation(stored.max_size) // BLOCK}")
        ctx.ok()

    def file_pem(self, name, missing):
        stored = self.store.get(name)
        if stored is None:
            raise TlsFailure(missing, f"no file {name!r}")
        return stored.data

    def tls_spec(self, ca_name, cert_name, key_name, version, verify_host):
        """Files -> netio.TlsSpec, checked like the module would: TlsFailure."""
        spec = netio.TlsSpec(version=version)
        if ca_name:
            spec.ca_pem = self.file_pem(ca_name, T_CA_MISSING)
            if not certificates_ok(spec.ca_pem):
                raise TlsFailure(T_BAD_CA, ca_name)
            spec.verify_chain, spec.verify_host = True, verify_host
        if cert_name or key_name:
            spec.cert_pem = self.file_pem(cert_name, T_BAD_CERT)
            spec.key_pem = self.file_pem(key_name, T_BAD_KEY)
            if not certificates_ok(spec.cert_pem):
                raise TlsFailure(T_BAD_CERT, cert_name)
            if not private_key_ok(spec.key_pem):
                raise TlsFailure(T_BAD_KEY, key_name)
        return spec

    @staticmethod
    def tls_context(spec):
        try:
            return netio.build_tls_context(spec)
        except netio.NetError as exc:   # e.g. a key that does not match its certificate
            raise TlsFailure(T_BAD_KEY, str(exc)) from None

    # -- On-module MQTT client -----------------------------------------------------------

    def cmd_iot_connect(self, ctx, req):
        exec_only(req)
        st, sink = ctx.state, self.sink(ctx)
        with st.lock:
            if st.wlan is None:
                raise AtError(E_NO_WLAN)
            if st.mqtt is not None:
                raise AtError(E_BUSY)
            if not self.setting("MQTT", "clientId") and \
                    self.setting("MQTT", "cleanConnect") != "true":
                raise AtError(E_SETTING)   # MQTT 3.1.1: an empty id needs a clean session
            self.start_mqtt(st, sink, ctx.modem, ctx.epoch)
        self.settle(ctx)
        ctx.ok()

    def start_mqtt(self, st, sink, modem, epoch):
        """iotconnect's work: the settings, then a paho session in the
        background.  Failures come back as events."""
        get = lambda key: self.setting("MQTT", key)          # noqa: E731
        flags = {t.strip().lower() for t in get("flags").split("|")}
        subs = [(wire_to_str(self.setting(f"SUBTOPIC{n}", "name")),
                 int(self.setting(f"SUBTOPIC{n}", "qos"))) for n in range(4)]
        events = MqttEvents(st, sink, [s for s in subs if s[0]], get("base64") == "true")
        events.host = get("iotHubEndpoint")
        will = None
        if get("willTopic"):
            will = (wire_to_str(get("willTopic")), get("willMessage").encode("latin-1"),
                    int(get("willQos")), get("willRetain") == "true")
        tls = failure = None
        if "sec" in flags:
            verify = "skip_cert_verify" not in flags
            try:
                spec = self.tls_spec(get("rootCAPath") if verify else "", get("clientCertPath"),
                                     get("clientPrivateKey"),
                                     None if get("TLS1_3") == "true" else 2,
                                     verify and "skip_domain_verify" not in flags)
                if verify and not spec.verify_chain:
                    raise TlsFailure(T_CA_MISSING, "rootCAPath is empty")
                tls = self.tls_context(spec)
            except TlsFailure as exc:
                modem.trace.note(f"iotconnect: {exc}")
                failure = exc.failure
        session = netio.MqttSession(events, wire_to_str(get("clientId")),
                                    wire_to_str(get("userName")) or None,
                                    wire_to_str(get("password")) or None, tls,
                                    clean_session=get("cleanConnect") == "true", will=will)
        events.session = st.mqtt = session
        if failure is not None:
            modem.call_later(self.net_delay, lambda: events.failed(failure), epoch=epoch)
            return events
        session.start(events.host, int(get("iotHubPort")), int(get("keepAliveTimeOut")),
                      delay=self.net_delay)
        modem.call_later(self.connack_timeout, events.timeout, epoch=epoch)
        return events

    def cmd_iot_publish(self, ctx, req):
        index, payload = args_of(req, 2, 2, rest=True)
        n = number(index, 0, 3)
        topic = wire_to_str(self.setting(f"PUBTOPIC{n}", "name"))
        if not topic or "+" in topic or "#" in topic:
            raise AtError(E_TOPIC)
        st = ctx.state
        session = st.mqtt
        if session is None or session.state != "connected":
            raise AtError(E_NO_WLAN)
        data = unquote(payload).encode("latin-1")
        if self.setting("MQTT", "base64") == "true":
            try:
                data = base64.b64decode(data, validate=True)
            except binascii.Error:
                raise AtError(E_INVALID) from None
        qos = int(self.setting(f"PUBTOPIC{n}", "qos"))
        retain = self.setting(f"PUBTOPIC{n}", "retain") == "true"
        if not session.publish(topic, data, qos, lambda: None, retain):
            raise AtError(E_NO_WLAN)
        self.settle(ctx)
        ctx.ok()

    def cmd_iot_disconnect(self, ctx, req):
        exec_only(req)
        st = ctx.state
        with st.lock:
            session = st.mqtt
            if session is None:
                raise AtError(E_NO_WLAN)
            if session.state != "connected":   # still connecting: give up at once
                st.mqtt = None
                session.close()
                self.sink(ctx)('+eventmqtt:info,"DISCONNECT",0')
            else:
                session.disconnect()           # DISCONNECT,0 from paho's callback
        self.settle(ctx)
        ctx.ok()

    # -- TLS sockets ------------------------------------------------------------------------

    def socket_arg(self, st, text):
        sock = st.sockets.get(number(text, 0, 255, E_SOCKET))
        if sock is None:
            raise AtError(E_SOCKET)
        return sock

    def cmd_socket(self, ctx, req):
        family, kind, proto = (f.strip().upper() for f in args_of(req, 3, 3))
        if family != "INET":
            raise AtError(E_FAMILY)
        if kind != "STREAM" or proto not in ("TCP", "SEC"):
            raise AtError(E_PROTOCOL)
        st = ctx.state
        free = [i for i in SOCKET_IDS if i not in st.sockets]
        if not free:
            raise AtError(E_NO_SOCKET)
        st.sockets[free[0]] = Sock(free[0], proto == "SEC")
        ctx.info(f"+socket:{free[0]}")
        ctx.ok()

    def cmd_setsockopt(self, ctx, req):
        sid, level, option, value = args_of(req, 4, 4, rest=True)
        sock = self.socket_arg(ctx.state, sid)
        level, option = level.strip().upper(), option.strip().upper()
        if level == "IP":
            return ctx.ok()               # multicast options: nothing to simulate
        if level != "SOCKET" or option not in Sock.TLS_OPTIONS + Sock.OTHER_OPTIONS:
            raise AtError(E_INVALID)
        if option in Sock.TLS_OPTIONS and not sock.secure:
            raise AtError(E_INVALID)
        value = unquote(value.strip())
        if option == "SECMETHOD" and value.upper() not in self.TLS_METHODS:
            raise AtError(E_INVALID)
        sock.options[option] = value
        ctx.ok()

    TLS_METHODS = {"SSLV3": 0, "TLSV1": 0, "TLSV1_1": 1, "TLSV1_2": 2, "SSLV3_TLSV1_2": 2}

    def socket_tls(self, sock):
        opts = sock.options
        method = opts.get("SECMETHOD", "TLSV1_2").upper()
        domain = opts.get("SECURE_DOMAIN_NAME_VERIFICATION", "")
        spec = self.tls_spec(opts.get("SECURE_FILES_CA_FILE_NAME", ""),
                             opts.get("SECURE_FILES_CERTIFICATE_FILE_NAME", ""),
                             opts.get("SECURE_FILES_PRIVATE_KEY_FILE_NAME", ""),
                             self.TLS_METHODS[method], bool(domain))
        return self.tls_context(spec), domain or None

    def cmd_connect(self, ctx, req):
        sid, family, port, address = args_of(req, 4, 4)
        st = ctx.state
        sock = self.socket_arg(st, sid)
        if family.strip().upper() != "INET":
            raise AtError(E_FAMILY)
        port = number(port, 1, 65535)
        address = unquote(address.strip())
        if st.wlan is None:
            raise AtError(E_NO_WLAN)
        if sock.state != "new":
            raise AtError(E_IS_CONN)
        tls = server_name = None
        try:
            if sock.secure:
                tls, server_name = self.socket_tls(sock)
        except TlsFailure as exc:
            ctx.modem.trace.note(f"socket {sock.sid}: {exc}")
            raise AtError(exc.failure[::2]) from None
        sock.state = "connecting"
        job = netio.Job(lambda: self.dial(address, port, tls, server_name),
                        discard=lambda s: s.close(), name=f"connect-{sock.sid}")
        if self.sockets == "calypso":
            # Calypso (ATSocket.c:180-197): OK before the handshake; the result
            # is the +connect: event, or (invented: the driver's socket events
            # are tx_failed and async_event) +eventsock:async_event,<id>,<code>.
            ctx.ok()
            sink, modem = self.sink(ctx), ctx.modem
            threading.Thread(target=self.connect_done, name=f"connected-{sock.sid}",
                             args=(job, st, sock, sink, modem, address, port),
                             daemon=True).start()
            return None
        job.wait(ctx)
        if job.error is not None:
            sock.state = "new"
            ctx.modem.trace.note(f"socket {sock.sid}: {job.error}")
            error = job.error if isinstance(job.error, netio.NetError) else \
                netio.NetError(netio.IO, str(job.error))
            raise AtError(classify(error, address)[::2])
        self.attach(sock, job.result, self.sink(ctx))
        event = f"+connect:{port},{address}"
        if self.inject_events:
            ctx.urc(event)
            return ctx.ok()
        ctx.ok()
        ctx.urc(event)    # contract: the event right after the OK

    def connect_done(self, job, st, sock, sink, modem, address, port):
        """sockets=calypso: the handshake's outcome as an event."""
        job.done.wait()
        if modem.state is not st or sock.state != "connecting" or \
                st.sockets.get(sock.sid) is not sock:
            job.abandon()                      # a restart or AT+close meanwhile
            return
        if job.error is not None:
            sock.state = "new"
            modem.trace.note(f"socket {sock.sid}: {job.error}")
            error = job.error if isinstance(job.error, netio.NetError) else \
                netio.NetError(netio.IO, str(job.error))
            sink(f"+eventsock:async_event,{sock.sid},{classify(error, address)[2]}")
            return
        self.attach(sock, job.result, sink)
        sink(f"+connect:{port},{address}")

    def dial(self, address, port, tls, server_name):
        time.sleep(self.net_delay)
        return netio.open_stream(address, port, tls, 10.0, server_name)

    def attach(self, sock, conn, sink):
        sock.sink = sink
        sock.state = "connected"
        pump = netio.StreamPump(conn, lambda new, total: self.on_data(sock, pump, total),
                                lambda reason: self.on_closed(sock, pump),
                                name=f"socket-{sock.sid}")
        sock.pump = pump
        pump.start()

    def on_data(self, sock, pump, buffered):
        """Pump thread: one data event per burst, once what the last one
        announced has been read (contract "TLS sockets")."""
        if self.sockets == "calypso":
            self.deliver(sock)
            return
        with sock.lock:
            if sock.pump is pump and sock.announced == 0:
                sock.announced = buffered
                sock.sink(f"+eventsock:data,{sock.sid},{buffered}")

    def on_closed(self, sock, pump):
        """Pump thread: the peer closed; the event follows the last data event."""
        if self.sockets == "calypso":
            with sock.lock:
                if sock.pump is pump:
                    sock.state = "closed"
            self.deliver(sock)
            return
        with sock.lock:
            if sock.pump is not pump:
                return
            sock.state = "closed"
            if pump.buffered() > sock.announced:
                sock.close_pending = True
            else:
                sock.sink(f"+eventsock:closed,{sock.sid}")

    def cmd_send(self, ctx, req):
        if req.payload is None or req.tail:
            raise AtError(E_INVALID)
        sid, fmt, _length, _ = split_args(req.args)
        sock = self.socket_arg(ctx.state, sid)
        data = payload_bytes(req.payload, fmt)
        if sock.state != "connected" or sock.pump is None or not sock.pump.send(data):
            raise AtError(E_NOT_CONN)
        self.settle(ctx)
        # Würth's Calypso driver waits for the OK alone (ATSocket.c:343-350);
        # a count line is offered for a firmware that would send one.
        if self.send_count == "len":
            ctx.info(f"+send:{len(data)}")
        elif self.send_count == "id-len":
            ctx.info(f"+send:{sock.sid},{len(data)}")
        ctx.ok()

    def cmd_recv(self, ctx, req):
        sid, fmt, limit = args_of(req, 3, 3)
        sock = self.socket_arg(ctx.state, sid)
        fmt, limit = number(fmt, 0, 1), number(limit, 1, MAX_CHUNK)
        pump = sock.pump
        if pump is None or (sock.state != "connected" and not pump.buffered()):
            raise AtError(E_NOT_CONN)
        if self.sockets == "calypso":
            # Calypso (ATSocket.c:228-245): OK arms the receive; the data come
            # as the +recv: event (ATEvent.c:174-189) when there are some.
            with sock.lock:
                sock.armed = (fmt, limit)
            ctx.ok()
            self.deliver(sock)
            return None
        data = pump.take(limit)
        body = base64.b64encode(data) if fmt == 1 else data
        # Header, raw bytes and CR LF: one unit, nothing may come between.
        ctx.send(b"+recv:%d,%d,%d," % (sock.sid, fmt, len(data)) + body + b"\r\n", "data")
        self.after_read(sock, len(data))
        ctx.ok()

    def deliver(self, sock):
        """sockets=calypso: an armed receive gets what is buffered, as one
        +recv:<id>,<fmt>,<n>,<bytes> event; a closed connection with nothing
        left gives n = 0 (invented: the sources do not say)."""
        with sock.lock:
            pump = sock.pump
            if sock.armed is None or pump is None:
                return
            if not pump.buffered() and sock.state == "connected":
                return
            fmt, limit = sock.armed
            sock.armed = None
            data = pump.take(limit)
            body = base64.b64encode(data) if fmt == 1 else data
            sock.sink(b"+recv:%d,%d,%d," % (sock.sid, fmt, len(body)) + body)

    def after_read(self, sock, taken):
        """A new data event if unannounced bytes wait; then a pending close."""
        with sock.lock:
            if sock.pump is None:
                return
            sock.announced = max(0, sock.announced - taken)
            left = sock.pump.buffered()
            if sock.announced == 0 and left:
                sock.announced = left
                sock.sink(f"+eventsock:data,{sock.sid},{left}")
            if sock.close_pending and left <= sock.announced:
                sock.close_pending = False
                sock.sink(f"+eventsock:closed,{sock.sid}")

    def cmd_close(self, ctx, req):
        (sid,) = args_of(req, 1, 1)
        st = ctx.state
        sock = self.socket_arg(st, sid)
        del st.sockets[sock.sid]
        sock.drop()
        ctx.ok()


DIALECT = CordeliaDialect
