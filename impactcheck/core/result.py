"""The one Result of a check. Every output (web page, Word section, JSON) renders it; none recomputes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RulesetRef:
    id: str
    version: str
    sha256: str
    title: str
    municipality: str
    factors: dict[str, str] | None = None  # {"id": ..., "sha256": ...} of the factor table used


@dataclass(frozen=True)
class SectorResult:
    id: str
    label: str
    score: int
    reasons: tuple[str, ...]
    affects_verdict: bool = True


@dataclass(frozen=True)
class EmissionLine:
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


@dataclass(frozen=True)
class ClimateCost:
    id: str
    label: str
    eur_per_t: float
    eur_per_year: float | None
    eur_total: float | None
    source: str


@dataclass(frozen=True)
class Emissions:
    t_co2e_per_year: float | None = None
    lifetime_years: float | None = None
    t_co2e_total: float | None = None
    method: str | None = None
    lines: tuple[EmissionLine, ...] = ()
    threshold_t_co2e_per_year: float | None = None
    significant: bool = False
    climate_cost: tuple[ClimateCost, ...] = ()


@dataclass(frozen=True)
class ScreeningOutcome:
    exited: bool
    reason: str | None = None
    reason_label: str | None = None
    explanation: str | None = None


@dataclass(frozen=True)
class Answer:
    """One answered, visible question, with the words of the question and of the answer."""

    id: str
    step: str
    step_title: str
    question: str
    value: Any
    display: str


@dataclass(frozen=True)
class Assessment:
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


@dataclass(frozen=True)
class AlternativeResult:
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
        """The Result JSON of DESIGN.md (fields may be added, never renamed)."""
        a = _assessment_dict(self.assessment)
        out: dict[str, Any] = {"ruleset": asdict(self.ruleset)}
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


def _assessment_dict(a: Assessment) -> dict[str, Any]:
    d = asdict(a)
    d["sectors"] = [dict(s, reasons=list(s["reasons"])) for s in d["sectors"]]
    em = d["emissions"]
    em["lines"] = list(em["lines"])
    em["climate_cost"] = list(em["climate_cost"])
    d["answers"] = list(d["answers"])
    d["messages"] = list(d["messages"])
    d["dropped"] = list(d["dropped"])
    return d


# --- back from JSON: a stored check renders the Result it was submitted with, never a recomputation --


def _emissions_from(d: dict[str, Any]) -> Emissions:
    return Emissions(
        t_co2e_per_year=d.get("t_co2e_per_year"),
        lifetime_years=d.get("lifetime_years"),
        t_co2e_total=d.get("t_co2e_total"),
        method=d.get("method"),
        lines=tuple(EmissionLine(**line) for line in d.get("lines", [])),
        threshold_t_co2e_per_year=d.get("threshold_t_co2e_per_year"),
        significant=d.get("significant", False),
        climate_cost=tuple(ClimateCost(**c) for c in d.get("climate_cost", [])),
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
