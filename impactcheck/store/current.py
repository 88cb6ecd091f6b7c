"""A check's current state: the one definition of what the register, statistics and exports show.

Kept as columns on the check row (written by `operations` only, through `state_of`) so lists filter
and sort in SQL instead of loading every revision. Pure: works on ORM rows and on the plain rows a
migration reads alike (attribute access only), importable without a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from impactcheck.core.i18n import N_

# What the council did with the paper (recorded after the session).
OUTCOMES = ("adopted", "adopted_alternative", "adopted_changed", "rejected", "withdrawn", "deferred")
OUTCOME_LABELS = {
    "adopted": N_("beschlossen wie vorgeschlagen"),
    "adopted_alternative": N_("mit der Alternative beschlossen"),
    "adopted_changed": N_("geändert beschlossen"),
    "rejected": N_("abgelehnt"),
    "withdrawn": N_("zurückgezogen"),
    "deferred": N_("vertagt"),
}
# Which variant the council's decision put into effect; the others put nothing into effect.
ADOPTED_VARIANT = {"adopted": "proposal", "adopted_alternative": "alternative", "adopted_changed": "proposal"}
# Did the paper change because of the Klimacheck?
CHANGED_BY_CHECK = ("yes", "partly", "no")
CHANGED_LABELS = {"yes": N_("ja"), "partly": N_("teilweise"), "no": N_("nein")}

FILED_STATUSES = ("submitted", "approved", "returned")


def latest_filed(revisions: Sequence[Any]) -> Any | None:
    """The latest submitted revision: the newest that left the draft state (submitted, approved or
    returned). A newer draft does not replace it: it is what the paper says until the draft is in."""
    return next((r for r in reversed(revisions) if r.status in FILED_STATUSES), None)


def awaiting_review(revisions: Sequence[Any]) -> Any | None:
    """The newest revision waiting for the climate department (a newer draft does not take it out)."""
    return next((r for r in reversed(revisions) if r.status == "submitted"), None)


def _alternative(result: dict[str, Any] | None) -> dict[str, Any] | None:
    return (result or {}).get("alternative") or None


def state_of(check: Any, revisions: Sequence[Any]) -> dict[str, Any]:
    """The current-state columns of a check from its revisions (in number order) and its outcome."""
    current = revisions[-1]
    filed = latest_filed(revisions)
    result = filed.result if filed is not None else None
    alternative = _alternative(result)
    alt_emissions = (alternative or {}).get("emissions") or {}
    state: dict[str, Any] = {
        "status": current.status,
        "revision_count": len(revisions),
        "filed_number": filed.number if filed is not None else None,
        "filed_status": filed.status if filed is not None else None,
        "verdict": filed.verdict if filed is not None else None,
        "alternative_verdict": alternative.get("verdict") if alternative else None,
        "t_co2e_per_year": filed.t_co2e_per_year if filed is not None else None,
        "alternative_t_co2e_per_year": alt_emissions.get("t_co2e_per_year"),
        "exit_reason": filed.exit_reason if filed is not None else None,
        "fragile": bool(filed is not None and filed.fragile),
        "flagged": bool(filed is not None and filed.flagged),
        "open_points": (filed.open_points or 0) if filed is not None else 0,
        "ruleset_id": (filed or current).ruleset_id,
        "ruleset_version": filed.ruleset_version if filed is not None else None,
        "submitted_at": filed.submitted_at if filed is not None else None,
        "reviewed_at": filed.reviewed_at if filed is not None else None,
        "reviewer_id": filed.reviewed_by_id if filed is not None else None,
    }
    variant = ADOPTED_VARIANT.get(check.outcome or "")
    if variant == "alternative" and alternative:
        state["adopted_verdict"] = state["alternative_verdict"]
        state["adopted_t_co2e_per_year"] = state["alternative_t_co2e_per_year"]
    elif variant is not None and filed is not None:
        state["adopted_verdict"] = state["verdict"]
        state["adopted_t_co2e_per_year"] = state["t_co2e_per_year"]
    else:
        state["adopted_verdict"] = None
        state["adopted_t_co2e_per_year"] = None
    return state


def sector_figures(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per variant and sector: the score and the t CO2e (per year, once) of the counted lines."""
    if not result:
        return []
    rows = []
    for variant, part in (("proposal", result), ("alternative", _alternative(result))):
        if not part:
            continue
        figures: dict[str, dict[str, Any]] = {}
        for sector in part.get("sectors") or []:
            figures[sector["id"]] = {"score": sector.get("score"), "t_co2e_per_year": None, "t_co2e_once": None}
        for line in (part.get("emissions") or {}).get("lines") or []:
            if line.get("counts") is False or not line.get("sector"):
                continue
            entry = figures.setdefault(line["sector"], {"score": None, "t_co2e_per_year": None, "t_co2e_once": None})
            for key in ("t_co2e_per_year", "t_co2e_once"):
                if line.get(key) is not None:
                    entry[key] = round((entry[key] or 0.0) + line[key], 6)
        rows += [{"variant": variant, "sector": sector, **values} for sector, values in figures.items()]
    return rows
