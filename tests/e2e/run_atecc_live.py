#!/usr/bin/env python3
"""Starts the ATECC608 emulator (python3 -m sim.chips.atecc) on a UNIX socket and
runs a live C test program against it: run_atecc_live.py <binary> [args...].

The program's "SIG <pub> <digest> <sig>" lines are verified here with
`cryptography` (ECDSA P-256 over the prehashed digest) and its
"SHA <message> <digest>" lines with hashlib; the last line is the total,
"atecc live: N passed, N failed"."""
import hashlib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from sim.common.testing import AteccProcess  # noqa: E402

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature  # noqa: E402


def check_sig(pub, digest, sig):
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + pub)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        key.verify(der, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        return True
    except InvalidSignature:
        return False


def main():
    binary, extra = sys.argv[1], sys.argv[2:]
    with AteccProcess(*extra) as emu:
        proc = subprocess.run([os.path.join(ROOT, binary), emu.socket_path], cwd=ROOT,
                              stdout=subprocess.PIPE, timeout=300)
        out = proc.stdout.decode(errors="replace")
        if proc.returncode != 0:
            sys.stderr.write("emulator stderr:\n" + emu.stderr().decode(errors="replace")[-4000:])
    sys.stdout.write(out)
    passed = failed = 0
    m = re.search(r"test_atecc_live: (\d+) passed, (\d+) failed", out)
    if m:
        passed, failed = int(m.group(1)), int(m.group(2))
    elif proc.returncode == 0:
        failed += 1                     # no summary: count it as a failure
    host_checks = 0
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["SIG"] and len(words) == 4:
            pub, digest, sig = (bytes.fromhex(w) for w in words[1:])
            ok = check_sig(pub, digest, sig)
            print(f"runner: signature {'verifies' if ok else 'DOES NOT verify'} with cryptography")
        elif words[:1] == ["SHA"] and len(words) == 3:
            msg, digest = (bytes.fromhex(w) for w in words[1:])
            ok = hashlib.sha256(msg).digest() == digest
            print(f"runner: SHA-256 of {len(msg)} bytes {'matches' if ok else 'DIFFERS from'} hashlib")
        else:
            continue
        host_checks += 1
        passed, failed = passed + ok, failed + (not ok)
    if host_checks < 2:
        print("runner: missing SIG or SHA line")
        failed += 1
    if proc.returncode != 0 and failed == 0:
        failed = 1
    print(f"atecc live: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
