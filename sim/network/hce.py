"""Host-signed TLS ("HCE", sim/sequans_contract.md "Host signing"): a real TLS
client connection whose CertificateVerify signature comes from the host, over
the serial line.

Python's ssl cannot hand the private-key operation to outside code, so the
TLS connection belongs to a small C program, sim/network/hce_tls.c (built by the
Makefile as build/hce_tls; see its header for the protocol). Per
connection:

    simulator                          hce_tls                      server
    TCP connect (loopback policy) ---- the socket (pass_fds) ------ TLS 1.2/1.3
    control socketpair          <----> "SIGN <digest>" / "SIG <r||s>" / "FAIL"
                                <----  "OK <proto> <cipher>" or "ERR <kind> <text>"
    plaintext socketpair        <----> relayed to and from the TLS connection

The helper's EC_KEY holds only the client certificate's PUBLIC key; its
sign_sig asks here.  `sign(digest)` (the dialect's: a +SQNHCESIGN URC, then
the host's AT+SQNHCESIGN answer) returns r || s or None; the signature is
VERIFIED here against the certificate's public key before the helper may
use it, so a wrong one fails the handshake on our side.  The result is the
plaintext end of a socket pair: paho-mqtt or http.client talk over it as if
it were the server.

Nothing here blocks the modem's serial loop: open_stream() runs in the
worker thread of a connection, and `sign` waits on an event the command
handler sets.

Finding the helper: SequansDialect(hce_helper=...), `--hce-helper PATH`, the
environment variable SECMODEM_HCE_HELPER, else build/hce_tls of this
repository.
"""

import os
import socket
import subprocess
import threading
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from . import netio

HELPER_ENV = "SECMODEM_HCE_HELPER"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_HELPER = os.path.join(REPO_ROOT, "build", "hce_tls")
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

# ERR kinds of the helper -> netio failure kinds
_KINDS = {"config": netio.CONFIG, "verify": netio.VERIFY, "tls": netio.TLS, "sign": netio.TLS}


def find_helper(explicit=None):
    """The helper's path, or None when it is not there: `explicit` if given
    (no fallback), else $SECMODEM_HCE_HELPER, else build/hce_tls."""
    candidates = [explicit] if explicit else [os.environ.get(HELPER_ENV), DEFAULT_HELPER]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def client_public_key(cert_pem):
    """The P-256 public key of the first certificate of a PEM text, or
    NetError(CONFIG): the chip's key type is the only one that can sign."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise netio.NetError(netio.CONFIG, f"client certificate not usable: {exc}") from None
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise netio.NetError(netio.CONFIG, "client certificate key is not ECDSA P-256")
    return key


def signature_valid(public_key, digest, rs):
    """r || s (64 bytes) over a 32-byte digest, checked with the public key."""
    if len(rs) != 64 or len(digest) != 32:
        return False
    r, s = int.from_bytes(rs[:32], "big"), int.from_bytes(rs[32:], "big")
    if not (0 < r < P256_N and 0 < s < P256_N):
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        return True
    except InvalidSignature:
        return False


def cipher_options(spec):
    """The helper's --ciphers / --ciphersuites for the profile's IANA ids,
    with netio's rules (only the listed suites; TLS 1.3 needs a 1.3 suite)."""
    if not spec.ciphers:
        return []
    names = netio.openssl_cipher_names()
    tls12 = [names[i] for i in spec.ciphers if i in names and i >> 8 != 0x13]
    tls13 = [names[i] for i in spec.ciphers if i in names and i >> 8 == 0x13]
    if spec.version == 3 and not tls13:
        raise netio.NetError(netio.CONFIG, "TLS 1.3 profile lists no TLS 1.3 cipher suite")
    if spec.version is not None and spec.version < 3 and not tls12:
        raise netio.NetError(netio.CONFIG, "none of the configured TLS <= 1.2 cipher suites is supported")
    args = []
    if tls12:
        args += ["--ciphers", ":".join(tls12)]
    if tls13:
        args += ["--ciphersuites", ":".join(tls13)]
    return args


class _Reader:
    """Lines from the control socket with a deadline."""

    def __init__(self, sock):
        self.sock, self.buf = sock, bytearray()

    def line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise netio.NetError(netio.TIMEOUT, "TLS handshake (host signing) timed out")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError as exc:
                raise netio.NetError(netio.TLS, f"TLS helper: {exc}") from None
            if not chunk:
                raise netio.NetError(netio.TLS, "TLS helper ended without an answer")
            self.buf += chunk
        line, _, rest = bytes(self.buf).partition(b"\n")
        self.buf = bytearray(rest)
        return line.decode("ascii", "replace")


def open_stream(host, port, spec, sign, helper, timeout=10.0, note=None, abort=None):
    """A TLS connection to host:port whose client key is the host's.

    spec: netio.TlsSpec with cert_pem (the client certificate) and no key;
    sign(digest) -> r || s bytes, or None (no signature: the host failed,
    did not answer in time, or the modem restarted).  timeout bounds TCP
    connect and every handshake step except the wait for the host.
    note(text) records what happened (the modem's trace); abort() -> True
    gives up (the connection was abandoned).  Returns the plaintext socket;
    raises netio.NetError (kinds HOST, REFUSED, TIMEOUT, VERIFY, TLS, CONFIG).
    """
    note = note or (lambda text: None)
    if helper is None:
        raise netio.NetError(netio.CONFIG, "host signing needs the TLS helper build/hce_tls "
                                           f"(make build/hce_tls, or set {HELPER_ENV})")
    if not spec.cert_pem:
        raise netio.NetError(netio.CONFIG, "host signing needs a client certificate")
    public_key = client_public_key(spec.cert_pem)
    extra = cipher_options(spec)
    addr = netio.loopback_address(host)
    try:
        raw = socket.create_connection((addr, port), timeout=timeout)
    except socket.timeout:
        raise netio.NetError(netio.TIMEOUT, f"connect to {host}:{port}") from None
    except OSError as exc:
        raise netio.NetError(netio.REFUSED, f"{host}:{port}: {exc.strerror or exc}") from None
    raw.setblocking(True)   # the helper shares this file description
    ctl, ctl_peer = socket.socketpair()
    data, data_peer = socket.socketpair()
    args = [helper, "--net-fd", str(raw.fileno()), "--ctl-fd", str(ctl_peer.fileno()),
            "--data-fd", str(data_peer.fileno()), "--cert", spec.cert_pem.decode("ascii", "replace"),
            "--host", netio.sni_name(host), "--verify", "1" if spec.verify_chain else "0",
            "--verify-host", "1" if spec.verify_host else "0"] + extra
    if spec.version is not None:
        args += ["--version", str(spec.version)]
    if spec.verify_chain and spec.ca_pem:
        args += ["--ca", spec.ca_pem.decode("ascii", "replace")]
    try:
        proc = subprocess.Popen(args, pass_fds=(raw.fileno(), ctl_peer.fileno(), data_peer.fileno()),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    except OSError as exc:
        for s in (raw, ctl, ctl_peer, data, data_peer):
            s.close()
        raise netio.NetError(netio.CONFIG, f"TLS helper {helper}: {exc}") from None
    for s in (raw, ctl_peer, data_peer):
        s.close()              # the helper has its own copies
    ok = False
    try:
        reader = _Reader(ctl)
        deadline = time.monotonic() + timeout
        while True:
            line = reader.line(deadline)
            word, _, rest = line.partition(" ")
            if word == "SIGN":
                digest = bytes.fromhex(rest.strip()) if len(rest.strip()) == 64 else b""
                rs = sign(digest) if len(digest) == 32 else None
                if abort is not None and abort():
                    raise netio.NetError(netio.TLS, "connection abandoned")
                if rs is None:
                    ctl.sendall(b"FAIL no signature from the host\n")
                elif not signature_valid(public_key, digest, rs):
                    note("HCE: the host's signature does not verify against the client "
                         "certificate: handshake refused")
                    ctl.sendall(b"FAIL signature does not verify\n")
                else:
                    ctl.sendall(b"SIG " + rs.hex().encode() + b"\n")
                deadline = time.monotonic() + timeout   # the wait for the host is not the server's
            elif word == "OK":
                note(f"HCE: TLS established ({rest})")
                ok = True
                break
            elif word == "ERR":
                kind, _, text = rest.partition(" ")
                raise netio.NetError(_KINDS.get(kind, netio.TLS), f"{kind}: {text}")
            else:
                raise netio.NetError(netio.TLS, f"TLS helper said {line!r}")
    finally:
        ctl.close()
        if not ok:
            data.close()
            if proc.poll() is None:
                proc.kill()
        # reap it whenever it ends (the relay ends when either side closes)
        threading.Thread(target=proc.wait, name="hce-reaper", daemon=True).start()
    return data
