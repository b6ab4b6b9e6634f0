#!/usr/bin/env python3
"""Compressed certificates (secmodem.h section 13) against certificates made
at test time, checked by OpenSSL.

    run_certs.py [BINARY...]     default: build/test_certs_asan, _clang, _cxx
    run_certs.py --vectors-ready BINARY   build/certs made and BINARY built with it

Makes fresh vectors (tests/unit/certs/gen_cert_vectors.py: a test root, a signer CA,
device certificate families), builds the C tests with them, runs each: the
C test rebuilds every certificate from its 72 bytes, compares it with the
CA's, and writes the rebuilt ones as PEM; then `openssl verify` checks
every rebuilt certificate up to the test root (device certificates through
the *rebuilt* signer certificate), dates not checked (-no_check_time: the
corners run from 2000 to 2254). Prints "certs openssl: N passed, N failed".
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
B = os.path.join(ROOT, "build")
OUT = os.path.join(B, "certs")
PY = sys.executable


def main():
    args = sys.argv[1:]
    ready = "--vectors-ready" in args  # made and built already (make coverage)
    bins = [a for a in args if not a.startswith("--")] or \
        [os.path.join(B, n) for n in ("test_certs_asan", "test_certs_clang", "test_certs_cxx")]
    if not ready:
        subprocess.run([PY, os.path.join(ROOT, "tests", "unit", "certs", "gen_cert_vectors.py"), OUT], check=True)
        subprocess.run(["make", "-s", "-C", ROOT] + [os.path.relpath(b, ROOT) for b in bins], check=True)
    failed = c_passed = c_failed = 0
    for b in bins:
        odir = os.path.join(OUT, "out-" + os.path.basename(b))
        os.makedirs(odir, exist_ok=True)
        for f in os.listdir(odir):
            os.unlink(os.path.join(odir, f))
        r = subprocess.run([b, odir], stdout=subprocess.PIPE, text=True)
        sys.stdout.write(r.stdout)
        m = re.search(r"(\d+) passed, (\d+) failed", r.stdout)
        if m:
            c_passed, c_failed = c_passed + int(m.group(1)), c_failed + int(m.group(2))
        failed += r.returncode != 0 and not (m and int(m.group(2)))
    passed = bad = 0
    odir = os.path.join(OUT, "out-" + os.path.basename(bins[0]))
    rows = [line.split() for line in open(os.path.join(odir, "list.txt"))]
    signer = os.path.join(odir, rows[0][0])  # the first vector: the signer CA, rebuilt
    for pem, issuer, name in rows:
        cmd = ["openssl", "verify", "-no_check_time", "-CAfile", os.path.join(OUT, "root.pem")]
        if issuer == "signer":
            cmd += ["-untrusted", signer]
        r = subprocess.run(cmd + [os.path.join(odir, pem)], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip().endswith(": OK"):
            passed += 1
        else:
            bad += 1
            print(f"openssl verify {name}: {r.stdout.strip()} {r.stderr.strip()}", file=sys.stderr)
    # the rebuilt signer is the CA's byte for byte (the C test compared it)
    # and the device certificates need it: at least one device and one signer
    kinds = {issuer for _, issuer, _ in rows}
    if kinds != {"root", "signer"}:
        bad += 1
    print(f"certs openssl: {passed} passed, {bad} failed")
    # the total, last: what tests/run_all.py counts
    print(f"certs (C tests and openssl): {c_passed + passed} passed, {c_failed + failed + bad} failed")
    return 1 if bad or failed or c_failed else 0


if __name__ == "__main__":
    sys.exit(main())
