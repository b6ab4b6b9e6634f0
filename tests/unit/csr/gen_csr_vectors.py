#!/usr/bin/env python3
"""Makes (and re-checks) the CSR test vectors of tests/unit/csr/test_csr.c.

    gen_csr_vectors.py [OUT.h]        writes tests/unit/csr/csr_vectors.h (default)
    gen_csr_vectors.py --check [H]    re-checks a stored header; prints
                                      "csr vectors: N passed, N failed"

Each vector is a PKCS#10 request made by Python's `cryptography` (OpenSSL
underneath) with a fixed P-256 private key, for a subject given here: the
C test rebuilds it from the public key X || Y and the signature R || S
taken out of that request, with secmodem's pure functions, and must get
the same DER and the same PEM, byte for byte. ECDSA signatures are random
(cryptography 38 has no RFC 6979 mode), so the vectors are stored, not
rebuilt at each test; --check shows that the stored bytes are what
cryptography makes and accepts (the signature verifies with the key, the
subject is the spec, R || S and the PEM are the request's own).

Vectors "edge-r" and "edge-s" are signed again until the signature has the
shape the test needs (R with its top bit set and S with a leading zero
byte, and the other way round), so the DER of the signature is shorter
than the usual 72 bytes. "long" uses every attribute at its RFC 5280
upper bound in characters, with multi-byte UTF-8, for two-byte lengths.
"""
import hashlib
import os
import re
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEFAULT = os.path.join(ROOT, "tests", "unit", "csr", "csr_vectors.h")
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

# C name, OID, ASN.1 string type (RFC 5280: C and serialNumber PrintableString)
ATTRS = {
    "CN": ("SM_DN_CN", NameOID.COMMON_NAME, _ASN1Type.UTF8String),
    "SERIAL": ("SM_DN_SERIAL_NUMBER", NameOID.SERIAL_NUMBER, _ASN1Type.PrintableString),
    "C": ("SM_DN_C", NameOID.COUNTRY_NAME, _ASN1Type.PrintableString),
    "L": ("SM_DN_L", NameOID.LOCALITY_NAME, _ASN1Type.UTF8String),
    "ST": ("SM_DN_ST", NameOID.STATE_OR_PROVINCE_NAME, _ASN1Type.UTF8String),
    "O": ("SM_DN_O", NameOID.ORGANIZATION_NAME, _ASN1Type.UTF8String),
    "OU": ("SM_DN_OU", NameOID.ORGANIZATIONAL_UNIT_NAME, _ASN1Type.UTF8String),
}

# name, subject (in order), key seed, wanted signature shape
VECTORS = [
    ("mixed", [("C", "DE"), ("ST", "Bayern"), ("L", "M\u00fcnchen"),
               ("O", 'secmodem, "Test" & Co \\ KG'), ("OU", "IoT"),
               ("CN", "dev-0123 \u2603"), ("SERIAL", "0123D4DF07023967EE")], "key A", None),
    ("edge-r", [("CN", "dev")], "key A", "r-high-s-short"),
    ("edge-s", [("CN", "dev2"), ("O", "x")], "key B", "r-short-s-high"),
    ("long", [("CN", "\u00e9" * 64), ("O", "O" * 64), ("OU", "\U0001F600" * 64),
              ("L", "\u00fc" * 128), ("ST", "S" * 128),
              ("SERIAL", "AZaz09 '()+,-./:=?" * 3 + "0123456789"), ("C", "XX")], "key B", None),
]


def private_key(seed):
    d = int.from_bytes(hashlib.sha256(f"secmodem csr vector {seed}".encode()).digest(), "big")
    return ec.derive_private_key(d % (P256_N - 1) + 1, ec.SECP256R1())


def name_of(subject):
    return x509.Name([x509.NameAttribute(ATTRS[k][1], v, _type=ATTRS[k][2]) for k, v in subject])


def rs_of(csr):
    r, s = decode_dss_signature(csr.signature)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def shape_ok(rs, shape):
    if shape == "r-high-s-short":
        return rs[0] >= 0x80 and rs[32] == 0
    if shape == "r-short-s-high":
        return rs[0] == 0 and rs[32] >= 0x80
    return True


def make(subject, seed, shape):
    key = private_key(seed)
    builder = x509.CertificateSigningRequestBuilder().subject_name(name_of(subject))
    for _ in range(200000):
        csr = builder.sign(key, hashes.SHA256())
        if shape_ok(rs_of(csr), shape):
            return key, csr
    raise RuntimeError(f"no signature of shape {shape}")


def xy(key):
    n = key.public_key().public_numbers()
    return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def c_string(text):
    out = []
    for b in text.encode():
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        elif b == 0x0A:
            out.append("\\n")
        else:
            out.append(f"\\{b:03o}")     # octal: never swallows the next character
    return '"' + "".join(out) + '"'


def c_bytes(name, data):
    rows = [", ".join(f"0x{b:02X}" for b in data[i:i + 12]) for i in range(0, len(data), 12)]
    return f"static const uint8_t {name}[{len(data)}] = {{\n    " + ",\n    ".join(rows) + "\n};\n"


def c_pem(name, pem):
    lines = pem.decode().splitlines(keepends=True)
    return f"static const char {name}[] =\n" + "\n".join("    " + c_string(l) for l in lines) + ";\n"


def generate(path):
    out = ["/* csr_vectors.h - made by tests/unit/csr/gen_csr_vectors.py with Python's cryptography",
           "   " + __import__("cryptography").__version__ + "; re-checked by `gen_csr_vectors.py --check`. Do not edit.",
           "   Each vector: a subject, the public key X || Y of a fixed private key, the",
           "   signature R || S and the DER and PEM of the request cryptography made. */",
           "typedef struct csr_vector {",
           "    const char *name;",
           "    const sm_dn_attr *subject;",
           "    size_t n;",
           "    const uint8_t *pub, *rs, *der;",
           "    size_t der_len;",
           "    const char *pem;",
           "} csr_vector;", ""]
    table = []
    for i, (vname, subject, seed, shape) in enumerate(VECTORS):
        key, csr = make(subject, seed, shape)
        der = csr.public_bytes(serialization.Encoding.DER)
        pem = csr.public_bytes(serialization.Encoding.PEM)
        out.append(f"/* {vname}: {len(der)} bytes, signature DER {len(csr.signature)} bytes */")
        out.append(f"static const sm_dn_attr csr_v{i}_subject[] = {{")
        out.append(",\n".join(f"    {{ {ATTRS[k][0]}, {c_string(v)} }}" for k, v in subject))
        out.append("};")
        out.append(c_bytes(f"csr_v{i}_pub", xy(key)))
        out.append(c_bytes(f"csr_v{i}_rs", rs_of(csr)))
        out.append(c_bytes(f"csr_v{i}_der", der))
        out.append(c_pem(f"csr_v{i}_pem", pem))
        table.append(f'    {{ "{vname}", csr_v{i}_subject, {len(subject)}, csr_v{i}_pub, csr_v{i}_rs, '
                     f"csr_v{i}_der, sizeof csr_v{i}_der, csr_v{i}_pem }}")
    out.append("static const csr_vector csr_vectors[] = {\n" + ",\n".join(table) + "\n};")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}: {len(VECTORS)} vectors")


# ---- --check --------------------------------------------------------------------------

def c_unescape(body):
    raw = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            raw += ch.encode()
            i += 1
        elif body[i + 1] == "n":
            raw += b"\n"
            i += 2
        elif body[i + 1] in "\\\"":
            raw += body[i + 1].encode()
            i += 2
        else:
            raw.append(int(body[i + 1:i + 4], 8))
            i += 4
    return bytes(raw)


def stored(text, name):
    m = re.search(r"static const uint8_t " + name + r"\[\d+\] = \{([^}]*)\};", text)
    return bytes(int(h, 16) for h in re.findall(r"0x([0-9A-F]{2})", m.group(1)))


def stored_pem(text, name):
    m = re.search(r"static const char " + name + r"\[\] =(.*?);\n", text, re.S)
    return b"".join(c_unescape(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))


def stored_subject(text, i):
    m = re.search(r"csr_v%d_subject\[\] = \{(.*?)\n\};" % i, text, re.S)
    items = re.findall(r'\{ (SM_DN_\w+), "((?:[^"\\]|\\.)*)" \}', m.group(1))
    return [(t, c_unescape(v).decode()) for t, v in items]


def check(path):
    text = open(path).read()
    passed = failed = 0

    def expect(ok, what):
        nonlocal passed, failed
        passed, failed = passed + bool(ok), failed + (not ok)
        if not ok:
            print(f"FAILED: {what}")

    for i, (vname, subject, seed, shape) in enumerate(VECTORS):
        der = stored(text, f"csr_v{i}_der")
        csr = x509.load_der_x509_csr(der)
        key = private_key(seed)
        expect(csr.is_signature_valid, f"{vname}: signature verifies")
        expect(csr.public_key().public_numbers() == key.public_key().public_numbers(),
               f"{vname}: public key is the fixed key's")
        expect(stored(text, f"csr_v{i}_pub") == xy(key), f"{vname}: stored X || Y")
        expect(stored(text, f"csr_v{i}_rs") == rs_of(csr), f"{vname}: stored R || S")
        expect(shape_ok(rs_of(csr), shape), f"{vname}: signature shape {shape}")
        expect(csr.subject == name_of(subject), f"{vname}: subject")
        expect(stored_subject(text, i) == [(ATTRS[k][0], v) for k, v in subject],
               f"{vname}: stored subject")
        expect(csr.public_bytes(serialization.Encoding.DER) == der, f"{vname}: DER round trip")
        expect(stored_pem(text, f"csr_v{i}_pem") == csr.public_bytes(serialization.Encoding.PEM),
               f"{vname}: stored PEM")
        expect(isinstance(csr.signature_hash_algorithm, hashes.SHA256), f"{vname}: SHA-256")
    print(f"csr vectors: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--check"]:
        sys.exit(check(args[1] if len(args) > 1 else DEFAULT))
    generate(args[0] if args else DEFAULT)
