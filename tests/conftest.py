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


# --- the corpus counts (tests/word/test_corpus.py), the very last line of the run -----------------
# Under pytest-xdist every worker counts its own share; each hands its counts to the controller.
CORPUS_TOTAL = {"inserted": 0, "rejected": 0, "crashed": 0}


def _corpus_tally() -> dict[str, int]:
    import sys

    module = sys.modules.get("tests.word.test_corpus")  # only where the corpus tests were collected
    return dict(module.TALLY) if module is not None else {}


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker
        workeroutput["corpus"] = _corpus_tally()
    else:
        for key, n in _corpus_tally().items():
            CORPUS_TOTAL[key] += n


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for key, n in getattr(node, "workeroutput", {}).get("corpus", {}).items():
        CORPUS_TOTAL[key] += n


def pytest_unconfigure(config):
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and getattr(config, "workeroutput", None) is None and any(CORPUS_TOTAL.values()):
        reporter.write_line(
            f"corpus: {CORPUS_TOTAL['inserted']} inserted, {CORPUS_TOTAL['rejected']} rejected with a clear error, "
            f"{CORPUS_TOTAL['crashed']} crashed"
        )
