"""The rule model: what a rule file may say, as typed, frozen objects.

Pydantic checks structure and types (unknown keys, wrong types, missing fields); the loader adds the
checks that need the whole file (references, duplicates, cycles, units). Conditions are parsed here
into `conditions.Condition` objects, so evaluation never looks at raw YAML.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from impactcheck.core import conditions
from impactcheck.core.conditions import Condition
from impactcheck.core.i18n import N_, gettext_for

# The words for the fixed values live in core.labels (no pydantic there, for the Word path); re-exported here.
from impactcheck.core.labels import (  # noqa: F401
    METHOD_LABELS,
    SCALE_LABELS,
    SCOPE_LABELS,
    STAGE_LABELS,
    VERDICT_LABELS,
)

Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
    ),
]
# Rule sets and factor tables are named like files and may use hyphens (kassel-2030).
FILE_ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
FileId = Annotated[str, Field(min_length=1, max_length=64, pattern=FILE_ID_PATTERN)]


def is_file_id(value: object) -> bool:
    """Whether `value` is a valid rule set or factor table id (FileId), never a path."""
    return isinstance(value, str) and len(value) <= 64 and re.match(FILE_ID_PATTERN, value) is not None


# Folded YAML text (`>`) ends with a newline; texts are shown stripped.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True)] | None
# The English sibling of a text (`text_en` beside `text`): optional; without it English readers see the German.
English = OptionalText
Score = Annotated[int, Field(ge=-2, le=2)]

STAGES = ("screening", "sectors", "quantification", "adaptation", "verdict")
VERDICTS = ("not_relevant", "positive", "neutral", "negative")
METHODS = ("detailed", "simplified", "estimate")
SCOPES = ("direct", "indirect", "grey")
RESERVED_QUESTION_IDS = ("exit_reason", "exit_explanation")
EXIT_STEP_ID = "exit"  # the screening's exit page; no step of a rule file may use this id


def is_english(locale: str | None) -> bool:
    return bool(locale) and locale.lower().startswith("en")


def localized(obj: Any, field: str, locale: str | None) -> str:
    """The text `field` of a rule-set object in `locale`: its English sibling `<field>_en` when the
    locale is English and the rule set has one, else the German text (the rule set's own language)."""
    if is_english(locale):
        english = getattr(obj, field + "_en", None)
        if english:
            return english
    return getattr(obj, field)


def translatable_fields(cls: type[BaseModel]) -> list[str]:
    """The text fields of a model that may carry an English sibling (`label` for `label_en`)."""
    return [f[:-3] for f in cls.model_fields if f.endswith("_en") and f[:-3] in cls.model_fields]


def _translate(text: str, locale: str | None) -> str:
    """A fixed word of the core (N_-marked) in `locale`, through the core's catalogue."""
    return gettext_for(locale)(text) if is_english(locale) else text


def _condition(allow_values: bool):
    def parse(raw: Any) -> Condition:
        if isinstance(raw, Condition):
            return raw
        try:
            return conditions.parse(raw, allow_values=allow_values)
        except conditions.ConditionSyntaxError as exc:
            # The Message itself rides along in the context: the loader shows it translated.
            raise PydanticCustomError("condition", exc.message, {"subpath": exc.path, "message": exc.message}) from None

    return BeforeValidator(parse)


QuestionCondition = Annotated[Condition, _condition(allow_values=False)]
VerdictCondition = Annotated[Condition, _condition(allow_values=True)]


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, arbitrary_types_allowed=True, hide_input_in_errors=True
    )


# --- questions ---------------------------------------------------------------------------------


class Option(Strict):
    id: Id
    label: Text
    label_en: English = None
    help: OptionalText = None
    help_en: English = None
    # "Unbekannt / wird in dieser Vorlage nicht entschieden": scored 0, shown as an open point.
    unknown: bool = False


class QuestionBase(Strict):
    id: Id
    text: Text
    text_en: English = None
    help: Text
    help_en: English = None
    example: Text
    example_en: English = None
    # A few words naming the question in sentences ("Ihr Ergebnis hängt an der Angabe „Heizung: Gas“").
    short: OptionalText = None
    short_en: English = None
    required: bool = True
    when: QuestionCondition | None = None

    @property
    def name(self) -> str:
        return self.short or self.text

    def name_in(self, locale: str | None) -> str:
        """`name` in `locale`: the English short name, else the English text, else the German name."""
        if is_english(locale):
            return self.short_en or self.text_en or self.name
        return self.name

    def is_unknown(self, value: Any) -> bool:
        """True for an answer that says "unknown / not decided here"."""
        return False

    def display(self, value: Any, locale: str | None = None) -> str:
        """The answer in words, for the Word annex and the review page."""
        if value is None:
            return "–"
        return str(value)


class YesNoQuestion(QuestionBase):
    type: Literal["yes_no"]

    def display(self, value, locale=None):
        if value is None:
            return "–"
        return _translate(N_("Ja") if value else N_("Nein"), locale)


class _Choice(QuestionBase):
    options: Annotated[list[Option], Field(min_length=2)]
    # The options form a scale (a standard from best to worst): the sensitivity analysis tries the
    # neighbouring option. Unordered options (kinds of building, heating) are facts; only
    # "unknown" is tried for them.
    ordered: bool = False

    def option_label(self, option_id: str, locale: str | None = None) -> str:
        for o in self.options:
            if o.id == option_id:
                return localized(o, "label", locale)
        return option_id

    @property
    def unknown_options(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.unknown)


class SingleChoiceQuestion(_Choice):
    type: Literal["single_choice"]

    def is_unknown(self, value):
        return value in self.unknown_options

    def display(self, value, locale=None):
        return "–" if value is None else self.option_label(value, locale)


class MultipleChoiceQuestion(_Choice):
    type: Literal["multiple_choice"]

    def is_unknown(self, value):
        return bool(value) and any(v in self.unknown_options for v in value)

    def display(self, value, locale=None):
        if not value:
            return "–"
        return ", ".join(self.option_label(v, locale) for v in value)


class ScaleQuestion(QuestionBase):
    type: Literal["scale"]
    # Words for the points of the scale; those not given get the default words.
    labels: dict[Score, Text] = Field(default_factory=dict)
    labels_en: dict[Score, Text] = Field(default_factory=dict)

    def label(self, value: int, locale: str | None = None) -> str:
        if is_english(locale) and self.labels_en.get(value):
            return self.labels_en[value]
        return self.labels.get(value) or _translate(SCALE_LABELS[value], locale)

    def display(self, value, locale=None):
        if value is None:
            return "–"
        label = self.label(value, locale)
        return f"{value:+d} ({label})" if value else f"0 ({label})"


class NumberQuestion(QuestionBase):
    type: Literal["number"]
    # The unit is also arithmetic (`rules check` multiplies it out); `unit_en` is only shown.
    unit: Text
    unit_en: English = None
    min: int | float = 0
    max: int | float
    integer: bool = False
    # A count the author knows exactly (vehicles, parking spaces): the sensitivity analysis does not
    # try it ±50 %.
    exact: bool = False

    def display(self, value, locale=None):
        if value is None:
            return "–"
        from impactcheck.core.numbers import format_number

        return f"{format_number(value, locale=locale or 'de')} {localized(self, 'unit', locale)}"


class TextQuestion(QuestionBase):
    type: Literal["text"]
    max_length: Annotated[int, Field(ge=1, le=20000)] = 2000
    multiline: bool = True


Question = Annotated[
    YesNoQuestion | SingleChoiceQuestion | MultipleChoiceQuestion | ScaleQuestion | NumberQuestion | TextQuestion,
    Field(discriminator="type"),
]
QUESTION_TYPES = ("yes_no", "single_choice", "multiple_choice", "scale", "number", "text")


class Step(Strict):
    id: Id
    stage: Literal["screening", "sectors", "quantification", "adaptation", "verdict"]
    title: Text
    title_en: English = None
    intro: OptionalText = None
    intro_en: English = None
    when: QuestionCondition | None = None
    # A button that answers every yes/no question of the step with "Nein" in one click.
    none_button: OptionalText = None
    none_button_en: English = None
    questions: Annotated[list[Question], Field(min_length=1)]


# --- screening exit ---------------------------------------------------------------------------


class ExitReason(Strict):
    id: Id
    label: Text
    label_en: English = None
    help: OptionalText = None
    help_en: English = None
    # Preselected on the exit page when this holds (e.g. the decision kind "report" suggests "information").
    suggest_when: QuestionCondition | None = None


class ExitStep(Strict):
    title: Text
    title_en: English = None
    intro: OptionalText = None
    intro_en: English = None
    reason_text: Text
    reason_text_en: English = None
    reason_help: OptionalText = None
    reason_help_en: English = None
    reason_example: OptionalText = None
    reason_example_en: English = None
    explanation_text: Text
    explanation_text_en: English = None
    explanation_help: Text
    explanation_help_en: English = None
    explanation_example: Text
    explanation_example_en: English = None


class Screening(Strict):
    exit_when: QuestionCondition
    exit_reasons: Annotated[list[ExitReason], Field(min_length=2)]
    explanation_required: bool = True
    exit_step: ExitStep


# --- sectors, effects, quantification ---------------------------------------------------------


class Sector(Strict):
    id: Id
    label: Text
    label_en: English = None
    description: OptionalText = None
    description_en: English = None
    affects_verdict: bool = True


class Effect(Strict):
    """Moves one sector's score when its condition holds, with the reason shown in the paper."""

    sector: Id
    when: QuestionCondition | None = None
    score: Score | None = None
    score_from: Id | None = None
    reason: Text
    reason_en: English = None
    reason_from: Id | None = None
    # Lines that count the same cause in figures: when one of them is in the estimate, the number
    # speaks for this effect and its score is not added again.
    quantified_by: list[Id] = Field(default_factory=list)


class Lookup(Strict):
    """A value chosen by an answer: `by` names a choice question, `values` maps its options to ids.

    An option not listed (for example "unbekannt") takes `otherwise` (another lookup, e.g. "unchanged"
    heating takes the old heating), then `default`; without either the line is left out. `use` names a
    lookup defined once under `lookups:` (YAML aliases are not allowed), optionally with its own default.
    """

    by: Id | None = None
    values: dict[Id, Id] = Field(default_factory=dict)
    otherwise: Lookup | None = None
    default: Id | None = None
    use: Id | None = None


class Term(Strict):
    """One more factor of a line's amount: a number the author gives, or a typical value – or both:
    the author's number, and the typical value (fixed or chosen by an answer) where there is none."""

    question: Id | None = None
    typical: Id | None = None
    lookup: Lookup | None = None


class Line(Strict):
    """One quantification line: an activity quantity the author enters, times an emission factor.

    `quantity` may list several questions: the first answered one counts (a fallback, e.g. the old
    building's floor area, else the new one's). `times` multiplies typical values or further answers
    in (floor area × heat demand per m² × standard); `factor` may be chosen by an answer (the heating)."""

    id: Id
    label: Text
    label_en: English = None
    sector: Id
    scope: Literal["direct", "indirect", "grey"]
    quantity: Id | list[Id]
    factor: Id | Lookup
    effect: Literal["adds", "saves"]
    per: Literal["year", "once"]
    when: QuestionCondition | None = None
    times: list[Term] = Field(default_factory=list)
    # A typical quantity when the author gives none (a typical floor area by building use): the line
    # then counts as an estimate.
    quantity_default: Id | Lookup | None = None
    # Years over which a one-off line is spread; default: the check's lifetime.
    lifetime: Annotated[int | float, Field(gt=0, le=200)] | None = None
    # How good the author's own figures are, where the rule set knows (e.g. planning figures).
    method: Literal["detailed", "simplified", "estimate"] | None = None
    # False: shown for information ("nachrichtlich"), not part of the net figure (e.g. maintenance).
    counts: bool = True

    @property
    def quantities(self) -> list[str]:
        return [self.quantity] if isinstance(self.quantity, str) else list(self.quantity)


class LifetimeRule(Strict):
    when: QuestionCondition
    years: Annotated[int | float, Field(gt=0, le=200)]


class Quantification(Strict):
    lifetime_question: Id | None = None
    # The check's lifetime by what it decides (first rule that holds), unless the author gives one.
    lifetimes: list[LifetimeRule] = Field(default_factory=list)
    method_question: Id | None = None
    lines: Annotated[list[Line], Field(min_length=1)]


# --- settings and verdict ---------------------------------------------------------------------


class Decision(Strict):
    """The question that names the kind of decision, and the kinds whose effects are only enabled."""

    question: Id
    indirect: list[Id] = Field(default_factory=list)


class Co2Price(Strict):
    id: Id
    label: Text
    label_en: English = None
    eur_per_t: Annotated[int | float, Field(gt=0)]
    source: Text
    source_en: English = None


class Settings(Strict):
    significance_threshold: Annotated[int | float, Field(gt=0)]
    default_lifetime_years: Annotated[int | float, Field(gt=0, le=200)] = 20
    co2_prices: list[Co2Price] = Field(default_factory=list)
    alternative_required_for: list[Literal["positive", "neutral", "negative"]] = Field(
        default_factory=lambda: ["negative"]
    )
    # Sensitivity: a number is tried this much lower and higher (0.5 = ±50 %).
    sensitivity_change: Annotated[float, Field(gt=0, lt=1)] = 0.5


class VerdictRule(Strict):
    verdict: Literal["positive", "neutral", "negative"]
    when: VerdictCondition | None = None
    reason: Text
    reason_en: English = None


class Verdict(Strict):
    rules: Annotated[list[VerdictRule], Field(min_length=1)]


# Computed figures the verdict rules may test with `value:`.
VERDICT_VALUES = {
    "t_co2e_per_year": "Netto-Emissionen in t CO2e pro Jahr (fehlt ohne Quantifizierung)",
    "t_co2e_total": "Netto-Emissionen über die Lebensdauer in t CO2e",
    "significant_increase": "true, wenn die Emissionen pro Jahr die Schwelle erreichen",
    "significant_decrease": "true, wenn die Einsparung pro Jahr die Schwelle erreicht",
    "lowest_score": "niedrigste Bewertung eines urteilsrelevanten Handlungsfelds",
    "highest_score": "höchste Bewertung eines urteilsrelevanten Handlungsfelds",
    "score_sum": "Summe der Bewertungen der urteilsrelevanten Handlungsfelder",
    "negative_sectors": "Zahl der urteilsrelevanten Handlungsfelder mit negativer Bewertung",
    "positive_sectors": "Zahl der urteilsrelevanten Handlungsfelder mit positiver Bewertung",
    "quantified": "true, wenn Emissionen in t CO2e berechnet wurden",
    "open_points": "Zahl der Angaben „unbekannt / wird hier nicht entschieden“",
}
BOOLEAN_VALUES = ("significant_increase", "significant_decrease", "quantified")


# --- factor table -----------------------------------------------------------------------------

_UNIT = re.compile(r"^(g|kg|t) CO2e?/\(?(?P<activity>[^()]+)\)?$")
MASS_TO_TONNES = {"g": 1e-6, "kg": 1e-3, "t": 1.0}


def parse_factor_unit(unit: str) -> tuple[float, str] | None:
    """'g CO2e/kWh' -> (1e-6, 'kWh'): tonnes per unit of the activity, and the activity unit."""
    m = _UNIT.match(unit.strip())
    if not m:
        return None
    return MASS_TO_TONNES[unit.split(" ", 1)[0]], m.group("activity").strip()


class Factor(Strict):
    id: Id
    label: Text
    label_en: English = None
    value: Annotated[int | float, Field(gt=0)]
    unit: Text
    basis: Literal["direct", "life-cycle"]
    year: Annotated[int, Field(ge=1990, le=2100)]
    source: Text
    source_en: English = None
    note: OptionalText = None
    note_en: English = None

    @property
    def tonnes_per_unit(self) -> float:
        parsed = parse_factor_unit(self.unit)
        assert parsed is not None  # the loader rejects factors with units it cannot read
        return self.value * parsed[0]

    @property
    def activity_unit(self) -> str:
        parsed = parse_factor_unit(self.unit)
        assert parsed is not None
        return parsed[1]


class TypicalValue(Strict):
    """A typical figure that turns a fact the author knows into an activity amount (kWh per m², km
    per vehicle): cited like a factor; `basis` says what it means and how certain it is."""

    id: Id
    label: Text
    label_en: English = None
    value: Annotated[int | float, Field(ge=0)]
    unit: Text
    basis: Text
    basis_en: English = None
    year: Annotated[int, Field(ge=1990, le=2100)]
    source: Text
    source_en: English = None
    note: OptionalText = None
    note_en: English = None


class FactorTable(Strict):
    id: FileId
    title: Text
    title_en: English = None
    description: OptionalText = None
    description_en: English = None
    factors: Annotated[list[Factor], Field(min_length=1)]
    typical_values: list[TypicalValue] = Field(default_factory=list)

    _sha256: str = PrivateAttr(default="")
    _path: str = PrivateAttr(default="")

    def get(self, factor_id: str) -> Factor | None:
        for f in self.factors:
            if f.id == factor_id:
                return f
        return None

    def typical(self, value_id: str) -> TypicalValue | None:
        for v in self.typical_values:
            if v.id == value_id:
                return v
        return None


# --- the rule set -----------------------------------------------------------------------------


def _index_of(ruleset: RuleSet) -> dict[str, Any]:
    """The rule set's lookups (`build_index`), past pydantic's slow `__getattr__`."""
    return ruleset.__pydantic_private__["_index"]


class RuleSet(Strict):
    id: FileId
    version: Annotated[str, Field(min_length=1, max_length=40)]
    title: Text
    title_en: English = None
    municipality: Text
    municipality_en: English = None
    valid_from: dt.date
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
    description: OptionalText = None
    description_en: English = None
    factors: FileId | None = None
    decision: Decision | None = None
    # Named lookups, used by quantification lines with `{use: name}`.
    lookups: dict[Id, Lookup] = Field(default_factory=dict)
    settings: Settings
    screening: Screening | None = None
    sectors: Annotated[list[Sector], Field(min_length=1)]
    steps: Annotated[list[Step], Field(min_length=1)]
    effects: list[Effect] = Field(default_factory=list)
    quantification: Quantification | None = None
    verdict: Verdict

    # Filled by the loader: where it came from, its fingerprint and its lookup tables.
    _sha256: str = PrivateAttr(default="")
    _path: str = PrivateAttr(default="")
    _factor_table: FactorTable | None = PrivateAttr(default=None)
    _index: dict[str, Any] = PrivateAttr(default_factory=dict)

    # Private attributes read through `__pydantic_private__` (and `_index_of`): BaseModel.__getattr__
    # costs microseconds per access, and one evaluation reads these lookups dozens of times.
    @property
    def sha256(self) -> str:
        return self.__pydantic_private__["_sha256"]

    @property
    def path(self) -> str:
        return self.__pydantic_private__["_path"]

    @property
    def factor_table(self) -> FactorTable | None:
        return self.__pydantic_private__["_factor_table"]

    # Lookups, built once by the loader (`build_index`).
    @property
    def questions(self) -> dict[str, Any]:
        return _index_of(self)["questions"]

    @property
    def step_of(self) -> dict[str, Step]:
        return _index_of(self)["step_of"]

    @property
    def all_steps(self) -> list[Step]:
        """The steps in order, with the screening exit step (if any) after the last screening step."""
        return _index_of(self)["all_steps"]

    def factor(self, factor_id: str) -> Factor:
        return _index_of(self)["factors"][factor_id]

    def typical(self, value_id: str) -> TypicalValue:
        return _index_of(self)["typical"][value_id]

    def resolve(self, lookup: Lookup) -> Lookup:
        """A lookup with `use:` replaced by the named one (keeping its own default, if it has one)."""
        if lookup.use is None:
            return lookup
        named = self.lookups[lookup.use]
        return named if lookup.default is None else named.model_copy(update={"default": lookup.default})

    def pick(self, ref: str | Lookup, answers: Any) -> str | None:
        """The id a plain id or a lookup gives for these answers."""
        if isinstance(ref, str):
            return ref
        lk = self.resolve(ref)
        value = answers.get(lk.by)
        if value is not None and value in lk.values:
            return lk.values[value]
        if lk.otherwise is not None:
            found = self.pick(lk.otherwise, answers)
            if found is not None:
                return found
        return lk.default

    def lookup_ids(self, ref: str | Lookup) -> list[str]:
        if isinstance(ref, str):
            return [ref]
        lk = self.resolve(ref)
        more = self.lookup_ids(lk.otherwise) if lk.otherwise else []
        return list(dict.fromkeys([*lk.values.values(), *more, *([lk.default] if lk.default else [])]))

    def lookup_questions(self, ref: str | Lookup) -> list[str]:
        if isinstance(ref, str):
            return []
        lk = self.resolve(ref)
        return [lk.by, *(self.lookup_questions(lk.otherwise) if lk.otherwise else [])]

    def build_index(self) -> None:
        questions: dict[str, Any] = {}
        step_of: dict[str, Step] = {}
        all_steps: list[Step] = []
        exit_step = self.exit_step()
        for step in self.steps:
            if exit_step and step.stage != "screening" and exit_step not in all_steps:
                all_steps.append(exit_step)
            all_steps.append(step)
        if exit_step and exit_step not in all_steps:
            all_steps.append(exit_step)
        for step in all_steps:
            for q in step.questions:
                questions.setdefault(q.id, q)
                step_of.setdefault(q.id, step)
        self._index.update(
            questions=questions,
            step_of=step_of,
            all_steps=all_steps,
            sectors={s.id: s for s in self.sectors},
            factors={f.id: f for f in (self._factor_table.factors if self._factor_table else [])},
            typical={v.id: v for v in (self._factor_table.typical_values if self._factor_table else [])},
        )

    def suggested_exit_reason(self, answers: Any) -> str | None:
        if self.screening is None:
            return None
        return next(
            (r.id for r in self.screening.exit_reasons if r.suggest_when is not None and r.suggest_when.test(answers)),
            None,
        )

    def exit_step(self) -> Step | None:
        """The screening exit as an ordinary step, so wizard and evaluation treat it like any other."""
        if self.screening is None:
            return None
        if "exit_step" in _index_of(self):
            return _index_of(self)["exit_step"]
        s = self.screening
        e = s.exit_step
        # Without its own help the reason question says this (in English: the English words).
        default_help = not e.reason_help
        step = Step(
            id=EXIT_STEP_ID,
            stage="screening",
            title=e.title,
            title_en=e.title_en,
            intro=e.intro,
            intro_en=e.intro_en,
            when=s.exit_when,
            questions=[
                SingleChoiceQuestion(
                    type="single_choice",
                    id="exit_reason",
                    text=e.reason_text,
                    text_en=e.reason_text_en,
                    help=e.reason_help or "Wählen Sie den Grund, der am besten passt.",
                    help_en="Choose the reason that fits best." if default_help else e.reason_help_en,
                    example=e.reason_example or s.exit_reasons[0].label,
                    example_en=e.reason_example_en if e.reason_example else s.exit_reasons[0].label_en,
                    options=[
                        Option(id=r.id, label=r.label, label_en=r.label_en, help=r.help, help_en=r.help_en)
                        for r in s.exit_reasons
                    ],
                ),
                TextQuestion(
                    type="text",
                    id="exit_explanation",
                    text=e.explanation_text,
                    text_en=e.explanation_text_en,
                    help=e.explanation_help,
                    help_en=e.explanation_help_en,
                    example=e.explanation_example,
                    example_en=e.explanation_example_en,
                    required=s.explanation_required,
                ),
            ],
        )
        _index_of(self)["exit_step"] = step
        return step
