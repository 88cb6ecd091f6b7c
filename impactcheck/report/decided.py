"""The overview's figures about the council's decisions as they stood at the end of the report's year.

statistics.overview counts the outcome recorded on each check today. A report of a past year must say
the same when built again, so a decision taken after the year's end (a session in January on a paper
of December) does not count in it: the paper shows as "noch kein Beschluss eingetragen" in that year's
report. Two statements over the same selection replace the decision figures: outcomes, changed because
of the check, negative checks by outcome, t CO2e adopted, and the adopted t CO2e per sector.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import Select, and_, case, func, or_
from sqlalchemy.orm import Session

from impactcheck.store import statistics
from impactcheck.store.current import ADOPTED_VARIANT, CHANGED_BY_CHECK, OUTCOMES
from impactcheck.store.models import Check, CheckSector

_PROPOSAL = tuple(o for o, v in ADOPTED_VARIANT.items() if v == "proposal")
_ALTERNATIVE = tuple(o for o, v in ADOPTED_VARIANT.items() if v == "alternative")


def as_of(s: Session, selection: Select, overview: statistics.Overview, cutoff: dt.date) -> statistics.Overview:
    """`overview` with its decision figures counting only outcomes dated on or before `cutoff`."""
    decided = and_(Check.outcome.is_not(None), Check.outcome_date <= cutoff)
    outcome = case((decided, Check.outcome))
    changed = case((decided, Check.outcome_changed))
    adopted = and_(decided, Check.outcome.in_(tuple(ADOPTED_VARIANT)))
    rows = s.execute(
        selection.with_only_columns(
            Check.verdict,
            outcome,
            changed,
            func.count(Check.id),
            func.sum(case((adopted, Check.adopted_t_co2e_per_year))),
        )
        .where(Check.verdict.is_not(None))
        .group_by(Check.verdict, outcome, changed)
    ).all()
    outcomes: dict[str | None, int] = {}
    changes: dict[str | None, int] = {}
    negative: dict[str | None, int] = {}
    t_adopted: float | None = None
    for verdict, key, was_changed, n, t in rows:
        n = int(n)
        outcomes[key] = outcomes.get(key, 0) + n
        if key is not None:
            changes[was_changed] = changes.get(was_changed, 0) + n
        if verdict == "negative":
            negative[key] = negative.get(key, 0) + n
        if t is not None:
            t_adopted = (t_adopted or 0.0) + t
    sector_rows = s.execute(
        selection.with_only_columns(
            CheckSector.sector,
            func.sum(CheckSector.t_co2e_per_year),
            func.count(CheckSector.t_co2e_per_year),
        )
        .join_from(Check, CheckSector, CheckSector.check_id == Check.id)
        .where(
            decided,
            CheckSector.t_co2e_per_year.is_not(None),
            or_(
                and_(CheckSector.variant == "proposal", Check.outcome.in_(_PROPOSAL)),
                and_(CheckSector.variant == "alternative", Check.outcome.in_(_ALTERNATIVE)),
            ),
        )
        .group_by(CheckSector.sector)
    ).all()
    adopted_by_sector = {sector: (t, int(n)) for sector, t, n in sector_rows}
    sectors = []
    for figure in overview.sectors:
        t, n = adopted_by_sector.pop(figure.sector, (None, 0))
        if figure.proposed is not None or t is not None:
            sectors.append(replace(figure, adopted=t, adopted_checks=n))
    sectors += [statistics.SectorFigure(k, None, 0, t, n) for k, (t, n) in adopted_by_sector.items()]
    shares = statistics._shares
    return replace(
        overview,
        outcomes=shares(outcomes.items(), overview.submitted, OUTCOMES),
        changed=shares(changes.items(), sum(changes.values()), CHANGED_BY_CHECK),
        negative_by_outcome=shares(negative.items(), overview.negative, OUTCOMES),
        t_adopted=t_adopted,
        sectors=tuple(sectors),
    )
