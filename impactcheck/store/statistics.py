"""The overview's figures: aggregates over the register's filtered set, in SQL.

The figures come from four aggregate statements on the current-state columns of the check row (and
the per-sector table `check_sector`), over exactly the checks the register lists for the same filter
(`listing.visible_checks` + `listing.apply_filter`), so a count in the overview and the register's
total for the same URL parameters never disagree. No check rows are loaded into Python: what comes back
are groups (bounded by the vocabularies of verdicts, exit reasons, outcomes, sectors and departments,
not by the number of checks) and the one or two middle durations of the median. Ids are returned;
labels are resolved by the caller (from the rule sets and the label tables).

"Without numbers" means: a relevant check (submitted, not the quick exit) whose t CO2e per year is
unknown. Such checks are counted as such and never as zero; a sum over nothing is None, not 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, Select, and_, case, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from impactcheck.store import listing
from impactcheck.store.current import ADOPTED_VARIANT, CHANGED_BY_CHECK, OUTCOMES
from impactcheck.store.models import Check, CheckSector

# Outcomes that put the proposal into effect, and the one that put the alternative into effect.
_ADOPTS_PROPOSAL = tuple(o for o, v in ADOPTED_VARIANT.items() if v == "proposal")
_ADOPTS_ALTERNATIVE = tuple(o for o, v in ADOPTED_VARIANT.items() if v == "alternative")


class days_between(FunctionElement):
    """Days (fractional) from the first timestamp to the second, in each database's own arithmetic."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element, compiler, **kw):  # PostgreSQL and the other servers
    start, end = list(element.clauses)
    # date_part gives double precision (EXTRACT gives numeric since PostgreSQL 14: wider, slower to sort)
    return f"(date_part('epoch', {compiler.process(end, **kw)} - {compiler.process(start, **kw)}) / 86400)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


@dataclass(frozen=True)
class Share:
    """A count in a group (key None: the value is missing) and its share of the group's whole."""

    key: str | None
    count: int
    of: int

    @property
    def share(self) -> float | None:
        return self.count / self.of if self.of else None


@dataclass(frozen=True)
class SectorFigure:
    """t CO2e per year of one sector: proposed (summed over every check of the selection) and adopted
    (the variant the council put into effect, over checks whose outcome adopted something). `*_checks`
    counts the checks that contributed a figure; None sums mean: no check had a figure."""

    sector: str  # only sectors with a figure in the selection are listed
    proposed: float | None
    proposed_checks: int
    adopted: float | None
    adopted_checks: int


@dataclass(frozen=True)
class Turnaround:
    """Submitted → reviewed, in days (calendar days, fractional), over the reviewed checks."""

    reviewed: int
    median_days: float | None
    awaiting: int  # status "submitted" as the register's status filter reads it: waiting for review


@dataclass(frozen=True)
class Overview:
    total: int  # checks in the selection (drafts included where the role sees them)
    submitted: int  # of those, with a submitted revision (a verdict)
    relevant: int  # submitted and not the quick exit
    without_numbers: int  # relevant, t CO2e per year unknown
    t_proposed: float | None  # Σ t CO2e per year of the proposals (checks with numbers)
    t_adopted: float | None  # Σ t CO2e per year of what was adopted
    t_decided_proposed: float | None  # Σ of the proposals of the checks whose outcome adopted something
    decided_with_numbers: int  # checks whose adopted variant has a figure
    by_verdict: tuple[Share, ...]  # of `total`; key None: not submitted yet
    exits: tuple[Share, ...]  # quick-exit reasons, of the quick exits
    quick_exits: int
    negative: int
    negative_by_outcome: tuple[Share, ...]  # of `negative`; key None: no outcome yet
    sectors: tuple[SectorFigure, ...]
    by_department: tuple[Share, ...]  # of `total`, most checks first
    fragile: int
    flagged: int
    with_open_points: int
    open_points: int  # Σ open ("unbekannt") points
    turnaround: Turnaround
    outcomes: tuple[Share, ...]  # of `submitted`; key None: none recorded yet
    changed: tuple[Share, ...]  # of the recorded outcomes; key None: not said

    @property
    def adopted_alternative(self) -> int:
        return next((s.count for s in self.negative_by_outcome if s.key in _ADOPTS_ALTERNATIVE), 0)

    @property
    def recorded_outcomes(self) -> int:
        return sum(s.count for s in self.outcomes if s.key is not None)


def selection(municipality_id: int, role: str, flt: listing.RegisterFilter) -> Select:
    """The register's filtered set for this role (unsorted): what every figure aggregates over."""
    return listing.apply_filter(listing.visible_checks(municipality_id, role), flt, role)


def _count_if(condition) -> object:
    return func.count(case((condition, 1)))


def _shares(rows, of: int, order: tuple | None = None) -> tuple[Share, ...]:
    """Shares of `of`, in the given key order (every key of it, zero counts too; other keys after it,
    most first), None (the value is missing) last."""
    counts = dict.fromkeys(order or (), 0)
    for key, count in rows:
        if count:
            counts[key] = counts.get(key, 0) + int(count)
    rank = {k: i for i, k in enumerate(order or ())}
    keys = sorted(counts, key=lambda k: (k is None, rank.get(k, len(rank)), -counts[k], str(k)))
    return tuple(Share(k, counts[k], of) for k in keys)


def _median(s: Session, base: Select, n: int) -> float | None:
    """The median of submitted → reviewed over the `n` reviewed checks of `base`: the database sorts the
    durations and returns the middle one or two (no percentile function: SQLite has none)."""
    if n <= 0:
        return None
    duration = days_between(Check.submitted_at, Check.reviewed_at)
    middle = list(
        s.scalars(
            base.with_only_columns(duration)
            .where(Check.reviewed_at.is_not(None), Check.submitted_at.is_not(None))
            .order_by(duration)
            .limit(1 if n % 2 else 2)
            .offset((n - 1) // 2)
        )
    )
    return sum(middle) / len(middle) if middle else None


def overview(
    s: Session, municipality_id: int, role: str, flt: listing.RegisterFilter, exit_reasons: tuple[str, ...] = ()
) -> Overview:
    """All figures of the overview for the register's filter `flt`, as this role may see them.
    `exit_reasons`: the rule set's quick-exit reasons, listed in this order even when never used.

    Four statements, each one pass over the selection: the check figures grouped by verdict, exit
    reason and outcome (a few hundred groups at most, whatever the number of checks: the product of
    the label vocabularies), the departments, the sector sums, and the median turnaround."""
    base = selection(municipality_id, role, flt)
    # As the register's status filter reads it (councillors: the submitted revision's status).
    status = Check.filed_status if role == "council" else Check.status
    adopted_something = Check.outcome.in_(tuple(ADOPTED_VARIANT))
    decided = and_(adopted_something, Check.adopted_t_co2e_per_year.is_not(None))  # adopted, with a figure
    reviewed = and_(Check.reviewed_at.is_not(None), Check.submitted_at.is_not(None))
    keys = (Check.verdict, Check.exit_reason, Check.outcome, Check.outcome_changed)
    groups = s.execute(
        base.with_only_columns(
            *keys,
            func.count(Check.id),
            func.count(Check.t_co2e_per_year),
            func.sum(Check.t_co2e_per_year),
            func.sum(case((adopted_something, Check.adopted_t_co2e_per_year))),
            func.sum(case((decided, Check.t_co2e_per_year))),
            _count_if(decided),
            _count_if(Check.fragile.is_(True)),
            _count_if(Check.flagged.is_(True)),
            _count_if(Check.open_points > 0),
            func.coalesce(func.sum(Check.open_points), 0),
            _count_if(reviewed),
            _count_if(status == "submitted"),
        ).group_by(*keys)
    ).all()

    tally: dict[str, int] = dict.fromkeys(
        ("total", "submitted", "relevant", "without_numbers", "decided", "fragile", "flagged", "open", "points"), 0
    )
    tally |= {"reviewed": 0, "awaiting": 0}
    sums: dict[str, float | None] = {"proposed": None, "adopted": None, "decided_proposed": None}
    by_verdict: dict[str | None, int] = {}
    exits: dict[str | None, int] = {}
    negative: dict[str | None, int] = {}
    outcomes: dict[str | None, int] = {}
    changed: dict[str | None, int] = {}

    def add(target: dict, key, value) -> None:
        target[key] = target.get(key, 0) + value

    def add_sum(name: str, value: float | None) -> None:
        if value is not None:  # a sum over no figure stays None ("no numbers"), never 0
            sums[name] = (sums[name] or 0.0) + value

    for row in groups:
        verdict, exit_reason, outcome, was_changed, n, with_t, t, t_adopted, t_decided, n_decided = row[:10]
        fragile, flagged, with_open, points, n_reviewed, awaiting = row[10:]
        n = int(n)
        tally["total"] += n
        add(by_verdict, verdict, n)
        tally["fragile"] += int(fragile)
        tally["flagged"] += int(flagged)
        tally["open"] += int(with_open)
        tally["points"] += int(points)
        tally["reviewed"] += int(n_reviewed)
        tally["awaiting"] += int(awaiting)
        if verdict is None:  # never submitted
            continue
        tally["submitted"] += n
        add(outcomes, outcome, n)
        if outcome is not None:
            add(changed, was_changed, n)
        add_sum("adopted", t_adopted)
        add_sum("decided_proposed", t_decided)
        tally["decided"] += int(n_decided)
        if verdict == "not_relevant":
            add(exits, exit_reason, n)
            continue
        tally["relevant"] += n
        tally["without_numbers"] += n - int(with_t)
        add_sum("proposed", t)
        if verdict == "negative":
            add(negative, outcome, n)

    adopted_figure = or_(
        and_(CheckSector.variant == "proposal", Check.outcome.in_(_ADOPTS_PROPOSAL)),
        and_(CheckSector.variant == "alternative", Check.outcome.in_(_ADOPTS_ALTERNATIVE)),
    )
    proposed_figure = CheckSector.variant == "proposal"
    sectors = s.execute(
        base.with_only_columns(
            CheckSector.sector,
            func.sum(case((proposed_figure, CheckSector.t_co2e_per_year))),
            _count_if(and_(proposed_figure, CheckSector.t_co2e_per_year.is_not(None))),
            func.sum(case((adopted_figure, CheckSector.t_co2e_per_year))),
            _count_if(and_(adopted_figure, CheckSector.t_co2e_per_year.is_not(None))),
        )
        .join_from(Check, CheckSector, CheckSector.check_id == Check.id)
        # Only figures count. A sector has a figure only where its variant has a total (the total is
        # the sum of the counted lines, store/current.sector_figures), so the join need not visit the
        # many checks without numbers: most papers have none.
        .where(
            CheckSector.t_co2e_per_year.is_not(None),
            or_(Check.t_co2e_per_year.is_not(None), Check.alternative_t_co2e_per_year.is_not(None)),
        )
        .group_by(CheckSector.sector)
    ).all()
    departments = s.execute(
        base.with_only_columns(Check.department, func.count(Check.id)).group_by(Check.department)
    ).all()

    total, submitted, negative_n, quick_exits = (
        tally["total"],
        tally["submitted"],
        sum(negative.values()),
        sum(exits.values()),
    )
    return Overview(
        total=total,
        submitted=submitted,
        relevant=tally["relevant"],
        without_numbers=tally["without_numbers"],
        t_proposed=sums["proposed"],
        t_adopted=sums["adopted"],
        t_decided_proposed=sums["decided_proposed"],
        decided_with_numbers=tally["decided"],
        by_verdict=_shares(by_verdict.items(), total, listing.VERDICTS),
        exits=_shares(exits.items(), quick_exits, exit_reasons),
        quick_exits=quick_exits,
        negative=negative_n,
        negative_by_outcome=_shares(negative.items(), negative_n, OUTCOMES),
        sectors=tuple(SectorFigure(sector, p, int(p_n), a, int(a_n)) for sector, p, p_n, a, a_n in sectors),
        by_department=_shares(departments, total),
        fragile=tally["fragile"],
        flagged=tally["flagged"],
        with_open_points=tally["open"],
        open_points=tally["points"],
        turnaround=Turnaround(tally["reviewed"], _median(s, base, tally["reviewed"]), tally["awaiting"]),
        outcomes=_shares(outcomes.items(), submitted, OUTCOMES),
        changed=_shares(changed.items(), sum(changed.values()), CHANGED_BY_CHECK),
    )


def count(s: Session, municipality_id: int, role: str, flt: listing.RegisterFilter) -> int:
    """How many checks the selection holds (the register's total for the same filter)."""
    return int(s.scalar(selection(municipality_id, role, flt).with_only_columns(func.count(Check.id))) or 0)


__all__ = ["Overview", "SectorFigure", "Share", "Turnaround", "count", "overview", "selection"]
