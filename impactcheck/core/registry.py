"""Where rule sets live and how an id or a path becomes a loaded RuleSet."""

from __future__ import annotations

import os
from pathlib import Path

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.loader import FACTORS_DIR, load_ruleset
from impactcheck.core.model import RuleSet

DEFAULT_RULESET = "kassel-2030"


def rules_dir() -> Path:
    """IMPACTCHECK_RULES_DIR, else the `rules/` folder of the checkout."""
    configured = os.environ.get("IMPACTCHECK_RULES_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "rules"


def ruleset_files(directory: Path | None = None) -> list[Path]:
    directory = directory or rules_dir()
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def factor_files(directory: Path | None = None) -> list[Path]:
    directory = directory or rules_dir()
    return sorted(p for p in (directory / FACTORS_DIR).glob("*.yaml") if p.is_file())


def available_ids(directory: Path | None = None) -> list[str]:
    return [p.stem for p in ruleset_files(directory)]


def looks_like_path(value: str) -> bool:
    return os.sep in value or "/" in value or value.endswith((".yaml", ".yml", ".json"))


def resolve_ruleset(id_or_path: str, directory: Path | None = None) -> RuleSet:
    """A rule set by id (a file `<id>.yaml` in the rules folder) or by path."""
    if looks_like_path(id_or_path) or Path(id_or_path).is_file():
        return load_ruleset(id_or_path)
    directory = directory or rules_dir()
    candidate = directory / f"{id_or_path}.yaml"
    if not candidate.is_file():
        known = ", ".join(available_ids(directory)) or "keine"
        raise InputError(Problem(f"Regelwerk „{id_or_path}“ unbekannt; vorhanden: {known}", str(directory)))
    return load_ruleset(candidate)
