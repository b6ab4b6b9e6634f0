"""A loopback test bed for TLS work: certificates, a mutual-TLS mosquitto
broker, a TLS echo server, an HTTPS server and a second MQTT client.

Everything is generated or started at test time, listens on 127.0.0.1 only,
and is removed again on exit (every class is a context manager).

    from sim.network.testbed import TestBed
    with TestBed() as bed:                       # PKI + broker + echo + HTTPS
        bed.pki.ca.cert_pem                      # what a modem stores as its CA
        bed.pki.client.cert_pem, bed.pki.client.key_pem
        bed.broker.port                          # mutual TLS (client cert required)
        bed.echo.port                            # TLS echo
        bed.https.port                           # GET -> GET_BODY, POST/PUT echo
        with bed.probe(["t/#"]) as probe:        # second MQTT client
            ...
            probe.wait_for(1)                    # [(topic, payload, qos, retain)]

Pieces on their own:

    Pki.create(directory, clients=("client",), valid_days=2)
    pki.issue_for_csr(csr_pem)                   # a device certificate from a CSR
    MosquittoBroker(pki, workdir, plain=False, require_certificate=True,
                    use_identity_as_username=True, host="127.0.0.1", persistence=False)
    TlsEchoServer(pki, require_client_cert=False, tls=True, greeting=b"",
                  host="127.0.0.1")
    HttpsServer(pki, tls=True, require_client_cert=False)
    MqttProbe(broker, pki.client, topics=(), qos=2, client_id="probe",
              clean_session=True)

Faults on the broker side (soak and fault tests):

    bed.broker.restart(down_s=1.0)   # stop mosquitto, wait, start it again on
                                     # the same port(s); pause()/resume() apart
    bed.broker.kick("client-id")     # the broker closes that client's TLS
                                     # connection (MQTT session takeover)

With persistence=True (TestBed(mqtt_persistence=True)) mosquitto saves its
sessions on the way down and loads them on the way up, so a probe with
clean_session=False keeps its subscription across a restart and receives
what was published while it was away: nothing the broker acknowledged is
lost to it.

Certificates (ECDSA P-256, python3-cryptography): a test CA; a server
certificate for localhost / 127.0.0.1 / ::1 (SAN DNS + IP); client
certificates signed by the CA; an unrelated "wrong" CA and a client signed
by it (pki.rogue).  Valid from an hour ago for `valid_days`.

The broker configuration follows mosquitto.conf(5) of mosquitto 2.0: one TLS
listener with require_certificate true (and use_identity_as_username, so the
certificate's CN is the user name and allow_anonymous can stay false), an
optional plain listener allowing anonymous clients (per_listener_settings
true makes allow_anonymous per listener), `user` set to the current user so
a broker started as root keeps access to the private temp directory.
"""

import datetime
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MOSQUITTO = "/usr/sbin/mosquitto"
LOCALHOST = "127.0.0.1"

# What HttpsServer answers: GET returns GET_BODY (every byte value, longer
# than one 1500-byte read); POST/PUT return the request body as ECHO_TYPE.
GET_BODY = bytes(range(256)) * 12 + b"<end of test body>"
GET_TYPE = "application/octet-stream"
ECHO_TYPE = "application/x-secmodem-echo"
TEXT_BODY = b"hello from the secmodem test bed\n"


def free_port(host=LOCALHOST):
    """A TCP port nobody listens on right now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_listening(port, host=LOCALHOST, timeout=10.0, alive=None):
    """Poll until a TCP connect to host:port succeeds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            pass
        if alive is not None and not alive():
            raise RuntimeError(f"server for port {port} died while starting")
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")
        time.sleep(0.02)


# ---------------------------------------------------------------------------
# Certificates


@dataclass
class Credential:
    """A certificate, its key, both as PEM bytes and as files."""

    name: str
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: str
    key_path: str

    @property
    def cert_pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self):
        """PKCS#8, unencrypted ("-----BEGIN PRIVATE KEY-----")."""
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "secmodem test bed"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(subject_cn, issuer, key, valid_days, extensions):
    """Sign a certificate for `key` by issuer (a Credential) or self (None)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name = issuer.cert.subject if issuer else _name(subject_cn)
    signer = issuer.key if issuer else key
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject_cn))
               .issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=valid_days))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False)
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical)
    return builder.sign(signer, hashes.SHA256())


def _leaf_extensions(usage, sans=None):
    exts = [(x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.KeyUsage(digital_signature=True, content_commitment=False,
                           key_encipherment=False, data_encipherment=False,
                           key_agreement=False, key_cert_sign=False, crl_sign=False,
                           encipher_only=False, decipher_only=False), True),
            (x509.ExtendedKeyUsage([usage]), False)]
    if sans:
        exts.append((x509.SubjectAlternativeName(sans), False))
    return exts


_CA_EXTENSIONS = [
    (x509.BasicConstraints(ca=True, path_length=0), True),
    (x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=True,
                   crl_sign=True, encipher_only=False, decipher_only=False), True),
]


def _write(directory, filename, data, mode):
    path = os.path.join(directory, filename)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


class Pki:
    """The test bed's certificates; see the module docstring."""

    def __init__(self, directory, valid_days):
        self.directory = directory
        self.valid_days = valid_days
        self.ca = self.wrong_ca = self.server = self.rogue = None
        self.clients = {}

    @classmethod
    def create(cls, directory, clients=("client",), valid_days=2):
        pki = cls(directory, valid_days)
        pki.ca = pki._make("ca", None, _CA_EXTENSIONS, "secmodem test CA")
        pki.wrong_ca = pki._make("wrong-ca", None, _CA_EXTENSIONS, "unrelated CA")
        sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1"))]
        pki.server = pki._make("server", pki.ca,
                               _leaf_extensions(ExtendedKeyUsageOID.SERVER_AUTH, sans), "localhost")
        for name in clients:
            pki.add_client(name)
        pki.rogue = pki._make("rogue", pki.wrong_ca,
                              _leaf_extensions(ExtendedKeyUsageOID.CLIENT_AUTH), "rogue")
        return pki

    def add_client(self, name, issuer=None):
        """A client certificate with CN `name`, signed by the CA (or issuer)."""
        cred = self._make(name, issuer or self.ca,
                          _leaf_extensions(ExtendedKeyUsageOID.CLIENT_AUTH), name)
        self.clients[name] = cred
        return cred

    @property
    def client(self):
        """The first client credential."""
        return next(iter(self.clients.values()))

    def _make(self, filename, issuer, extensions, cn):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(cn, issuer, key, self.valid_days, extensions)
        cred = Credential(cn, cert, key, "", "")
        cred.cert_path = _write(self.directory, f"{filename}.crt", cred.cert_pem, 0o644)
        cred.key_path = _write(self.directory, f"{filename}.key", cred.key_pem, 0o600)
        return cred

    def issue_for_csr(self, csr_pem, issuer=None):
        """A client certificate (PEM) for the key and subject of a PKCS#10
        request, signed by the CA (or issuer); the request's own signature
        must be valid.  For devices whose key never leaves their chip."""
        csr = x509.load_pem_x509_csr(csr_pem)
        if not csr.is_signature_valid:
            raise ValueError("the request's signature is not valid")
        issuer = issuer or self.ca
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder()
                   .subject_name(csr.subject)
                   .issuer_name(issuer.cert.subject)
                   .public_key(csr.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=self.valid_days))
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer.key.public_key()), False))
        for ext, critical in _leaf_extensions(ExtendedKeyUsageOID.CLIENT_AUTH):
            builder = builder.add_extension(ext, critical)
        return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def server_context(self, require_client_cert=False):
        """An SSLContext for a test server with the server certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.server.cert_path, self.server.key_path)
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(self.ca.cert_path)
        return ctx

    def client_context(self, cred=None):
        """An SSLContext for a test client trusting the CA (cred: mutual TLS)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.ca.cert_path)
        if cred is not None:
            ctx.load_cert_chain(cred.cert_path, cred.key_path)
        return ctx


# ---------------------------------------------------------------------------
# mosquitto


class MosquittoBroker:
    """mosquitto on free loopback ports with a generated configuration."""

    def __init__(self, pki, workdir, plain=False, require_certificate=True,
                 use_identity_as_username=True, binary=MOSQUITTO, verbose=False,
                 host=LOCALHOST, persistence=False, client_cas=()):
        self.pki = pki
        self.client_cas = tuple(client_cas)  # more CA certificates (PEM) trusted too
        self.persistence = persistence
        self.restarts = 0
        self.workdir = workdir
        self.plain = plain
        self.require_certificate = require_certificate
        self.use_identity_as_username = use_identity_as_username
        self.binary = binary
        self.verbose = verbose
        self.host = host  # any 127.x.y.z works on Linux: 127.0.0.2 is not in the SAN
        self.port = self.plain_port = None
        self.proc = None
        self.conf_path = os.path.join(workdir, "mosquitto.conf")
        self.log_path = os.path.join(workdir, "mosquitto.log")

    def _cafile(self):
        """The test CA, and the extra CAs in the same file when there are any
        (e.g. the root of a pre-provisioned chip's certificates)."""
        if not self.client_cas:
            return self.pki.ca.cert_path
        path = os.path.join(self.workdir, "client-cas.pem")
        with open(path, "wb") as f:
            f.write(open(self.pki.ca.cert_path, "rb").read())
            for pem in self.client_cas:
                f.write(pem)
        return path

    def config(self):
        """The mosquitto.conf text for the current ports."""
        identity = self.require_certificate and self.use_identity_as_username
        lines = [
            "# generated by sim/network/testbed.py",
            "per_listener_settings true",
            # As root mosquitto would switch to user 'mosquitto', which
            # cannot read our private temp directory; as anyone else this is a no-op.
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
            # persistence_location ends with '/' (mosquitto appends the file name)
            *(["persistence true", f"persistence_location {self.workdir}/"]
              if self.persistence else ["persistence false"]),
            f"log_dest file {self.log_path}",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            "",
            f"listener {self.port} {self.host}",
            f"cafile {self._cafile()}",
            f"certfile {self.pki.server.cert_path}",
            f"keyfile {self.pki.server.key_path}",
            "tls_version tlsv1.2",
            f"require_certificate {'true' if self.require_certificate else 'false'}",
            f"use_identity_as_username {'true' if identity else 'false'}",
            # With the CN as user name, certificate holders are not anonymous.
            f"allow_anonymous {'false' if identity else 'true'}",
        ]
        if self.plain:
            lines += ["", f"listener {self.plain_port} {self.host}", "allow_anonymous true"]
        return "\n".join(lines) + "\n"

    def start(self, attempts=3):
        for attempt in range(attempts):
            self.port = free_port(self.host)
            self.plain_port = free_port(self.host) if self.plain else None
            with open(self.conf_path, "w") as f:
                f.write(self.config())
            try:
                self._spawn()
                return self
            except (RuntimeError, TimeoutError):
                err = self._stop_process()
                if attempt == attempts - 1:
                    raise RuntimeError(f"mosquitto did not start: {err}\n{self.log()}")
        return self

    def _spawn(self):
        args = [self.binary, "-c", self.conf_path] + (["-v"] if self.verbose else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for port in (self.port, self.plain_port):
            if port:
                wait_listening(port, self.host, alive=lambda: self.proc.poll() is None)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def pause(self):
        """Stop mosquitto (SIGTERM: it saves its sessions with persistence)
        and keep the ports for resume()."""
        self._stop_process()

    def resume(self, timeout=10.0):
        """Start mosquitto again on the same port(s) with the same
        configuration. A port another process took meanwhile makes it fail
        (RuntimeError); the loopback ports of a test run are not reused
        that fast in practice, and a retry loop covers TIME_WAIT."""
        if self.running:
            return self
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._spawn()
                self.restarts += 1
                return self
            except (RuntimeError, TimeoutError):
                err = self._stop_process()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not restart on port {self.port}: {err}\n"
                                       f"{self.log()[-2000:]}")
                time.sleep(0.1)

    def restart(self, down_s=0.0):
        """pause(), `down_s` seconds without a broker, resume()."""
        self.pause()
        if down_s > 0:
            time.sleep(down_s)
        return self.resume()

    def kick(self, client_id, cred=None, timeout=5.0):
        """Make the broker close the connection of `client_id`: a second
        client connects with the same id (MQTT-3.1.4-2, session takeover:
        the server disconnects the existing client), then leaves cleanly.
        True if the takeover connection was accepted."""
        done = threading.Event()
        result = {}
        client = _paho_client(client_id)
        client.tls_set_context(self.pki.client_context(cred or self.pki.client))

        def on_connect(c, userdata, flags, rc):
            result["rc"] = rc
            done.set()
        client.on_connect = on_connect
        try:
            client.connect(self.host, self.port, keepalive=30)
            client.loop_start()
            done.wait(timeout)
            client.disconnect()
        except OSError:
            return False
        finally:
            client.loop_stop()
        return result.get("rc") == 0

    def _stop_process(self):
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        return err

    def stop(self):
        self._stop_process()

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------
# TLS echo server


class TlsEchoServer:
    """Echoes every byte back, over TLS (or plain TCP with tls=False).

    Attributes: port, accepted (connections accepted), open_count, received
    (all bytes received, in order), errors (handshake failures as text).
    close_clients() closes every open connection from the server side.
    """

    POLL = 0.05

    def __init__(self, pki=None, require_client_cert=False, tls=True, greeting=b"",
                 host=LOCALHOST):
        self.ctx = pki.server_context(require_client_cert) if tls else None
        self.greeting = greeting
        self.host = host  # any 127.x.y.z works on Linux: 127.0.0.2 is not in the SAN
        self.port = None
        self.accepted = 0
        self.received = bytearray()
        self.errors = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._open = set()           # close flags of the open connections
        self._threads = []
        self._listener = None

    def start(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(8)
        self._listener.settimeout(self.POLL)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop)
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(2.0)
        self._listener.close()

    @property
    def open_count(self):
        """Connections currently open."""
        with self._lock:
            return len(self._open)

    def close_clients(self, timeout=5.0):
        """Close all open connections (each by its own thread) and wait."""
        with self._lock:
            flags = list(self._open)
        for flag in flags:
            flag.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not any(f in self._open for f in flags):
                    return
            time.sleep(0.01)
        raise TimeoutError("echo connections did not close")

    def _spawn(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            self._spawn(self._serve, conn)

    def _serve(self, conn):
        flag = threading.Event()
        with self._lock:
            self._open.add(flag)
        try:
            conn.settimeout(5.0)
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            conn.settimeout(self.POLL)
            if self.greeting:
                conn.sendall(self.greeting)
            self._echo(conn, flag)
        except (OSError, ssl.SSLError) as exc:
            with self._lock:
                self.errors.append(str(exc))
        finally:
            conn.close()
            with self._lock:
                self._open.discard(flag)

    def _echo(self, conn, flag):
        while not self._stop.is_set() and not flag.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            with self._lock:
                self.received += data
            conn.settimeout(5.0)
            conn.sendall(data)
            conn.settimeout(self.POLL)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------
# HTTPS server


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def _record(self, body=b""):
        self.server.owner._record(SeenRequest(self.command, self.path,
                                              {k.lower(): v for k, v in self.headers.items()}, body))

    def _answer(self, status, ctype, body, send_body=True):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _get_like(self, send_body):
        self._record()
        if self.path.startswith("/status/") and self.path[8:].isdigit():
            return self._answer(int(self.path[8:]), "text/plain", b"status\n", send_body)
        if self.path == "/text":
            return self._answer(200, "text/plain", TEXT_BODY, send_body)
        self._answer(200, GET_TYPE, GET_BODY, send_body)

    def do_GET(self):
        self._get_like(True)

    def do_HEAD(self):
        self._get_like(False)

    def do_DELETE(self):
        self._record()
        self._answer(200, "text/plain", b"deleted\n")

    def _echo(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self._record(body)
        self._answer(200, ECHO_TYPE, body)

    do_POST = _echo
    do_PUT = _echo


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        # TLS handshake later, in the request's own thread (first read).
        sock, addr = self.socket.accept()
        if self.tls_ctx is not None:
            sock = self.tls_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        self.owner.errors.append(f"request from {client_address} failed")


class HttpsServer:
    """GET/HEAD any path -> GET_BODY (GET_TYPE); /text -> TEXT_BODY;
    /status/<n> -> status n; POST/PUT -> the body back as ECHO_TYPE;
    DELETE -> 200.  Every request is kept in `requests` (SeenRequest)."""

    def __init__(self, pki=None, tls=True, require_client_cert=False):
        self.tls_ctx = pki.server_context(require_client_cert) if tls else None
        self.host = LOCALHOST
        self.port = None
        self.requests = []
        self.errors = []
        self._lock = threading.Lock()
        self._server = self._thread = None

    def _record(self, req):
        with self._lock:
            self.requests.append(req)

    def start(self):
        self._server = _HttpServer((self.host, 0), _Handler)
        self._server.tls_ctx = self.tls_ctx
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(2.0)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------
# A second MQTT client


def _paho_client(client_id, clean_session=True):
    import paho.mqtt.client as paho
    version = getattr(paho, "CallbackAPIVersion", None)
    if version is None:
        return paho.Client(client_id=client_id, clean_session=clean_session)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return paho.Client(version.VERSION1, client_id=client_id, clean_session=clean_session)


class MqttProbe:
    """A paho client on the broker's TLS listener that records what it gets.

    Entering connects and waits for the SUBACKs, so nothing published after
    the `with` line is missed.  messages: [(topic, payload, qos, retain)].
    A lost connection (broker restarted) is re-established within a fraction
    of a second; with clean_session=False the broker keeps the subscription
    and the messages meanwhile (with a persistent broker, across a restart),
    otherwise the topics are subscribed again. connects: connections made.
    """

    def __init__(self, broker, cred, topics=(), qos=2, client_id="probe", timeout=5.0,
                 clean_session=True):
        self.broker = broker
        self.cred = cred
        self.topics = list(topics)
        self.qos = qos
        self.timeout = timeout
        self.messages = []
        self.connects = 0
        self._cv = threading.Condition()
        self._acks = set()
        self.client = _paho_client(client_id, clean_session)
        self.client.tls_set_context(broker.pki.client_context(cred))
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=0.5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda c, u, mid, granted: self._ack(mid)
        self.client.on_publish = lambda c, u, mid: self._ack(mid)

    def _on_connect(self, client, userdata, flags, rc):
        with self._cv:
            first = self.connects == 0
            if rc == 0:
                self.connects += 1
            self._cv.notify_all()
        # A reconnection without the old session (clean session, or a broker
        # that forgot it): subscribe again. The first time start() does it.
        if rc == 0 and not first and not flags.get("session present"):
            for topic in self.topics:
                client.subscribe(topic, self.qos)

    def _on_message(self, client, userdata, msg):
        with self._cv:
            self.messages.append((msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain)))
            self._cv.notify_all()

    def _ack(self, mid):
        with self._cv:
            self._acks.add(mid)
            self._cv.notify_all()

    def _wait_ack(self, mid):
        with self._cv:
            if not self._cv.wait_for(lambda: mid in self._acks, self.timeout):
                raise TimeoutError(f"no acknowledgement for mid {mid}")

    def start(self):
        self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        for topic in self.topics:
            rc, mid = self.client.subscribe(topic, self.qos)
            self._wait_ack(mid)
        return self

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic, payload, qos=0, retain=False):
        """Publish and wait until sent (QoS 0) or acknowledged."""
        info = self.client.publish(topic, payload, qos, retain)
        self._wait_ack(info.mid)

    def wait_for(self, count, timeout=None):
        """The first `count` messages, waiting up to timeout for them."""
        with self._cv:
            if not self._cv.wait_for(lambda: len(self.messages) >= count, timeout or self.timeout):
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived")
            return list(self.messages[:count])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------
# Everything together


class TestBed:
    """PKI plus the servers asked for; all on 127.0.0.1, all removed on exit.

    TestBed(mqtt=True, mqtt_plain=False, echo=True, echo_client_cert=False,
            https=True, clients=("client",), workdir=None, mqtt_persistence=False,
            client_cas=())   # client_cas: more CA certificates (PEM) mosquitto trusts

    Attributes after entering: workdir, pki, broker (MosquittoBroker or None),
    echo (TlsEchoServer or None), https (HttpsServer or None).
    """

    __test__ = False  # a library class, not a pytest test class

    def __init__(self, mqtt=True, mqtt_plain=False, echo=True, echo_client_cert=False,
                 https=True, clients=("client",), workdir=None, mqtt_persistence=False,
                 client_cas=()):
        self.want = dict(mqtt=mqtt, mqtt_plain=mqtt_plain, echo=echo,
                         echo_client_cert=echo_client_cert, https=https,
                         mqtt_persistence=mqtt_persistence)
        self.client_cas = tuple(client_cas)
        self.clients = tuple(clients)
        self.workdir = workdir
        self._owned_dir = workdir is None
        self.pki = self.broker = self.echo = self.https = None
        self._started = []

    def start(self):
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="secmodem-testbed-")
        try:
            self.pki = Pki.create(self.workdir, self.clients)
            want = self.want
            if want["mqtt"]:
                self.broker = self._run(MosquittoBroker(self.pki, self.workdir,
                                                        plain=want["mqtt_plain"],
                                                        persistence=want["mqtt_persistence"],
                                                        client_cas=self.client_cas))
            if want["echo"]:
                self.echo = self._run(TlsEchoServer(self.pki, want["echo_client_cert"]))
            if want["https"]:
                self.https = self._run(HttpsServer(self.pki))
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self, server):
        server.start()
        self._started.append(server)
        return server

    def probe(self, topics=(), qos=2, client_id="probe", cred=None, clean_session=True):
        """A MqttProbe on this bed's broker (use it in a `with`)."""
        return MqttProbe(self.broker, cred or self.pki.client, topics, qos, client_id,
                         clean_session=clean_session)

    def stop(self):
        while self._started:
            self._started.pop().stop()
        if self._owned_dir and self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
