"""Real network work behind a simulated modem: loopback only.

Dialects whose modems open TCP/TLS connections, talk MQTT or HTTP use these
helpers instead of pretending.  Everything here is dialect-neutral: it knows
sockets, TLS, paho-mqtt and http.client, not AT commands.

Policy: the simulator only ever connects to loopback hosts (127.0.0.0/8, ::1,
"localhost").  Anything else fails with NetError("host") before a socket is
created or a name is resolved, so a test can never reach the outside world.

Threads: every blocking operation (connect, TLS handshake, broker traffic,
HTTP exchange) runs in a worker thread; callers in the modem's reader thread
only wait on results they can abandon (see Job).
"""

import http.client
import ipaddress
import os
import select
import socket
import ssl
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional

import paho.mqtt.client as paho

# Failure kinds of NetError, mapped to each protocol's error codes by dialects.
HOST = "host"          # not a loopback host: refused by the simulator itself
REFUSED = "refused"    # TCP connection refused or unreachable
TIMEOUT = "timeout"    # connect, handshake or exchange timed out
VERIFY = "verify"      # the server certificate failed verification
TLS = "tls"            # any other TLS failure (alerts, no shared cipher, ...)
CONFIG = "config"      # the TLS configuration itself is unusable
IO = "io"              # the peer misbehaved or the connection broke


class NetError(Exception):
    """kind: one of the constants above; verify_code: OpenSSL's X509_V_ERR
    number when a certificate check failed (VERIFY), else None."""

    def __init__(self, kind, detail="", verify_code=None):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.verify_code = verify_code


# ---------------------------------------------------------------------------
# Loopback policy


def loopback_address(host):
    """The address to connect to for `host`, or NetError(HOST).

    Names other than "localhost" are never resolved: no DNS query leaves the
    machine.  "localhost" maps to 127.0.0.1 without asking the resolver.
    """
    name = host.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name.lower() in ("localhost", "localhost."):
        return "127.0.0.1"
    try:
        addr = ipaddress.ip_address(name)
    except ValueError:
        raise NetError(HOST, f"{host!r} is not a loopback host; the simulator only "
                             f"connects to 127.0.0.0/8, ::1 and localhost") from None
    if not addr.is_loopback:
        raise NetError(HOST, f"{host} is not a loopback address; the simulator only "
                             f"connects to 127.0.0.0/8, ::1 and localhost")
    return str(addr)


def sni_name(host):
    """What to give ssl as server_hostname (SNI and hostname check)."""
    name = host.strip()
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


# ---------------------------------------------------------------------------
# TLS contexts


TLS_VERSIONS = {0: ssl.TLSVersion.TLSv1, 1: ssl.TLSVersion.TLSv1_1,
                2: ssl.TLSVersion.TLSv1_2, 3: ssl.TLSVersion.TLSv1_3}


@dataclass
class TlsSpec:
    """What a TLS client needs, already taken out of the modem's storage."""

    version: Optional[int] = None            # 0..3 = TLS 1.0..1.3; None: 1.2 and 1.3
    ciphers: list = field(default_factory=list)  # IANA suite ids; empty: defaults
    verify_chain: bool = False               # check the chain (and dates) against ca_pem
    verify_host: bool = False                # also check the host name (needs verify_chain)
    ca_pem: Optional[bytes] = None
    cert_pem: Optional[bytes] = None         # client certificate (chain), PEM
    key_pem: Optional[bytes] = None          # its private key, PEM
    host_key: Optional[int] = None           # instead of key_pem: the key id in the
                                             # host's secure element (HCE, sim/network/hce.py)


_CIPHER_NAMES = None


def openssl_cipher_names():
    """IANA suite id -> OpenSSL name, for every suite this OpenSSL knows
    (TLS 1.3 suites included, e.g. 0x1301 -> TLS_AES_128_GCM_SHA256)."""
    global _CIPHER_NAMES
    if _CIPHER_NAMES is None:
        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        probe.set_ciphers("ALL:@SECLEVEL=0")
        _CIPHER_NAMES = {c["id"] & 0xFFFF: c["name"] for c in probe.get_ciphers()}
    return _CIPHER_NAMES


def _set_ciphers(ctx, suite_ids, version):
    """Restrict the TLS <= 1.2 suites to the listed IANA ids.  Python cannot
    restrict TLS 1.3 suites: 0x13xx ids only keep TLS 1.3 allowed."""
    known = openssl_cipher_names()
    names = [known[i] for i in suite_ids if i in known and i >> 8 != 0x13]
    wants_13 = any(i >> 8 == 0x13 for i in suite_ids)
    if version == 3:
        if not wants_13:
            raise NetError(CONFIG, "TLS 1.3 profile lists no TLS 1.3 cipher suite")
        return
    if version is None and wants_13 and not names:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        return
    if not names:
        raise NetError(CONFIG, "none of the configured TLS <= 1.2 cipher suites is supported")
    try:
        ctx.set_ciphers(":".join(names))
    except ssl.SSLError as exc:
        raise NetError(CONFIG, f"cipher suites not usable: {exc}") from None
    if version is None and not wants_13:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2


def _load_client_cert(ctx, cert_pem, key_pem):
    """ssl only loads certificates and keys from files: write them to a
    private temporary directory (0700, files 0600) and remove it at once."""
    with tempfile.TemporaryDirectory(prefix="secmodem-tls-") as tmp:
        paths = []
        for name, data in (("cert.pem", cert_pem), ("key.pem", key_pem)):
            path = os.path.join(tmp, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            paths.append(path)
        try:
            ctx.load_cert_chain(paths[0], paths[1])
        except (ssl.SSLError, ValueError) as exc:
            raise NetError(CONFIG, f"client certificate/key not usable: {exc}") from None


def build_tls_context(spec):
    """An ssl.SSLContext for a client, or NetError(CONFIG)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if spec.version is None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ctx.maximum_version = TLS_VERSIONS[spec.version]
    if spec.verify_chain:
        if not spec.ca_pem:
            raise NetError(CONFIG, "verification requested but no trusted certificate")
        ctx.check_hostname = spec.verify_host
        ctx.verify_mode = ssl.CERT_REQUIRED
        try:
            ctx.load_verify_locations(cadata=spec.ca_pem.decode("ascii", "replace"))
        except (ssl.SSLError, ValueError) as exc:
            raise NetError(CONFIG, f"trusted certificate not usable: {exc}") from None
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if spec.ciphers:
        _set_ciphers(ctx, spec.ciphers, spec.version)
    if spec.cert_pem or spec.key_pem:
        if not (spec.cert_pem and spec.key_pem):
            raise NetError(CONFIG, "client certificate without key or key without certificate")
        _load_client_cert(ctx, spec.cert_pem, spec.key_pem)
    return ctx


def _tls_failure(exc):
    if isinstance(exc, ssl.SSLCertVerificationError):
        return NetError(VERIFY, exc.verify_message or str(exc), exc.verify_code)
    if isinstance(exc, ssl.CertificateError):  # hostname mismatch (paho's own check)
        return NetError(VERIFY, str(exc))
    return NetError(TLS, str(exc))


# ---------------------------------------------------------------------------
# Streams


def open_stream(host, port, tls_ctx=None, timeout=10.0, server_name=None):
    """A connected socket (TLS handshake done when tls_ctx), or NetError.
    server_name: the TLS server name (SNI and host name check) when it is
    not `host` itself (e.g. a domain to verify while dialling an address)."""
    addr = loopback_address(host)
    try:
        raw = socket.create_connection((addr, port), timeout=timeout)
    except socket.timeout:
        raise NetError(TIMEOUT, f"connect to {host}:{port}") from None
    except OSError as exc:
        raise NetError(REFUSED, f"{host}:{port}: {exc.strerror or exc}") from None
    if tls_ctx is None:
        return raw
    try:
        return tls_ctx.wrap_socket(raw, server_hostname=server_name or sni_name(host))
    except socket.timeout:
        raw.close()
        raise NetError(TIMEOUT, "TLS handshake") from None
    except ssl.SSLError as exc:
        raw.close()
        raise _tls_failure(exc) from None
    except OSError as exc:  # reset during the handshake: the peer refused us
        raw.close()
        raise NetError(TLS, f"handshake aborted: {exc}") from None


class StreamPump:
    """Moves bytes between one connected socket and memory, in one thread.

    One thread does all socket I/O because an SSL object must not be used by
    two threads at once.  Received bytes wait in `inbox` (bounded: reading
    pauses when it is full, which is real TCP back-pressure); send() queues.

    on_data(new, buffered) runs in the pump thread after `new` bytes arrived;
    on_closed(reason) runs once when the peer closed or the link broke
    ('eof' or an error text), never after close().
    """

    def __init__(self, sock, on_data, on_closed, max_inbox=16384, name="pump"):
        self.sock = sock
        self.on_data = on_data
        self.on_closed = on_closed
        self.max_inbox = max_inbox
        self.is_tls = isinstance(sock, ssl.SSLSocket)
        self._lock = threading.Lock()
        self.inbox = bytearray()
        self._outbox = bytearray()
        self._stop = False
        self._broken = False         # break_link(): report a lost link
        self.alive = True            # false once the link is gone either way
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        self.sock.setblocking(False)
        self._thread.start()
        return self

    # -- called from other threads -------------------------------------------------

    def send(self, data):
        """Queue bytes for sending; False if the link is gone."""
        with self._lock:
            if not self.alive:
                return False
            self._outbox += data
        self._wake()
        return True

    def take(self, n):
        """Up to n received bytes."""
        with self._lock:
            data = bytes(self.inbox[:n])
            del self.inbox[:n]
        self._wake()  # reading may resume
        return data

    def buffered(self):
        with self._lock:
            return len(self.inbox)

    def unsent(self):
        with self._lock:
            return len(self._outbox)

    def break_link(self):
        """The path fails now (control "drop"): the pump stops as if the peer
        had gone, and on_closed('link dropped') follows; inbox stays."""
        with self._lock:
            if not self.alive or self._stop:
                return False
            self._broken = True
        self._wake()
        return True

    def close(self, wait=False):
        """Stop and close the socket (from the pump thread); inbox stays."""
        with self._lock:
            self._stop = True
        self._wake()
        if wait and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    def _wake(self):
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # pipe full: already woken; closed: already stopped

    # -- the pump thread ---------------------------------------------------------

    def _run(self):
        reason = None
        try:
            while reason is None:
                with self._lock:
                    if self._stop:
                        break
                    if self._broken:
                        reason = "link dropped"
                        break
                    room = len(self.inbox) < self.max_inbox
                    pending = bool(self._outbox)
                if pending:
                    reason = self._write_some()
                if reason is None and room:
                    reason = self._read_some()
                if reason is None:
                    self._wait(room)
        finally:
            with self._lock:
                self.alive = False
                local = self._stop
            self._shutdown()
        if reason is not None and not local:
            self.on_closed(reason)

    def _wait(self, room):
        if room and self.is_tls and self.sock.pending():
            return  # decrypted bytes already waiting inside the SSL object
        with self._lock:
            want_write = bool(self._outbox)
        rlist = [self._wake_r] + ([self.sock] if room else [])
        select.select(rlist, [self.sock] if want_write else [], [], 1.0)
        try:
            while os.read(self._wake_r, 512):
                pass
        except OSError:
            pass

    def _read_some(self):
        try:
            data = self.sock.recv(16384)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return None
        except ssl.SSLEOFError:
            return "eof"  # peer closed without close_notify
        except (OSError, ssl.SSLError) as exc:
            return f"error: {exc}"
        if not data:
            return "eof"
        with self._lock:
            self.inbox += data
            total = len(self.inbox)
        self.on_data(len(data), total)
        return None

    def _write_some(self):
        with self._lock:
            chunk = bytes(self._outbox[:16384])
        try:
            n = self.sock.send(chunk)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return None
        except (OSError, ssl.SSLError) as exc:
            return f"error: {exc}"
        with self._lock:
            del self._outbox[:n]
        return None

    def _shutdown(self):
        try:
            self.sock.close()
        except OSError:
            pass
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass


# ---------------------------------------------------------------------------
# Jobs a handler waits for but may abandon


class Job:
    """Run fn() in a daemon thread.  If the waiter gives up (reboot), a late
    result is handed to `discard` so nothing (an open socket) leaks."""

    def __init__(self, fn, discard=None, name="job"):
        self._fn = fn
        self._discard = discard
        self._lock = threading.Lock()
        self.done = threading.Event()
        self.result = self.error = None
        self._abandoned = False
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self):
        try:
            result, error = self._fn(), None
        except Exception as exc:  # handed to the waiter, not lost
            result, error = None, exc
        with self._lock:
            self.result, self.error = result, error
            abandoned = self._abandoned
            self.done.set()
        if abandoned and result is not None and self._discard:
            self._discard(result)

    def abandon(self):
        with self._lock:
            self._abandoned = True
            result = self.result if self.done.is_set() else None
        if result is not None and self._discard:
            self._discard(result)

    def wait(self, ctx):
        """Waits for the result on a command's context (ctx.sleep): a
        restart of the simulated module meanwhile abandons the job."""
        try:
            while not self.done.is_set():
                ctx.sleep(0.01)
        except BaseException:
            self.abandon()
            raise


# ---------------------------------------------------------------------------
# MQTT through paho


class _GuardedClient(paho.Client):
    """A paho client whose network thread reports an exception instead of
    dying silently: paho 1.6 lets an ssl.SSLError raised by recv() escape
    (e.g. the 'certificate required' alert a TLS 1.3 server sends after the
    handshake), and then no callback ever fires.  loop_start() runs
    loop_forever() in its thread, so guarding that public method suffices."""

    secmodem_on_crash = None
    secmodem_stream = None   # callable -> connected plaintext socket (HCE), or None

    # paho opens its own TCP connection (1.6: _create_socket_connection, 2.x:
    # _create_socket); a stream factory replaces it, e.g. with the plaintext
    # end of sim/network/hce.py's TLS helper.  NetError passes through connect().
    def _create_socket_connection(self):
        if self.secmodem_stream is not None:
            return self.secmodem_stream()
        return super()._create_socket_connection()

    def _create_socket(self):
        if self.secmodem_stream is not None:
            return self.secmodem_stream()
        return super()._create_socket()

    def loop_forever(self, *args, **kwargs):
        try:
            return super().loop_forever(*args, **kwargs)
        except OSError as exc:  # ssl.SSLError is an OSError
            if self.secmodem_on_crash is not None:
                self.secmodem_on_crash(exc)
            return paho.MQTT_ERR_CONN_LOST


def _new_paho_client(client_id, clean_session=True):
    """A paho client with the 1.x callback signatures, on paho 1.6 or 2.x.

    No automatic reconnection: the modem reports a lost connection and the
    host decides what to do (contract: ONDISCONNECT with a negative rc)."""
    kwargs = dict(client_id=client_id, clean_session=clean_session, protocol=paho.MQTTv311,
                  reconnect_on_failure=False)
    version = getattr(paho, "CallbackAPIVersion", None)
    if version is None:  # paho 1.x
        return _GuardedClient(**kwargs)
    with warnings.catch_warnings():  # VERSION1 is deprecated in 2.x, still supported
        warnings.simplefilter("ignore", DeprecationWarning)
        return _GuardedClient(version.VERSION1, **kwargs)


class _Correlator:
    """Pairs paho message ids with their acknowledgements, whichever of
    'request registered' and 'ack arrived' happens first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting = {}
        self._early = {}

    def expect(self, mid, callback):
        with self._lock:
            if mid not in self._early:
                self._waiting[mid] = callback
                return
            args = self._early.pop(mid)
        callback(*args)

    def fire(self, mid, *args):
        with self._lock:
            callback = self._waiting.pop(mid, None)
            if callback is None:
                self._early[mid] = args
                return
        callback(*args)


# CONNACK return codes (MQTT 3.1.1 section 3.2.2.3) -> negative libmosquitto
# codes: 1..3 refused (-5), 4 bad user name/password and 5 not authorised (-11).
def connack_rc(code):
    if code == 0:
        return 0
    return -11 if code in (4, 5) else -5


def connect_failure_rc(kind):
    """NetError kind -> negative libmosquitto code (-4 no connection, -8 TLS)."""
    return -8 if kind in (VERIFY, TLS, CONFIG) else -4


class MqttSession:
    """One MQTT 3.1.1 connection through paho, reporting to `events`:

        events.connected(rc)        0, or a negative libmosquitto-style code
        events.disconnected(rc)     0 when asked for, -7 when the link broke
        events.message(topic, payload, qos)

    rc codes follow libmosquitto (negated): -4 no connection, -5 refused,
    -7 connection lost, -8 TLS error, -11 authentication error.  For
    dialects that report more detail: `connack_code` is the CONNACK return
    code as received (0..5, None before one came), `error` the NetError of a
    connection that failed before its CONNACK (None otherwise).

    clean_session and will ((topic, payload, qos, retain) or None) go into
    the CONNECT packet.
    """

    def __init__(self, events, client_id, username=None, password=None, tls_ctx=None,
                 clean_session=True, will=None, stream=None):
        """stream: instead of tls_ctx, a callable returning a connected socket
        that already carries TLS (sim/network/hce.py), or raising NetError."""
        self.events = events
        self.tls_ctx = tls_ctx
        self.secure = tls_ctx is not None or stream is not None
        self.client = _new_paho_client(client_id, clean_session)
        if username:
            self.client.username_pw_set(username, password or None)
        if will is not None:
            topic, payload, qos, retain = will
            self.client.will_set(topic, payload, qos, retain)
        if tls_ctx is not None:
            self.client.tls_set_context(tls_ctx)
        self.client.secmodem_stream = stream
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda c, u, mid, granted: self._subs.fire(mid, granted)
        self.client.on_unsubscribe = lambda c, u, mid: self._unsubs.fire(mid)
        self.client.on_publish = lambda c, u, mid: self._pubs.fire(mid)
        self.client.secmodem_on_crash = self._on_crash
        self._subs, self._unsubs, self._pubs = _Correlator(), _Correlator(), _Correlator()
        self._lock = threading.Lock()
        self.state = "new"          # new, connecting, connected, closed
        self._asked_disconnect = False
        self._closing = False
        self._worker = None
        self.connack_code = None
        self.error = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self, host, port, keepalive, delay=0.0):
        """Connect in a worker thread (after `delay` seconds, a plausible
        network latency); the outcome arrives as events.connected()."""
        self.state = "connecting"
        self._worker = threading.Thread(target=self._connect, args=(host, port, keepalive, delay),
                                        name="mqtt-connect", daemon=True)
        self._worker.start()

    def _connect(self, host, port, keepalive, delay):
        time.sleep(delay)
        try:
            loopback_address(host)
            self.client.connect(sni_name(host), port, keepalive)
        except NetError as exc:
            return self._fail(connect_failure_rc(exc.kind), exc)
        except (ssl.SSLError, ssl.CertificateError) as exc:
            error = _tls_failure(exc)
            return self._fail(connect_failure_rc(error.kind), error)
        except socket.timeout:
            return self._fail(-4, NetError(TIMEOUT, f"connect to {host}:{port}"))
        except ConnectionRefusedError as exc:
            return self._fail(-4, NetError(REFUSED, f"{host}:{port}: {exc}"))
        except OSError as exc:
            # A reset during the TLS handshake is how a server refuses us.
            kind = TLS if self.tls_ctx is not None and isinstance(exc, ConnectionResetError) else IO
            return self._fail(-4, NetError(kind, str(exc)))
        except ValueError as exc:
            return self._fail(-4, NetError(IO, str(exc)))
        with self._lock:
            closing = self._closing
        if closing:  # abandoned while connecting
            self._teardown()
            return
        self.client.loop_start()

    def _fail(self, rc, error):
        with self._lock:
            if self._closing or self.state != "connecting":
                return
            self.state = "closed"
            self.error = error
        self.events.connected(rc)

    def disconnect(self):
        """Ask for a clean disconnect; events.disconnected(0) follows."""
        with self._lock:
            self._asked_disconnect = True
        self.client.disconnect()

    def close(self, wait=False, graceful=True):
        """Drop everything without reporting (reboot, shutdown).  graceful:
        send DISCONNECT first; otherwise the link just breaks (a power cut:
        the broker publishes the will)."""
        with self._lock:
            self._closing = True
            self.state = "closed"
        if wait:
            self._teardown(graceful)
        else:
            threading.Thread(target=self._teardown, args=(graceful,), name="mqtt-teardown",
                             daemon=True).start()

    def _teardown(self, graceful=True):
        try:
            if graceful:
                self.client.disconnect()
            else:
                sock = self.client.socket()
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)   # paho's thread sees the end
                self.client.disconnect()              # nothing left to send it on
        except Exception:  # already gone: nothing to tidy
            pass
        self.client.loop_stop()  # paho skips the join when called from its own thread

    def break_link(self):
        """The path to the broker fails now (control "drop"): the socket is
        shut down under paho, which reports the lost connection the way it
        would a real one (events.disconnected(-7)). False when not connected."""
        with self._lock:
            if self._closing or self.state != "connected":
                return False
        sock = self.client.socket()
        if sock is None:
            return False
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            return False
        return True

    # -- requests (from the modem's reader thread) ---------------------------------

    def subscribe(self, topic, qos, done):
        """done(granted_qos) when the SUBACK arrives; False if not sent."""
        rc, mid = self.client.subscribe(topic, qos)
        if rc != paho.MQTT_ERR_SUCCESS:
            return False
        self._subs.expect(mid, lambda granted: done(granted[0] if granted else 0x80))
        return True

    def unsubscribe(self, topic, done):
        rc, mid = self.client.unsubscribe(topic)
        if rc != paho.MQTT_ERR_SUCCESS:
            return False
        self._unsubs.expect(mid, done)
        return True

    def publish(self, topic, payload, qos, done, retain=False):
        """done() when sent (QoS 0) or acknowledged (QoS 1 PUBACK, QoS 2 PUBCOMP)."""
        info = self.client.publish(topic, payload, qos, retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            return False
        self._pubs.expect(info.mid, done)
        return True

    # -- paho callbacks (paho's thread) --------------------------------------------

    def _on_connect(self, client, userdata, flags, rc):
        with self._lock:
            if self._closing or self.state != "connecting":
                return
            self.state = "connected" if rc == 0 else "closed"
            self.connack_code = rc
        self.events.connected(connack_rc(rc))

    def _on_disconnect(self, client, userdata, rc):
        with self._lock:
            if self._closing:
                return
            previous, self.state = self.state, "closed"
            asked = self._asked_disconnect
        if previous == "connecting":
            # Dropped before CONNACK: over TLS 1.3 this is how a server that
            # rejects our certificate shows itself.
            self.error = NetError(TLS if self.secure else IO,
                                  "connection dropped before CONNACK")
            self.events.connected(-8 if self.secure else -7)
        elif previous == "connected":
            self.events.disconnected(0 if asked and rc == 0 else -7)

    def _on_crash(self, exc):
        """paho's thread died on an exception (see _GuardedClient)."""
        with self._lock:
            if self._closing:
                return
            previous, self.state = self.state, "closed"
        sock = self.client.socket()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        if previous == "connecting":
            self.error = NetError(TLS if isinstance(exc, ssl.SSLError) else IO, str(exc))
            self.events.connected(-8 if isinstance(exc, ssl.SSLError) else -7)
        elif previous == "connected":
            self.events.disconnected(-7)

    def _on_message(self, client, userdata, msg):
        with self._lock:
            if self._closing:
                return
        self.events.message(msg.topic, bytes(msg.payload), msg.qos)


# ---------------------------------------------------------------------------
# HTTP


class MqttSessionEvents:
    """Base of a dialect's sink for a MqttSession's events (both simulators
    keep one session in state.mqtt): the sink's own session (self.session)
    is the current one while state.mqtt is it; a sink of an older session
    reports nothing. Subclasses set self.state and self.session."""

    def _current(self):
        return self.session is not None and self.state.mqtt is self.session

    def _end(self):
        if self._current():
            self.state.mqtt = None
        self.session.close(wait=False)


@dataclass
class HttpResult:
    status: int
    content_type: str
    body: bytes


def http_exchange(host, port, tls_ctx, method, resource, body=None, headers=None, timeout=30.0,
                  stream=None):
    """One HTTP/1.1 request; HttpResult or NetError.  stream: instead of
    tls_ctx, a callable returning a connected socket that carries TLS
    already (sim/network/hce.py)."""
    loopback_address(host)
    name = sni_name(host)
    if tls_ctx is None:
        conn = http.client.HTTPConnection(name, port, timeout=timeout)
    else:
        conn = http.client.HTTPSConnection(name, port, timeout=timeout, context=tls_ctx)
    if stream is not None:
        conn.sock = stream()          # http.client connects only when sock is None
        conn.sock.settimeout(timeout)
    try:
        conn.request(method, resource or "/", body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return HttpResult(resp.status, resp.getheader("Content-Type", "") or "", data)
    except socket.timeout:
        raise NetError(TIMEOUT, "HTTP exchange") from None
    except (ssl.SSLError, ssl.CertificateError) as exc:
        raise _tls_failure(exc) from None
    except ConnectionRefusedError as exc:
        raise NetError(REFUSED, str(exc)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise NetError(IO, str(exc)) from None
    finally:
        conn.close()
