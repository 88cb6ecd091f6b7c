"""The pure core: rule model, loader, conditions and evaluation. No Flask, no database, no Word.

The names below are imported on first use (PEP 562), so `impactcheck --help` and commands that need
only the error types do not build the rule model (pydantic) first.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AnswersError": "impactcheck.core.errors",
    "InputError": "impactcheck.core.errors",
    "Problem": "impactcheck.core.errors",
    "RuleFileError": "impactcheck.core.errors",
    "check_answers": "impactcheck.core.evaluate",
    "evaluate": "impactcheck.core.evaluate",
    "steps_for": "impactcheck.core.evaluate",
    "load_factor_table": "impactcheck.core.loader",
    "load_ruleset": "impactcheck.core.loader",
    "RuleSet": "impactcheck.core.model",
    "Result": "impactcheck.core.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'impactcheck.core' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
