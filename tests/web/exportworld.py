"""A register with checks in every state the export must render, filed through the real operations
(the same calls the wizard makes), for the export tests of the web app and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from impactcheck.core.registry import resolve_ruleset
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, Municipality, User
from tests.web.flows import example

# Titles a spreadsheet would run as formulas (or as something else than text) if taken as typed.
HOSTILE_TITLES = ('=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tX", "\rX")


def _user(s: Session, username: str) -> User:
    return s.scalar(select(User).where(User.username == username))


def file_check(
    s: Session,
    author: User,
    name: str,
    *,
    submit: bool = True,
    justification: str | None = None,
    **paper: Any,
) -> Check:
    """Start the example `name` ("stadtfest/schaetzt"), answer it (and its alternative) and submit."""
    data = example(name)
    rs = resolve_ruleset("kassel-2030")
    fields = {**data["paper"], **paper}
    check = ops.create_check(
        s,
        author,
        paper=ops.PaperData(
            fields["reference"],
            fields["title"],
            fields["department"],
            fields["committee"],
            fields.get("meeting_date"),
        ),
        ruleset=rs,
    )
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
    if submit:
        ops.submit(s, author, check, rs, expected_version=revision.version, justification=justification)
    s.flush()
    return check


def build(s: Session) -> dict[str, int]:
    """Checks of `author` and `author2` in the default municipality (users as in tests/web/conftest)
    and one in the neighbouring one; returns their ids by name. Commits."""
    author, author2, climate = _user(s, "author"), _user(s, "author2"), _user(s, "climate")
    ids: dict[str, int] = {}

    exit_check = file_check(s, author, "stellenplan/ohne-zahlen", meeting_date=dt.date(2026, 11, 3))
    ops.review(s, climate, exit_check, decision="approve", comment="", expected_version=exit_check.current.version)
    ops.record_outcome(s, climate, exit_check, ops.OutcomeData("adopted", dt.date(2026, 11, 3), "no"))
    ids["exit"] = exit_check.id

    parkhaus = file_check(s, author2, "parkhaus-neubau/schaetzt", department="Amt für Straßen- und Verkehrswesen")
    ops.record_outcome(
        s,
        author2,
        parkhaus,
        ops.OutcomeData("adopted_alternative", dt.date(2026, 11, 20), "yes", "-Stellplätze halbiert; Radparken"),
    )
    ids["parkhaus"] = parkhaus.id

    ids["led"] = file_check(s, author, "led-strassenbeleuchtung/schaetzt").id
    ids["feuerwache"] = file_check(
        s, author2, "neubau-feuerwache/schaetzt", justification="Der Standort ist gesetzlich vorgegeben."
    ).id
    revised = file_check(s, author, "radfahrstreifen/schaetzt", reference="101.26.0777")
    ops.review(
        s, climate, revised, decision="return", comment="Bitte Zahlen prüfen.", expected_version=revised.current.version
    )
    ops.new_revision(s, author, revised)  # a newer draft: councillors still see the returned revision
    ids["revised"] = revised.id
    ids["draft"] = file_check(s, author, "vereinsfoerderung/ohne-zahlen", submit=False).id
    deleted = file_check(s, author, "stadtfest/ohne-zahlen", submit=False, reference="GELÖSCHT-1")
    ops.delete_draft(s, author, deleted)
    ids["deleted"] = deleted.id
    for number, title in enumerate(HOSTILE_TITLES, 1):
        ids[f"hostile{number}"] = file_check(
            s, author, "strassenumbenennung/ohne-zahlen", reference=f"=H{number}", title=title, committee="@Rat"
        ).id

    other = s.scalar(select(Municipality).where(Municipality.slug == "nachbar"))
    stranger = s.scalar(select(User).where(User.municipality_id == other.id, User.role == "climate"))
    ids["foreign"] = ops.create_check(
        s,
        stranger,
        paper=ops.PaperData("N-1", "Vorlage der Nachbarn", "Bauamt", "Rat"),
        ruleset=resolve_ruleset("schnellcheck"),
    ).id
    s.commit()
    return ids
