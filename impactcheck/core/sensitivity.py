"""Is the verdict robust? For each answer it rests on, would another plausible answer change it?

"Plausible" is what a second, equally honest author might have said: the neighbouring option of
an ordered choice (a standard, a direction), "unbekannt" where it is offered, the other yes/no,
one point along a scale, an estimated number ±50 % (the rule set's `sensitivity_change`; counts
marked `exact` are facts), or no number at all where a number was optional. Screening answers, the
kind of decision and answers that would change which questions are asked (a new building instead of
a renovation) are left alone: they describe what the paper is, not how it is rated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from impactcheck.core.i18n import N_, gettext_for
from impactcheck.core.result import Dependency, Robustness
from impactcheck.core.wording import NO_ANSWER

if TYPE_CHECKING:  # `sentences` serves the Word section, which must not pay for pydantic (core.model)
    from impactcheck.core import model as m

_SKIPPED_TYPES = ("text",)


def alternatives(q: Any, value: Any, change: float) -> Iterator[Any]:
    """Other plausible answers to `q` than `value`; None stands for "no answer"."""
    t = q.type
    if t == "yes_no":
        yield not value
    elif t == "single_choice":
        known = [o.id for o in q.options if not o.unknown]
        unknown = [o.id for o in q.options if o.unknown]
        if value in unknown:
            yield from known
            return
        if q.ordered:
            i = known.index(value)
            if i > 0:
                yield known[i - 1]
            if i + 1 < len(known):
                yield known[i + 1]
        yield from unknown[:1]
    elif t == "multiple_choice":
        chosen = set(value)
        for o in q.options:
            if o.unknown:
                continue
            toggled = [x.id for x in q.options if (x.id in chosen) != (x.id == o.id)]
            if toggled:
                yield toggled
    elif t == "scale":
        for v in (value - 1, value + 1):
            if -2 <= v <= 2:
                yield v
    elif t == "number":
        if q.exact:
            return
        for factor in (1 - change, 1 + change):
            v = value * factor
            v = round(v) if q.integer else round(v, 6)
            if v != value and q.min <= v <= q.max:
                yield v
        if not q.required:
            yield None


def _display(q: Any, value: Any) -> str:
    return NO_ANSWER if value is None else q.display(value)


def robustness(ruleset: m.RuleSet, visible: list[Any], eff: Mapping[str, Any], verdict: str, trial) -> Robustness:
    """Try the other plausible answers of every rated answer; `trial(answers)` gives the verdict and
    the ids of the questions those answers show."""
    from impactcheck.core import model as m  # loaded already: `ruleset` is one of its objects

    change = ruleset.settings.sensitivity_change
    skip = {ruleset.decision.question} if ruleset.decision else set()
    step_of = ruleset.step_of
    depends: list[Dependency] = []
    tried = 0
    shown = frozenset(q.id for q in visible)
    for q in visible:
        if q.id not in eff or q.id in skip or q.type in _SKIPPED_TYPES or step_of[q.id].stage == "screening":
            continue
        if q.id in m.RESERVED_QUESTION_IDS:
            continue
        value = eff[q.id]
        for alt in alternatives(q, value, change):
            answers = dict(eff)
            if alt is None:
                answers.pop(q.id)
            else:
                answers[q.id] = alt
            other, other_shown = trial(answers)
            if other_shown != shown:
                continue  # a different kind of measure, not another reading of the same one
            tried += 1
            if other != verdict and other != "not_relevant":
                depends.append(
                    Dependency(
                        question=q.id,
                        name=q.name,
                        answer=value,
                        answer_display=q.display(value),
                        alternative=alt,
                        alternative_display=_display(q, alt),
                        would_be=other,
                        would_be_label=m.VERDICT_LABELS[other],
                    )
                )
                break
    return Robustness(fragile=bool(depends), depends_on=tuple(depends), tried=tried)


def sentences(r: Robustness | None, *, own: bool = True, locale: str | None = "de") -> list[str]:
    """The dependencies in words: „Ihr Ergebnis hängt an der Angabe „Heizung: Erdgas“ – bei …“ (German,
    or `locale`; the Robustness should be localized too, see core.localize)."""
    if r is None or not r.fragile:
        return []
    _ = gettext_for(locale)
    out = []
    for d in r.depends_on:
        if d.alternative is None:
            other = _(N_("ohne diese Angabe"))
        else:
            other = _(N_("bei „{answer}“")).format(answer=d.alternative_display)
        if own:
            pattern = N_("Ihr Ergebnis hängt an der Angabe „{name}: {answer}“ – {other} wäre es {verdict}.")
        else:
            pattern = N_("Das Ergebnis hängt an der Angabe „{name}: {answer}“ – {other} wäre es {verdict}.")
        out.append(_(pattern).format(name=d.name, answer=d.answer_display, other=other, verdict=d.would_be_label))
    return out
