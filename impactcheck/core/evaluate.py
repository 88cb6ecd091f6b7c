"""evaluate(ruleset, answers) -> Result: pure, deterministic, no I/O.

Order of work: decide which steps and questions are visible (conditions only look at visible
answers), validate the visible answers, then score sectors, quantify emissions, apply the verdict
rules. Answers to hidden questions are dropped and reported, never silently used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from impactcheck.core import model as m
from impactcheck.core.errors import AnswersError, Problem
from impactcheck.core.numbers import format_number, round_t
from impactcheck.core.result import (
    AlternativeResult,
    Answer,
    Assessment,
    ClimateCost,
    EmissionLine,
    Emissions,
    Result,
    RulesetRef,
    ScreeningOutcome,
    SectorResult,
)

# --- visibility -------------------------------------------------------------------------------


class Visibility:
    """Which steps and questions are shown for these answers, and which answers count.

    `fill`, if given, is asked for the value of every shown question without an answer (the sampler
    uses this to answer a rule set exactly as an author meets it).
    """

    __slots__ = ("dropped", "effective", "exited", "questions", "steps")

    def __init__(
        self,
        ruleset: m.RuleSet,
        answers: Mapping[str, Any],
        fill: Callable[[Any], Any] | None = None,
    ):
        self.steps: list[m.Step] = []
        self.questions: list[Any] = []
        self.effective: dict[str, Any] = {}
        self.dropped: list[str] = []
        self.exited = False
        screening = ruleset.screening
        for step in ruleset.all_steps:
            if step.id == m.EXIT_STEP_ID and screening is not None:
                # The exit decision is taken once, on the screening answers alone.
                self.exited = screening.exit_when.test(self.effective)
            shown = not (self.exited and step.stage != "screening")
            if shown and step.when is not None:
                shown = step.when.test(self.effective)
            if shown:
                self.steps.append(step)
            for q in step.questions:
                q_shown = shown and (q.when is None or q.when.test(self.effective))
                value = answers.get(q.id)
                if q_shown and fill is not None and _blank(value):
                    value = fill(q)
                if _blank(value):
                    if q_shown:
                        self.questions.append(q)
                    continue
                if q_shown:
                    self.questions.append(q)
                    self.effective[q.id] = value
                else:
                    self.dropped.append(q.id)


def steps_for(ruleset: m.RuleSet, answers: Mapping[str, Any]) -> list[m.Step]:
    """The steps the wizard shows for these (possibly partial) answers, in order."""
    return Visibility(ruleset, answers).steps


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


# --- validation of answers --------------------------------------------------------------------


def check_value(q: Any, value: Any) -> tuple[Any, str | None]:
    """(normalised value, None) or (None, German problem)."""
    t = q.type
    if t == "yes_no":
        if isinstance(value, bool):
            return value, None
        return None, f"„{_show(value)}“ ist keine Ja/Nein-Antwort (erwartet: true oder false)"
    if t == "single_choice":
        ids = [o.id for o in q.options]
        if isinstance(value, str) and value in ids:
            return value, None
        return None, f"„{_show(value)}“ ist keine der angebotenen Optionen ({', '.join(ids)})"
    if t == "multiple_choice":
        ids = [o.id for o in q.options]
        if not isinstance(value, list | tuple):
            return None, "erwartet wird eine Liste von Optionen"
        bad = [v for v in value if not isinstance(v, str) or v not in ids]
        if bad:
            return None, f"„{_show(bad[0])}“ ist keine der angebotenen Optionen ({', '.join(ids)})"
        if len(set(value)) != len(value):
            return None, "eine Option ist doppelt gewählt"
        chosen = set(value)
        return [i for i in ids if i in chosen], None  # option order, so equal choices compare equal
    if t == "scale":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return None, f"„{_show(value)}“ ist kein Wert der Skala (-2, -1, 0, +1, +2)"
        if not -2 <= value <= 2:
            return None, f"{_show(value)} liegt außerhalb der Skala von -2 bis +2"
        return int(value), None
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None, f"„{_show(value)}“ ist keine Zahl"
        if q.integer and value != int(value):
            return None, f"{_show(value)} ist keine ganze Zahl"
        if value < q.min:
            return None, f"{_show(value)} liegt unter dem Mindestwert {format_number(q.min)} {q.unit}"
        if value > q.max:
            return None, f"{_show(value)} liegt über dem Höchstwert {format_number(q.max)} {q.unit}"
        return (int(value) if q.integer else value), None
    # text
    if not isinstance(value, str):
        return None, "erwartet wird ein Text"
    text = value.strip()
    if len(text) > q.max_length:
        return None, f"Text zu lang ({len(text)} Zeichen, höchstens {q.max_length})"
    return text, None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def check_answers(
    ruleset: m.RuleSet, answers: Mapping[str, Any], *, prefix: tuple = ("answers",)
) -> tuple[Visibility, dict[str, Any], list[Problem]]:
    """Visibility, the normalised visible answers, and every problem with them."""
    problems: list[Problem] = []
    if not isinstance(answers, Mapping):
        return (
            Visibility(ruleset, {}),
            {},
            [Problem("„answers“ muss Einträge „frage_id: wert“ enthalten", path=prefix)],
        )
    questions = ruleset.questions  # one lookup: private attributes of pydantic models are slow to reach
    for key in answers:
        if key not in questions:
            problems.append(Problem(f"unbekannte Frage „{key}“ (nicht im Regelwerk {ruleset.id})", path=(*prefix, key)))
    # Normalise first, so conditions see clean values (a float 1.0 on a scale is the integer 1).
    normalised: dict[str, Any] = {}
    for key, value in answers.items():
        q = questions.get(key)
        if q is None or _blank(value):
            continue
        clean, error = check_value(q, value)
        if error:
            problems.append(Problem(f"Frage „{key}“: {error}", path=(*prefix, key)))
        else:
            normalised[key] = clean
    vis = Visibility(ruleset, normalised)
    named = {p.path for p in problems}
    for q in vis.questions:
        if q.required and q.id not in vis.effective and (*prefix, q.id) not in named:
            problems.append(
                Problem(f"Pflichtfrage „{q.id}“ ist nicht beantwortet ({_clip(q.text)})", path=(*prefix, q.id))
            )
    return vis, normalised, problems


def _clip(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- scoring, quantification, verdict ---------------------------------------------------------


def _assess(ruleset: m.RuleSet, answers: Mapping[str, Any], prefix: tuple) -> Assessment:
    vis, _, problems = check_answers(ruleset, answers, prefix=prefix)
    if problems:
        raise AnswersError(problems)
    eff = vis.effective
    questions = ruleset.questions
    step_of = ruleset.step_of
    messages = [
        f"Antwort auf „{_clip(questions[qid].text, 60)}“ ({qid}) verworfen: "
        "die Frage wird bei diesen Angaben nicht gestellt."
        for qid in vis.dropped
    ]
    answered = tuple(
        Answer(
            id=q.id,
            step=step_of[q.id].id,
            step_title=step_of[q.id].title,
            question=q.text,
            value=eff[q.id],
            display=q.display(eff[q.id]),
        )
        for q in vis.questions
        if q.id in eff
    )
    if vis.exited:
        return _not_relevant(ruleset, eff, answered, messages, tuple(vis.dropped))

    scores = {s.id: 0 for s in ruleset.sectors}
    reasons: dict[str, list[str]] = {s.id: [] for s in ruleset.sectors}
    for effect in ruleset.effects:
        if effect.when is not None and not effect.when.test(eff):
            continue
        if effect.score_from is not None:
            score = eff.get(effect.score_from)
            if not score:
                continue
        else:
            score = effect.score
        reason = effect.reason
        if effect.reason_from and eff.get(effect.reason_from):
            reason = f"{reason}: {eff[effect.reason_from]}"
        scores[effect.sector] += score
        reasons[effect.sector].append(reason)
    sectors = tuple(
        SectorResult(
            id=s.id,
            label=s.label,
            score=max(-2, min(2, scores[s.id])),
            reasons=tuple(reasons[s.id]),
            affects_verdict=s.affects_verdict,
        )
        for s in ruleset.sectors
    )
    emissions = _emissions(ruleset, eff)
    verdict, reason = _verdict(ruleset, eff, sectors, emissions)
    return Assessment(
        verdict=verdict,
        verdict_label=m.VERDICT_LABELS[verdict],
        verdict_reason=reason,
        sectors=sectors,
        emissions=emissions,
        screening=ScreeningOutcome(exited=False),
        answers=answered,
        messages=tuple(messages),
        dropped=tuple(vis.dropped),
    )


def _not_relevant(
    ruleset: m.RuleSet, eff: dict, answered: tuple, messages: list[str], dropped: tuple[str, ...]
) -> Assessment:
    screening = ruleset.screening
    assert screening is not None
    reason_id = eff.get("exit_reason")
    label = next((r.label for r in screening.exit_reasons if r.id == reason_id), reason_id)
    explanation = eff.get("exit_explanation")
    return Assessment(
        verdict="not_relevant",
        verdict_label=m.VERDICT_LABELS["not_relevant"],
        verdict_reason=f"Vorprüfung: {label}" + (f" – {explanation}" if explanation else ""),
        sectors=tuple(
            SectorResult(id=s.id, label=s.label, score=0, reasons=(), affects_verdict=s.affects_verdict)
            for s in ruleset.sectors
        ),
        emissions=Emissions(threshold_t_co2e_per_year=ruleset.settings.significance_threshold),
        screening=ScreeningOutcome(exited=True, reason=reason_id, reason_label=label, explanation=explanation),
        answers=answered,
        messages=tuple(messages),
        dropped=dropped,
    )


def _emissions(ruleset: m.RuleSet, eff: Mapping[str, Any]) -> Emissions:
    settings = ruleset.settings
    qn = ruleset.quantification
    threshold = settings.significance_threshold
    if qn is None:
        return Emissions(threshold_t_co2e_per_year=threshold)
    lifetime = settings.default_lifetime_years
    if qn.lifetime_question and eff.get(qn.lifetime_question):
        lifetime = eff[qn.lifetime_question]
    raw: list[tuple[m.Line, float, float]] = []  # line, quantity, signed tonnes
    for line in qn.lines:
        quantity = eff.get(line.quantity)
        if not quantity:
            continue
        factor = ruleset.factor(line.factor)
        sign = -1.0 if line.effect == "saves" else 1.0
        raw.append((line, quantity, sign * quantity * factor.tonnes_per_unit))
    if not raw:
        return Emissions(threshold_t_co2e_per_year=threshold)
    lines = []
    yearly = once = 0.0
    for line, quantity, tonnes in raw:
        factor = ruleset.factor(line.factor)
        if line.per == "year":
            yearly += tonnes
            per_year, one_off = tonnes, None
        else:
            once += tonnes
            per_year, one_off = tonnes / lifetime, round_t(tonnes)
        lines.append(
            EmissionLine(
                id=line.id,
                label=line.label,
                sector=line.sector,
                scope=line.scope,
                per=line.per,
                quantity=quantity,
                unit=ruleset.questions[line.quantity].unit,
                factor_id=factor.id,
                factor_label=factor.label,
                factor_value=factor.value,
                factor_unit=factor.unit,
                factor_basis=factor.basis,
                factor_year=factor.year,
                factor_source=factor.source,
                t_co2e_per_year=round_t(per_year),
                t_co2e_once=one_off,
            )
        )
    per_year = round_t(yearly + once / lifetime)
    total = round_t(yearly * lifetime + once)
    method = eff.get(qn.method_question) if qn.method_question else None
    return Emissions(
        t_co2e_per_year=per_year,
        lifetime_years=lifetime,
        t_co2e_total=total,
        method=method or "estimate",
        lines=tuple(lines),
        threshold_t_co2e_per_year=threshold,
        significant=abs(per_year) >= threshold,
        climate_cost=tuple(
            ClimateCost(
                id=p.id,
                label=p.label,
                eur_per_t=p.eur_per_t,
                eur_per_year=round(per_year * p.eur_per_t, 2),
                eur_total=round(total * p.eur_per_t, 2),
                source=p.source,
            )
            for p in settings.co2_prices
        ),
    )


def verdict_values(sectors: tuple[SectorResult, ...], emissions: Emissions) -> dict[str, Any]:
    """The computed figures the verdict rules may test (`value:` in rule files)."""
    counted = [s.score for s in sectors if s.affects_verdict] or [0]
    t = emissions.t_co2e_per_year
    threshold = emissions.threshold_t_co2e_per_year
    return {
        "t_co2e_per_year": t,
        "t_co2e_total": emissions.t_co2e_total,
        "significant_increase": t is not None and threshold is not None and t >= threshold,
        "significant_decrease": t is not None and threshold is not None and t <= -threshold,
        "lowest_score": min(counted),
        "highest_score": max(counted),
        "score_sum": sum(counted),
        "negative_sectors": sum(1 for s in counted if s < 0),
        "positive_sectors": sum(1 for s in counted if s > 0),
    }


def _verdict(
    ruleset: m.RuleSet, eff: Mapping[str, Any], sectors: tuple[SectorResult, ...], emissions: Emissions
) -> tuple[str, str]:
    values = verdict_values(sectors, emissions)
    for rule in ruleset.verdict.rules:
        if rule.when is None or rule.when.test(eff, values):
            return rule.verdict, rule.reason
    raise AssertionError("the loader guarantees an unconditional last verdict rule")


# --- the public entry point -------------------------------------------------------------------


def merge_alternative(answers: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The alternative's answers: the proposal's, with the alternative's changes on top (None removes)."""
    merged = dict(answers)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def evaluate(
    ruleset: m.RuleSet,
    answers: Mapping[str, Any],
    *,
    alternative: Mapping[str, Any] | None = None,
    paper: Mapping[str, Any] | None = None,
) -> Result:
    """Evaluate the answers (and the alternative, if given) with the rule set.

    `alternative` is ``{"description": str, "answers": {...}}``; its answers change the proposal's
    answers (a question not named keeps the proposal's answer). Raises AnswersError listing every
    problem when the answers do not fit the rule set.
    """
    problems: list[Problem] = []
    try:
        proposal = _assess(ruleset, answers, ("answers",))
    except AnswersError as exc:
        problems += exc.problems
        proposal = None
    alt_result = None
    if alternative is not None:
        description = alternative.get("description")
        changes = alternative.get("answers") or {}
        if not isinstance(description, str) or not description.strip():
            problems.append(Problem("die Alternative braucht eine Beschreibung („description“)", path=("alternative",)))
        if not isinstance(changes, Mapping):
            problems.append(
                Problem(
                    "„alternative.answers“ muss Einträge „frage_id: wert“ enthalten",
                    path=("alternative", "answers"),
                )
            )
        elif isinstance(answers, Mapping):
            try:
                alt = _assess(ruleset, merge_alternative(answers, changes), ("alternative", "answers"))
                alt_result = AlternativeResult(description=str(description or "").strip(), assessment=alt)
            except AnswersError as exc:
                problems += [
                    Problem(
                        f"Alternative: {p.message}",
                        path=p.path,
                    )
                    for p in exc.problems
                ]
    if problems:
        raise AnswersError(problems)
    assert proposal is not None
    required = proposal.verdict in ruleset.settings.alternative_required_for
    messages = list(proposal.messages)
    if required and alt_result is None:
        messages.append(
            f"Das Ergebnis ist {proposal.verdict_label}: eine klimafreundlichere Alternative muss "
            "beschrieben und mit demselben Regelwerk bewertet werden."
        )
    table = ruleset.factor_table
    return Result(
        ruleset=RulesetRef(
            id=ruleset.id,
            version=ruleset.version,
            sha256=ruleset.sha256,
            title=ruleset.title,
            municipality=ruleset.municipality,
            factors={"id": table.id, "sha256": table._sha256} if table else None,
        ),
        assessment=proposal,
        requires_alternative=required,
        alternative=alt_result,
        paper=dict(paper or {}),
        messages=tuple(messages),
    )


def known_answers(ruleset: m.RuleSet, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(answers to questions the rule set has, ids it no longer has) – a draft outlives catalogue edits."""
    questions = ruleset.questions
    known = {k: v for k, v in answers.items() if k in questions}
    return known, sorted(k for k in answers if k not in questions)


def alternative_changes(answers: Mapping[str, Any], alternative_answers: Mapping[str, Any]) -> dict[str, Any]:
    """The changes that turn the proposal's answers into a full set of alternative answers.

    The wizard stores the alternative's own complete pass; `evaluate` takes changes. A question the
    author cleared in the alternative becomes None, so the proposal's answer does not creep back.
    """
    changes: dict[str, Any] = {}
    for key in set(answers) | set(alternative_answers):
        new = alternative_answers.get(key)
        if key not in alternative_answers:
            changes[key] = None
        elif answers.get(key) != new:
            changes[key] = new
    return changes
