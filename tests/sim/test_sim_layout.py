"""sim/ by layer (sim/README.md): which package may import which, and
`--dialect` reaching sim/dialects/ only."""

import ast
import os

import pytest

from sim.__main__ import load_dialect
from sim.common.core import Dialect

SIM = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "sim")
PACKAGES = ("common", "dialects", "network", "chips")

# package -> the other packages its modules may import (sim/README.md)
ALLOWED = {
    "common": set(),
    "network": set(),
    "chips": set(),
    "dialects": {"common", "network"},
}
# the harness starts simulators of any dialect: its one way up
EXCEPTIONS = {("common", "testing.py"): {"dialects"}}


def modules(package):
    folder = os.path.join(SIM, package)
    return sorted(name for name in os.listdir(folder) if name.endswith(".py"))


def imported_packages(package, filename, root=SIM):
    """The sim packages a module imports, relative or absolute imports alike."""
    with open(os.path.join(root, package, filename), encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.add(package)
            elif node.level == 2:
                # from ..X import ... / from .. import X
                names = [node.module] if node.module else [a.name for a in node.names]
                found.update(n.split(".")[0] for n in names)
            elif node.level == 0 and node.module and node.module.split(".")[0] == "sim":
                parts = node.module.split(".")
                found.add(parts[1] if len(parts) > 1 else "?")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "sim":
                    found.add(parts[1] if len(parts) > 1 else "?")
    return found


def test_every_module_is_in_a_layer_package():
    top = sorted(n for n in os.listdir(SIM) if n.endswith((".py", ".c")))
    assert top == ["__init__.py", "__main__.py"]
    for package in PACKAGES:
        assert "__init__.py" in modules(package), package


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layers(package):
    for filename in modules(package):
        allowed = ALLOWED[package] | {package} | EXCEPTIONS.get((package, filename), set())
        extra = imported_packages(package, filename) - allowed
        assert not extra, f"sim/{package}/{filename} imports {sorted(extra)}"


def test_the_import_check_sees_a_crossing(tmp_path):
    # the checker itself: each form of a chip module reaching up to a dialect
    (tmp_path / "chips").mkdir()
    (tmp_path / "chips" / "bad.py").write_text(
        "from . import certdef\n"
        "from ..dialects import sequans\n"
        "from .. import network\n"
        "import sim.common.core\n"
        "def f():\n    from sim.dialects.generic import GenericDialect\n")
    assert imported_packages("chips", "bad.py", root=str(tmp_path)) == {
        "chips", "dialects", "network", "common"}


@pytest.mark.parametrize("name", [n[:-3] for n in modules("dialects") if n != "__init__.py"])
def test_every_dialect_module_loads_by_name(name):
    dialect = load_dialect(name)
    assert isinstance(dialect, Dialect)
    assert dialect.name == name


@pytest.mark.parametrize("name", ["core", "atecc", "netio", "testing", "common", "dialects"])
def test_dialect_names_cannot_reach_other_layers(name):
    with pytest.raises(ValueError, match="no dialect|does not define DIALECT"):
        load_dialect(name)
