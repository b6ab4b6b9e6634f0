#!/usr/bin/env python3
"""Makes the compressed-certificate test vectors of tests/unit/certs/test_certs.c, fresh
at each run (new keys, new signatures).

    gen_cert_vectors.py OUTDIR

writes OUTDIR/cert_vectors.h (the definitions made by sim/chips/certdef.py from
the first certificate of each family, and every certificate with its
compressed form and the chip data it is rebuilt from), OUTDIR/root.pem and
OUTDIR/signer.pem (the test root, and the signer CA every device
certificate is issued by). A test root and a signer CA are made here; each
family has its own date formats and serial-number source, and its
certificates cover the corners of the format: no expiry, the years 2000
and 2031 (format version 0), 2032..2127 (version 1, extended dates), 31
and 127 years of validity, 29 February, the last UTCTime second, every
serial-number source, signatures whose R or S is short (DER lengths
change) and long.
"""
import datetime
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography import x509

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
from sim.chips import certdef as cd  # noqa: E402

D = datetime.datetime
SIGNER_ID = b"\x1a\x2b"


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def raw(pub):
    return pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)[1:]


def sig_shape(der):
    r, s = decode_dss_signature(x509.load_der_x509_certificate(der).signature)
    return r, s


def device_sn(i):
    return bytes([0x01, 0x23]) + os.urandom(6) + b"\xee"


def c_bytes(name, data):
    rows = [", ".join(f"0x{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    return f"static const uint8_t {name}[{max(len(data), 1)}] = {{\n    " + ",\n    ".join(rows or ["0"]) + "\n};\n"


class Maker:
    def __init__(self):
        self.root_key, self.signer_key = new_key(), new_key()
        self.root, _ = cd.issue("secmodem Test Root", "secmodem Test Root", self.root_key.public_key(),
                                self.root_key, D(2024, 1, 1), 0, is_ca=True)
        self.signer, _ = cd.issue("secmodem Test Signer 1A2B", "secmodem Test Root",
                                  self.signer_key.public_key(), self.root_key, D(2024, 3, 1, 10), 0,
                                  signer_id=SIGNER_ID, is_ca=True, ca_pub=self.root_key.public_key())
        self.families = []   # (name, Family)
        self.vectors = []    # dicts

    def family(self, name, der, **opts):
        fam = cd.Family(der, **opts)
        self.families.append((name, fam))
        return fam

    def device(self, fam_name, when, years, source=0xA, shape=None, template_id=2, sn_hex=True,
               stored=None, family_opts=None, name=None):
        """A device certificate from the signer CA (the first of a family
        makes the family)."""
        for _ in range(20000):
            key = new_key()
            dsn = device_sn(0)
            cn = ("secmodem dev " + dsn.hex().upper()) if sn_hex else "secmodem dev"
            stored_sn = stored or (b"\x41" + os.urandom(15))
            der, sn = cd.issue(cn, "secmodem Test Signer 1A2B", key.public_key(), self.signer_key, when,
                               years, sn_source=source, signer_id=SIGNER_ID, device_sn=dsn,
                               stored_sn=stored_sn, ca_pub=self.signer_key.public_key())
            if not 1 <= sn[0] <= 0x7F:  # a serial the DER INTEGER keeps as it is
                continue
            r, s = sig_shape(der)
            if shape == "short-r" and r >= 1 << 248:
                continue
            if shape == "short-s" and s >= 1 << 248:
                continue
            if shape == "long" and (r < 1 << 255 or s < 1 << 255):
                continue
            break
        else:
            raise SystemExit(f"no certificate of shape {shape}")
        fam = dict(self.families).get(fam_name)
        if fam is None:
            opts = dict(template_id=template_id, chain_id=0, sn_source=source, comp_slot=10, pub_slot=0,
                        pub_source=cd.PUB_GENKEY, sn_slot=13, signer_id_in="issuer",
                        sn_hex_in_subject=sn_hex)
            opts.update(family_opts or {})
            fam = self.family(fam_name, der, **opts)
        comp = cd.compress(fam, der, raw(self.signer_key.public_key()), dsn,
                           stored_sn if source == 0 else None)
        self.vectors.append(dict(name=name or f"{fam_name}-{len(self.vectors)}", fam=fam_name, der=der,
                                 comp=comp, pub=raw(key.public_key()),
                                 signer_pub=raw(self.signer_key.public_key()), dsn=dsn,
                                 stored=stored_sn if source == 0 else b"", issuer="signer"))

    def signer_vector(self, fam_name, der, key, **opts):
        fam = dict(self.families).get(fam_name) or self.family(fam_name, der, **opts)
        comp = cd.compress(fam, der, raw(self.root_key.public_key()))
        self.vectors.append(dict(name=f"{fam_name}-{len(self.vectors)}", fam=fam_name, der=der, comp=comp,
                                 pub=raw(key.public_key()), signer_pub=raw(self.root_key.public_key()),
                                 dsn=b"\x00" * 9, stored=b"", issuer="root"))

    def make(self):
        sopts = dict(template_id=1, chain_id=0, sn_source=0xA, comp_slot=12, pub_slot=11,
                     pub_source=cd.PUB_SLOT, signer_id_in="subject")
        self.signer_vector("signer", self.signer, self.signer_key, **sopts)
        k2 = new_key()
        other, _ = cd.issue("secmodem Test Signer FFFF", "secmodem Test Root", k2.public_key(),
                            self.root_key, D(2000, 1, 1, 0), 0, signer_id=b"\xff\xff", is_ca=True,
                            ca_pub=self.root_key.public_key())
        self.signer_vector("signer", other, k2)
        k3 = new_key()
        by_id, _ = cd.issue("secmodem Test Signer 00C0", "secmodem Test Root", k3.public_key(),
                            self.root_key, D(2025, 7, 8, 9), 20, sn_source=0x9, signer_id=b"\x00\xc0",
                            is_ca=True, ca_pub=self.root_key.public_key())
        self.signer_vector("signer_id", by_id, k3, **dict(sopts, template_id=3, sn_source=0x9))
        # UTCTime issue and expiry
        self.device("dev_utc", D(2025, 5, 6, 7), 10)
        self.device("dev_utc", D(2000, 1, 1, 0), 1, name="year-2000")
        self.device("dev_utc", D(2031, 12, 31, 23), 18, name="year-2031-to-2049")
        self.device("dev_utc", D(2024, 2, 29, 10), 4, name="29-february")
        self.device("dev_utc", D(2010, 6, 30, 12), 31, name="31-years")
        self.device("dev_utc", D(2032, 1, 1, 0), 10, name="v1-2032")
        self.device("dev_utc", D(2026, 8, 9, 10), 3, shape="short-r", name="short-r")
        self.device("dev_utc", D(2026, 8, 9, 10), 3, shape="short-s", name="short-s")
        self.device("dev_utc", D(2026, 8, 9, 10), 3, shape="long", name="long-r-s")
        # UTCTime issue, GeneralizedTime expiry (the Trust&GO shape)
        self.device("dev_gen", D(2026, 1, 1, 0), 0, template_id=4, name="no-expiry")
        self.device("dev_gen", D(2031, 7, 1, 1), 31, name="2031-plus-31")
        self.device("dev_gen", D(2032, 3, 4, 5), 32, name="v1-32-years")
        self.device("dev_gen", D(2049, 12, 31, 23), 127, name="v1-127-years")
        # GeneralizedTime issue (2050 and later: version 1)
        self.device("dev_gen2", D(2050, 1, 1, 0), 0, template_id=5, name="issue-2050")
        self.device("dev_gen2", D(2127, 12, 31, 23), 127, name="issue-2127")
        self.device("dev_gen2", D(2100, 3, 1, 1), 1, name="issue-2100")
        # every other serial-number source
        for i, src in enumerate((0x0, 0x8, 0xB, 0xC, 0xD, 0xE, 0xF)):
            fam = f"dev_src{src:x}"
            for j in range(2):
                self.device(fam, D(2026, 2, 3 + j, 4), 5, source=src, template_id=6 + i,
                            sn_hex=(src != 0x8))

    def header(self):
        out = ["/* cert_vectors.h - made by tests/unit/certs/gen_cert_vectors.py at test time; do not edit. */\n"]
        for name, fam in self.families:
            out.append(fam.c_initialiser("fam_" + name))
        out.append("typedef struct cert_vector {\n    const char *name;\n    const sm_cert_def *def;\n"
                   "    const uint8_t *der;\n    size_t der_len;\n    const uint8_t *comp, *pub, *signer_pub,"
                   " *dsn, *stored;\n    const char *issuer;\n} cert_vector;\n")
        rows = []
        for i, v in enumerate(self.vectors):
            for k in ("der", "comp", "pub", "signer_pub", "dsn", "stored"):
                out.append(c_bytes(f"v{i}_{k}", v[k]))
            rows.append(f'    {{ "{v["name"]}", &fam_{v["fam"]}, v{i}_der, {len(v["der"])}, v{i}_comp, v{i}_pub, '
                        f'v{i}_signer_pub, v{i}_dsn, v{i}_stored, "{v["issuer"]}" }}')
        out.append("static const cert_vector cert_vectors[] = {\n" + ",\n".join(rows) + "\n};\n")
        out.append("#define CERT_VECTORS (sizeof cert_vectors / sizeof cert_vectors[0])\n")
        return "".join(out)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "build/certs"
    os.makedirs(outdir, exist_ok=True)
    m = Maker()
    m.make()
    with open(os.path.join(outdir, "cert_vectors.h.tmp"), "w") as f:
        f.write(m.header())
    os.replace(os.path.join(outdir, "cert_vectors.h.tmp"), os.path.join(outdir, "cert_vectors.h"))
    for name, der in (("root", m.root), ("signer", m.signer)):
        pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        with open(os.path.join(outdir, name + ".pem"), "wb") as f:
            f.write(pem)
    print(f"cert vectors: {len(m.families)} families, {len(m.vectors)} certificates in {outdir}")


if __name__ == "__main__":
    main()
