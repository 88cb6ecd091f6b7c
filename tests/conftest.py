from __future__ import annotations

import pytest

from impactcheck.core.loader import load_ruleset
from tests.support import RULES


@pytest.fixture(scope="session")
def kassel():
    return load_ruleset(RULES / "kassel-2030.yaml")


@pytest.fixture(scope="session")
def schnell():
    return load_ruleset(RULES / "schnellcheck.yaml")
