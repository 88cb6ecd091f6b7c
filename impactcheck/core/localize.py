"""A stored Result in the reader's language: `localize(result, ruleset, locale) -> Result`.

What a Result means is its ids and numbers: verdict, sector ids and scores, question ids and answer values,
line, factor, typical value and price ids, figures. Its texts are one rendering of those, the German one,
kept in the stored JSON because DESIGN.md's Result JSON never renames a field. Every renderer (result
page, review, Word section and annex, chart, text report) therefore does not read those texts as they
were stored but asks `localize` for a Result whose texts are resolved again from the ids:

- rule-set texts (sector, step, question, option, line, factor, typical value, price, exit reason, verdict
  and effect reasons) from the rule set, through `model.localized()` (English sibling `*_en`, else German);
  a sector's reasons and the verdict reason carry no id, so they are found by their German text among the
  effects and verdict rules of the rule set the check was evaluated with;
- the engine's own sentences and labels (verdict labels, "Vorprüfung: …", dropped answers, "keine
  Angabe", yes/no, scale words) from the catalogue (`core.i18n`), patterns translated before they are
  filled in (`core.wording`), numbers formatted for the locale.

The rule set should be the one the check was evaluated with (same SHA-256: the stored snapshot, see
`store.snapshots`). With another version of it (or none), a text is taken from it only where it has an
English text for that id; everything else keeps the stored German text: an old check renders in
either language, falling back to German, never to a different version's words.

German is the stored rendering: `localize(..., "de")` returns the Result as stored. `resolve()` does the
work for any locale; for German with the exact rule set it reproduces the stored Result field for
field (tests/core/test_localize.py proves that for every example), which is what makes the English
rendering complete. A localized Result keeps the stored one (`Result.original`): its `to_dict()` and
therefore the verification code are those of the stored Result, in every language.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from impactcheck.core import wording
from impactcheck.core.i18n import gettext_for, normalise
from impactcheck.core.model import SCALE_LABELS, VERDICT_LABELS, localized
from impactcheck.core.numbers import format_number
from impactcheck.core.result import (
    AlternativeResult,
    Answer,
    AnswerRef,
    Assessment,
    Dependency,
    EmissionLine,
    EmissionTerm,
    Result,
)


def localize(result: Result, ruleset: Any | None, locale: str | None) -> Result:
    """`result` with its texts in `locale` (German: as stored)."""
    stored = result.canonical()
    if normalise(locale) == "de":
        return stored
    return dataclasses.replace(resolve(stored, ruleset, locale), original=stored, locale=normalise(locale))


def resolve(result: Result, ruleset: Any | None, locale: str | None) -> Result:
    """Every text of `result` resolved again from its ids, in `locale` (see the module docstring)."""
    return _Resolver(result, ruleset, normalise(locale)).result()


class _Resolver:
    def __init__(self, result: Result, ruleset: Any | None, locale: str):
        self.stored = result
        self.rs = ruleset
        self.locale = locale
        self._ = gettext_for(locale)
        self.exact = ruleset is not None and ruleset.sha256 == result.ruleset.sha256
        table = ruleset.factor_table if ruleset is not None else None
        ref = result.ruleset.factors or {}
        self.table = table
        self.exact_factors = table is not None and table._sha256 == ref.get("sha256")
        if ruleset is not None:
            self.questions = ruleset.questions
            self.steps = {s.id: s for s in ruleset.all_steps}
            self.sectors = {s.id: s for s in ruleset.sectors}
            qn = ruleset.quantification
            self.lines = {line.id: line for line in qn.lines} if qn is not None else {}
            self.prices = {p.id: p for p in ruleset.settings.co2_prices}
            screening = ruleset.screening
            self.exit_reasons = {r.id: r for r in screening.exit_reasons} if screening is not None else {}
        else:
            self.questions, self.steps, self.sectors, self.lines, self.prices, self.exit_reasons = ({},) * 6

    # --- texts of the rule set ----------------------------------------------------------------

    def text(self, obj: Any, field: str, stored: str, exact: bool | None = None) -> str:
        """The rule-set text `field` of `obj` in the locale; the stored text where `obj` is unknown, or
        where the rule set is another version and has no English text for it."""
        if obj is None:
            return stored
        if self.exact if exact is None else exact:
            return localized(obj, field, self.locale)
        english = getattr(obj, field + "_en", None) if self.locale == "en" else None
        return english or stored

    def name(self, qid: str, stored: str) -> str:
        q = self.questions.get(qid)
        if q is None:
            return stored
        return self.text(q, "short", stored) if q.short else self.text(q, "text", stored)

    def option(self, q: Any, option_id: str, stored: str | None = None) -> str:
        o = next((o for o in getattr(q, "options", ()) if o.id == option_id), None)
        return self.text(o, "label", option_id if stored is None else stored)

    def display(self, qid: str, value: Any, stored: str) -> str:
        """An answer in words (the model's `display`, in the locale)."""
        q = self.questions.get(qid)
        if q is None or (not self.exact and self.locale == "de"):
            return stored
        try:
            return self._display(q, value)
        except _NoText:
            return stored
        except (TypeError, ValueError, KeyError):
            # Another version of the rule set whose question changed its type (a list where one option is
            # now asked, a number where a choice is): the words stored with the check stay.
            if self.exact:
                raise
            return stored

    def _word(self, obj: Any, field: str) -> str:
        """A rule-set text for a display: with another version of the rule set only an English one."""
        if self.exact:
            return localized(obj, field, self.locale)
        english = getattr(obj, field + "_en", None)
        if not english:
            raise _NoText
        return english

    def _display(self, q: Any, value: Any) -> str:
        if value is None or (q.type == "multiple_choice" and not value):
            return "–"
        _ = self._
        if q.type == "yes_no":
            return _("Ja") if value else _("Nein")
        if q.type in ("single_choice", "multiple_choice"):
            options = {o.id: o for o in q.options}
            chosen = [value] if q.type == "single_choice" else value
            if any(v not in options for v in chosen):
                raise _NoText
            return ", ".join(self._word(options[v], "label") for v in chosen)
        if q.type == "scale":
            own = q.labels.get(value)
            english = (getattr(q, "labels_en", None) or {}).get(value) if self.locale == "en" else None
            if own and not english and not self.exact:
                raise _NoText
            label = english or own or _(SCALE_LABELS[value])
            return f"{value:+d} ({label})" if value else f"0 ({label})"
        if q.type == "number":
            return f"{format_number(value, locale=self.locale)} {q.unit}"
        return str(value)

    # --- the Result ---------------------------------------------------------------------------

    def result(self) -> Result:
        r = self.stored
        a = self.assessment(r.assessment)
        alt = None
        if r.alternative is not None:
            alt = AlternativeResult(r.alternative.description, self.assessment(r.alternative.assessment))
        messages = list(a.messages)
        if r.requires_alternative and r.alternative is None:
            messages.append(wording.alternative_required_message(a.verdict_label, self._))
        ruleset = r.ruleset._replace(
            title=self.text(self.rs, "title", r.ruleset.title),
            municipality=self.text(self.rs, "municipality", r.ruleset.municipality),
        )
        return dataclasses.replace(
            r,
            ruleset=ruleset,
            assessment=a,
            alternative=alt,
            messages=tuple(messages) if len(messages) == len(r.messages) else r.messages,
            locale=self.locale,
        )

    def assessment(self, a: Assessment) -> Assessment:
        _ = self._
        values = {x.id: x.value for x in a.answers}
        verdict_label = _(VERDICT_LABELS.get(a.verdict, a.verdict_label))
        screening = a.screening
        if screening.exited:
            reason = self.exit_reasons.get(screening.reason or "")
            label = self.text(reason, "label", screening.reason_label or screening.reason or "")
            screening = screening._replace(reason_label=label if screening.reason_label else None)
            verdict_reason = wording.not_relevant_reason(label, screening.explanation, _)
        else:
            verdict_reason = self.verdict_reason(a.verdict, a.verdict_reason)
        return a._replace(
            verdict_label=verdict_label,
            verdict_reason=verdict_reason,
            sectors=tuple(self.sector(s) for s in a.sectors),
            emissions=self.emissions(a.emissions),
            screening=screening,
            answers=tuple(self.answer(x) for x in a.answers),
            messages=self.messages(a),
            decision=None if a.decision is None else self.decision(a.decision),
            open_points=tuple(self.ref(x, values) for x in a.open_points),
            basis=tuple(self.ref(x, values) for x in a.basis),
            robustness=None
            if a.robustness is None
            else a.robustness._replace(depends_on=tuple(self.dependency(d) for d in a.robustness.depends_on)),
        )

    def verdict_reason(self, verdict: str, stored: str) -> str:
        rules = self.rs.verdict.rules if self.rs is not None else ()
        rule = next((x for x in rules if x.verdict == verdict and x.reason == stored), None)
        return self.text(rule, "reason", stored, exact=True) if rule is not None else stored

    def sector(self, s):
        effects = [e for e in (self.rs.effects if self.rs is not None else ()) if e.sector == s.id]
        return s._replace(
            label=self.text(self.sectors.get(s.id), "label", s.label),
            reasons=tuple(self._reason(effects, x) for x in s.reasons),
        )

    def _reason(self, effects: list, stored: str) -> str:
        # Found by its German text in the rule set: exactly, or followed by the author's words.
        for e in effects:
            if e.reason == stored:
                return self.text(e, "reason", stored, exact=True)
        for e in effects:
            head = wording.reason_with_answer(e.reason, "")
            if e.reason_from and stored.startswith(head):
                return wording.reason_with_answer(self.text(e, "reason", e.reason, exact=True), stored[len(head) :])
        return stored

    def messages(self, a: Assessment) -> tuple[str, ...]:
        """The dropped answers' notes: the only messages of an Assessment, one per dropped id."""
        if len(a.messages) != len(a.dropped):
            return a.messages
        out = []
        for qid, stored in zip(a.dropped, a.messages, strict=True):
            q = self.questions.get(qid)
            text = self.text(q, "text", "", exact=self.exact) if q is not None else ""
            out.append(wording.dropped_message(text, qid, self._) if text else stored)
        return tuple(out)

    def answer(self, x: Answer) -> Answer:
        return x._replace(
            step_title=self.text(self.steps.get(x.step), "title", x.step_title),
            question=self.text(self.questions.get(x.id), "text", x.question),
            display=self.display(x.id, x.value, x.display),
        )

    def ref(self, x: AnswerRef, values: dict[str, Any]) -> AnswerRef:
        step = self.rs.step_of.get(x.question) if self.rs is not None else None
        return x._replace(
            name=self.name(x.question, x.name),
            display=self.display(x.question, values[x.question], x.display) if x.question in values else x.display,
            step_title=self.text(step, "title", x.step_title) if x.step_title else x.step_title,
        )

    def dependency(self, d: Dependency) -> Dependency:
        _ = self._
        if d.alternative is None:
            alternative_display = _(wording.NO_ANSWER)
        else:
            alternative_display = self.display(d.question, d.alternative, d.alternative_display)
        return d._replace(
            name=self.name(d.question, d.name),
            answer_display=self.display(d.question, d.answer, d.answer_display),
            alternative_display=alternative_display,
            would_be_label=_(VERDICT_LABELS.get(d.would_be, d.would_be_label)),
        )

    def decision(self, d):
        q = self.questions.get(self.rs.decision.question) if self.rs is not None and self.rs.decision else None
        return d._replace(label=self.option(q, d.kind, d.label) if q is not None else d.label)

    def emissions(self, em):
        return em._replace(
            lines=tuple(self.line(x) for x in em.lines),
            climate_cost=tuple(self.price(c) for c in em.climate_cost),
        )

    def price(self, c):
        price = self.prices.get(c.id)
        return c._replace(label=self.text(price, "label", c.label), source=self.text(price, "source", c.source))

    def line(self, x: EmissionLine) -> EmissionLine:
        factor = self.table.get(x.factor_id) if self.table is not None else None
        return x._replace(
            label=self.text(self.lines.get(x.id), "label", x.label),
            factor_label=self.text(factor, "label", x.factor_label, exact=self.exact_factors),
            factor_source=self.text(factor, "source", x.factor_source, exact=self.exact_factors),
            terms=tuple(self.term(t) for t in x.terms),
        )

    def term(self, t: EmissionTerm) -> EmissionTerm:
        if t.source is None:  # an answer of the author: named like its question
            return t._replace(label=self.name(t.id, t.label))
        tv = self.table.typical(t.id) if self.table is not None else None
        return t._replace(
            label=self.text(tv, "label", t.label, exact=self.exact_factors),
            basis=self.text(tv, "basis", t.basis, exact=self.exact_factors) if t.basis is not None else None,
            source=self.text(tv, "source", t.source, exact=self.exact_factors),
        )


class _NoText(Exception):
    """Another version of the rule set has no English text here: keep the stored words."""
