#!/usr/bin/env python3
"""Hostile values in every string argument of the dialect APIs, proven from
the simulator's side (issue 8): run_injection_live.py <test_injection_live>.

For each dialect it starts the real simulator (`python3 -m sim --dialect
sequans|cordelia`) on a pty and runs tests/unit/edge/test_injection.c built with
SM_INJECTION_LIVE against it: every table entry (one API argument or input
struct field) with every hostile value, each accepted call talked through to
its end.  The program prints each command line the library wrote ("SENT
<hex>", from the engine's own trace) and each argument it covered ("COVERS
name").  Then this runner checks:

  * the simulator's command log holds exactly the commands the library
    sent, one for one and in order (an inline payload, e.g. AT+fileWrite's
    data, may follow a sent line): a value that smuggled a second command
    through would show up as an extra command here;
  * no command the simulator received is one the library never sends in
    this test (AT+CFUN, AT+factoryreset, AT+reboot...);
  * every `const char *` parameter of every sm_sqn_*/sm_cord_* function
    declared in secmodem.h, and every `const char *` field of the structs
    those functions take as input, is covered by the tables: a new string
    argument cannot be forgotten silently.

Last line: "injection live: N passed, N failed"."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from run_cordelia_e2e import Checks  # noqa: E402
from sim.common.testing import SimProcess  # noqa: E402

FORBIDDEN = re.compile(r"^AT\+(CFUN|FACTORYRESET|REBOOT|SQNSFACTORYRESET)", re.I)


def declared_string_arguments():
    """{"sm_sqn_sock_dial:host", "sm_sqn_tls.ciphers", ...} from the header."""
    text = open(os.path.join(ROOT, "secmodem.h"), encoding="utf-8").read()
    structs = {}
    for m in re.finditer(r"typedef struct (sm_\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
        if m.group(1) == m.group(3):    # (a struct with a union inside is not an input here)
            structs[m.group(3)] = m.group(2)
    names, inputs = set(), set()
    for m in re.finditer(r"SECMODEM_API\s+[^;{]*?\b(sm_(?:sqn|cord)_\w+)\s*\(([^)]*)\)\s*;", text, re.S):
        func, params = m.group(1), " ".join(m.group(2).split())
        for p in params.split(","):
            p = p.strip()
            sm = re.match(r"const char\s*\*\s*(\w+)$", p)
            if sm:
                names.add(f"{func}:{sm.group(1)}")
            st = re.match(r"const (sm_\w+)\s*\*\s*\w+$", p)
            # the instance itself (const sm_cord *c) and the platform are no input values
            if st and st.group(1) in structs and st.group(1) not in ("sm_sqn", "sm_cord", "sm_platform"):
                inputs.add(st.group(1))
    seen = set()
    while inputs:            # the structs taken as input, and those inside them
        s = inputs.pop()
        if s in seen:
            continue
        seen.add(s)
        body = structs[s]
        for f in re.findall(r"const char\s*\*\s*([\w\s,\*]+);", body):
            for name in f.split(","):
                names.add(f"{s}.{name.strip().lstrip('*').strip()}")
        for inner in re.findall(r"\b(sm_\w+)\s+\w+(?:\[\w+\])?\s*;", body):
            if inner in structs:
                inputs.add(inner)
    return names


def run_dialect(binary, dialect, checks):
    with SimProcess("--dialect", dialect) as sim:
        proc = subprocess.run([binary, dialect, sim.pty_path], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=600)
        received = sim.control("commands")["commands"]
    out = proc.stdout.decode(errors="replace")
    sent = [bytes.fromhex(line.split()[1]).decode("latin-1") for line in out.splitlines()
            if line.startswith("SENT ") and len(line.split()) == 2]
    covers = {line.split()[1] for line in out.splitlines() if line.startswith("COVERS ")}
    for line in out.splitlines():
        if not line.startswith(("SENT ", "COVERS ")):
            print(f"  {line}")
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace")[-3000:])
    checks.check(proc.returncode == 0, f"{dialect}: the program's own checks")
    checks.check(len(sent) > 0, f"{dialect}: some calls were accepted and sent ({len(sent)} commands)")
    # one for one, in order; an inline payload may follow a sent line
    mismatch = None
    for i, (s, r) in enumerate(zip(sent, received)):
        if not (r == s or (r.startswith(s) and s.endswith(",") and "\r" not in r and "\n" not in r)):
            mismatch = (i, s, r)
            break
    checks.check(len(sent) == len(received) and mismatch is None,
                 f"{dialect}: the simulator received exactly the {len(sent)} commands sent "
                 f"(received {len(received)}{'' if mismatch is None else f'; #{mismatch[0]}: sent {mismatch[1]!r}, got {mismatch[2]!r}'})")
    bad = [r for r in received if FORBIDDEN.match(r)]
    checks.check(not bad, f"{dialect}: no command the test never sends reached the modem {bad[:3]}")
    return covers


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    checks = Checks()
    covers = set()
    for dialect in ("sequans", "cordelia"):
        covers |= run_dialect(binary, dialect, checks)
    declared = declared_string_arguments()
    missing = sorted(declared - covers)
    checks.check(len(declared) > 30 and not missing,
                 f"all {len(declared)} string arguments and input fields of the dialect APIs "
                 f"are in the hostile-value tables{'; missing: ' + ', '.join(missing) if missing else ''}")
    print(f"injection live: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
