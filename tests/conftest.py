from __future__ import annotations

import pytest

from impactcheck.core.loader import load_ruleset
from tests.support import ARCHIVE, RULES


@pytest.fixture(scope="session")
def kassel():
    return load_ruleset(RULES / "kassel-2030.yaml")


@pytest.fixture(scope="session")
def kassel_2026_1():
    """The archived 2026.1 catalogue: the engine and the renderers must keep handling what it says."""
    return load_ruleset(ARCHIVE / "kassel-2030.yaml")


@pytest.fixture(scope="session")
def schnell():
    return load_ruleset(RULES / "schnellcheck.yaml")
