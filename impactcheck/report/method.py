"""Which rule set versions and factor tables the year's stored results rest on, read from the stored
snapshots (table `ruleset_snapshot`, by SHA-256), never from today's rule files: a past year's report
built again names the same versions, labels and sources.

One statement finds the versions (grouped over the filed revisions of the year's checks); one more
reads the snapshots' texts, parsed here for titles, labels and sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from impactcheck.store.models import Check, Revision, RulesetSnapshot

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class RulesetUse:
    """One rule set version the year's results were computed with, and how many checks rest on it."""

    id: str
    version: str | None
    sha256: str | None
    title: str | None  # from the snapshot; None where the text was not kept
    factors_sha256: str | None
    checks: int


@dataclass(frozen=True)
class FactorTableUse:
    id: str
    sha256: str
    title: str | None
    sources: tuple[str, ...]  # every distinct source cited by its factors and typical values
    entries: int  # factors and typical values in the table


@dataclass(frozen=True)
class FactorUse:
    """A factor or typical value the year's stored results calculate with, as they cite it."""

    id: str
    label: str
    value: float | None
    unit: str
    year: int | None
    source: str
    results: int  # stored results (proposal or alternative) that use it


@dataclass(frozen=True)
class Method:
    rulesets: tuple[RulesetUse, ...]
    factor_tables: tuple[FactorTableUse, ...]
    factors: tuple[FactorUse, ...] = ()
    # Labels as the stored rule sets gave them (first rule set that names an id wins).
    sector_labels: dict[str, str] = field(default_factory=dict)
    exit_labels: dict[str, str] = field(default_factory=dict)


def _parse(text: str) -> dict:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _sources(data: dict) -> tuple[str, ...]:
    found = []
    for entry in [*(data.get("factors") or []), *(data.get("typical_values") or [])]:
        if isinstance(entry, dict) and entry.get("source"):
            found.append(" ".join(str(entry["source"]).split()))
    return tuple(sorted(set(found), key=str.casefold))


def _labels(entries: Iterable, into: dict[str, str]) -> None:
    for entry in entries or ():
        if isinstance(entry, dict) and entry.get("id") and entry.get("label"):
            into.setdefault(str(entry["id"]), str(entry["label"]))


def method_of(s: Session, selection: Select) -> Method:
    """The rule sets and factor tables of the filed revisions of the checks in `selection` (over Check)."""
    filed = and_(Revision.check_id == Check.id, Revision.number == Check.filed_number)
    keys = (Revision.ruleset_id, Revision.ruleset_version, Revision.ruleset_sha256, Revision.factors_sha256)
    rows = s.execute(
        selection.with_only_columns(*keys, func.count(Check.id))
        .join_from(Check, Revision, filed)
        .group_by(*keys)
        .order_by(Revision.ruleset_id, Revision.ruleset_version, Revision.ruleset_sha256)
    ).all()
    wanted = {r[2] for r in rows if r[2]} | {r[3] for r in rows if r[3]}
    texts = {
        sha: (kind, ident, content)
        for sha, kind, ident, content in s.execute(
            select(RulesetSnapshot.sha256, RulesetSnapshot.kind, RulesetSnapshot.ident, RulesetSnapshot.content).where(
                RulesetSnapshot.sha256.in_(sorted(wanted))
            )
        )
    }
    parsed = {sha: _parse(content) for sha, (_kind, _ident, content) in texts.items()}
    sectors: dict[str, str] = {}
    exits: dict[str, str] = {}
    rulesets = []
    # The most used version first: its labels win.
    for ident, version, sha, factors_sha, n in sorted(rows, key=lambda r: (-int(r[4]), r[0], r[1] or "")):
        data = parsed.get(sha or "", {})
        _labels(data.get("sectors"), sectors)
        _labels((data.get("screening") or {}).get("exit_reasons"), exits)
        rulesets.append(RulesetUse(ident, version, sha, data.get("title"), factors_sha, int(n)))
    rulesets.sort(key=lambda r: (r.id, r.version or "", r.sha256 or ""))
    tables = []
    for sha in sorted({r.factors_sha256 for r in rulesets if r.factors_sha256}):
        _kind, ident, _content = texts.get(sha, ("factors", "?", ""))
        data = parsed.get(sha, {})
        entries = len(data.get("factors") or []) + len(data.get("typical_values") or [])
        tables.append(FactorTableUse(str(data.get("id") or ident), sha, data.get("title"), _sources(data), entries))
    return Method(tuple(rulesets), tuple(tables), _factors_used(s, selection), sectors, exits)


def _factors_used(s: Session, selection: Select) -> tuple[FactorUse, ...]:
    """The factors and typical values cited by the emission lines of the filed results (proposal and
    alternative), read as JSON paths in the database; only checks with figures have lines."""
    filed = and_(Revision.check_id == Check.id, Revision.number == Check.filed_number)
    proposal = Revision.result["emissions"]["lines"]
    alternative = Revision.result["alternative"]["emissions"]["lines"]
    found: dict[str, dict] = {}
    uses: dict[str, set] = {}
    rows = s.execute(
        selection.with_only_columns(Check.id, proposal, alternative)
        .join_from(Check, Revision, filed)
        .where(or_(Check.t_co2e_per_year.is_not(None), Check.alternative_t_co2e_per_year.is_not(None)))
    )
    for check_id, *parts in rows:
        for variant, lines in enumerate(parts):
            for line in lines if isinstance(lines, list) else ():
                if not isinstance(line, dict):
                    continue
                cited = [
                    {
                        "id": line.get("factor_id"),
                        "label": line.get("factor_label"),
                        "value": line.get("factor_value"),
                        "unit": line.get("factor_unit"),
                        "year": line.get("factor_year"),
                        "source": line.get("factor_source"),
                    },
                    *(t for t in line.get("terms") or () if isinstance(t, dict)),
                ]
                for entry in cited:
                    if not entry.get("id") or not entry.get("source"):  # an author's own figure cites nothing
                        continue
                    found.setdefault(str(entry["id"]), entry)
                    uses.setdefault(str(entry["id"]), set()).add((check_id, variant))
    return tuple(
        FactorUse(
            id=ident,
            label=str(e.get("label") or ident),
            value=e.get("value"),
            unit=str(e.get("unit") or ""),
            year=e.get("year"),
            source=" ".join(str(e["source"]).split()),
            results=len(uses[ident]),
        )
        for ident, e in sorted(found.items(), key=lambda item: str(item[1].get("label") or item[0]).casefold())
    )
