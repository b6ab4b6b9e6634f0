"""Shared fixtures for the simulator tests.

No __init__.py in this directory on purpose: as a package it would be named
'sim' and shadow the simulator package itself.
"""

import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from sim.faults import Faults  # noqa: E402
from sim.generic import GenericDialect  # noqa: E402
from sim.testing import InProcessSim  # noqa: E402


@pytest.fixture
def make_sim():
    """Factory for in-process simulators, all stopped at test end."""
    started = []

    def make(dialect=None, **kwargs):
        s = InProcessSim(dialect or GenericDialect(), **kwargs).__enter__()
        started.append(s)
        return s

    yield make
    for s in started:
        s.__exit__(None, None, None)


@pytest.fixture
def sim(make_sim):
    """A generic-dialect simulator, synchronised on +SYSSTART."""
    return make_sim()


@pytest.fixture
def quiet_sim(make_sim):
    """Like `sim` but with echo off, for exact response comparisons."""
    s = make_sim()
    assert s.port.command(b"ATE0") == b"ATE0\r\r\nOK\r\n"
    return s


@pytest.fixture
def seeded_faults():
    return Faults(seed=1234)
