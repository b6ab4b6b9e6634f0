"""A Trust&GO-style provisioning for the ATECC608 emulator, from a test PKI.

Microchip's pre-provisioned parts (Trust&GO TLS: the ATECC608 of the
AVR-IoT Cellular Mini) hold the device key in slot 0, the compressed device
certificate in slot 10, the signer CA's public key in slot 11 (72 bytes:
4 zero bytes, X, 4 zero bytes, Y) and the compressed signer certificate in
slot 12 (cryptoauthlib app/tng, tngtls_cert_def_1_signer and _2_device).

    python3 -m sim.chips.provision DIR        makes a test PKI in DIR:
        root.pem, root.key       a test root CA (self-signed, no expiry)
        signer.pem, signer.key   a signer CA issued by the root
                                 ("secmodem Test Signer 5A5A": signer id 5A5A)
        cert_defs.h              the two certificate definitions as C
                                 (secmodem_signer_def, secmodem_device_def),
                                 made by sim/chips/certdef.py from a template
                                 device certificate of the family
        family.json              the family options

    python3 -m sim.chips.atecc --socket S --provision DIR
        fills the emulated chip's slots 10, 11, 12 from DIR: a device
        certificate for the chip's own slot-0 key and serial number, issued
        now (the hour) by the signer, compressed; writes DIR/device.pem (and
        DIR/device-<serial>.pem) so a test can compare the rebuilt one.

Both certificates use the serial-number source "public-key hash" and a
GeneralizedTime "no expiry" (9999-12-31 23:59:59) like Trust&GO; the device
certificate's common name carries the chip serial in hex, its issuer name
the signer id.
"""
import datetime
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import certdef as cd

SIGNER_ID = b"\x5a\x5a"
ROOT_CN = "secmodem Test Root"
SIGNER_CN = "secmodem Test Signer 5A5A"
DEVICE_PREFIX = "sn"  # + 18 hex digits: the chip serial
SIGNER_OPTS = dict(template_id=1, chain_id=0, sn_source=0xA, comp_slot=12, pub_slot=11,
                   pub_source=cd.PUB_SLOT, signer_id_in="subject")
DEVICE_OPTS = dict(template_id=2, chain_id=0, sn_source=0xA, comp_slot=10, pub_slot=0,
                   pub_source=cd.PUB_GENKEY, signer_id_in="issuer", sn_hex_in_subject=True)
DEVICE_SLOT, DEVICE_COMP_SLOT, SIGNER_PUB_SLOT, SIGNER_COMP_SLOT = 0, 10, 11, 12


def _pem_cert(der):
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _device_cert(signer_key, device_pub, serial, when):
    return cd.issue(DEVICE_PREFIX + serial.hex().upper(), SIGNER_CN, device_pub, signer_key, when, 0,
                    signer_id=SIGNER_ID, device_sn=serial, ca_pub=signer_key.public_key())[0]


def make_pki(outdir):
    """The test root, the signer CA and the definitions, in outdir."""
    os.makedirs(outdir, exist_ok=True)
    root_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root, _ = cd.issue(ROOT_CN, ROOT_CN, root_key.public_key(), root_key, datetime.datetime(2024, 1, 1),
                       0, is_ca=True)
    signer, _ = cd.issue(SIGNER_CN, ROOT_CN, signer_key.public_key(), root_key,
                         datetime.datetime(2024, 6, 1, 12), 0, signer_id=SIGNER_ID, is_ca=True,
                         ca_pub=root_key.public_key())
    # the device family's template: a certificate of the family for any key
    template = _device_cert(signer_key, ec.generate_private_key(ec.SECP256R1()).public_key(),
                            bytes.fromhex("0123000000000000ee"), datetime.datetime(2025, 1, 1))
    sfam, dfam = cd.Family(signer, **SIGNER_OPTS), cd.Family(template, **DEVICE_OPTS)
    cd.compress(sfam, signer, cd.raw_pub(x509.load_der_x509_certificate(root)))  # expressible?
    _write(os.path.join(outdir, "root.pem"), _pem_cert(root))
    _write(os.path.join(outdir, "root.key"), _pem_key(root_key))
    _write(os.path.join(outdir, "signer.pem"), _pem_cert(signer))
    _write(os.path.join(outdir, "signer.key"), _pem_key(signer_key))
    _write(os.path.join(outdir, "device-template.der"), template)
    header = ("/* cert_defs.h - made by python3 -m sim.chips.provision; the definitions of the\n"
              "   emulated Trust&GO-style part's certificates (section 13). */\n" +
              sfam.c_initialiser("secmodem_signer_def") + dfam.c_initialiser("secmodem_device_def"))
    _write(os.path.join(outdir, "cert_defs.h"), header.encode())
    with open(os.path.join(outdir, "family.json"), "w") as f:
        json.dump({"signer": SIGNER_OPTS, "device": DEVICE_OPTS}, f, indent=1)
    return outdir


def _load(outdir):
    read = lambda n: open(os.path.join(outdir, n), "rb").read()
    signer = x509.load_pem_x509_certificate(read("signer.pem"))
    root = x509.load_pem_x509_certificate(read("root.pem"))
    signer_key = serialization.load_pem_private_key(read("signer.key"), None)
    return root, signer, signer_key, read("device-template.der")


def pad_key(xy):
    """X || Y in a 72-byte slot: 4 zero bytes before each coordinate."""
    return b"\x00" * 4 + bytes(xy[:32]) + b"\x00" * 4 + bytes(xy[32:])


def provision(chip, outdir, when=None):
    """Fills slots 10, 11, 12 of an Atecc608 from the PKI in outdir; returns
    the device certificate (DER)."""
    root, signer, signer_key, template = _load(outdir)
    serial = bytes(chip.config[0:4] + chip.config[8:13])
    when = when or datetime.datetime.utcnow().replace(minute=0, second=0, microsecond=0)
    device = _device_cert(signer_key, chip.keys[DEVICE_SLOT].public_key(), serial, when)
    sfam, dfam = cd.Family(signer.public_bytes(serialization.Encoding.DER), **SIGNER_OPTS), \
        cd.Family(template, **DEVICE_OPTS)
    signer_xy = cd.raw_pub(signer)
    comp_dev = cd.compress(dfam, device, signer_xy, serial)
    comp_signer = cd.compress(sfam, signer.public_bytes(serialization.Encoding.DER), cd.raw_pub(root))
    with chip.lock:
        chip.slots[DEVICE_COMP_SLOT][:72] = comp_dev
        chip.slots[SIGNER_PUB_SLOT][:72] = pad_key(signer_xy)
        chip.slots[SIGNER_COMP_SLOT][:72] = comp_signer
    pem = _pem_cert(device)
    _write(os.path.join(outdir, "device.pem"), pem)
    _write(os.path.join(outdir, f"device-{serial.hex().upper()}.pem"), pem)
    return device


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 -m sim.chips.provision DIR", file=sys.stderr)
        return 2
    print(f"test PKI and definitions in {make_pki(argv[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
