"""Fixtures shared by the integration and contract tests."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aifbtest import Daemon  # noqa: E402
from promserver import prometheus  # noqa: E402,F401  (one Prometheus for the whole session)


@pytest.fixture(scope="module")
def aifbd():
    """One aifbd for a test module: started once, stopped at the end with all it started."""
    d = Daemon().start()
    yield d
    d.cleanup()


@pytest.fixture
def fresh_aifbd():
    """An aifbd of the test's own (for restarts and kills)."""
    d = Daemon()
    yield d
    d.cleanup()
