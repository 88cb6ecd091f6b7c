"""A municipality's two years of checks for the yearly report's tests (tests/web/test_report.py), made
through the real operations with a controlled clock: every example answers file of kassel-2030 in turn,
submitted on known days of two years, with the council's decisions recorded after the sessions; and a
second municipality with a few checks of its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from impactcheck.core.registry import resolve_ruleset
from impactcheck.store import operations as ops
from impactcheck.store.models import User
from tests.support import RULES

YEAR = dt.date.today().year
LAST = YEAR - 1
EXAMPLES = sorted((RULES / "examples" / "kassel-2030").glob("*/*.yaml"))
DEPARTMENTS = ("Hochbauamt", "Straßenverkehrsamt", "Umweltamt", "Kulturamt", "Schulverwaltungsamt")
PASSWORD = "richtig-langes-passwort"


class Clock:
    def __init__(self):
        self.now = dt.datetime(LAST, 1, 2, 8, 0)

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Made:
    id: int
    reference: str
    year: int
    verdict: str


def _file(s, author: User, rs, data: dict[str, Any], reference: str, department: str):
    paper = ops.PaperData(reference, data.get("paper", {}).get("title") or f"Vorlage {reference}", department, "Rat")
    check = ops.create_check(s, author, paper=paper, ruleset=rs)
    revision = check.current
    answers = {k: v for k, v in data["answers"].items() if v is not None}
    ops.save_step(s, author, revision, step_id="alle", values=answers, expected_version=revision.version)
    if "alternative" in data:
        ops.set_alternative(
            s, author, revision, description=data["alternative"]["description"], expected_version=revision.version
        )
        alt = {k: v for k, v in {**data["answers"], **data["alternative"]["answers"]}.items() if v is not None}
        ops.save_step(
            s, author, revision, step_id="alle", values=alt, expected_version=revision.version, alternative=True
        )
    try:
        ops.submit(s, author, check, rs, expected_version=revision.version)
    except ops.OperationError:  # a negative alternative needs a written justification
        ops.submit(
            s, author, check, rs, expected_version=revision.version, justification="Rechtlich geboten; keine Variante."
        )
    return check


# Index in the year (mod 6) -> the council's decision; None: none recorded.
DECISIONS = ("adopted", "adopted_alternative", "adopted_changed", "rejected", None, "adopted")
CHANGED = ("no", "yes", "partly", "no", None, "no")


def fill(database, slug: str, name: str, per_year: int, prefix: str, clock: Clock, mp: pytest.MonkeyPatch) -> dict:
    """`per_year` checks in each of the two years for a new municipality `slug`; returns what was made."""
    rs = resolve_ruleset("kassel-2030")
    made: list[Made] = []
    with database.session() as s:
        municipality = ops.ensure_municipality(s, slug=slug, name=name, rulesets=["kassel-2030"])
        users = {
            role: ops.create_user(
                s, None, municipality=municipality, username=f"{prefix}-{role}", password=PASSWORD, role=role
            )
            for role in ("author", "climate", "council", "admin")
        }
        s.flush()
        for year in (LAST, YEAR):
            for i in range(per_year):
                data = yaml.safe_load(EXAMPLES[(i * 7 + year) % len(EXAMPLES)].read_text(encoding="utf-8"))
                # Submitted through the year's first ten months, decided a month later.
                clock.now = dt.datetime(year, 1 + i * 10 // per_year, 1 + i % 27, 9, 0)
                reference = f"{prefix}-{year}-{i:03d}"
                check = _file(s, users["author"], rs, data, reference, DEPARTMENTS[i % len(DEPARTMENTS)])
                made.append(Made(check.id, reference, year, check.verdict))
                outcome = DECISIONS[i % len(DECISIONS)]
                if outcome == "adopted_alternative" and check.alternative_verdict is None:
                    outcome = "adopted"
                if outcome is not None and check.verdict is not None:
                    clock.now += dt.timedelta(days=30)
                    changed = CHANGED[i % len(CHANGED)]
                    note = "Wegen des Klimachecks angepasst." if changed != "no" else ""
                    ops.record_outcome(
                        s, users["author"], check, ops.OutcomeData(outcome, clock.now.date(), changed, note)
                    )
        s.commit()
        return {"id": municipality.id, "slug": slug, "name": name, "made": made}


def rules_dir() -> Path:
    return RULES
