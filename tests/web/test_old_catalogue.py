"""Checks stored under an earlier catalogue version render exactly as they did (issue 7).

The result page, the Word section and the JSON of a check stored under kassel-2030 2026.1 are
compared with what 2026.1 itself rendered (tests/fixtures/kassel-2030-2026.1/); the archived rule
text still loads and reproduces the stored Result.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.web.old_catalogue import FIXTURES, NAMES, result_main, section_text, store_old_check

WRITE = os.environ.get("IMPACTCHECK_WRITE_GOLDEN") == "1"


def _golden(name: str, content: str) -> None:
    path = FIXTURES / name
    if WRITE:
        path.write_text(content, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == content, f"{name} renders differently than under 2026.1"


@pytest.mark.parametrize("name", NAMES)
def test_old_check_renders_as_before(app, db_session, as_role, name):
    check_id = store_old_check(db_session, name)
    climate = as_role("climate")
    page = climate.get(f"/klimachecks/{check_id}")
    assert page.status_code == 200
    _golden(f"{name}.page.html", result_main(page.get_data(as_text=True)))
    docx = climate.get(f"/klimachecks/{check_id}/klimacheck.docx")
    assert docx.status_code == 200
    _golden(f"{name}.section.txt", section_text(docx.data))
    stored = json.loads((FIXTURES / f"{name}.result.json").read_text(encoding="utf-8"))
    body = json.loads(climate.get(f"/klimachecks/{check_id}/ergebnis.json").get_data(as_text=True))
    body.pop("check")
    assert body == stored


@pytest.mark.parametrize("name", NAMES)
def test_archived_rule_text_reproduces_the_stored_result(name):
    """The 2026.1 rule file is kept byte for byte (its SHA-256 is the stored one) and still loads: the
    stored answers give the stored Result; the current engine only adds fields."""
    import hashlib

    from impactcheck.core.evaluate import evaluate
    from impactcheck.core.loader import load_ruleset
    from tests.support import ARCHIVE

    stored = json.loads((FIXTURES / f"{name}.result.json").read_text(encoding="utf-8"))
    rule_file = ARCHIVE / "kassel-2030.yaml"
    assert hashlib.sha256(rule_file.read_bytes()).hexdigest() == stored["ruleset"]["sha256"]
    factors = ARCHIVE / "factors" / "de-2026.yaml"
    assert hashlib.sha256(factors.read_bytes()).hexdigest() == stored["ruleset"]["factors"]["sha256"]
    rs = load_ruleset(rule_file)
    answers = {a["id"]: a["value"] for a in stored["answers"]}
    alternative = None
    if stored["alternative"]:
        alt_answers = {a["id"]: a["value"] for a in stored["alternative"]["answers"]}
        changes = {k: v for k, v in alt_answers.items() if answers.get(k) != v}
        changes.update({k: None for k in answers if k not in alt_answers})
        alternative = {"description": stored["alternative"]["description"], "answers": changes}
    again = evaluate(rs, answers, alternative=alternative, paper=stored["paper"], sensitivity=False).to_dict()
    assert {k: again[k] for k in stored if k != "alternative"} == {
        k: v for k, v in stored.items() if k != "alternative"
    }
    if stored["alternative"]:
        assert {k: again["alternative"][k] for k in stored["alternative"]} == stored["alternative"]
