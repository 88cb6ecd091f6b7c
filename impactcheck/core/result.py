"""The one Result of a check. Every output (web page, Word section, JSON) renders it; none recomputes.

What a Result says is its ids and numbers; its texts are the German rendering the engine wrote, kept in
the stored JSON. Renderers show it in the reader's language through `core.localize.localize`, which
resolves every text again from the ids (and keeps the stored Result for the JSON and the verification code).

Its parts are NamedTuples, immutable like the frozen dataclass Result: a frozen dataclass costs up to a
millisecond to create at import, and every command that writes a Result into Word pays for that at its start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class RulesetRef(NamedTuple):
    id: str
    version: str
    sha256: str
    title: str
    municipality: str
    factors: dict[str, str] | None = None  # {"id": ..., "sha256": ...} of the factor table used


class SectorResult(NamedTuple):
    id: str
    label: str
    score: int
    reasons: tuple[str, ...]
    affects_verdict: bool = True


class EmissionTerm(NamedTuple):
    """One factor of a line's amount besides the quantity: a typical value (cited) or another answer."""

    id: str
    label: str
    value: float
    unit: str
    source: str | None = None  # None for an answer of the author
    basis: str | None = None
    year: int | None = None


class EmissionLine(NamedTuple):
    id: str
    label: str
    sector: str
    scope: str  # direct | indirect | grey
    per: str  # year | once
    quantity: float
    unit: str
    factor_id: str
    factor_label: str
    factor_value: float
    factor_unit: str
    factor_basis: str
    factor_year: int
    factor_source: str
    t_co2e_per_year: float  # a one-off line spread over the lifetime
    t_co2e_once: float | None = None
    method: str | None = None  # detailed | simplified (typical values) | estimate
    terms: tuple[EmissionTerm, ...] = ()
    quantity_question: str | None = None
    lifetime_years: float | None = None  # the line's own lifetime, where it has one
    counts: bool = True  # False: shown for information, not in the net figure


class ClimateCost(NamedTuple):
    id: str
    label: str
    eur_per_t: float
    eur_per_year: float | None
    eur_total: float | None
    source: str


class Emissions(NamedTuple):
    t_co2e_per_year: float | None = None
    lifetime_years: float | None = None
    t_co2e_total: float | None = None
    method: str | None = None
    lines: tuple[EmissionLine, ...] = ()
    threshold_t_co2e_per_year: float | None = None
    significant: bool = False
    climate_cost: tuple[ClimateCost, ...] = ()


class ScreeningOutcome(NamedTuple):
    exited: bool
    reason: str | None = None
    reason_label: str | None = None
    explanation: str | None = None


class Answer(NamedTuple):
    """One answered, visible question, with the words of the question and of the answer."""

    id: str
    step: str
    step_title: str
    question: str
    value: Any
    display: str


class AnswerRef(NamedTuple):
    """An answer named in a sentence: "Heizung: Erdgas"."""

    question: str
    name: str
    display: str
    step_title: str = ""


class Dependency(NamedTuple):
    """Another plausible answer to one question, and the verdict it would give."""

    question: str
    name: str
    answer: Any
    answer_display: str
    alternative: Any
    alternative_display: str
    would_be: str
    would_be_label: str


class Robustness(NamedTuple):
    fragile: bool
    depends_on: tuple[Dependency, ...] = ()
    tried: int = 0  # how many other answers were tried


class DecisionKind(NamedTuple):
    kind: str
    label: str
    indirect: bool


class Assessment(NamedTuple):
    """The evaluation of one set of answers (the proposal, or its alternative)."""

    verdict: str
    verdict_label: str
    verdict_reason: str
    sectors: tuple[SectorResult, ...]
    emissions: Emissions
    screening: ScreeningOutcome
    answers: tuple[Answer, ...]
    messages: tuple[str, ...]
    # Ids of answers to questions these answers do not reach; they are not used (and said in messages).
    dropped: tuple[str, ...] = ()
    decision: DecisionKind | None = None
    open_points: tuple[AnswerRef, ...] = ()  # answers "unknown / not decided here"
    basis: tuple[AnswerRef, ...] = ()  # the answers the verdict rests on
    robustness: Robustness | None = None


class AlternativeResult(NamedTuple):
    description: str
    assessment: Assessment


@dataclass(frozen=True)
class Result:
    ruleset: RulesetRef
    assessment: Assessment
    requires_alternative: bool
    alternative: AlternativeResult | None = None
    paper: dict[str, Any] = field(default_factory=dict)
    messages: tuple[str, ...] = ()
    # A Result in another language (core.localize) keeps the stored one it was rendered from: the
    # JSON and the verification code are those of the stored Result in every language.
    original: Result | None = field(default=None, compare=False, repr=False)
    # The language of the texts ("de" as stored); renderers write their fixed texts in it too.
    locale: str = field(default="de", compare=False)

    def canonical(self) -> Result:
        """The stored (language-neutral) Result this one renders."""
        return self.original if self.original is not None else self

    # Convenience for renderers: the proposal's figures directly on the Result.
    @property
    def verdict(self) -> str:
        return self.assessment.verdict

    @property
    def sectors(self) -> tuple[SectorResult, ...]:
        return self.assessment.sectors

    @property
    def emissions(self) -> Emissions:
        return self.assessment.emissions

    def to_dict(self) -> dict[str, Any]:
        """The Result JSON of DESIGN.md (fields may be added, never renamed); always the stored Result's."""
        if self.original is not None:
            return self.original.to_dict()
        a = _assessment_dict(self.assessment)
        out: dict[str, Any] = {"ruleset": _plain(self.ruleset)}
        out.update(
            verdict=a.pop("verdict"),
            requires_alternative=self.requires_alternative,
        )
        out.update(a)
        out["messages"] = list(self.messages)
        out["alternative"] = (
            None
            if self.alternative is None
            else {
                "description": self.alternative.description,
                **_assessment_dict(self.alternative.assessment),
            }
        )
        out["paper"] = dict(self.paper)
        return out


# Fields added after the first stored Results: left out of the JSON while empty, so a Result of an
# older catalogue serialises exactly as it was stored.
_NEWER = ("decision", "open_points", "basis", "robustness")
_NEWER_LINE = ("method", "terms", "quantity_question", "lifetime_years")
_NEWER_LINE_TRUE = ("counts",)  # left out while True


def _assessment_dict(a: Assessment) -> dict[str, Any]:
    d = _plain(a)
    for key in _NEWER:
        if not d[key]:
            del d[key]
    for line in d["emissions"]["lines"]:
        for key in _NEWER_LINE:
            if not line[key]:
                del line[key]
        for key in _NEWER_LINE_TRUE:
            if line[key] is True:
                del line[key]
    return d


def _plain(value: Any) -> Any:
    """A record and everything in it as the JSON has it: records as dicts (in field order), tuples as lists."""
    if isinstance(value, tuple):
        if hasattr(value, "_fields"):
            return {name: _plain(item) for name, item in zip(value._fields, value, strict=True)}
        return [_plain(item) for item in value]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


# --- back from JSON: a stored check renders the Result it was submitted with, never a recomputation --


def _emissions_from(d: dict[str, Any]) -> Emissions:
    return Emissions(
        t_co2e_per_year=d.get("t_co2e_per_year"),
        lifetime_years=d.get("lifetime_years"),
        t_co2e_total=d.get("t_co2e_total"),
        method=d.get("method"),
        lines=tuple(_line_from(line) for line in d.get("lines", [])),
        threshold_t_co2e_per_year=d.get("threshold_t_co2e_per_year"),
        significant=d.get("significant", False),
        climate_cost=tuple(ClimateCost(**c) for c in d.get("climate_cost", [])),
    )


def _line_from(d: dict[str, Any]) -> EmissionLine:
    terms = tuple(EmissionTerm(**t) for t in d.get("terms", []))
    return EmissionLine(**{**d, "terms": terms})


def _robustness_from(d: dict[str, Any] | None) -> Robustness | None:
    if not d:
        return None
    return Robustness(
        fragile=d["fragile"],
        depends_on=tuple(Dependency(**x) for x in d.get("depends_on", [])),
        tried=d.get("tried", 0),
    )


def _assessment_from(d: dict[str, Any]) -> Assessment:
    return Assessment(
        verdict=d["verdict"],
        verdict_label=d["verdict_label"],
        verdict_reason=d["verdict_reason"],
        sectors=tuple(SectorResult(**dict(s, reasons=tuple(s["reasons"]))) for s in d["sectors"]),
        emissions=_emissions_from(d["emissions"]),
        screening=ScreeningOutcome(**d["screening"]),
        answers=tuple(Answer(**a) for a in d.get("answers", [])),
        messages=tuple(d.get("messages", [])),
        dropped=tuple(d.get("dropped", [])),
        decision=DecisionKind(**d["decision"]) if d.get("decision") else None,
        open_points=tuple(AnswerRef(**x) for x in d.get("open_points", [])),
        basis=tuple(AnswerRef(**x) for x in d.get("basis", [])),
        robustness=_robustness_from(d.get("robustness")),
    )


def result_from_dict(data: dict[str, Any]) -> Result:
    """The inverse of Result.to_dict()."""
    alt = data.get("alternative")
    return Result(
        ruleset=RulesetRef(**data["ruleset"]),
        assessment=_assessment_from(data),
        requires_alternative=data["requires_alternative"],
        alternative=None if alt is None else AlternativeResult(alt["description"], _assessment_from(alt)),
        paper=dict(data.get("paper") or {}),
        messages=tuple(data.get("messages", [])),
    )
