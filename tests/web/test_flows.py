"""The three main paths through the wizard with the test client, and what each leaves behind."""

from __future__ import annotations

import json

import yaml
from sqlalchemy import select

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.evaluate import alternative_changes
from impactcheck.core.registry import resolve_ruleset
from impactcheck.store.models import AuditEntry, Check
from tests.support import RULES
from tests.web.flows import answer_all, start


def example(name: str) -> dict:
    return yaml.safe_load((RULES / "examples" / "kassel-2030" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_quick_exit_not_relevant(as_role, db_session):
    b = as_role("author")
    data = example("strassenumbenennung")
    check_id = start(b, reference="101.26.0412", title="Umbenennung einer Straße")
    visited = answer_all(b, check_id, data["answers"])
    assert visited == ["vorpruefung", "exit"]  # two pages: the minute the issue promises
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "nicht klimarelevant" in review
    response = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    assert response.status_code == 302
    page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ergebnis: nicht klimarelevant" in page
    assert "Rein formaler Beschluss" in page
    check = db_session.get(Check, check_id)
    assert check.current.status == "submitted"
    assert check.current.verdict == "not_relevant"
    assert check.current.exit_reason == "formal"


def test_positive_with_quantification(as_role, db_session):
    b = as_role("author")
    data = example("pv-schuldaecher")
    check_id = start(b, reference="101.26.0533", title="PV auf Schuldächern")
    answer_all(b, check_id, data["answers"])
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Vorschau des Ergebnisses" in review
    assert "-252,0 t CO2e" in review
    b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    check = db_session.get(Check, check_id)
    revision = check.current
    assert revision.status == "submitted" and revision.verdict == "positive"
    assert revision.t_co2e_per_year == -252.0
    # The stored Result is exactly what the headless evaluation of the same answers gives.
    expected = evaluate_submission(
        resolve_ruleset("kassel-2030"), load_submission(RULES / "examples/kassel-2030/pv-schuldaecher.yaml")
    )
    assert revision.result["sectors"] == json.loads(json.dumps(expected.to_dict()["sectors"]))
    assert revision.result["emissions"] == json.loads(json.dumps(expected.to_dict()["emissions"]))
    assert revision.ruleset_sha256 == expected.ruleset.sha256
    page = b.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    for text in (
        "Ergebnis: positiv",
        "Solarstrom verdrängt Netzstrom",
        "Gebäudeenergiegesetz (GEG) Anlage 9",
        "Klimakosten",
        "Version 2026.1",
    ):
        assert text in page


def test_negative_needs_alternative_then_submits(as_role, db_session):
    b = as_role("author")
    data = example("gasheizung-kita")
    check_id = start(b)
    answer_all(b, check_id, data["answers"])
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Alternative beschreiben und bewerten" in review
    assert "Klimacheck einreichen" not in review
    # Submitting anyway is refused with a clear message and nothing changes.
    refused = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    assert refused.status_code == 422
    assert "Alternative" in refused.get_data(as_text=True)
    assert db_session.get(Check, check_id).current.status == "draft"

    # Describe the alternative, then its own pass through the wizard, prefilled with the answers.
    response = b.submit(f"/klimachecks/{check_id}/alternative", {"description": data["alternative"]["description"]})
    assert response.status_code == 302 and "/alternative/schritt/vorpruefung" in response.headers["Location"]
    first = b.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="ja" checked' in first  # prefilled from the proposal
    alt_answers = {**data["answers"], **data["alternative"]["answers"]}
    alt_answers = {k: v for k, v in alt_answers.items() if v is not None}
    answer_all(b, check_id, alt_answers, alternative=True)
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Ursprünglicher Vorschlag" in review and "Luft-Wasser-Wärmepumpe" in review
    response = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    assert response.status_code == 302
    db_session.expire_all()
    revision = db_session.get(Check, check_id).current
    assert revision.verdict == "negative" and not revision.flagged
    assert revision.result["alternative"]["verdict"] == "positive"
    assert alternative_changes(revision.answers, revision.alternative_answers)["heizung"] == "waermepumpe"
    page = b.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "Ursprünglicher Vorschlag" in page and "Ergebnis: positiv" in page and "Ergebnis: negativ" in page


def test_negative_alternative_needs_justification_and_flags(as_role, db_session):
    b = as_role("author")
    data = example("gasheizung-kita")
    check_id = start(b)
    answer_all(b, check_id, data["answers"])
    b.submit(f"/klimachecks/{check_id}/alternative", {"description": "Ölheizung statt Gas"})
    alt = {**data["answers"], "heizung": "oel", "oel_kwh": 90000}
    alt.pop("gas_kwh")
    answer_all(b, check_id, alt, alternative=True)
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Auch die Alternative ist negativ" in review
    refused = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review), "justification": " "})
    assert refused.status_code == 422
    assert "Begründen Sie schriftlich" in refused.get_data(as_text=True)
    ok = b.post(
        f"/klimachecks/{check_id}/einreichen",
        {"version": b.version(review), "justification": "Fördermittel verfallen sonst Ende 2026."},
    )
    assert ok.status_code == 302
    db_session.expire_all()
    revision = db_session.get(Check, check_id).current
    assert revision.flagged and revision.justification.startswith("Fördermittel")
    climate = b.__class__(b.client.application.test_client())
    climate.login("climate")
    register = climate.get("/register?markiert=1").get_data(as_text=True)
    assert "101.26.0601" in register


def test_every_change_is_audited(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    answer_all(b, check_id, example("strassenumbenennung")["answers"])
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    actions = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.check_id == check_id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["check.create", "check.step", "check.step", "check.submit"]
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.check_id == check_id)).all()
    assert all(e.user_id is not None and e.at is not None for e in entries)
    assert entries[1].detail["changed"]["betrifft_gebaeude"] is False
