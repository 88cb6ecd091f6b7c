"""The council's decisions against the municipality's climate target: the climate budget.

Which decisions count: every check of the municipality (not deleted, submitted) whose recorded
outcome puts a variant into effect (store/current.ADOPTED_VARIANT: adopted as proposed or changed →
the proposal, adopted with the alternative → the alternative). Their figures come from the stored
Result of the latest submitted revision (the revision `Check.filed_number` names, written by
store/current.py), never from today's rules, so a past year computed again gives the same figures.

The effect of one decision, per budget sector (store/targets.ClimateTarget.sector_of):
- its yearly lines ("per: year", counted) in every year of its lifetime (the Result's
  `lifetime_years`), starting in the effective year; a fractional last year counts in part;
- its one-off lines (grey emissions, "per: once", counted) in full, in the effective year.
The effective year is `Check.effective_year` ("Wirksam ab (Jahr)" on the outcome form); without it,
the year of the council's decision (`outcome_date`), else of the session (`meeting_date`).

A decision whose adopted variant has no t CO2e at all is "ohne Zahlen": listed and counted, never
summed as zero. The quick exit (nicht klimarelevant) is counted apart: it has no effect by screening.

One SQL statement reads everything: the adopted checks with the emissions part of their filed
revision's Result (JSON path, in the database), so 2,000 checks cost one round trip.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, and_, case, null, select, type_coerce
from sqlalchemy.orm import Session

from impactcheck.store.current import ADOPTED_VARIANT
from impactcheck.store.models import Check, Revision
from impactcheck.store.targets import UNASSIGNED, ClimateTarget

_ADOPTS_ALTERNATIVE = tuple(o for o, v in ADOPTED_VARIANT.items() if v == "alternative")
# The years drawn stay within this range (a typo in "Wirksam ab" must not draw a century).
YEAR_RANGE = (1990, 2100)


@dataclass(frozen=True)
class Decision:
    """One adopted check and its effect (+ = more emissions, − = fewer)."""

    check_id: int
    reference: str
    title: str
    outcome: str
    variant: str  # "proposal" | "alternative"
    effective_year: int
    t_per_year: float | None  # the yearly lines, t CO2e per year (None: no yearly lines)
    grey_t: float | None  # the one-off lines, t CO2e in the effective year
    lifetime_years: float | None
    by_sector: Mapping[str, float]  # yearly t CO2e per budget sector
    total_t: float | None  # over the lifetime, grey included; None: "ohne Zahlen"
    rule_set: str  # "id version" the stored result rests on
    grey_by_sector: Mapping[str, float] = field(default_factory=dict)
    verdict: str | None = None  # of the adopted variant

    @property
    def without_numbers(self) -> bool:
        return self.total_t is None

    def effect_in(self, year: int) -> dict[str, float]:
        """This decision's t CO2e per budget sector in `year`."""
        out: dict[str, float] = {}
        if year == self.effective_year:
            for sector, t in self.grey_by_sector.items():
                out[sector] = out.get(sector, 0.0) + t
        share = _share_of_year(year - self.effective_year, self.lifetime_years)
        if share:
            for sector, t in self.by_sector.items():
                out[sector] = out.get(sector, 0.0) + t * share
        return out


def _share_of_year(offset: int, lifetime: float | None) -> float:
    """How much of year `offset` (0 = the effective year) lies within the lifetime."""
    if offset < 0 or not lifetime or lifetime <= 0:
        return 0.0
    return max(0.0, min(1.0, lifetime - offset))


@dataclass(frozen=True)
class BudgetYear:
    year: int
    allowed_t: float
    allowed_by_sector: Mapping[str, float]
    effect_t: float  # decisions' effect in this year (+ = more emissions)
    effect_by_sector: Mapping[str, float]
    cumulative_effect_t: float  # from the first year shown through this one
    decisions: int = 0  # decisions effective in this year


@dataclass(frozen=True)
class Budget:
    target: ClimateTarget
    years: tuple[BudgetYear, ...]
    decisions: tuple[Decision, ...]  # with numbers, in order of check id
    without_numbers: tuple[Decision, ...]  # adopted checks with no t CO2e: counted, never as zero
    rule_sets: tuple[str, ...]  # "id version" of every stored result the figures rest on
    not_relevant: int = 0  # adopted checks that left in the screening (no effect by screening)

    def movers(self, n: int = 10) -> tuple[Decision, ...]:
        """The decisions that move the budget most: largest |total_t| first, both directions."""
        return tuple(sorted(self.decisions, key=lambda d: (-abs(d.total_t or 0.0), d.check_id))[:n])

    def for_year(self, year: int) -> BudgetYear | None:
        return next((y for y in self.years if y.year == year), None)

    @property
    def sector_ids(self) -> tuple[str, ...]:
        """The budget's sectors, with UNASSIGNED last where a decision landed there."""
        ids = tuple(s.id for s in self.target.sectors)
        if any(UNASSIGNED in d.by_sector or UNASSIGNED in d.grey_by_sector for d in self.decisions):
            ids += (UNASSIGNED,)
        return ids

    @property
    def total_effect_t(self) -> float:
        """The decisions' effect over the years shown."""
        return self.years[-1].cumulative_effect_t if self.years else 0.0

    def residual_left_t(self) -> float | None:
        """The residual budget less the decisions' cumulative effect (None without a residual budget)."""
        budget = self.target.residual_budget_t()
        return None if budget is None else budget - self.total_effect_t


def effective_year(check: Any) -> int | None:
    """The year a decision takes effect: the field on the check, else the decision's, else the session's."""
    if check.effective_year:
        return int(check.effective_year)
    for date in (check.outcome_date, check.meeting_date):
        if date is not None:
            return date.year
    return None


def _variant_figures(emissions: Mapping[str, Any] | None, target: ClimateTarget):
    """(yearly per budget sector, once per budget sector, lifetime) of one variant's stored emissions."""
    yearly: dict[str, float] = {}
    once: dict[str, float] = {}
    if not isinstance(emissions, Mapping):
        return yearly, once, None
    for line in emissions.get("lines") or []:
        if line.get("counts") is False:
            continue
        sector = target.sector_of(line.get("sector"))
        if line.get("per") == "once":
            if line.get("t_co2e_once") is not None:
                once[sector] = once.get(sector, 0.0) + float(line["t_co2e_once"])
        elif line.get("t_co2e_per_year") is not None:
            yearly[sector] = yearly.get(sector, 0.0) + float(line["t_co2e_per_year"])
    return yearly, once, emissions.get("lifetime_years")


def adopted_query(municipality_id: int, *, decided_by: dt.date | None = None):
    """The adopted, submitted checks of the municipality with the adopted variant's emissions from their
    filed revision's stored Result (one statement)."""
    # Only the adopted variant's emissions, and none for a quick exit: one JSON path read per row.
    emissions = type_coerce(
        case(
            (Check.verdict == "not_relevant", null()),
            (Check.outcome.in_(_ADOPTS_ALTERNATIVE), Revision.result["alternative"]["emissions"]),
            else_=Revision.result["emissions"],
        ),
        JSON,
    )
    query = (
        select(
            Check.id,
            Check.reference,
            Check.title,
            Check.outcome,
            Check.outcome_date,
            Check.meeting_date,
            Check.effective_year,
            Check.verdict,
            Check.adopted_verdict,
            Check.ruleset_id,
            Check.ruleset_version,
            emissions.label("emissions"),
        )
        .join(Revision, and_(Revision.check_id == Check.id, Revision.number == Check.filed_number))
        .where(
            Check.municipality_id == municipality_id,
            Check.deleted_at.is_(None),
            Check.outcome.in_(tuple(ADOPTED_VARIANT)),
        )
        .order_by(Check.id)
    )
    if decided_by is not None:
        query = query.where(Check.outcome_date <= decided_by)
    return query


def decisions(
    s: Session, municipality_id: int, target: ClimateTarget, *, decided_by: dt.date | None = None
) -> tuple[list[Decision], int]:
    """Every adopted decision of the municipality with its effect; and the number of quick exits."""
    found: list[Decision] = []
    not_relevant = 0
    for row in s.execute(adopted_query(municipality_id, decided_by=decided_by)):
        year = effective_year(row)
        if row.verdict == "not_relevant":
            not_relevant += 1
            continue
        variant = ADOPTED_VARIANT[row.outcome]
        yearly, once, lifetime = _variant_figures(row.emissions, target)
        has_numbers = bool(yearly or once) and year is not None
        t_year = sum(yearly.values()) if yearly else None
        grey = sum(once.values()) if once else None
        total = None
        if has_numbers:
            total = (t_year or 0.0) * (lifetime or 0.0) + (grey or 0.0)
        found.append(
            Decision(
                check_id=row.id,
                reference=row.reference,
                title=row.title,
                outcome=row.outcome,
                variant=variant,
                effective_year=year or 0,
                t_per_year=t_year,
                grey_t=grey,
                lifetime_years=float(lifetime) if lifetime is not None else None,
                by_sector=yearly,
                total_t=total,
                rule_set=f"{row.ruleset_id} {row.ruleset_version or ''}".strip(),
                grey_by_sector=once,
                verdict=row.adopted_verdict,
            )
        )
    return found, not_relevant


def budget(
    s: Session,
    municipality_id: int,
    target: ClimateTarget,
    *,
    until: int | None = None,
    since: int | None = None,
    decided_by: dt.date | None = None,
) -> Budget:
    """The budget from `since` (default: the first year of the path) through `until` (default: the
    neutrality year): per year the path and the decisions' effect, per sector; the decisions with and
    without numbers. With `decided_by`, only outcomes dated on or before it count (a past report)."""
    found, not_relevant = decisions(s, municipality_id, target, decided_by=decided_by)
    with_numbers = [d for d in found if not d.without_numbers]
    first = since if since is not None else min([target.first_path_year, *(d.effective_year for d in with_numbers)])
    last = until if until is not None else target.neutrality_year
    first = max(first, YEAR_RANGE[0])
    last = min(max(last, first), YEAR_RANGE[1])
    sector_ids = [sec.id for sec in target.sectors]
    if any(UNASSIGNED in d.by_sector or UNASSIGNED in d.grey_by_sector for d in with_numbers):
        sector_ids.append(UNASSIGNED)
    years: list[BudgetYear] = []
    cumulative = 0.0
    for year in range(first, last + 1):
        effect = dict.fromkeys(sector_ids, 0.0)
        starting = 0
        for d in with_numbers:
            if d.effective_year == year:
                starting += 1
            for sector, t in d.effect_in(year).items():
                effect[sector] = effect.get(sector, 0.0) + t
        total = math.fsum(effect.values())
        cumulative += total
        allowed = target.allowed_t(year)
        years.append(
            BudgetYear(
                year=year,
                allowed_t=math.fsum(allowed.values()),
                allowed_by_sector=allowed,
                effect_t=total,
                effect_by_sector=effect,
                cumulative_effect_t=cumulative,
                decisions=starting,
            )
        )
    rule_sets = tuple(sorted({d.rule_set for d in found}))
    return Budget(
        target=target,
        years=tuple(years),
        decisions=tuple(with_numbers),
        without_numbers=tuple(d for d in found if d.without_numbers),
        rule_sets=rule_sets,
        not_relevant=not_relevant,
    )
