"""A stored check in the reader's language (issue 11, point 5): the result page, the Word section and the
review page render the Result in English from ids; the stored JSON and the verification code stay as stored.

The old check is the one 2026.1 left (tests/web/old_catalogue.py: German labels in its JSON, no rule-set
snapshot); the snapshot test stores the archived 2026.1 rule text as `operations.submit` would, and the
English rendering then takes the exact rule set from it.
"""

from __future__ import annotations

import hashlib
import io
import json

import docx
import pytest

from impactcheck.core.loader import FACTORS_DIR
from impactcheck.store import snapshots
from impactcheck.store.models import Revision, RulesetSnapshot
from impactcheck.store.snapshots import localized_result, ruleset_of
from tests.support import ARCHIVE
from tests.web.flows import answer_all, example, start, submit_example
from tests.web.old_catalogue import FIXTURES, section_text, store_old_check

# The section's fixed German words; the English section has none of them.
GERMAN_FIXED = (
    "Ergebnis des Klimachecks",
    "Bewertung nach Handlungsfeldern",
    "Treibhausgasemissionen",
    "Regelwerk „",
    "Prüfcode",
    "Quellen:",
    "pro Jahr",
    "· Stand ",  # the reference line (a cited source may say "Stand 11/2016")
)
# Table headers: lines of their own (a rule set's German sentence may well say "Handlungsfeld").
GERMAN_LINES = {
    "Handlungsfeld",
    "Bewertung",
    "Begründung",
    "Emissionsquelle",
    "Menge",
    "Emissionsfaktor",
    "Klimakosten",
}


def _german_left(section: str) -> list[str]:
    return [w for w in GERMAN_FIXED if w in section] + sorted(GERMAN_LINES & set(section.splitlines()))


def _section(client, check_id: int, lang: str) -> str:
    client.get(f"/klimachecks/{check_id}?lang={lang}")  # the language for this browser session
    docx = client.get(f"/klimachecks/{check_id}/klimacheck.docx")
    assert docx.status_code == 200
    return section_text(docx.data)


@pytest.mark.parametrize("name", ["gasheizung-kita", "strassenumbenennung"])
def test_old_check_renders_in_english_and_still_in_german(app, db_session, as_role, name):
    check_id = store_old_check(db_session, name)
    climate = as_role("climate")
    english = _section(climate, check_id, "en")
    assert english.startswith("Climate check\n")
    left = _german_left(english)
    assert not left, f"{left}\n{english}"
    assert "Verification code" in english
    assert climate.get(f"/klimachecks/{check_id}").status_code == 200
    stored = json.loads((FIXTURES / f"{name}.result.json").read_text(encoding="utf-8"))
    body = json.loads(climate.get(f"/klimachecks/{check_id}/ergebnis.json").get_data(as_text=True))
    body.pop("check")
    assert body == stored  # the JSON stays the stored one, in every language
    german = _section(climate, check_id, "de")
    assert german == (FIXTURES / f"{name}.section.txt").read_text(encoding="utf-8")


def test_rule_set_snapshot_gives_the_exact_rule_set(app, db_session):
    snapshots._LOADED.clear()  # loaded snapshots are kept by SHA-256 for the process (the other backend's run)
    name = "gasheizung-kita"
    check_id = store_old_check(db_session, name)
    revision = db_session.query(Revision).filter_by(check_id=check_id).one()
    stored = revision.result["ruleset"]
    current = app.extensions["impactcheck.municipal_rules"].get
    fallback = ruleset_of(db_session, revision, current)
    assert fallback is not None and fallback.sha256 != stored["sha256"]  # today's version: no snapshot yet
    for path, kind, ident in (
        (ARCHIVE / "kassel-2030.yaml", "ruleset", "kassel-2030"),
        (ARCHIVE / FACTORS_DIR / "de-2026.yaml", "factors", "de-2026"),
    ):
        raw = path.read_bytes()
        db_session.add(
            RulesetSnapshot(
                sha256=hashlib.sha256(raw).hexdigest(), kind=kind, ident=ident, content=raw.decode(), version=None
            )
        )
    db_session.commit()
    exact = ruleset_of(db_session, revision, current)
    assert exact.sha256 == stored["sha256"] and exact.version == "2026.1"
    assert exact.factor_table._sha256 == stored["factors"]["sha256"]
    english = localized_result(db_session, revision, "en", current)
    assert english.locale == "en" and english.to_dict() == revision.result
    assert localized_result(db_session, revision, "de", current).to_dict() == revision.result


def test_new_check_in_english(as_role):
    author = as_role("author")
    check_id = submit_example(author, "gasheizung-ersatz-kita/schaetzt")
    english = _section(author, check_id, "en")
    assert english.startswith("Climate check\n")
    assert not _german_left(english), english
    page = author.get(f"/klimachecks/{check_id}").get_data(as_text=True)  # the session's language: English
    assert "The negative effects on climate protection predominate." in page  # the rule set's reason_en
    assert "Die negativen Wirkungen auf den Klimaschutz überwiegen." not in page
    alone = docx.Document(io.BytesIO(author.get(f"/klimachecks/{check_id}/klimacheck.docx").data))
    assert alone.core_properties.language == "en-GB"  # Word proofs the English section as English


def test_review_page_shows_the_would_be_result_in_english(app, as_role):
    from impactcheck.core.answers import evaluate_submission, load_submission
    from impactcheck.core.localize import localize
    from tests.support import RULES

    author = as_role("author")
    name = "gasheizung-ersatz-kita/schaetzt"
    check_id = start(author)
    answer_all(author, check_id, example(name)["answers"])
    rs = app.extensions["impactcheck.municipal_rules"].get("kassel-2030")
    result = evaluate_submission(rs, load_submission(RULES / "examples" / "kassel-2030" / f"{name}.yaml"))
    english = localize(result, rs, "en").assessment.verdict_reason
    assert english != result.assessment.verdict_reason  # the rule set says it in English
    page = author.get(f"/klimachecks/{check_id}/pruefen?lang=en").get_data(as_text=True)
    assert english in page and result.assessment.verdict_reason not in page
    page = author.get(f"/klimachecks/{check_id}/pruefen?lang=de").get_data(as_text=True)
    assert result.assessment.verdict_reason in page
