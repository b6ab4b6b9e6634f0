#!/usr/bin/env python3
"""Certificate signing requests from the chip, end to end:
run_csr_live.py <test_csr_live binary>.

Starts the ATECC608 emulator with fresh random keys (so the key in a
request can only have come from the chip), runs the C program, which
writes requests built by secmodem and signed by the emulated chip
("CSR <slot> <der|pem> <path>" lines), then, for each request:
  - OpenSSL: `openssl req -verify` accepts the self-signature;
  - cryptography: the signature is valid, the subject is the one the
    program used (order and string types), the public key is the one the
    emulator holds in that slot (asked over its control socket), the
    algorithm is ecdsa-with-SHA256, there are no attributes, and the bytes
    are canonical (cryptography writes back the same DER and PEM);
  - a test CA made here issues a certificate from it (`openssl x509 -req`),
    `openssl verify` accepts the certificate, and its public key is the
    chip's.
The last line is the total, "csr live: N passed, N failed"."""
import datetime
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.common.testing import AteccProcess  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.name import _ASN1Type  # noqa: E402
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID  # noqa: E402

# The subject of tests/e2e/test_csr_live.c, in its order and with its types.
SUBJECT = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "DE", _type=_ASN1Type.PrintableString),
    x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Bayern", _type=_ASN1Type.UTF8String),
    x509.NameAttribute(NameOID.LOCALITY_NAME, "M\u00fcnchen", _type=_ASN1Type.UTF8String),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "secmodem test devices", _type=_ASN1Type.UTF8String),
    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "provisioning", _type=_ASN1Type.UTF8String),
    x509.NameAttribute(NameOID.COMMON_NAME, "secmodem-0123D4DF07023967EE", _type=_ASN1Type.UTF8String),
    x509.NameAttribute(NameOID.SERIAL_NUMBER, "0123D4DF07023967EE", _type=_ASN1Type.PrintableString),
])


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=""):
        ok = bool(ok)
        self.passed, self.failed = self.passed + ok, self.failed + (not ok)
        print(f"runner: {'ok  ' if ok else 'FAIL'} {what}" + (f" ({detail})" if detail and not ok else ""))
        return ok


def emulator_control(path, text):
    """One control frame on the emulator's socket ('C', addr, length LE, text)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(b"C\x00" + struct.pack("<H", len(text)) + text.encode())
        head = b""
        while len(head) < 3:
            head += s.recv(3 - len(head))
        n = struct.unpack("<H", head[1:3])[0]
        body = b""
        while len(body) < n:
            body += s.recv(n - len(body))
    if head[:1] != b"A":
        raise RuntimeError(f"emulator refused {text!r}: {body.decode(errors='replace')}")
    return body.decode()


def openssl(*args):
    p = subprocess.run(["openssl", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace")


def make_ca(tmp):
    """A P-256 test CA: key and self-signed certificate, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secmodem test CA")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = os.path.join(tmp, "ca.key"), os.path.join(tmp, "ca.pem")
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, key_path, cert_path


def point(xy_hex):
    return b"\x04" + bytes.fromhex(xy_hex)


def check_request(t, slot, kind, path, chip_xy, ca, tmp):
    tag = f"slot {slot} {kind.upper()}"
    ca_key, ca_cert, ca_key_path, ca_cert_path = ca
    inform = ["-inform", "DER"] if kind == "der" else []
    # OpenSSL's own check of the self-signature
    rc, out = openssl("req", "-in", path, *inform, "-verify", "-noout")
    t.check(rc == 0 and "verify OK" in out, f"{tag}: openssl req -verify: verify OK", out.strip())
    rc, out = openssl("req", "-in", path, *inform, "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb")
    t.check(rc == 0 and "CN=secmodem-0123D4DF07023967EE" in out and "L=M\u00fcnchen" in out,
            f"{tag}: openssl reads the subject", out.strip())
    # cryptography
    data = open(path, "rb").read()
    csr = (x509.load_der_x509_csr if kind == "der" else x509.load_pem_x509_csr)(data)
    t.check(csr.is_signature_valid, f"{tag}: signature valid (cryptography)")
    t.check(csr.subject == SUBJECT, f"{tag}: subject, order and string types", csr.subject.rfc4514_string())
    t.check(list(csr.subject.rdns) == [x509.RelativeDistinguishedName([a]) for a in SUBJECT],
            f"{tag}: one attribute per RDN")
    pub = csr.public_key()
    t.check(isinstance(pub, ec.EllipticCurvePublicKey) and isinstance(pub.curve, ec.SECP256R1),
            f"{tag}: P-256 public key")
    got = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    t.check(got == point(chip_xy), f"{tag}: public key is the emulator's slot {slot} key")
    t.check(csr.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256,
            f"{tag}: ecdsa-with-SHA256")
    t.check(len(list(csr.attributes)) == 0, f"{tag}: no attributes")
    fmt = serialization.Encoding.DER if kind == "der" else serialization.Encoding.PEM
    t.check(csr.public_bytes(fmt) == data, f"{tag}: canonical bytes (cryptography writes the same)")
    # a certificate from the test CA
    cert_path = os.path.join(tmp, f"dev_{slot}_{kind}.pem")
    rc, out = openssl("x509", "-req", "-in", path, *inform, "-CA", ca_cert_path, "-CAkey", ca_key_path,
                      "-CAcreateserial", "-days", "1", "-sha256", "-out", cert_path)
    if not t.check(rc == 0, f"{tag}: the test CA issues a certificate (openssl x509 -req)", out.strip()):
        return csr
    rc, out = openssl("verify", "-CAfile", ca_cert_path, cert_path)
    t.check(rc == 0 and out.strip().endswith("OK"), f"{tag}: openssl verify of the certificate", out.strip())
    cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
    cert_pub = cert.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    t.check(cert_pub == point(chip_xy), f"{tag}: the certificate's key is the chip's")
    t.check(cert.subject == SUBJECT and cert.issuer == ca_cert.subject, f"{tag}: certificate names")
    try:
        ca_key.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
        ok = True
    except Exception:  # noqa: BLE001
        ok = False
    t.check(ok, f"{tag}: the certificate's signature is the CA's (cryptography)")
    return csr


def main():
    binary = sys.argv[1]
    t = Tally()
    with tempfile.TemporaryDirectory(prefix="secmodem-csr-") as tmp, \
            AteccProcess("--random-keys") as emu:
        proc = subprocess.run([os.path.join(ROOT, binary), emu.socket_path, tmp], cwd=ROOT,
                              stdout=subprocess.PIPE, timeout=120)
        out = proc.stdout.decode(errors="replace")
        sys.stdout.write(out)
        if proc.returncode != 0:
            sys.stderr.write("emulator stderr:\n" + emu.stderr().decode(errors="replace")[-4000:])
        m = re.search(r"test_csr_live: (\d+) passed, (\d+) failed", out)
        if m:
            t.passed, t.failed = int(m.group(1)), int(m.group(2))
        else:
            t.check(False, "the C program's summary line")
        requests = [line.split()[1:] for line in out.splitlines() if line.startswith("CSR ")]
        t.check(len(requests) == 3, "three requests written", str(requests))
        keys = {slot: emulator_control(emu.socket_path, f"pubkey {slot}") for slot in {r[0] for r in requests}}
        ca = make_ca(tmp)
        csrs = {}
        for slot, kind, path in requests:
            csrs[(slot, kind)] = check_request(t, slot, kind, path, keys[slot], ca, tmp)
        if ("0", "pem") in csrs and ("0", "der") in csrs:
            a, b = csrs[("0", "pem")], csrs[("0", "der")]
            t.check(a.tbs_certrequest_bytes == b.tbs_certrequest_bytes and a.signature != b.signature,
                    "slot 0: same CertificationRequestInfo, two fresh signatures")
        if len(keys) == 2:
            t.check(keys["0"] != keys["2"], "slot 2's new key differs from slot 0's")
    if proc.returncode != 0 and t.failed == 0:
        t.failed = 1
    print(f"csr live: {t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
