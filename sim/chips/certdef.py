#!/usr/bin/env python3
"""Certificate definitions for secmodem.h section 13 (compressed certificates).

A pre-provisioned ATECC608 keeps each certificate as 72 bytes; a
*definition* (sm_cert_def) is what all certificates of one family share: a
template certificate and where its variable elements sit. This tool makes
both from certificates:

    python3 -m sim.chips.certdef def CERT.pem --name NAME [options]
        prints the definition as a C initialiser
    python3 -m sim.chips.certdef compress CERT.pem --template T.pem [options]
            [--device-sn HEX] [--signer-key ISSUER.pem]
        prints the 72 bytes (hex)

The options describe the family (they are not in the certificate):
    --template-id N --chain-id N      (byte 69 of the compressed form)
    --sn-source NAME                  stored, device-sn, signer-id, pubkey-hash,
                                      device-sn-hash, pubkey-hash-pos,
                                      device-sn-hash-pos, pubkey-hash-raw,
                                      device-sn-hash-raw
    --comp-slot N --pub-slot N --pub-source genkey|slot --sn-slot N
    --signer-id-in subject|issuer|none  where the 4 hex digits of the signer
                                      id end the common name (Microchip names
                                      signers "... Signer XXXX")
    --sn-hex-in-subject               the subject's common name holds the
                                      chip serial as 18 hex digits

It refuses what the format cannot express: dates with minutes or seconds,
an expiry that is not a whole number of years after the issue (or "none":
9999-12-31 23:59:59), years outside 2000..2127, a serial number that is not
what its source makes, a certificate that differs from the template
anywhere but in the variable elements, a key that is not P-256, a
signature that is not ECDSA with SHA-256. Every compressed form is checked
by rebuilding the certificate from it (rebuild() below, the same rules as
the C code) and comparing byte for byte.

The facts of the format come from Microchip's compressed-certificate
application note and cryptoauthlib's lib/atcacert; the code is this
project's.
"""
import argparse
import datetime
import hashlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

SN_SOURCES = {
    "stored": 0x0, "device-sn": 0x8, "signer-id": 0x9, "pubkey-hash": 0xA,
    "device-sn-hash": 0xB, "pubkey-hash-pos": 0xC, "device-sn-hash-pos": 0xD,
    "pubkey-hash-raw": 0xE, "device-sn-hash-raw": 0xF,
}
SN_C_NAMES = {
    0x0: "SM_CERT_SN_STORED", 0x8: "SM_CERT_SN_DEVICE_SN", 0x9: "SM_CERT_SN_SIGNER_ID",
    0xA: "SM_CERT_SN_PUBKEY_HASH", 0xB: "SM_CERT_SN_DEVICE_SN_HASH",
    0xC: "SM_CERT_SN_PUBKEY_HASH_POS", 0xD: "SM_CERT_SN_DEVICE_SN_HASH_POS",
    0xE: "SM_CERT_SN_PUBKEY_HASH_RAW", 0xF: "SM_CERT_SN_DEVICE_SN_HASH_RAW",
}
DATE_UTC, DATE_GEN = 0, 1
PUB_GENKEY, PUB_SLOT = 0, 1
LOCS = ("sn", "issue", "expire", "signer_id", "pub", "sig", "subj_key_id", "auth_key_id", "sn_hex")
NEVER = datetime.datetime(9999, 12, 31, 23, 59, 59)
UTC_END = datetime.datetime(2049, 12, 31, 23, 59, 59)
OID_CN = bytes.fromhex("550403")
OID_SKI = bytes.fromhex("551d0e")
OID_AKI = bytes.fromhex("551d23")
OID_ECDSA_SHA256 = bytes.fromhex("2a8648ce3d040302")


class Refused(ValueError):
    """The format cannot express this certificate."""


# ---------------------------------------------------------------------------
# A DER reader: each value as (tag, header offset, content offset, end)

def tlv(der, at):
    if at + 2 > len(der):
        raise Refused("DER ends inside a header")
    tag, first = der[at], der[at + 1]
    if first < 0x80:
        n, start = first, at + 2
    else:
        k = first & 0x7F
        if k == 0 or k > 3 or at + 2 + k > len(der):
            raise Refused("unsupported DER length")
        n, start = int.from_bytes(der[at + 2:at + 2 + k], "big"), at + 2 + k
    if start + n > len(der):
        raise Refused("DER value runs past its parent")
    return tag, at, start, start + n


def children(der, parent):
    _, _, at, end = parent
    out = []
    while at < end:
        t = tlv(der, at)
        out.append(t)
        at = t[3]
    return out


def name_cn(der, name):
    """(content offset, length) of the last commonName in a Name."""
    found = None
    for rdn in children(der, name):
        for atv in children(der, rdn):
            oid, val = children(der, atv)[:2]
            if der[oid[2]:oid[3]] == OID_CN:
                found = (val[2], val[3] - val[2])
    return found


def locate(der, signer_id_in="none", sn_hex_in_subject=False):
    """The element locations (offset, count) of an X.509 certificate, and
    the date formats."""
    cert = tlv(der, 0)
    if cert[0] != 0x30 or cert[3] != len(der):
        raise Refused("not one DER SEQUENCE")
    tbs, alg, sigval = children(der, cert)
    if der[alg[2]:alg[3]] != bytes([0x06, 8]) + OID_ECDSA_SHA256:
        raise Refused("signature algorithm is not ECDSA with SHA-256")
    parts = children(der, tbs)
    i = 1 if parts[0][0] == 0xA0 else 0
    serial, _, issuer, validity, subject, spki = parts[i:i + 6]
    locs = {k: (0, 0) for k in LOCS}
    locs["sn"] = (serial[2], serial[3] - serial[2])
    nb, na = children(der, validity)
    fmts = []
    for key, t in (("issue", nb), ("expire", na)):
        locs[key] = (t[2], t[3] - t[2])
        fmts.append(DATE_UTC if t[0] == 0x17 else DATE_GEN)
    bits = children(der, spki)[1]
    if bits[3] - bits[2] != 66 or der[bits[2]:bits[2] + 2] != b"\x00\x04":
        raise Refused("subject key is not an uncompressed P-256 point")
    locs["pub"] = (bits[2] + 2, 64)
    locs["sig"] = (sigval[1], 64)
    for ext_block in parts[i + 6:]:
        if ext_block[0] != 0xA3:
            continue
        for ext in children(der, children(der, ext_block)[0]):
            kids = children(der, ext)
            oid, value = kids[0], kids[-1]
            body = der[oid[2]:oid[3]]
            inner = tlv(der, value[2])
            if body == OID_SKI and inner[3] - inner[2] == 20:
                locs["subj_key_id"] = (inner[2], 20)
            elif body == OID_AKI:
                for k in children(der, inner):
                    if k[0] == 0x80 and k[3] - k[2] == 20:
                        locs["auth_key_id"] = (k[2], 20)
    if signer_id_in != "none":
        cn = name_cn(der, subject if signer_id_in == "subject" else issuer)
        if not cn or cn[1] < 4 or not is_hex(der[cn[0] + cn[1] - 4:cn[0] + cn[1]]):
            raise Refused(f"the {signer_id_in}'s common name does not end in 4 hex digits")
        locs["signer_id"] = (cn[0] + cn[1] - 4, 4)
    if sn_hex_in_subject:
        cn = name_cn(der, subject)
        text = der[cn[0]:cn[0] + cn[1]] if cn else b""
        hit = [j for j in range(len(text) - 17) if is_hex(text[j:j + 18])]
        if not hit:
            raise Refused("the subject's common name holds no 18 hex digits")
        locs["sn_hex"] = (cn[0] + hit[0], 18)
    return locs, fmts[0], fmts[1]


def is_hex(b):
    return len(b) > 0 and all(c in b"0123456789ABCDEFabcdef" for c in b)


# ---------------------------------------------------------------------------
# The definition

class Family:
    """A definition: the template and the family options."""

    def __init__(self, template_der, template_id=0, chain_id=0, sn_source=0xA, comp_slot=10,
                 pub_slot=0, pub_source=PUB_GENKEY, sn_slot=0, signer_id_in="none",
                 sn_hex_in_subject=False):
        for v, what in ((template_id, "template id"), (chain_id, "chain id"), (comp_slot, "slot"),
                        (pub_slot, "slot"), (sn_slot, "slot")):
            if not 0 <= v <= 15:
                raise Refused(f"{what} {v} is not 0..15")
        if sn_source not in SN_C_NAMES:
            raise Refused(f"serial-number source {sn_source} is not one section 13 supports "
                          "(0x0, 0x8..0xF; 0x7, a stored serial of varying length, is not)")
        self.tmpl = bytes(template_der)
        self.template_id, self.chain_id, self.sn_source = template_id, chain_id, sn_source
        self.comp_slot, self.pub_slot, self.pub_source, self.sn_slot = comp_slot, pub_slot, pub_source, sn_slot
        self.signer_id_in, self.sn_hex_in_subject = signer_id_in, sn_hex_in_subject
        self.locs, self.issue_format, self.expire_format = locate(self.tmpl, signer_id_in,
                                                                  sn_hex_in_subject)
        n = self.locs["sn"][1]
        want = {0x8: 10, 0x9: 3}.get(sn_source)
        if (want and n != want) or not 1 <= n <= 32:
            raise Refused(f"the serial number has {n} bytes; source {sn_source:#x} makes "
                          f"{want or '1..32'}")

    def c_initialiser(self, name):
        rows = [", ".join(f"0x{b:02x}" for b in self.tmpl[i:i + 12]) for i in range(0, len(self.tmpl), 12)]
        body = ",\n    ".join(rows)
        fmt = ("SM_CERT_DATE_UTC", "SM_CERT_DATE_GEN")
        locs = ",\n    ".join(f"{{ {o}, {c} }} /* {k} */" for k, (o, c) in
                               ((k, self.locs[k]) for k in LOCS))
        return (f"static const uint8_t {name}_tmpl[{len(self.tmpl)}] = {{\n    {body}\n}};\n"
                f"static const sm_cert_def {name} = {{\n"
                f"    {name}_tmpl, {len(self.tmpl)},\n"
                f"    {self.template_id}, {self.chain_id}, {SN_C_NAMES[self.sn_source]}, /* template, chain, serial */\n"
                f"    {fmt[self.issue_format]}, {fmt[self.expire_format]},\n"
                f"    {self.comp_slot}, {self.pub_slot}, "
                f"{'SM_CERT_PUB_GENKEY' if self.pub_source == PUB_GENKEY else 'SM_CERT_PUB_SLOT'}, "
                f"{self.sn_slot}, /* compressed, key slot and source, serial slot */\n"
                f"    {locs}\n}};\n")


# ---------------------------------------------------------------------------
# Dates

def encode_dates(issue, expire, max_years=127):
    """(bytes 64..66, byte 71's high bits, version) of an issue and expiry."""
    if issue.minute or issue.second:
        raise Refused("the issue date has minutes or seconds (the format keeps the hour)")
    if not 2000 <= issue.year <= 2127:
        raise Refused(f"issue year {issue.year} is outside 2000..2127")
    if expire in (NEVER, UTC_END):
        years = 0
    else:
        years = expire.year - issue.year
        if (expire.month, expire.day, expire.hour, expire.minute, expire.second) != \
           (issue.month, issue.day, issue.hour, 0, 0) or not 1 <= years <= max_years:
            raise Refused("the expiry is not a whole number (1..127) of years after the issue, "
                          "nor 'none' (9999-12-31 23:59:59)")
    version = 1 if issue.year > 2031 or years > 31 else 0
    y = issue.year - 2000
    v = (y & 0x1F) << 19 | issue.month << 15 | issue.day << 10 | issue.hour << 5 | (years & 0x1F)
    ext = ((y >> 5) & 3) << 6 | ((years >> 5) & 3) << 4
    return v.to_bytes(3, "big"), ext, version


def decode_dates(comp, expire_format):
    version = comp[70] & 0x0F
    if version > 1:
        raise Refused("format version")
    v = int.from_bytes(comp[64:67], "big")
    y, mo, d, h, years = v >> 19, (v >> 15) & 0xF, (v >> 10) & 0x1F, (v >> 5) & 0x1F, v & 0x1F
    if version == 1:
        y |= (comp[71] >> 6) << 5
        years |= ((comp[71] >> 4) & 3) << 5
    issue = datetime.datetime(2000 + y, mo, d, h)
    if years == 0:
        expire = UTC_END if expire_format == DATE_UTC else NEVER
    else:
        expire = datetime.datetime(2000 + y + years, mo, d, h)
    return issue, expire


def date_text(t, fmt):
    return (t.strftime("%y%m%d%H%M%SZ") if fmt == DATE_UTC else f"{t.year:04d}" + t.strftime("%m%d%H%M%SZ")).encode()


# ---------------------------------------------------------------------------
# Serial numbers, key ids, the rebuild

def serial_of(fam, comp, pub, device_sn=None, stored_sn=None):
    return serial_from(fam.sn_source, fam.locs["sn"][1], comp, pub, device_sn, stored_sn)


def serial_from(s, n, comp, pub, device_sn=None, stored_sn=None):
    """The serial number source s makes (n bytes); comp needs bytes 64..71."""
    if s == 0x0:
        return bytes(stored_sn[:n])
    if s == 0x8:
        return b"\x40" + bytes(device_sn)
    if s == 0x9:
        return b"\x40" + bytes(comp[67:69])
    msg = (bytes(device_sn) if s & 1 else bytes(pub)) + bytes(comp[64:67])
    if comp[70] & 0x0F == 1:
        msg += bytes([comp[71] & 0xF0])
    sn = bytearray(hashlib.sha256(msg).digest()[:n])
    if s <= 0xD:
        sn[0] &= 0x7F
    if s <= 0xB:
        sn[0] |= 0x40
    return bytes(sn)


def key_id(pub):
    return hashlib.sha1(b"\x04" + bytes(pub)).digest()


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_int(b):
    b = bytes(b).lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return b"\x02" + der_len(len(b)) + b


def rebuild(fam, comp, pub, signer_pub=None, device_sn=None, stored_sn=None):
    """The certificate from a compressed form, as section 13 rebuilds it."""
    t = bytearray(fam.tmpl)
    L = fam.locs

    def put(key, value):
        o, c = L[key]
        if c:
            assert len(value) == c, key
            t[o:o + c] = value

    if comp[69] != (fam.template_id << 4 | fam.chain_id) or comp[70] >> 4 != fam.sn_source:
        raise Refused("template, chain or serial-number source differ")
    issue, expire = decode_dates(comp, fam.expire_format)
    put("sn", serial_of(fam, comp, pub, device_sn, stored_sn))
    put("issue", date_text(issue, fam.issue_format))
    put("expire", date_text(expire, fam.expire_format))
    put("signer_id", comp[67:69].hex().upper().encode())
    put("pub", bytes(pub))
    put("subj_key_id", key_id(pub))
    if signer_pub is not None:
        put("auth_key_id", key_id(signer_pub))
    if L["sn_hex"][1]:
        put("sn_hex", bytes(device_sn).hex().upper().encode())
    head = 2 + (t[1] & 0x7F if t[1] & 0x80 else 0)  # the outer header, rewritten below
    seq = der_int(comp[0:32]) + der_int(comp[32:64])
    seq = b"\x30" + der_len(len(seq)) + seq
    bits = b"\x03" + der_len(len(seq) + 1) + b"\x00" + seq
    content = bytes(t[head:L["sig"][0]]) + bits
    return b"\x30" + der_len(len(content)) + content


def raw_pub(obj):
    """X || Y of a certificate's, a private key's or a public key's P-256 key."""
    key = obj.public_key() if hasattr(obj, "public_key") else obj
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise Refused("the key is not P-256")
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)[1:]


def compress(fam, cert_der, signer_pub=None, device_sn=None, stored_sn=None):
    """The 72 bytes of a certificate of this family; Refused if the format
    cannot express it (checked by rebuilding it)."""
    cert = x509.load_der_x509_certificate(bytes(cert_der))
    locs, fi, fe = locate(bytes(cert_der), fam.signer_id_in, fam.sn_hex_in_subject)
    if (fi, fe) != (fam.issue_format, fam.expire_format):
        raise Refused("date formats differ from the family's template")
    if locs != fam.locs:
        raise Refused("the elements sit elsewhere than in the family's template")
    pub = raw_pub(cert)
    r, s = decode_dss_signature(cert.signature)
    comp = bytearray(72)
    comp[0:64] = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    issue, expire = cert.not_valid_before, cert.not_valid_after
    comp[64:67], ext, version = encode_dates(issue, expire)
    o, c = locs["signer_id"]
    if c:
        comp[67:69] = bytes.fromhex(bytes(cert_der[o:o + 4]).decode())
    comp[69] = fam.template_id << 4 | fam.chain_id
    comp[70] = fam.sn_source << 4 | version
    comp[71] = ext if version == 1 else 0
    if fam.sn_source in (0x8, 0xB, 0xD, 0xF) or locs["sn_hex"][1]:
        if device_sn is None or len(device_sn) != 9:
            raise Refused("this family needs the chip's 9-byte serial number")
    if fam.sn_source == 0x0 and stored_sn is None:
        o, c = locs["sn"]
        stored_sn = bytes(cert_der[o:o + c])
    # without the signer's key the template's authority key id stays: a
    # certificate whose own differs is then refused below
    built = rebuild(fam, comp, pub, signer_pub, device_sn, stored_sn)
    if built != bytes(cert_der):
        raise Refused("rebuilt from the compressed form, the certificate differs (serial number not "
                      "what its source makes, another authority key id, or the certificate is not "
                      "of this family)")
    return bytes(comp)


# ---------------------------------------------------------------------------
# A CA that issues certificates the format can express (tests, the emulator)

def issue(subject_cn, issuer_cn, subject_key, ca_key, not_before, years, sn_source=0xA,
          sn_len=16, signer_id=b"\x00\x00", device_sn=None, stored_sn=None, is_ca=False,
          ca_pub=None, org="secmodem test"):
    """A certificate whose serial number follows sn_source, valid from
    not_before (whole hour) for `years` (0: no expiry). subject_key is a
    public key; ca_key signs; ca_pub (the issuer's public key object) makes
    the authority key id (the subject's own when self-signed)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    expire = NEVER if years == 0 else not_before.replace(year=not_before.year + years)
    dates, ext, version = encode_dates(not_before, expire)
    comp = bytearray(72)
    comp[64:67], comp[67:69] = dates, signer_id
    comp[70], comp[71] = sn_source << 4 | version, ext if version else 0
    pub = subject_key.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint)[1:]
    sn_len = {0x8: 10, 0x9: 3}.get(sn_source, sn_len)
    sn = serial_from(sn_source, sn_len, comp, pub, device_sn, stored_sn)
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                                 x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name(subject_cn)).issuer_name(name(issuer_cn))
         .public_key(subject_key).serial_number(int.from_bytes(sn, "big"))
         .not_valid_before(not_before).not_valid_after(expire)
         .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), True)
         .add_extension(x509.KeyUsage(digital_signature=not is_ca, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=not is_ca, key_cert_sign=is_ca, crl_sign=is_ca,
                                      encipher_only=False, decipher_only=False), True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key), False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_pub or subject_key),
                        False))
    return b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER), sn


# ---------------------------------------------------------------------------
# Command line

def load_cert_der(path):
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    return data


def family_args(p):
    p.add_argument("--template-id", type=int, default=0)
    p.add_argument("--chain-id", type=int, default=0)
    p.add_argument("--sn-source", choices=sorted(SN_SOURCES), default="pubkey-hash")
    p.add_argument("--comp-slot", type=int, default=10)
    p.add_argument("--pub-slot", type=int, default=0)
    p.add_argument("--pub-source", choices=("genkey", "slot"), default="genkey")
    p.add_argument("--sn-slot", type=int, default=0)
    p.add_argument("--signer-id-in", choices=("subject", "issuer", "none"), default="none")
    p.add_argument("--sn-hex-in-subject", action="store_true")


def family_from(args, der):
    return Family(der, args.template_id, args.chain_id, SN_SOURCES[args.sn_source], args.comp_slot,
                  args.pub_slot, PUB_SLOT if args.pub_source == "slot" else PUB_GENKEY, args.sn_slot,
                  args.signer_id_in, args.sn_hex_in_subject)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m sim.chips.certdef", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("def", help="print the definition as a C initialiser")
    d.add_argument("cert")
    d.add_argument("--name", default="my_cert_def")
    family_args(d)
    c = sub.add_parser("compress", help="print the compressed form (72 bytes, hex)")
    c.add_argument("cert")
    c.add_argument("--template", required=True, help="the certificate the definition was made from")
    c.add_argument("--device-sn", help="the chip's serial number (18 hex digits)")
    c.add_argument("--signer-key", help="the issuer's certificate, for the authority key id")
    family_args(c)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "def":
            print(family_from(args, load_cert_der(args.cert)).c_initialiser(args.name), end="")
        else:
            fam = family_from(args, load_cert_der(args.template))
            signer = raw_pub(x509.load_der_x509_certificate(load_cert_der(args.signer_key))) \
                if args.signer_key else None
            sn = bytes.fromhex(args.device_sn) if args.device_sn else None
            print(compress(fam, load_cert_der(args.cert), signer, sn).hex())
    except Refused as exc:
        print(f"certdef: refused: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
