"""Wizard step forms built from the rule set (WTForms), and reading them back into typed answers.

The form only carries the author's text; whether a value is allowed (bounds, options, required,
visible) is decided by the core, the same code that evaluates the check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from impactcheck.core import model as m
from impactcheck.core import numbers
from impactcheck.core.evaluate import Visibility, check_value
from impactcheck.core.i18n import translated
from impactcheck.web.forms import VersionForm

YES, NO = "ja", "nein"


def _locale(locale: str | None) -> str:
    return numbers.babel_locale(locale if locale is not None else str(get_locale()))


def parse_number(
    text: str, unit: str | tuple[str, ...] | None = None, integer: bool = False, locale: str | None = None
) -> tuple[int | float | None, str | None]:
    """'95.000' → 95000, '1,5' → 1.5, '1.5' → 1.5, '95.000 kWh/a' → 95000; anything else is an error.

    The rules of reading are core/numbers.parse_number's (per locale: the page's language); here they
    get their words. English pages ask for English separators."""
    locale = _locale(locale)
    value, problem = numbers.parse_number(text, unit, integer, locale)
    if problem is None:
        return value, None
    english = locale == "en"
    if problem.kind == "ambiguous":
        a, b = problem.readings
        if english:
            return None, _(
                "„%(text)s“ ist mehrdeutig: Meinen Sie %(a)s oder %(b)s? Bitte schreiben Sie Tausender "
                "mit Komma, Dezimalstellen mit Punkt.",
                text=text.strip(),
                a=a,
                b=b,
            )
        return None, _(
            "„%(text)s“ ist mehrdeutig: Meinen Sie %(a)s oder %(b)s? Bitte schreiben Sie Tausender "
            "mit Punkt, Dezimalstellen mit Komma.",
            text=text.strip(),
            a=a,
            b=b,
        )
    if problem.kind == "thousands":
        if english:
            return None, _("Meinen Sie %(a)s? Bitte schreiben Sie Tausender mit Komma.", a=problem.readings[0])
        return None, _("Meinen Sie %(a)s? Bitte schreiben Sie Tausender mit Punkt.", a=problem.readings[0])
    if problem.kind == "integer":
        return None, _("Bitte geben Sie eine ganze Zahl ein, zum Beispiel 20.")
    if english:
        return None, _("Bitte geben Sie eine Zahl ein, zum Beispiel 95,000 oder 1.5.")
    return None, _("Bitte geben Sie eine Zahl ein, zum Beispiel 95.000 oder 1,5.")


def number_text(value: Any, locale: str | None = None) -> str:
    """A stored number as the form shows it, in the page's language (read back by parse_number)."""
    if value is None or value == "":
        return ""
    return numbers.format_input(value, locale=_locale(locale))


def _field(q: Any, locale: str):
    label = m.localized(q, "text", locale)
    if q.type == "yes_no":
        return RadioField(
            label, choices=[SelectChoice(YES, _l("Ja")), SelectChoice(NO, _l("Nein"))], validate_choice=False
        )
    if q.type == "single_choice":
        return RadioField(
            label,
            choices=[SelectChoice(o.id, m.localized(o, "label", locale)) for o in q.options],
            validate_choice=False,
        )
    if q.type == "multiple_choice":
        return SelectMultipleField(
            label,
            choices=[SelectChoice(o.id, m.localized(o, "label", locale)) for o in q.options],
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            validate_choice=False,
        )
    if q.type == "scale":
        return RadioField(
            label, choices=[SelectChoice(str(v), q.label(v, locale)) for v in (-2, -1, 0, 1, 2)], validate_choice=False
        )
    if q.type == "number":
        return StringField(label)
    return TextAreaField(label) if q.multiline else StringField(label)


def to_form_value(q: Any, value: Any) -> Any:
    if value is None:
        return None
    if q.type == "yes_no":
        return YES if value else NO
    if q.type == "scale":
        return str(value)
    if q.type == "number":
        return number_text(value)
    return value


def _from_form(q: Any, raw: Any) -> tuple[Any, str | None]:
    """The typed value from the form's data (None = no answer) or an error message."""
    if q.type == "multiple_choice":
        return (list(raw) or None) if raw else None, None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if q.type == "yes_no":
        if raw in (YES, NO):
            return raw == YES, None
        return None, _("Bitte wählen Sie Ja oder Nein.")
    if q.type == "scale":
        try:
            return int(raw), None
        except ValueError:
            return None, _("Bitte wählen Sie einen Wert der Skala.")
    if q.type == "number":
        return parse_number(raw, (q.unit, q.unit_en or q.unit), q.integer)
    return raw, None


# Step form classes by (rule set SHA-256, step id, language): built once per process and rule set version,
# not per request; the labels of the choices are the rule set's words in the page's language. A rule file
# edited on disk has a new SHA-256, hence new classes; the old ones age out.
_FORM_CLASSES: dict[tuple[str, str, str], type[VersionForm]] = {}
_FORM_CLASSES_MAX = 512


def form_class(ruleset: m.RuleSet, step: m.Step, locale: str | None = None) -> type[VersionForm]:
    locale = str(get_locale() or "de") if locale is None else locale
    if not ruleset.sha256:  # built in memory, not read from a file: nothing to key it by
        return type("StepForm", (VersionForm,), {q.id: _field(q, locale) for q in step.questions})
    key = (ruleset.sha256, step.id, locale)
    cls = _FORM_CLASSES.get(key)
    if cls is None:
        if len(_FORM_CLASSES) >= _FORM_CLASSES_MAX:
            _FORM_CLASSES.clear()
        cls = type("StepForm", (VersionForm,), {q.id: _field(q, locale) for q in step.questions})
        _FORM_CLASSES[key] = cls
    return cls


@dataclass
class QuestionView:
    question: Any
    field: Any
    when: str | None  # condition as JSON for the browser, when it depends on this step's answers
    hidden: bool = False  # that condition does not hold for the answers on the page now
    ruleset_sha256: str = ""  # which rule set version the question is of (web/questionmarkup.py keys by it)


class StepPage:
    """One wizard step: its form, the questions shown, and reading the answers back."""

    def __init__(self, ruleset: m.RuleSet, step: m.Step, answers: dict[str, Any], formdata=None):
        self.ruleset = ruleset
        self.step = step
        self.answers = answers
        cls = form_class(ruleset, step)
        if formdata is None:
            data = {q.id: to_form_value(q, answers.get(q.id)) for q in step.questions}
            self.form = cls(data=data)
        else:
            self.form = cls(formdata=formdata)
        self.errors: dict[str, str] = {}
        self.valid: dict[str, Any] = {}  # after read(): the values that passed, also when others did not
        self.current: dict[str, Any] = dict(answers)  # the answers as the page shows them now
        self.visibility: Visibility | None = None  # after read(): what those answers show
        self.show_all = False

    def questions(self) -> list[QuestionView]:
        """The questions to render: those whose conditions hold on earlier steps' answers; a question
        that depends on this step's own answers is rendered with its condition for the browser.
        A step shown although it dropped out (a conflict page keeping the input) shows all of them."""
        own = {q.id for q in self.step.questions}
        sha = self.ruleset.sha256
        if self.show_all:
            return [QuestionView(q, self.form[q.id], None, False, sha) for q in self.step.questions]
        earlier = {k: v for k, v in self.answers.items() if k not in own}
        views = []
        vis = Visibility(self.ruleset, earlier)
        shown_without_own = {q.id for q in vis.questions}
        for q in self.step.questions:
            depends_on_own = q.when is not None and bool(q.when.questions() & own)
            if not depends_on_own and q.id not in shown_without_own:
                continue
            when = json.dumps(q.when.to_data(), ensure_ascii=False) if depends_on_own else None
            hidden = depends_on_own and not q.when.test(self.current)
            views.append(QuestionView(q, self.form[q.id], when, hidden, sha))
        return views

    def known_answers_json(self) -> str:
        """Answers of earlier steps, for conditions evaluated in the browser."""
        own = {q.id for q in self.step.questions}
        text = json.dumps({k: v for k, v in self.answers.items() if k not in own}, ensure_ascii=False)
        return text.replace("<", "\\u003c")  # inside <script>: an answer must not close the tag

    def read(self, *, require: bool, all_no: bool = False) -> dict[str, Any] | None:
        """The step's answers (None removes one), or None with `errors` filled.

        Only questions visible with the new answers count; `require` checks required questions
        (on "Weiter", not on "Zwischenspeichern" or "Zurück"); `all_no` answers every yes/no
        question of the step left open with "Nein" (the step's one-click "none of these").
        """
        typed: dict[str, Any] = {}
        type_errors: dict[str, str] = {}
        for q in self.step.questions:
            if all_no and q.type == "yes_no" and not self.form[q.id].data:
                # "None of these": the questions left open are "Nein"; an answer given stays.
                typed[q.id] = False
                self.form[q.id].data = NO
                continue
            value, error = _from_form(q, self.form[q.id].data)
            if error:
                type_errors[q.id] = error
            typed[q.id] = value
        merged = dict(self.answers)
        for key, value in typed.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        self.current = merged
        vis = self.visibility = Visibility(self.ruleset, merged)
        visible = {q.id for q in vis.questions}
        values: dict[str, Any] = {}
        for q in self.step.questions:
            if q.id not in visible:
                continue  # hidden by this page's answers: keep what was stored, it is dropped at the end
            if q.id in type_errors:
                self.errors[q.id] = type_errors[q.id]
                continue
            value = typed[q.id]
            if value is None:
                if require and q.required:
                    self.errors[q.id] = (
                        _("Bitte wählen Sie mindestens eine Antwort.")
                        if q.type == "multiple_choice"
                        else _("Bitte beantworten Sie diese Frage.")
                    )
                values[q.id] = None
                continue
            clean, problem = check_value(q, value)
            if problem:
                self.errors[q.id] = translated(problem)  # a core Message, in the page's language
            else:
                values[q.id] = clean
        for qid, message in self.errors.items():
            self.form[qid].errors = [message]
        self.valid = values
        return None if self.errors else values

    def valid_values(self) -> dict[str, Any]:
        """After a read with errors: the values that can be saved anyway."""
        return dict(self.valid)
