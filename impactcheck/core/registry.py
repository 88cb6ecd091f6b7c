"""Where rule sets live and how an id or a path becomes a loaded RuleSet."""

from __future__ import annotations

import os
from pathlib import Path

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_, Message
from impactcheck.core.loader import FACTORS_DIR, load_ruleset
from impactcheck.core.model import RuleSet


def rules_dir() -> Path:
    """The rule sets shipped in the package. The installation's folder is the setting RULES_DIR
    (impactcheck.settings.rules_dir); callers that know the installation pass it as `directory`."""
    return Path(__file__).resolve().parents[1] / "rules"


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
        known = ", ".join(available_ids(directory)) or Message(N_("keine"))
        message = Message(N_("Regelwerk „{id}“ unbekannt; vorhanden: {known}"), id=id_or_path, known=known)
        raise InputError(Problem(message, str(directory)))
    return load_ruleset(candidate)


class RulesetCache:
    """Loaded rule sets by id, reloaded when the rule file or its factor table changes on disk.

    A city edits its catalogue without a restart; a long-running web app must notice.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = directory
        self._cache: dict[str, tuple[tuple[int, ...], RuleSet]] = {}

    def _stamp(self, path: Path, ruleset: RuleSet | None) -> tuple[int, ...]:
        st = path.stat()
        stamps = [st.st_mtime_ns, st.st_size]
        if ruleset is not None and ruleset.factor_table is not None:
            factors = Path(ruleset.factor_table._path).stat()
            stamps += [factors.st_mtime_ns, factors.st_size]
        return tuple(stamps)

    def _fresh(self, path: Path, cached: tuple[tuple[int, ...], RuleSet] | None) -> RuleSet | None:
        if cached is None:
            return None
        try:
            return cached[1] if self._stamp(path, cached[1]) == cached[0] else None
        except OSError:
            return None

    def get(self, ruleset_id: str) -> RuleSet:
        directory = self.directory or rules_dir()
        path = directory / f"{ruleset_id}.yaml"
        found = self._fresh(path, self._cache.get(ruleset_id))
        if found is not None:
            return found
        # Another cache of this process may have read the same unchanged file (a municipality's
        # folder and the shared one, several apps in one process): parse it once.
        key = str(path.resolve())
        entry = _LOADED.get(key)
        if self._fresh(path, entry) is None:
            ruleset = resolve_ruleset(ruleset_id, directory)
            entry = (self._stamp(path, ruleset), ruleset)
            _LOADED[key] = entry
            while len(_LOADED) > _LOADED_MAX:
                _LOADED.pop(next(iter(_LOADED)))
        self._cache[ruleset_id] = entry
        return entry[1]


# Loaded rule sets by file, shared by every RulesetCache of the process (the oldest dropped first).
_LOADED: dict[str, tuple[tuple[int, ...], RuleSet]] = {}
_LOADED_MAX = 32
