"""The three main paths through the wizard with the test client, and what each leaves behind."""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import select

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.evaluate import alternative_changes
from impactcheck.core.registry import resolve_ruleset
from impactcheck.store.models import AuditEntry, Check
from tests.support import RULES
from tests.web.flows import answer_all, start, step_data


def example(name: str) -> dict:
    return yaml.safe_load((RULES / "examples" / "kassel-2030" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_quick_exit_not_relevant(as_role, db_session):
    b = as_role("author")
    data = example("strassenumbenennung/ohne-zahlen")
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
    data = example("pv-schuldaecher/schaetzt")
    check_id = start(b, reference="101.26.0533", title="PV auf Schuldächern")
    answer_all(b, check_id, data["answers"])
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Vorschau des Ergebnisses" in review
    # 520 kWp × 900 kWh/(kWp·a) × 406 g CO2e/kWh of grid electricity displaced.
    assert "-190,0 t CO2e" in review
    b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    check = db_session.get(Check, check_id)
    revision = check.current
    assert revision.status == "submitted" and revision.verdict == "positive"
    assert revision.t_co2e_per_year == pytest.approx(-190.008)
    # The stored Result is exactly what the headless evaluation of the same answers gives.
    expected = evaluate_submission(
        resolve_ruleset("kassel-2030"), load_submission(RULES / "examples/kassel-2030/pv-schuldaecher/schaetzt.yaml")
    )
    assert revision.result["sectors"] == json.loads(json.dumps(expected.to_dict()["sectors"]))
    assert revision.result["emissions"] == json.loads(json.dumps(expected.to_dict()["emissions"]))
    assert revision.ruleset_sha256 == expected.ruleset.sha256
    page = b.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    for text in (
        "Ergebnis: positiv",
        "Solarstrom verdrängt Netzstrom",
        "Umweltbundesamt, Climate Change 16/2026",  # the source of the grid factor
        "Stromertrag einer Photovoltaikanlage in Nordhessen",  # the typical value it is multiplied by
        "Klimakosten",
        "Version 2026.2",
    ):
        assert text in page


def test_negative_needs_alternative_then_submits(as_role, db_session):
    b = as_role("author")
    data = example("gasheizung-ersatz-kita/schaetzt")
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

    # One page: the description, and the proposal's answers per step with a change button
    # (the screening is the same for the alternative and has none).
    page = b.get(f"/klimachecks/{check_id}/alternative").get_data(as_text=True)
    assert 'name="change" value="gebaeude"' in page and 'name="change" value="vorpruefung"' not in page
    # Describe it and change the building step: saved, then straight to that step of the alternative.
    response = b.submit(
        f"/klimachecks/{check_id}/alternative",
        {"description": data["alternative"]["description"], "change": "gebaeude"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/alternative/schritt/gebaeude?zurueck=pruefen")
    step = b.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="heizung_neu" value="gas" checked' in step  # prefilled from the proposal
    assert 'name="geb_massnahme" value="heizungstausch" checked' in step
    alt_answers = {**data["answers"], **data["alternative"]["answers"]}
    response = b.submit(
        response.headers["Location"], {**step_data("kassel-2030", "gebaeude", alt_answers), "action": "next"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/pruefen")  # back to review
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Ursprünglicher Vorschlag" in review and "Luft-Wasser-Wärmepumpe" in review
    response = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    assert response.status_code == 302
    db_session.expire_all()
    revision = db_session.get(Check, check_id).current
    assert revision.verdict == "negative" and not revision.flagged
    assert revision.result["alternative"]["verdict"] == "positive"
    assert alternative_changes(revision.answers, revision.alternative_answers) == {"heizung_neu": "waermepumpe"}
    assert revision.result["alternative"]["emissions"]["t_co2e_per_year"] < 0
    page = b.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "Ursprünglicher Vorschlag" in page and "Ergebnis: positiv" in page and "Ergebnis: negativ" in page


def test_negative_alternative_needs_justification_and_flags(as_role, db_session):
    b = as_role("author")
    data = example("gasheizung-ersatz-kita/schaetzt")
    check_id = start(b)
    answer_all(b, check_id, data["answers"])
    saved = b.submit(f"/klimachecks/{check_id}/alternative", {"description": "Ölheizung statt Gas"})
    assert saved.headers["Location"].endswith("/pruefen#alternative")  # no step chosen: back to the review
    # The alternative's full pass through the wizard, with oil instead of gas.
    alt = {**data["answers"], "heizung_neu": "oel"}
    visited = answer_all(b, check_id, alt, alternative=True)
    assert visited == ["vorpruefung", "gebaeude"]
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
    answer_all(b, check_id, example("strassenumbenennung/ohne-zahlen")["answers"])
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    actions = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.check_id == check_id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["check.create", "check.step", "check.step", "check.submit"]
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.check_id == check_id).order_by(AuditEntry.id)
    ).all()
    assert all(e.user_id is not None and e.at is not None for e in entries)
    # The screening's entry names what changed: a formal decision, so no topic was asked.
    assert entries[1].detail["changed"]["entscheidung_art"] == "formal"
    assert "betrifft_gebaeude" not in entries[1].detail["changed"]
    assert entries[2].detail["changed"]["exit_reason"] == "formal"
