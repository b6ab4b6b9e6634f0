#!/usr/bin/env python3
"""Replays every tests/replay/[rp_]<dialect>_*.log through secmodem-replay and
compares the JSON events with <name>.jsonl line by line; bad_*.log files
must be refused with a non-zero status and a message naming the line.
Usage: run_replay.py <secmodem-replay binary>"""
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.path.join(ROOT, "tests", "replay")


def run(binary, *args, stdin=None):
    return subprocess.run([binary, *args], input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)


def check_log(binary, log):
    name = os.path.basename(log)
    # <dialect>_<name>.log; rp_<dialect>_<name>.log (the capture tests);
    # pub_sqn_* and pub_cord_* (published device logs: Sequans, Cordelia-I)
    parts = name.split("_")
    dialect = parts[1] if parts[0] in ("rp", "pub") else parts[0]
    dialect = {"sqn": "sequans", "cord": "cordelia"}.get(dialect, dialect)
    mode = ["--atecc"] if dialect == "atecc" else ["--dialect", dialect]
    with open(log[:-4] + ".jsonl") as f:
        want = [json.loads(line) for line in f if line.strip()]
    res = run(binary, "--json", *mode, log)
    if res.returncode != 0:
        return [f"{name}: exit {res.returncode}: {res.stderr.decode()}"]
    got = [json.loads(line) for line in res.stdout.decode().splitlines()]
    errors = [f"{name}: event {i + 1}: got {g}, want {w}"
              for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if len(got) != len(want):
        errors.append(f"{name}: {len(got)} events, want {len(want)}")
    # the readable form and standard input work too
    with open(log, "rb") as f:
        text = run(binary, *mode, "-", stdin=f.read())
    if text.returncode != 0 or not text.stdout:
        errors.append(f"{name}: readable form from stdin failed")
    return errors


def check_bad(binary, log):
    name = os.path.basename(log)
    res = run(binary, *(["--atecc"] if "atecc" in name else []), log)
    err = res.stderr.decode()
    if res.returncode == 0 or not re.search(re.escape(os.path.basename(log)) + r":\d+: ", err):
        return [f"{name}: expected a refusal naming the line, got exit {res.returncode}: {err!r}"]
    return []


def main():
    binary = os.path.join(ROOT, sys.argv[1])
    passed = failed = 0
    cases = [(check_log, p) for p in sorted(glob.glob(os.path.join(DIR, "*_*.log")))
             if not os.path.basename(p).startswith("bad_")]
    cases += [(check_bad, p) for p in sorted(glob.glob(os.path.join(DIR, "bad_*.log")))]
    for fn, path in cases:
        errors = fn(binary, path)
        for e in errors:
            print("FAIL " + e)
        if errors:
            failed += 1
        else:
            passed += 1
            print(f"ok   {os.path.basename(path)}")
    # the encoder mode prints what the library sends: published bytes
    for args, want in ((["info"], "03 07 30 00 00 00 03 5D"), (["random"], "03 07 1B 00 00 00 24 CD"),
                       (["read-config", "0"], "03 07 02 80 00 00 09 AD"),
                       (["pubkey", "2"], "03 07 40 00 02 00 06 85"), (["counter", "0"], "03 07 24 00 00 00 0C FD")):
        got = run(binary, "--atecc-encode", *args).stdout.decode().strip()
        if got == want:
            passed += 1
            print(f"ok   --atecc-encode {' '.join(args)}")
        else:
            failed += 1
            print(f"FAIL --atecc-encode {' '.join(args)}: {got!r}, want {want!r}")
    print(f"replay: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
