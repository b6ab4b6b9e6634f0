#!/usr/bin/env python3
"""A pre-provisioned ATECC608's certificates, rebuilt from the emulated chip:
run_certs_live.py [--pki-ready] [test_certs_live binary].

Makes a fresh test PKI and the two certificate definitions (python3 -m
sim.chips.provision build/pki: root, signer CA, cert_defs.h), builds the C
program with them, starts the emulator as a Trust&GO-style part with fresh
random keys (--random-keys --provision: the device certificate is issued
at start for the chip's own slot-0 key and serial number, compressed into
slot 10; the signer's key in 11, its compressed certificate in 12), runs
the program, then checks: the rebuilt signer and device certificates are
the CA's byte for byte (PEM and DER), `openssl verify` accepts them up to
the test root, the device certificate's key is the one the chip holds in
slot 0 and its common name carries the chip serial. The last line is the
total, "certs live (C program and runner): N passed, N failed".
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.common.testing import AteccProcess  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

PY = sys.executable


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ready = "--pki-ready" in sys.argv[1:]  # build/pki made and the binary built with it
    binary = os.path.join(ROOT, args[0]) if args else os.path.join(ROOT, "build", "test_certs_live")
    pki = os.path.join(ROOT, "build", "pki")
    out = os.path.join(ROOT, "build", "certs-live")
    os.makedirs(out, exist_ok=True)
    if not ready:
        shutil.rmtree(pki, ignore_errors=True)  # fresh: no device certificate of an earlier run
        subprocess.run([PY, "-m", "sim.chips.provision", pki], cwd=ROOT, check=True)
        subprocess.run(["make", "-s", "-C", ROOT, os.path.relpath(binary, ROOT)], check=True)
    for old in os.listdir(pki):
        if old.startswith("device-") and old.endswith(".pem"):
            os.unlink(os.path.join(pki, old))  # the emulator writes this run's
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        passed, failed = passed + bool(ok), failed + (not ok)
        print(f"runner: {'ok  ' if ok else 'FAIL'} {what}")

    c_passed = c_failed = 0
    with AteccProcess("--random-keys", "--provision", pki) as chip:
        r = subprocess.run([binary, chip.socket_path, out], stdout=subprocess.PIPE, text=True)
        sys.stdout.write(r.stdout)
        m = re.search(r"(\d+) passed, (\d+) failed", r.stdout)
        if m:
            c_passed, c_failed = int(m.group(1)), int(m.group(2))
        check(r.returncode == 0 and m is not None, "the C program ran to its end")
    read = lambda d, n: open(os.path.join(d, n), "rb").read()
    check(read(out, "signer.pem") == read(pki, "signer.pem"), "rebuilt signer certificate is the CA's, byte for byte")
    check(read(out, "device.pem") == read(pki, "device.pem"), "rebuilt device certificate is the CA's, byte for byte")
    dev = x509.load_pem_x509_certificate(read(pki, "device.pem"))
    check(read(out, "device.der") == dev.public_bytes(serialization.Encoding.DER), "DER form too")
    for name, extra in (("signer.pem", []), ("device.pem", ["-untrusted", os.path.join(out, "signer.pem")])):
        v = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(pki, "root.pem")] + extra +
                           [os.path.join(out, name)], capture_output=True, text=True)
        check(v.returncode == 0 and v.stdout.strip().endswith(": OK"), f"openssl verify {name}: {v.stdout.strip()}")
    serials = [n for n in os.listdir(pki) if n.startswith("device-") and n.endswith(".pem")]
    cn = dev.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    check(len(serials) == 1 and cn == "sn" + serials[0][7:-4], f"the common name carries the chip serial ({cn})")
    print(f"certs live runner: {passed} passed, {failed} failed")
    print(f"certs live (C program and runner): {passed + c_passed} passed, {failed + c_failed} failed")
    return 1 if failed or c_failed else 0


if __name__ == "__main__":
    sys.exit(main())
