"""Step form classes are built once per rule set version and step, not per request."""

from __future__ import annotations

import shutil

from impactcheck.core.loader import load_ruleset
from impactcheck.web import stepform
from tests.support import RULES


def test_form_class_is_built_once_per_rule_set_version(app, tmp_path):
    ruleset = load_ruleset(RULES / "kassel-2030.yaml")
    step = ruleset.all_steps[1]
    first = stepform.form_class(ruleset, step)
    assert stepform.form_class(load_ruleset(RULES / "kassel-2030.yaml"), step) is first  # same file, same class

    # An edited catalogue (a question's text changed) has another SHA-256: a new class with the new text.
    shutil.copytree(RULES, tmp_path / "rules")
    path = tmp_path / "rules" / "kassel-2030.yaml"
    question = step.questions[0]
    path.write_text(path.read_text(encoding="utf-8").replace(question.text, "Neu formuliert?", 1), encoding="utf-8")
    edited = load_ruleset(path)
    assert edited.sha256 != ruleset.sha256
    second = stepform.form_class(edited, edited.step_of[question.id])
    assert second is not first
    with app.test_request_context():
        assert second().__getattribute__(question.id).label.text == "Neu formuliert?"
        assert first().__getattribute__(question.id).label.text == question.text


def test_yes_no_labels_follow_the_request_language(app):
    ruleset = load_ruleset(RULES / "kassel-2030.yaml")
    step = next(s for s in ruleset.all_steps if any(q.type == "yes_no" for q in s.questions))
    question = next(q for q in step.questions if q.type == "yes_no")
    with app.test_request_context():
        field = stepform.form_class(ruleset, step)()[question.id]
        assert [str(label) for _value, label, *_ in field.iter_choices()] == ["Ja", "Nein"]


def test_question_markup_is_kept_only_for_the_questions_own_values(app, as_role):
    """web/questionmarkup.py keeps a question's rendered block per rule set, language and shown answer;
    a posted value the question does not offer (any length, any kind) is rendered but never kept."""
    from impactcheck.web import questionmarkup
    from tests.web.flows import start

    ruleset = load_ruleset(RULES / "kassel-2030.yaml")
    first = ruleset.all_steps[0]
    choice = next(q for q in first.questions if q.type == "single_choice")
    author = as_role("author")
    check_id = start(author)
    url = f"/klimachecks/{check_id}/schritt/{first.id}"
    questionmarkup._KEPT.clear()
    page = author.get(url).get_data(as_text=True)
    kept = dict(questionmarkup._KEPT)
    assert kept and all(key[0] == ruleset.sha256 for key in kept)
    assert {key[2] for key in kept} >= {choice.id}
    # The same page again comes from what is kept, and looks the same.
    assert author.get(url).get_data(as_text=True).count('class="form-group') == page.count('class="form-group')
    garbage = "x" * 50_000
    response = author.submit(url, {choice.id: garbage, "action": "save"})
    assert response.status_code in (200, 302)
    assert not any(garbage in str(key) for key in questionmarkup._KEPT)
    assert len(questionmarkup._KEPT) <= len(kept) + len(first.questions)
