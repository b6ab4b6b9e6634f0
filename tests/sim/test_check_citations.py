"""test_check_citations.py - tests/check_citations.py passes on the repository
as it is and fails on each kind of citation it exists to stop: the private
notes ("notes §3", "notes section 5", "notes/cordelia.md", "../shared"), a
ledger row that does not exist, a wire-contract section that does not exist,
and, in the header only, a citation of another project's file ("ATFile.c:279",
a commit pin, a driver repository's name) where a ledger row belongs.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "tests", "check_citations.py")
HEADER = os.path.join(ROOT, "secmodem.h")


def run(*args):
    proc = subprocess.run([sys.executable, CHECK, *args], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    return proc.returncode, proc.stdout


def header_with(tmp_path, extra):
    """A copy of secmodem.h with one more comment at its end."""
    with open(HEADER, encoding="utf-8") as f:
        text = f.read()
    path = tmp_path / "secmodem.h"
    path.write_text(text + "\n/* " + extra + " */\n", encoding="utf-8")
    return str(path)


def test_repository_passes():
    rc, out = run()
    assert rc == 0, out
    assert out.strip().splitlines()[-1].endswith(" passed, 0 failed")


def test_every_form_of_a_notes_citation_fails(tmp_path):
    for text in ("the wake pulse (notes §3)", "limits from notes section 5",
                 "(notes/cordelia.md)", "see ../shared/notes", "as in the project notes",
                 "(the notes §6.2)"):
        rc, out = run("--header", header_with(tmp_path, text))
        assert rc == 1, text
        assert out.strip().splitlines()[-1].endswith(" passed, 1 failed"), (text, out)


def test_a_missing_ledger_row_fails(tmp_path):
    for text, row in (("docs/atecc.md A-99", "A-99"), ("docs/sequans.md C-12, R-999", "R-999"),
                      ("docs/cordelia.md D99", "D99"), ("docs/nosuch.md A-1", "A-1")):
        rc, out = run("--header", header_with(tmp_path, text))
        assert rc == 1, text
        assert row in out and ("no such row" in out or "no such ledger" in out), out


def test_a_missing_contract_section_fails(tmp_path):
    rc, out = run("--header", header_with(tmp_path, 'contract "TLS sockets"'))
    assert rc == 1
    assert 'contract "TLS sockets": no such section' in out


def test_a_missing_contract_section_in_the_colon_form_fails(tmp_path):
    rc, out = run("--header", header_with(tmp_path, "(contract: MQTT)"))
    assert rc == 1
    assert 'contract "MQTT": no such section' in out
    rc, out = run("--header", header_with(tmp_path, "(contract: Built-in MQTT client)"))
    assert rc == 0, out


def test_rows_and_sections_that_exist_pass(tmp_path):
    rc, out = run("--header", header_with(
        tmp_path, 'docs/atecc.md A-8, A-9; docs/sequans.md C-12; docs/cordelia.md D3a; '
                  'contract "Sockets"; contract "Wi-Fi"'))
    assert rc == 0, out


def test_a_header_citing_a_file_of_another_project_fails(tmp_path):
    for text, shown in (
            ("the driver reads flags as text (ATFile.c:279-296)", "ATFile.c:279"),
            ("(WCON_SDK/WCON_Drivers/CordeliaI/CordeliaI.c:530-551)", "CordeliaI.c:530"),
            ("the form MCHP sends (lte.cpp:253)", "lte.cpp"),
            ("as Microchip's mqtt_client.cpp reads it", "mqtt_client.cpp"),
            ("sevents-os/sequans-rs@3ee671f quotes the manual", "@3ee671f"),
            ("a GM02SP: walter-arduino issues 109 and 143", "walter-arduino"),
            ("(docs/atecc.md A-20, cryptoauthlib calib_execute_receive)", "calib_execute_receive"),
            ("not in the event tables (ATEvent.c:\n   174-189)", "ATEvent.c"),
            ("cryptoauthlib's lib/atcacert as the reference", "lib/atcacert"),
            ("TinyGsmClientSequansMonarch.h shows it", "TinyGsmClientSequansMonarch.h")):
        rc, out = run("--header", header_with(tmp_path, text))
        assert rc == 1, (text, out)
        assert out.strip().splitlines()[-1].endswith(" passed, 1 failed"), (text, out)
        assert shown in out, (text, out)


def test_a_header_citing_the_ledger_instead_passes(tmp_path):
    """The ledger row in place of the file, prose that says whose behaviour
    it is, and the header's own kinds of names (a system header, a file of
    this repository, Arduino.h as the reason for a name) all pass."""
    rc, out = run("--header", header_with(
        tmp_path, "the driver reads flags as text (docs/cordelia.md C5); as cryptoauthlib "
                  "does (docs/atecc.md A-5); #include <stdint.h>; sim/cordelia_contract.md; "
                  "tests/unit/at/test_third_dialect.c; secmodem.h:12; not min() (Arduino.h)"))
    assert rc == 0, out


def test_a_ledger_may_hold_the_file_citations(tmp_path):
    """The rule is the header's: a document (a ledger) holds such sources."""
    doc = tmp_path / "ledger.md"
    doc.write_text("| D7 | x | WurthElektronik/WirelessConnectivity-SDK_STM32@96c93e8:"
                   "WCON_SDK/WCON_Drivers/CordeliaI/ATCommands/ATFile.c:279-296 | confirmed |\n",
                   encoding="utf-8")
    rc, out = run(str(doc))
    assert rc == 0, out


def test_a_doc_citing_the_notes_fails(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("Started from `shared/notes/fidelity-audit.md`.\n", encoding="utf-8")
    rc, out = run(str(doc))
    assert rc == 1
    assert "shared/notes" in out


def test_a_simulator_or_test_file_citing_the_notes_fails():
    """A new file under tests/ (not yet added to git) is checked too."""
    path = os.path.join(ROOT, "tests", "sim", "_cite_probe_tmp.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write("T_WHI_MS = 1.5  # notes §3\n")
    try:
        rc, out = run()
    finally:
        os.remove(path)
    assert rc == 1
    assert "tests/sim/_cite_probe_tmp.py:1" in out
