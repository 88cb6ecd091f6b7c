"""The rule set a stored check was evaluated with, for rendering its Result in another language.

`core.localize` resolves a Result's texts from ids through the rule set; the right one is the rule set
of the same SHA-256 the check recorded. The shipped rule set usually is it; after a catalogue change
the exact text comes from the snapshot kept at submission (`RulesetSnapshot`, written by
`operations.submit`), loaded once per SHA-256 and kept in memory. A check stored before snapshots
existed gets the current rule set of its id (localize then takes only English texts from it).
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from impactcheck.core.errors import InputError
from impactcheck.store.models import Revision, RulesetSnapshot

_LOADED: OrderedDict[tuple[str, str | None], Any] = OrderedDict()
_LOCK = threading.Lock()
_KEEP = 16  # rule sets in memory; a few versions are in use at a time


def ruleset_of(s: Session, revision: Revision, current: Callable[[str], Any] | None = None) -> Any | None:
    """The rule set `revision`'s Result was evaluated with, else the current one of its id, else None."""
    stored = (revision.result or {}).get("ruleset") or {}
    sha = stored.get("sha256") or revision.ruleset_sha256
    factors_sha = (stored.get("factors") or {}).get("sha256") or revision.factors_sha256
    ident = stored.get("id") or revision.ruleset_id
    now = None
    if current is not None and ident:
        try:
            now = current(ident)
        except (InputError, OSError):
            now = None
    if now is not None and now.sha256 == sha and _factors_sha(now) == factors_sha:
        return now
    if sha:
        exact = _from_snapshot(s, sha, factors_sha)
        if exact is not None:
            return exact
    return now


def _factors_sha(ruleset: Any) -> str | None:
    table = ruleset.factor_table
    return table._sha256 if table is not None else None


def _from_snapshot(s: Session, sha: str, factors_sha: str | None) -> Any | None:
    key = (sha, factors_sha)
    with _LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
    rows = {
        row.sha256: row
        for row in s.scalars(select(RulesetSnapshot).where(RulesetSnapshot.sha256.in_([x for x in key if x])))
    }
    rule = rows.get(sha)
    if rule is None or rule.kind != "ruleset" or (factors_sha and factors_sha not in rows):
        return None
    from impactcheck.core.loader import FACTORS_DIR, load_ruleset

    with tempfile.TemporaryDirectory(prefix="impactcheck-snapshot-") as folder:
        path = Path(folder) / f"{rule.ident}.yaml"
        path.write_text(rule.content, encoding="utf-8", newline="")  # byte for byte: the SHA-256 must hold
        if factors_sha:
            table = rows[factors_sha]
            (Path(folder) / FACTORS_DIR).mkdir()
            (Path(folder) / FACTORS_DIR / f"{table.ident}.yaml").write_text(table.content, encoding="utf-8", newline="")
        try:
            ruleset = load_ruleset(path)
        except InputError:
            return None  # a snapshot the current loader refuses: render with the current rule set
    if ruleset.sha256 != sha or _factors_sha(ruleset) != factors_sha:
        return None
    with _LOCK:
        _LOADED[key] = ruleset
        while len(_LOADED) > _KEEP:
            _LOADED.popitem(last=False)
    return ruleset


def localized_result(s: Session, revision: Revision, locale: str | None, current: Callable[[str], Any] | None = None):
    """The stored Result of `revision` with its texts in `locale` (German: as stored; core.localize)."""
    from impactcheck.core.i18n import normalise
    from impactcheck.core.localize import localize
    from impactcheck.core.result import result_from_dict

    stored = result_from_dict(revision.result)
    if normalise(locale) == "de":
        return stored
    return localize(stored, ruleset_of(s, revision, current), locale)
