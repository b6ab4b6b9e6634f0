#!/usr/bin/env python3
"""check_citations.py - the header and the docs cite only the repository: no
citation of the project's private notes (they live outside the repository, a
user who copies secmodem.h cannot follow them), and every ledger row the
header cites ("docs/atecc.md A-3", "docs/sequans.md C-41, R-41",
"docs/cordelia.md C5") exists in that ledger, and every wire-contract
section it cites ('contract "Wi-Fi"') exists in sim/*_contract.md. The
header also cites no file of another project (a path with a line, a commit
pin, a driver repository's name: FORBIDDEN_HEADER); such sources belong in
the ledger rows it cites.

Usage: check_citations.py [--header FILE] [FILE...]
  With no FILE, checks secmodem.h, README.md, CONTRIBUTING.md, docs/*.md,
  sim/*.md and examples/**, and (for the stricter forms, not a bare "the
  notes") every text file git lists under sim/ and tests/. --header names
  another header to check in place of secmodem.h (e.g. an older one:
  git show ac9871e:secmodem.h > /tmp/old.h).
Prints one line per finding and "N passed, N failed" last; exit status 1 on
any failure.
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What a citation of the notes looks like: "notes §3", "notes section 5",
# "notes/cordelia.md", "../shared", "shared/notes", "the project notes",
# "the notes' vectors", "(the notes §6.2)".
FORBIDDEN = [
    (re.compile(r"notes\s*§"), 'cites "notes §"'),
    (re.compile(r"notes\s+section", re.I), 'cites "notes section"'),
    (re.compile(r"\bnotes/"), 'cites a file under "notes/"'),
    (re.compile(r"\.\./shared"), 'cites "../shared"'),
    (re.compile(r"\bshared/notes\b"), 'cites "shared/notes"'),
    (re.compile(r"project notes", re.I), 'cites "the project notes"'),
]
# In the header and the user's documents also the bare "the notes" (in the
# simulators and tests it may name a file of the repository, e.g.
# tests/coverage_notes.md).
FORBIDDEN_USER_DOCS = FORBIDDEN + [
    (re.compile(r"\bthe notes\b", re.I), 'cites "the notes"'),
]
# The header's comments cite the repository's own docs (the ledgers, the
# contracts), never a file of another project: a user who copies secmodem.h
# cannot follow "ATFile.c:279-296", and the ledger row keeps that source
# (repository, commit, path, line) next to its verdict, in one place. So in
# the header only (docs/*.md exist to hold these sources; sim/ and tests/
# may name what they reproduce) none of these may stand. A match that names
# a path of this repository ("secmodem.h:12", "tests/unit/at/x.c") is
# allowed: see header_source_ok(). Prose that says whose behaviour a
# reading follows ("as cryptoauthlib does", "Microchip's driver") is fine.
FORBIDDEN_HEADER = [
    # a file with a line: "ATFile.c:279", "src/lte.cpp:219-280", "CHANGELOG.md:222"
    (re.compile(r"\b(?P<path>[\w./-]+\.(?:c|h|cpp|hpp|tpp|rs|py|ino|md))(?::\d+)"),
     "cites a file of another project with a line"),
    # a source file without a line ("mqtt_client.cpp", "calib_execution.c");
    # not .h: "#include <stdint.h>", "Arduino.h" are the header's own text
    (re.compile(r"\b(?P<path>[\w./-]+\.(?:c|cpp|tpp|rs|ino))\b(?!:\d)"),
     "cites a source file of another project"),
    # a path under another project's source folders ("lib/atcacert",
    # "Examples/Calypso/...", "src/command/...")
    (re.compile(r"(?<![\w./-])(?P<path>(?:lib|src|Examples|Core|esp32|clicks)/[\w./-]*\w)"),
     "cites a path of another project"),
    # a commit pin: "@5ffc687", "sequans-rs@3ee671f"
    (re.compile(r"@[0-9a-f]{7,40}\b"), "pins a commit of another project"),
    # the external repositories the ledgers cite, by name or owner/
    (re.compile(r"\bwalter-(?:arduino|esp-idf|micropython)\b"), "names a Walter driver repository"),
    (re.compile(r"\bsequans-rs\b|\bmonarch2/"), "names the sequans-rs repository"),
    (re.compile(r"\bWCON_SDK\b|\bWCON_Drivers\b|\bWirelessConnectivity-SDK"),
     "names Wurth's SDK repository"),
    (re.compile(r"\bavr-iot-cellular-arduino-library\b|\bpycom-micropython-sigfox\b"
                r"|\bgateway-mfr-rs\b|\bmikrosdk_click_v2\b|\biot-cybersecurity-seminar\b"),
     "names another project's repository"),
    (re.compile(r"\b(?:MicrochipTech|microchip-pic-avr-solutions|WurthElektronik|QuickSpot"
                r"|sevents-os|vshymanskyy|awong-dev|MikroElektronika|cryptoquantique|kufirre)/"),
     "names another project's repository (owner/)"),
    # function-level citations of cryptoauthlib and of the drivers' files
    (re.compile(r"\bcalib_\w+"), "cites a cryptoauthlib function"),
    (re.compile(r"\blte\.cpp\b|\bmqtt_client\.cpp\b"), "cites a Microchip driver file"),
    (re.compile(r"\bTinyGsm\w*\.(?:tpp|h)\b"), "cites a TinyGSM file"),
]
# Where no citation of a file outside the repository may stand, beyond the
# header and the user's documents: the simulators and the tests (their
# checker and its own test excepted: they hold the forbidden forms).
SOURCE_TREES = ["sim", "tests"]
SOURCE_EXT = (".py", ".c", ".h", ".md", ".log", ".txt", ".sh")
EXEMPT = {"tests/check_citations.py", "tests/sim/test_check_citations.py"}

# A ledger row id: "C-17", "R-41", "A-3" (docs/sequans.md, docs/atecc.md) or
# "C5", "D3a", "F1" (docs/cordelia.md).
ROW_ID = r"[A-Z]{1,2}-?\d+[a-z]?"
# "docs/<x>.md" then one or more row ids, separated by ",", "/", "and" or
# white space (comments wrap), optionally after the word "row(s)".
CITE = re.compile(r"docs/([\w-]+)\.md((?:(?:\s*,\s*|\s*/\s*|\s+and\s+|\s+rows?\s+|\s+)"
                  + ROW_ID + r"\b)+)")
ROW_IN_CITE = re.compile(ROW_ID)
ROW_IN_LEDGER = re.compile(r"^\|\s*(" + ROW_ID + r")\s*\|", re.M)
# 'contract "<section>"' (or 'contract: <Section>', a capitalised title up
# to ) , ; or .): the title of a section ("## <title>") of one of the
# simulators' wire contracts, or the start of it ("Sockets" for "Sockets
# (Calypso model; ...)").
CONTRACT_CITE = re.compile(r'contract "([^"]+)"|contract: ([A-Z][\w -]*?)\s*(?=[),;.]|$)', re.M)
CONTRACTS = ["sim/sequans_contract.md", "sim/cordelia_contract.md"]


def default_files():
    files = ["README.md", "CONTRIBUTING.md"]
    files += sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    files += sorted(glob.glob(os.path.join(ROOT, "sim", "*.md")))
    files += sorted(p for p in glob.glob(os.path.join(ROOT, "examples", "**", "*"), recursive=True)
                    if os.path.isfile(p))
    return [os.path.relpath(os.path.join(ROOT, f), ROOT) for f in files]


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
        return f.read()


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def ledger_rows(name, cache):
    """The row ids of docs/<name>.md, or None when there is no such file."""
    if name not in cache:
        path = os.path.join(ROOT, "docs", name + ".md")
        cache[name] = set(ROW_IN_LEDGER.findall(read(path))) if os.path.exists(path) else None
    return cache[name]


def source_files():
    """The simulators' and tests' text files, as git lists them (tracked, or
    new and not ignored)."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                          *SOURCE_TREES], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True).stdout.split()
    return [p for p in out if p.endswith(SOURCE_EXT) and p not in EXEMPT
            and os.path.isfile(os.path.join(ROOT, p))]


def check_forbidden(path, text, problems, patterns=None):
    """One check per file: passes when no pattern matches."""
    found = 0
    for rx, what in patterns or FORBIDDEN_USER_DOCS:
        for m in rx.finditer(text):
            problems.append(f"{path}:{line_of(text, m.start())}: {what}: ...{m.group(0)}...")
            found += 1
    return found == 0


def header_source_ok(m):
    """A FORBIDDEN_HEADER match that names a path of this repository (it
    exists under ROOT) is the header citing its own tree, not another
    project."""
    path = m.groupdict().get("path")
    return bool(path) and os.path.exists(os.path.join(ROOT, path))


def check_header_sources(path, text, problems):
    """One check for the header: passes when no FORBIDDEN_HEADER pattern
    matches (outside paths of this repository)."""
    found = 0
    for rx, what in FORBIDDEN_HEADER:
        for m in rx.finditer(text):
            if header_source_ok(m):
                continue
            problems.append(f"{path}:{line_of(text, m.start())}: {what}: ...{m.group(0)}...")
            found += 1
    return found == 0


def check_rows(path, text, problems, cache):
    """One check per cited row id; returns (passed, failed)."""
    passed = failed = 0
    for m in CITE.finditer(text):
        rows = ledger_rows(m.group(1), cache)
        for rid in ROW_IN_CITE.findall(m.group(2)):
            if rows is not None and rid in rows:
                passed += 1
                continue
            why = "no such ledger" if rows is None else "no such row"
            problems.append(f"{path}:{line_of(text, m.start())}: docs/{m.group(1)}.md {rid}: {why}")
            failed += 1
    return passed, failed


def contract_titles():
    titles = []
    for path in CONTRACTS:
        full = os.path.join(ROOT, path)
        if os.path.exists(full):
            titles += re.findall(r"^## (.+)$", read(path), re.M)
    return titles


def check_contracts(path, text, problems):
    """One check per 'contract "<section>"' citation; returns (passed, failed)."""
    titles = contract_titles()
    passed = failed = 0
    for m in CONTRACT_CITE.finditer(text):
        name = m.group(1) or m.group(2)  # 'contract "<title>"' or 'contract: <Title>'
        if any(t == name or t.startswith(name + " ") for t in titles):
            passed += 1
            continue
        problems.append(f"{path}:{line_of(text, m.start())}: contract \"{name}\": "
                        f"no such section in {' or '.join(CONTRACTS)}")
        failed += 1
    return passed, failed


def main(argv):
    header = "secmodem.h"
    files = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--header" and args:
            header = args.pop(0)
        else:
            files.append(a)
    sources = []
    if not files:
        files = default_files()
        sources = source_files()
    passed = failed = 0
    problems = []
    cache = {}
    for path in [header] + files:
        text = read(path)
        if check_forbidden(path, text, problems):
            passed += 1
        else:
            failed += 1
    bad_sources = [path for path in sources
                   if not check_forbidden(path, read(path), problems, FORBIDDEN)]
    # the simulators and tests count as one check: they are many files
    if bad_sources:
        failed += 1
    elif sources:
        passed += 1
    text = read(header)
    # the header cites no file of another project (one check)
    if check_header_sources(header, text, problems):
        passed += 1
    else:
        failed += 1
    p, f = check_rows(header, text, problems, cache)
    passed += p
    failed += f
    p, f = check_contracts(header, text, problems)
    passed += p
    failed += f
    for line in problems:
        print(line)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
