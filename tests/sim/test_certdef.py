"""sim/chips/certdef.py (the definition maker) and sim/chips/provision.py: what the
compressed format cannot express is refused; what it can is rebuilt byte
for byte; the provisioned emulator holds what a Trust&GO part holds."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from sim.chips import certdef as cd
from sim.chips.atecc import Atecc608
from sim.chips import provision

D = datetime.datetime


@pytest.fixture(scope="module")
def ca():
    return ec.generate_private_key(ec.SECP256R1())


def device(ca, when=D(2025, 1, 2, 3), years=0, source=0xA, key=None, cn=None, **kw):
    key = key or ec.generate_private_key(ec.SECP256R1())
    dsn = kw.pop("device_sn", bytes.fromhex("0123aabbccddeeffee"))
    der, _ = cd.issue(cn or "dev " + dsn.hex().upper(), "CA 1234", key.public_key(), ca, when, years,
                      sn_source=source, signer_id=b"\x12\x34", device_sn=dsn, ca_pub=ca.public_key(), **kw)
    return der, dsn


def family(der, **kw):
    opts = dict(template_id=2, sn_source=0xA, signer_id_in="issuer", sn_hex_in_subject=True)
    opts.update(kw)
    return cd.Family(der, **opts)


def test_round_trip_and_initialiser(ca):
    t, dsn = device(ca)
    fam = family(t)
    other, dsn2 = device(ca, D(2030, 6, 7, 8), 0, device_sn=bytes.fromhex("0123010203040506ee"))
    comp = cd.compress(fam, other, cd.raw_pub(ca), dsn2)
    assert comp[69] == 0x20 and comp[70] == 0xA0 and comp[67:69] == b"\x12\x34"
    assert cd.rebuild(fam, comp, cd.raw_pub(x509.load_der_x509_certificate(other)), cd.raw_pub(ca),
                      dsn2) == other
    text = fam.c_initialiser("x")
    assert "static const sm_cert_def x = {" in text and "SM_CERT_SN_PUBKEY_HASH" in text


def test_refuses_minutes(ca):
    t, dsn = device(ca)
    fam = family(t)
    bad = bytearray(t)
    o = fam.locs["issue"][0]
    assert bad[o + 8:o + 10] == b"00"
    bad[o + 8:o + 10] = b"30"  # the issue minute (the signature no longer matters)
    with pytest.raises(cd.Refused, match="minutes"):
        cd.compress(fam, bytes(bad), None, dsn)


def test_refuses_uneven_expiry():
    with pytest.raises(cd.Refused):
        cd.encode_dates(D(2025, 1, 2, 3), D(2026, 1, 2, 4))
    with pytest.raises(cd.Refused):
        cd.encode_dates(D(1999, 1, 2, 3), cd.NEVER)
    with pytest.raises(cd.Refused):
        cd.encode_dates(D(2128, 1, 2, 3), cd.NEVER)
    with pytest.raises(cd.Refused):
        cd.encode_dates(D(2000, 1, 2, 3), D(2128, 1, 2, 3))


def test_refuses_serial_not_from_source(ca):
    t, dsn = device(ca)
    # the same family but the serial made by another source
    bad, _ = device(ca, source=0xB)
    with pytest.raises(cd.Refused, match="differs"):
        cd.compress(family(t), bad, None, dsn)


def test_refuses_other_family(ca):
    t, dsn = device(ca)
    bad, _ = device(ca, cn="another name, longer " + dsn.hex().upper())
    with pytest.raises(cd.Refused):
        cd.compress(family(t), bad, None, dsn)


def test_refuses_other_curve(ca):
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(cd.Refused):
        der, dsn = device(ca, key=key)
        family(der)


def test_refuses_bad_family_options(ca):
    t, _ = device(ca)
    with pytest.raises(cd.Refused):
        family(t, template_id=16)
    with pytest.raises(cd.Refused):
        family(t, sn_source=0x8)  # 16-byte serial: device-sn needs 10
    with pytest.raises(cd.Refused):
        family(t, sn_source=0x5)


def test_version_1_dates():
    dates, ext, version = cd.encode_dates(D(2064, 1, 1), D(2096, 1, 1))
    assert (dates, ext, version) == (bytes.fromhex("008400"), 0x90, 1)  # cryptoauthlib's mixed_ext


def test_provisioned_emulator(tmp_path):
    provision.make_pki(str(tmp_path))
    chip = Atecc608(fixed_keys=False)
    der = provision.provision(chip, str(tmp_path))
    assert bytes(chip.slots[11][:4]) == b"\0" * 4 and bytes(chip.slots[11][36:40]) == b"\0" * 4
    comp = bytes(chip.slots[10][:72])
    assert comp[69] == 0x20 and comp[70] >> 4 == 0xA
    assert bytes(chip.slots[12][:72])[69] == 0x10
    from cryptography import x509
    cert = x509.load_der_x509_certificate(der)
    assert cd.raw_pub(cert) == chip.public_key(0)
    assert chip.control("slot 10")[:144] == comp.hex()
    chip.control("slot 10 00ff")
    assert bytes(chip.slots[10][:2]) == b"\x00\xff"
    with pytest.raises(ValueError):
        chip.control("slot 10 " + "00" * 73)


def test_refuses_other_date_format(ca):
    t, dsn = device(ca)                     # no expiry: GeneralizedTime
    bad, _ = device(ca, D(2030, 6, 7, 8), 5)  # 2035: UTCTime
    with pytest.raises(cd.Refused, match="date formats"):
        cd.compress(family(t), bad, None, dsn)


def _tng(name):
    import os
    import re
    h = open(os.path.join(os.path.dirname(__file__), "..", "unit", "certs", "tng_vectors.h")).read()
    body = re.search(r"%s\[\d+\] = \{(.*?)\};" % name, h, re.S).group(1)
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", body))


def test_microchip_trust_and_go_offsets():
    """From Microchip's own Trust&GO templates the maker finds the element
    offsets cryptoauthlib publishes (app/tng/tngtls_cert_def_2_device.c,
    _1_signer.c), and the compressed forms rebuild them byte for byte."""
    dev, sig = _tng("tng_device_tmpl"), _tng("tng_signer_tmpl")
    d = cd.Family(dev, 2, 0, 0xA, 10, 0, cd.PUB_GENKEY, 0, "issuer", True)
    s = cd.Family(sig, 1, 0, 0xA, 12, 11, cd.PUB_SLOT, 0, "subject")
    assert d.locs == {"sn": (15, 16), "issue": (128, 13), "expire": (143, 15), "signer_id": (120, 4),
                      "pub": (257, 64), "sig": (431, 64), "subj_key_id": (366, 20),
                      "auth_key_id": (399, 20), "sn_hex": (206, 18)}
    assert (d.issue_format, d.expire_format) == (cd.DATE_UTC, cd.DATE_GEN)
    assert s.locs == {"sn": (15, 16), "issue": (128, 13), "expire": (143, 15), "signer_id": (235, 4),
                      "pub": (266, 64), "sig": (446, 64), "subj_key_id": (381, 20),
                      "auth_key_id": (414, 20), "sn_hex": (0, 0)}
    signer_pub = cd.raw_pub(x509.load_der_x509_certificate(sig))
    assert cd.compress(d, dev, signer_pub, bytes.fromhex("012301020304050601")) == _tng("tng_device_comp")
    assert cd.compress(s, sig) == _tng("tng_signer_comp")
