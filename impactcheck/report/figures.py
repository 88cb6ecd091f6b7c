"""Every figure of the yearly report, from the database: the overview's aggregates (store/statistics.py)
for the checks submitted in the year, the checks themselves for the annex and the open points, the
rule set versions they rest on (report/method.py) and the council's decisions in the year's budget
(store/budget.py). Only stored results and recorded outcomes count, never today's rules.

"The year's checks" are those submitted in the calendar year (local days of the municipality), as the
overview counts them; "the year's decisions" are the recorded outcomes with a session date in the year.
Decisions dated after the year's end count in no figure of the year (report/decided.py, store/budget.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from impactcheck.core.result import Robustness, _robustness_from
from impactcheck.core.sensitivity import sentences
from impactcheck.report import decided
from impactcheck.report.method import Method, method_of
from impactcheck.store import listing, statistics
from impactcheck.store.current import ADOPTED_VARIANT
from impactcheck.store.models import Check, Municipality, Revision

ROLE = "council"  # the report goes to the council: what was submitted, as councillors see it


@dataclass(frozen=True)
class CheckRow:
    """One check of the year, for the annex and the open points."""

    id: int
    reference: str
    title: str
    department: str
    submitted: dt.date | None
    verdict: str | None
    t_co2e_per_year: float | None
    alternative_verdict: str | None
    outcome: str | None
    outcome_date: dt.date | None
    changed: str | None
    fragile: bool
    open_points: int
    exit_reason: str | None
    ruleset: str  # "id version"

    @property
    def relevant(self) -> bool:
        return self.verdict is not None and self.verdict != "not_relevant"

    @property
    def without_numbers(self) -> bool:
        return self.relevant and self.t_co2e_per_year is None


@dataclass(frozen=True)
class Fragile:
    row: CheckRow
    because: tuple[str, ...]  # the stored Result's sentences: „Das Ergebnis hängt an der Angabe …“


@dataclass(frozen=True)
class BudgetPart:
    """The climate target and the council's decisions against it, for the report's year."""

    budget: Any  # store.budget.Budget
    year: Any  # store.budget.BudgetYear of the report's year, None outside the path
    decisions: tuple[Any, ...]  # the year's decisions (store.budget.Decision), with numbers
    without_numbers: tuple[Any, ...]  # the year's adopted decisions without t CO2e

    @property
    def target(self) -> Any:
        return self.budget.target

    def movers(self, n: int = 10) -> tuple[Any, ...]:
        """The year's decisions with the largest effect either way (over the lifetime, grey included)."""
        with_total = [d for d in self.decisions if d.total_t is not None]
        return tuple(sorted(with_total, key=lambda d: (-abs(d.total_t), d.reference, d.check_id))[:n])


@dataclass(frozen=True)
class ReportFigures:
    municipality: str  # the name
    slug: str
    year: int
    overview: statistics.Overview
    method: Method
    checks: tuple[CheckRow, ...]  # every check of the year, by submission date and reference
    fragile: tuple[Fragile, ...]
    budget: BudgetPart | None

    @property
    def without_numbers(self) -> tuple[CheckRow, ...]:
        return tuple(c for c in self.checks if c.without_numbers)

    @property
    def changed_by_check(self) -> int:
        """Papers changed because of the check (fully or partly), among the year's recorded outcomes."""
        return sum(s.count for s in self.overview.changed if s.key in ("yes", "partly"))

    def sector_label(self, sector: str) -> str:
        return self.method.sector_labels.get(sector, sector)

    def exit_label(self, reason: str | None) -> str:
        return self.method.exit_labels.get(reason, reason) if reason else "ohne Angabe"


def year_filter(year: int, timezone: str) -> listing.RegisterFilter:
    return listing.parse_filter({"von": f"{year}-01-01", "bis": f"{year}-12-31"}, timezone)


def _rows(s: Session, selection, cutoff: dt.date) -> tuple[CheckRow, ...]:
    """The checks; a decision dated after `cutoff` is not shown (it belongs to a later year's report)."""
    columns = (
        Check.id,
        Check.reference,
        Check.title,
        Check.department,
        Check.submitted_at,
        Check.verdict,
        Check.t_co2e_per_year,
        Check.alternative_verdict,
        Check.outcome,
        Check.outcome_date,
        Check.outcome_changed,
        Check.fragile,
        Check.open_points,
        Check.exit_reason,
        Check.ruleset_id,
        Check.ruleset_version,
    )
    rows = s.execute(selection.with_only_columns(*columns).order_by(Check.submitted_at, Check.reference, Check.id))
    rows = [(*r[:8], None, None, None, *r[11:]) if r[9] is not None and r[9] > cutoff else r for r in rows]
    return tuple(
        CheckRow(
            id=r[0],
            reference=r[1],
            title=r[2],
            department=r[3],
            submitted=r[4].date() if r[4] else None,
            verdict=r[5],
            t_co2e_per_year=r[6],
            alternative_verdict=r[7],
            outcome=r[8],
            outcome_date=r[9],
            changed=r[10],
            fragile=bool(r[11]),
            open_points=int(r[12] or 0),
            exit_reason=r[13],
            ruleset=" ".join(p for p in (r[14], r[15]) if p),
        )
        for r in rows
    )


def _fragile(s: Session, rows: tuple[CheckRow, ...]) -> tuple[Fragile, ...]:
    """The fragile checks with the sentences of their stored Result (only their results are read)."""
    ids = [r.id for r in rows if r.fragile]
    robustness: dict[int, Robustness | None] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start : start + 500]
        for check_id, result in s.execute(
            select(Revision.check_id, Revision.result)
            .join(Check, Check.id == Revision.check_id)
            .where(Revision.check_id.in_(chunk), Revision.number == Check.filed_number)
        ):
            robustness[check_id] = _robustness_from((result or {}).get("robustness"))
    by_id = {r.id: r for r in rows}
    return tuple(Fragile(by_id[i], tuple(sentences(robustness.get(i), own=False))) for i in ids)


def decided_in(s: Session, municipality_id: int, year: int) -> set[int]:
    """Checks whose recorded outcome put something into effect at a session in `year`."""
    return set(
        s.scalars(
            select(Check.id).where(
                Check.municipality_id == municipality_id,
                Check.deleted_at.is_(None),
                Check.outcome.in_(tuple(ADOPTED_VARIANT)),
                extract("year", Check.outcome_date) == year,
            )
        )
    )


def budget_part(s: Session, municipality_id: int, year: int, target: Any) -> BudgetPart:
    from impactcheck.store.budget import budget

    # Only outcomes recorded for sessions up to the year's end: built again later, the same figures.
    computed = budget(s, municipality_id, target, decided_by=dt.date(year, 12, 31))
    ids = decided_in(s, municipality_id, year)
    return BudgetPart(
        budget=computed,
        year=computed.for_year(year),
        decisions=tuple(d for d in computed.decisions if d.check_id in ids),
        without_numbers=tuple(d for d in computed.without_numbers if d.check_id in ids),
    )


def report_figures(
    s: Session, municipality: Municipality, year: int, *, timezone: str, target: Any = None
) -> ReportFigures:
    """Everything the report of `year` shows, for `municipality` only."""
    flt = year_filter(year, timezone)
    selection = statistics.selection(municipality.id, ROLE, flt)
    method = method_of(s, selection)
    overview = statistics.overview(s, municipality.id, ROLE, flt, tuple(method.exit_labels))
    overview = decided.as_of(s, selection, overview, dt.date(year, 12, 31))  # built again later: the same
    rows = _rows(s, selection, dt.date(year, 12, 31))
    return ReportFigures(
        municipality=municipality.name,
        slug=municipality.slug,
        year=year,
        overview=overview,
        method=method,
        checks=rows,
        fragile=_fragile(s, rows),
        budget=budget_part(s, municipality.id, year, target) if target is not None else None,
    )
