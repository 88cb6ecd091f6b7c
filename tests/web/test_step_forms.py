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
