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
from impactcheck.core import wording
from impactcheck.core.errors import AnswersError, Problem
from impactcheck.core.i18n import N_, Message, Number
from impactcheck.core.numbers import round_t
from impactcheck.core.result import (
    AlternativeResult,
    Answer,
    AnswerRef,
    Assessment,
    ClimateCost,
    DecisionKind,
    EmissionLine,
    Emissions,
    EmissionTerm,
    Result,
    RulesetRef,
    ScreeningOutcome,
    SectorResult,
)
from impactcheck.core.sensitivity import robustness as sensitivity_of

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
        effective = self.effective
        self.dropped: list[str] = []
        self.exited = False
        screening = ruleset.screening
        for step in ruleset.all_steps:
            if step.id == m.EXIT_STEP_ID and screening is not None:
                # The exit decision is taken once, on the screening answers alone.
                self.exited = screening.exit_when.test(effective)
            shown = not (self.exited and step.stage != "screening")
            if shown and step.when is not None:
                shown = step.when.test(effective)
            if shown:
                self.steps.append(step)
            for q in step.questions:
                q_shown = shown and (q.when is None or q.when.test(effective))
                value = answers.get(q.id)
                blank = _blank(value)
                if q_shown and blank and fill is not None:
                    value = fill(q)
                    blank = _blank(value)
                if q_shown:
                    self.questions.append(q)
                    if not blank:
                        effective[q.id] = value
                elif not blank:
                    self.dropped.append(q.id)


def steps_for(ruleset: m.RuleSet, answers: Mapping[str, Any]) -> list[m.Step]:
    """The steps the wizard shows for these (possibly partial) answers, in order."""
    return Visibility(ruleset, answers).steps


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


# --- validation of answers --------------------------------------------------------------------


def check_value(q: Any, value: Any) -> tuple[Any, str | None]:
    """(normalised value, None) or (None, the problem: a German `Message`, translatable where shown)."""
    t = q.type
    if t == "yes_no":
        if isinstance(value, bool):
            return value, None
        return None, Message(N_("„{value}“ ist keine Ja/Nein-Antwort (erwartet: true oder false)"), value=_show(value))
    if t == "single_choice":
        ids = [o.id for o in q.options]
        if isinstance(value, str) and value in ids:
            return value, None
        return None, Message(
            N_("„{value}“ ist keine der angebotenen Optionen ({options})"), value=_show(value), options=", ".join(ids)
        )
    if t == "multiple_choice":
        ids = [o.id for o in q.options]
        if not isinstance(value, list | tuple):
            return None, Message(N_("erwartet wird eine Liste von Optionen"))
        bad = [v for v in value if not isinstance(v, str) or v not in ids]
        if bad:
            return None, Message(
                N_("„{value}“ ist keine der angebotenen Optionen ({options})"),
                value=_show(bad[0]),
                options=", ".join(ids),
            )
        if len(set(value)) != len(value):
            return None, Message(N_("eine Option ist doppelt gewählt"))
        chosen = set(value)
        return [i for i in ids if i in chosen], None  # option order, so equal choices compare equal
    if t == "scale":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return None, Message(N_("„{value}“ ist kein Wert der Skala (-2, -1, 0, +1, +2)"), value=_show(value))
        if not -2 <= value <= 2:
            return None, Message(N_("{value} liegt außerhalb der Skala von -2 bis +2"), value=_show(value))
        return int(value), None
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None, Message(N_("„{value}“ ist keine Zahl"), value=_show(value))
        if q.integer and value != int(value):
            return None, Message(N_("{value} ist keine ganze Zahl"), value=_show(value))
        if value < q.min:
            return None, Message(
                N_("{value} liegt unter dem Mindestwert {min} {unit}"),
                value=_show(value),
                min=Number(q.min),
                unit=q.unit,
            )
        if value > q.max:
            return None, Message(
                N_("{value} liegt über dem Höchstwert {max} {unit}"),
                value=_show(value),
                max=Number(q.max),
                unit=q.unit,
            )
        return (int(value) if q.integer else value), None
    # text
    if not isinstance(value, str):
        return None, Message(N_("erwartet wird ein Text"))
    text = value.strip()
    if len(text) > q.max_length:
        return None, Message(N_("Text zu lang ({length} Zeichen, höchstens {max})"), length=len(text), max=q.max_length)
    return text, None


def _show(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return Number(value)  # German here, the reader's way where the message is translated
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
            [Problem(Message(N_("„answers“ muss Einträge „frage_id: wert“ enthalten")), path=prefix)],
        )
    questions = ruleset.questions  # one lookup: private attributes of pydantic models are slow to reach
    for key in answers:
        if key not in questions:
            message = Message(N_("unbekannte Frage „{id}“ (nicht im Regelwerk {ruleset})"), id=key, ruleset=ruleset.id)
            problems.append(Problem(message, path=(*prefix, key)))
    # Normalise first, so conditions see clean values (a float 1.0 on a scale is the integer 1).
    normalised: dict[str, Any] = {}
    for key, value in answers.items():
        q = questions.get(key)
        if q is None or _blank(value):
            continue
        clean, error = check_value(q, value)
        if error:
            problems.append(Problem(Message(N_("Frage „{id}“: {problem}"), id=key, problem=error), path=(*prefix, key)))
        else:
            normalised[key] = clean
    vis = Visibility(ruleset, normalised)
    named = {p.path for p in problems}
    for q in vis.questions:
        if q.required and q.id not in vis.effective and (*prefix, q.id) not in named:
            problems.append(
                Problem(
                    Message(
                        N_("Pflichtfrage „{id}“ ist nicht beantwortet ({question})"), id=q.id, question=_clip(q.text)
                    ),
                    path=(*prefix, q.id),
                )
            )
    return vis, normalised, problems


def _clip(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- scoring, quantification, verdict ---------------------------------------------------------


def _assess(ruleset: m.RuleSet, answers: Mapping[str, Any], prefix: tuple, sensitivity: bool = False) -> Assessment:
    vis, _, problems = check_answers(ruleset, answers, prefix=prefix)
    if problems:
        raise AnswersError(problems)
    eff = vis.effective
    questions = ruleset.questions
    step_of = ruleset.step_of
    messages = [wording.dropped_message(questions[qid].text, qid) for qid in vis.dropped]
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
    scored = _score(ruleset, eff)
    robust = None
    if sensitivity:
        robust = sensitivity_of(ruleset, vis.questions, eff, scored.verdict, lambda a: trial(ruleset, a))
    return Assessment(
        verdict=scored.verdict,
        verdict_label=m.VERDICT_LABELS[scored.verdict],
        verdict_reason=scored.reason,
        sectors=scored.sectors,
        emissions=scored.emissions,
        screening=ScreeningOutcome(exited=False),
        answers=answered,
        messages=tuple(messages),
        dropped=tuple(vis.dropped),
        decision=_decision(ruleset, eff),
        open_points=tuple(_ref(ruleset, qid, eff) for qid in _open_points(ruleset, vis)),
        basis=tuple(_ref(ruleset, qid, eff) for qid in scored.basis if qid in eff),
        robustness=robust,
    )


def trial(ruleset: m.RuleSet, answers: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    """The verdict of valid answers and the questions they show, without validation, words or
    sensitivity (for the sensitivity analysis). A required answer missing counts as not given."""
    vis = Visibility(ruleset, answers)
    shown = frozenset(q.id for q in vis.questions)
    if vis.exited:
        return "not_relevant", shown
    return _score(ruleset, vis.effective).verdict, shown


class Scored:
    """Sectors, emissions and verdict of one set of visible answers (no validation, no words)."""

    __slots__ = ("basis", "emissions", "reason", "sectors", "verdict")

    def __init__(self, sectors, emissions, verdict, reason, basis):
        self.sectors = sectors
        self.emissions = emissions
        self.verdict = verdict
        self.reason = reason
        self.basis = basis


def _score(ruleset: m.RuleSet, eff: Mapping[str, Any]) -> Scored:
    emissions, line_questions = _emissions(ruleset, eff)
    counted = {line.id for line in emissions.lines if line.counts}
    scores = {s.id: 0 for s in ruleset.sectors}
    reasons: dict[str, list[str]] = {s.id: [] for s in ruleset.sectors}
    effect_questions: list[str] = []
    for effect in ruleset.effects:
        if effect.when is not None and not effect.when.test(eff):
            continue
        if effect.quantified_by and counted.intersection(effect.quantified_by):
            continue  # the figures count this cause already
        if effect.score_from is not None:
            score = eff.get(effect.score_from)
            if not score:
                continue
            effect_questions.append(effect.score_from)
        else:
            score = effect.score
        if effect.when is not None:
            effect_questions += sorted(effect.when.questions())
        reason = effect.reason
        if effect.reason_from and eff.get(effect.reason_from):
            reason = wording.reason_with_answer(reason, eff[effect.reason_from])
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
    open_count = len(_open_points_of(ruleset, eff))
    verdict, reason, by_numbers = _verdict(ruleset, eff, sectors, emissions, open_count)
    basis = line_questions if by_numbers else effect_questions
    return Scored(sectors, emissions, verdict, reason, list(dict.fromkeys(basis)))


def _decision(ruleset: m.RuleSet, eff: Mapping[str, Any]) -> DecisionKind | None:
    d = ruleset.decision
    if d is None or eff.get(d.question) is None:
        return None
    kind = eff[d.question]
    return DecisionKind(kind=kind, label=ruleset.questions[d.question].option_label(kind), indirect=kind in d.indirect)


def _open_points_of(ruleset: m.RuleSet, eff: Mapping[str, Any]) -> list[str]:
    questions = ruleset.questions
    return [qid for qid, value in eff.items() if questions[qid].is_unknown(value)]


def _open_points(ruleset: m.RuleSet, vis: Visibility) -> list[str]:
    """Questions answered "unknown", in the order the author met them."""
    unknown = set(_open_points_of(ruleset, vis.effective))
    return [q.id for q in vis.questions if q.id in unknown]


def _ref(ruleset: m.RuleSet, qid: str, eff: Mapping[str, Any]) -> AnswerRef:
    q = ruleset.questions[qid]
    return AnswerRef(question=qid, name=q.name, display=q.display(eff.get(qid)), step_title=ruleset.step_of[qid].title)


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
        verdict_reason=wording.not_relevant_reason(label, explanation),
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


_METHOD_RANK = {"estimate": 0, "simplified": 1, "detailed": 2}


def _typical_term(tv: m.TypicalValue) -> EmissionTerm:
    return EmissionTerm(
        id=tv.id, label=tv.label, value=tv.value, unit=tv.unit, source=tv.source, basis=tv.basis, year=tv.year
    )


def _line_amount(ruleset: m.RuleSet, line: m.Line, eff: Mapping[str, Any]):
    """(quantity question, quantity, factor, terms, questions used, typical quantity?) of a line that
    applies to these answers, else None."""
    if line.when is not None and not line.when.test(eff):
        return None
    used: list[str] = []
    qid = next((q for q in line.quantities if eff.get(q)), None)
    terms = []
    if qid is not None:
        quantity = eff[qid]
        used.append(qid)
        assumed = False
    elif line.quantity_default is not None:
        vid = ruleset.pick(line.quantity_default, eff)
        if vid is None:
            return None
        tv = ruleset.typical(vid)
        quantity, qid, assumed = tv.value, line.quantities[0], True
        terms.append(_typical_term(tv))
        used += ruleset.lookup_questions(line.quantity_default)
    else:
        return None
    factor_id = ruleset.pick(line.factor, eff)
    if factor_id is None:
        return None
    used += ruleset.lookup_questions(line.factor)
    for term in line.times:
        if term.question is not None:
            value = eff.get(term.question)
            if value is not None:
                q = ruleset.questions[term.question]
                terms.append(EmissionTerm(id=q.id, label=q.name, value=value, unit=q.unit))
                used.append(q.id)
                continue
            if term.typical is None and term.lookup is None:
                return None
        vid = term.typical if term.typical is not None else ruleset.pick(term.lookup, eff)
        if vid is None:
            return None
        if term.lookup is not None:
            used += ruleset.lookup_questions(term.lookup)
        terms.append(_typical_term(ruleset.typical(vid)))
    return qid, quantity, ruleset.factor(factor_id), tuple(terms), used, assumed


def _lifetime(ruleset: m.RuleSet, qn: m.Quantification, eff: Mapping[str, Any]) -> float:
    if qn.lifetime_question and eff.get(qn.lifetime_question):
        return eff[qn.lifetime_question]
    for rule in qn.lifetimes:
        if rule.when.test(eff):
            return rule.years
    return ruleset.settings.default_lifetime_years


def _emissions(ruleset: m.RuleSet, eff: Mapping[str, Any]) -> tuple[Emissions, list[str]]:
    """The emission estimate and the questions it rests on."""
    settings = ruleset.settings
    qn = ruleset.quantification
    threshold = settings.significance_threshold
    if qn is None:
        return Emissions(threshold_t_co2e_per_year=threshold), []
    lifetime = _lifetime(ruleset, qn, eff)
    stated_method = (eff.get(qn.method_question) if qn.method_question else None) or "estimate"
    lines = []
    used: list[str] = []
    per_year_sum = 0.0
    methods = []
    for line in qn.lines:
        amount = _line_amount(ruleset, line, eff)
        if amount is None:
            continue
        qid, quantity, factor, terms, questions, assumed = amount
        product = quantity
        for term in terms[1:] if assumed else terms:
            product *= term.value
        if product == 0:
            continue  # nothing to count (an unheated building's heat): no line
        tonnes = (-1.0 if line.effect == "saves" else 1.0) * product * factor.tonnes_per_unit
        if line.per == "year":
            per_year, one_off = tonnes, None
        else:
            per_year, one_off = tonnes / (line.lifetime or lifetime), round_t(tonnes)
        # Facts times typical values (or a typical value per fact): "simplified" in Magdeburg's terms.
        typical = any(t.source is not None for t in terms) or line.quantity_default is not None
        if assumed:
            method = "estimate"  # no figure of the author's own: a typical size stands in
        elif typical:
            method = "simplified"
        else:
            method = line.method or stated_method
        if line.counts:
            used += questions
            per_year_sum += per_year
            methods.append(method)
        compound = bool(line.times) or not isinstance(line.factor, str) or line.quantity_default is not None
        lines.append(
            EmissionLine(
                id=line.id,
                label=line.label,
                sector=line.sector,
                scope=line.scope,
                per=line.per,
                quantity=quantity,
                unit=terms[0].unit if assumed else ruleset.questions[qid].unit,
                factor_id=factor.id,
                factor_label=factor.label,
                factor_value=factor.value,
                factor_unit=factor.unit,
                factor_basis=factor.basis,
                factor_year=factor.year,
                factor_source=factor.source,
                t_co2e_per_year=round_t(per_year),
                t_co2e_once=one_off,
                method=method if (compound or line.method) else None,
                terms=terms,
                quantity_question=None if assumed else (qid if len(line.quantities) > 1 else None),
                lifetime_years=line.lifetime,
                counts=line.counts,
            )
        )
    if not methods:
        if not lines:
            return Emissions(threshold_t_co2e_per_year=threshold), []
        return Emissions(threshold_t_co2e_per_year=threshold, lines=tuple(lines)), []
    per_year = round_t(per_year_sum)
    total = round_t(per_year_sum * lifetime)
    # The figure is as good as its weakest line.
    method = min(methods, key=_METHOD_RANK.__getitem__)
    emissions = Emissions(
        t_co2e_per_year=per_year,
        lifetime_years=lifetime,
        t_co2e_total=total,
        method=method,
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
    return emissions, used


def verdict_values(sectors: tuple[SectorResult, ...], emissions: Emissions, open_points: int = 0) -> dict[str, Any]:
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
        "quantified": t is not None,
        "open_points": open_points,
    }


_NUMBER_VALUES = frozenset({"t_co2e_per_year", "t_co2e_total", "significant_increase", "significant_decrease"})


def _verdict(
    ruleset: m.RuleSet,
    eff: Mapping[str, Any],
    sectors: tuple[SectorResult, ...],
    emissions: Emissions,
    open_points: int = 0,
) -> tuple[str, str, bool]:
    """(verdict, reason, whether the deciding rule looked at the emission figures)."""
    values = verdict_values(sectors, emissions, open_points)
    for rule in ruleset.verdict.rules:
        if rule.when is None or rule.when.test(eff, values):
            by_numbers = rule.when is not None and any(
                a.kind == "value" and a.subject in _NUMBER_VALUES for a, _ in rule.when.atoms()
            )
            return rule.verdict, rule.reason, by_numbers
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
    sensitivity: bool = True,
) -> Result:
    """Evaluate the answers (and the alternative, if given) with the rule set.

    `alternative` is ``{"description": str, "answers": {...}}``; its answers change the proposal's
    answers (a question not named keeps the proposal's answer). Raises AnswersError listing every
    problem when the answers do not fit the rule set.
    """
    problems: list[Problem] = []
    try:
        proposal = _assess(ruleset, answers, ("answers",), sensitivity=sensitivity)
    except AnswersError as exc:
        problems += exc.problems
        proposal = None
    alt_result = None
    if alternative is not None:
        description = alternative.get("description")
        changes = alternative.get("answers") or {}
        if not isinstance(description, str) or not description.strip():
            problems.append(
                Problem(Message(N_("die Alternative braucht eine Beschreibung („description“)")), path=("alternative",))
            )
        if not isinstance(changes, Mapping):
            problems.append(
                Problem(
                    Message(N_("„alternative.answers“ muss Einträge „frage_id: wert“ enthalten")),
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
                        Message(N_("Alternative: {problem}"), problem=p.message),
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
        messages.append(wording.alternative_required_message(proposal.verdict_label))
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
