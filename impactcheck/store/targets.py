"""A municipality's climate target as data: base year, base emissions per sector, the path, neutrality.

The file is `RULES_DIR/kommunen/<slug>/ziele/klimaziel.yaml`, beside the municipality's own rule sets
(store/municipalities.py), read with the rule files' line-number machinery (core/yamlsource.py) and
validated with pydantic; every problem names file, line and says in plain German what is wrong.

Sectors: the budget's sectors are the municipality's own (e.g. Kassel's Gebäude, Strom, Mobilität,
…); each names the BISKO sectors its base figure comes from and the rule set's sector ids
(`buildings`, `mobility`, …) whose t CO2e of a decision land in it. A rule sector belongs to at most one
budget sector; a decision's figures in a rule sector no budget sector names land in UNASSIGNED.

Paths (allowed emissions per year, per sector in proportion to its base figure):
- `yearly_percent`: the base year's emissions less `percent_per_year` % of them for every year after
  the base year (Kassel: 10 % of 2019 a year), never below 0;
- `linear`: a straight line from the base year's emissions to 0 in the neutrality year;
- `residual_budget`: `budget_t` t CO2e from `start_year` on, spent on a straight line falling to 0 in
  the neutrality year (the years' allowances add up to the budget).
From the neutrality year on, 0 is allowed; before the path starts, the base year's emissions.

No Flask here; the CLI (cli_targets.py), the budget (store/budget.py) and the web page use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_, Message, Number
from impactcheck.core.yamlsource import Located, read_file, require_mapping
from impactcheck.store import municipalities as municipal

# RULES_DIR/kommunen/<slug>/ziele/klimaziel.yaml: in a folder of its own, so the *.yaml of the
# municipality's folder stay its rule sets.
TARGET_DIR = "ziele"
TARGET_FILE = "klimaziel.yaml"
PATH_KINDS = ("yearly_percent", "linear", "residual_budget")
# BISKO (the German municipal GHG accounting standard) sectors a budget sector's base figure may come from.
BISKO_SECTORS = {
    "private_haushalte": N_("Private Haushalte"),
    "ghd": N_("Gewerbe, Handel, Dienstleistungen"),
    "industrie": N_("Industrie"),
    "verkehr": N_("Verkehr"),
    "kommunale_einrichtungen": N_("Kommunale Einrichtungen"),
}
# Where a decision's figures go whose rule sector no budget sector names (an older rule set's sector).
UNASSIGNED = "nicht_zugeordnet"
UNASSIGNED_LABEL = N_("keinem Sektor zugeordnet")
YEARS = (1990, 2100)
SNAPSHOT_KIND = "target"  # in ruleset_snapshot, beside "ruleset" and "factors"
AUDIT_ACTION = "target.recorded"


class TargetFileError(InputError):
    """A climate target file that cannot be used: `.path`, `.line`, `.message` of the first problem,
    `.problems` all of them; str() is "FILE:LINE: message" (all problems on one line)."""

    def __init__(self, problems: list[Problem] | Problem):
        super().__init__(problems)
        first = self.problems[0]
        self.path = first.file
        self.line = first.line
        self.message = first.message


@dataclass(frozen=True)
class Sector:
    id: str
    label: str
    bisko: tuple[str, ...]  # BISKO sectors the base figure covers (empty: outside BISKO)
    rule_sectors: tuple[str, ...]  # the rule set's sector ids that land here


@dataclass(frozen=True)
class ClimateTarget:
    municipality: str  # slug
    version: str
    sha256: str
    path: str
    title: str
    source: str  # where the base figures come from
    base_year: int
    base_t: Mapping[str, float]  # base-year emissions per budget sector id, t CO2e
    sectors: tuple[Sector, ...]
    path_kind: str  # "yearly_percent" | "linear" | "residual_budget"
    neutrality_year: int
    rulesets: tuple[str, ...] = ()  # the rule sets whose sector ids the mapping names
    percent_per_year: float | None = None  # yearly_percent
    start_year: int | None = None  # residual_budget
    budget_t: float | None = None  # residual_budget
    _rule_to_sector: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def base_total_t(self) -> float:
        return sum(self.base_t.values())

    def sector_of(self, rule_sector: str | None) -> str:
        """The budget sector a rule set's sector lands in (UNASSIGNED if none names it)."""
        return self._rule_to_sector.get(rule_sector or "", UNASSIGNED)

    def label_of(self, sector_id: str) -> str:
        return next((s.label for s in self.sectors if s.id == sector_id), UNASSIGNED_LABEL)

    def allowed_total_t(self, year: int) -> float:
        """The path: the allowed emissions of all sectors in `year`, t CO2e."""
        base = self.base_total_t
        if year >= self.neutrality_year:
            return 0.0
        if self.path_kind == "yearly_percent":
            if year <= self.base_year:
                return base
            return max(0.0, base * (1 - (self.percent_per_year or 0) / 100 * (year - self.base_year)))
        if self.path_kind == "linear":
            if year <= self.base_year:
                return base
            return base * (self.neutrality_year - year) / (self.neutrality_year - self.base_year)
        # residual_budget: a falling line from start_year whose years add up to budget_t
        start = self.start_year or self.base_year + 1
        if year < start:
            return base
        n = self.neutrality_year - start
        return (self.budget_t or 0.0) * (self.neutrality_year - year) / (n * (n + 1) / 2)

    def allowed_t(self, year: int) -> Mapping[str, float]:
        """The path per budget sector in `year` (each in proportion to its share of the base year)."""
        base = self.base_total_t
        total = self.allowed_total_t(year)
        if base <= 0:
            return {s.id: 0.0 for s in self.sectors}
        return {s.id: total * self.base_t[s.id] / base for s in self.sectors}

    def residual_budget_t(self) -> float | None:
        """For "residual_budget": the t CO2e allowed from its start year on; else None."""
        return self.budget_t if self.path_kind == "residual_budget" else None

    @property
    def first_path_year(self) -> int:
        """The first year the path lowers the allowance (the year after the base year, or the budget's start)."""
        if self.path_kind == "residual_budget":
            return self.start_year or self.base_year + 1
        return self.base_year + 1


# --- the file's schema ------------------------------------------------------------------------

_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class _SectorModel(_Strict):
    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    base_t: float
    bisko: list[str] = []
    rule_sectors: list[str] = []


class _PathModel(_Strict):
    kind: Literal["yearly_percent", "linear", "residual_budget"]
    percent_per_year: float | None = None
    start_year: int | None = None
    budget_t: float | None = None


class _TargetModel(_Strict):
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    municipality: str | None = None
    source: str = Field(min_length=1)
    rulesets: list[str] = Field(min_length=1)
    base_year: int
    neutrality_year: int
    sectors: list[_SectorModel] = Field(min_length=1)
    path: _PathModel


def _german(err: dict[str, Any], path: tuple[Hashable, ...]) -> str:
    """pydantic's message in the rule files' plain German (core/loader.py does the same for rule sets)."""
    from impactcheck.core import loader

    if err["type"] == "literal_error" and path and path[-1] == "kind":
        return Message(N_("„kind“: unbekannte Art des Pfads; erlaubt: {kinds}"), kinds=", ".join(PATH_KINDS))
    return loader._german(err, path)


def _validate(located: Located) -> tuple[_TargetModel | None, list[Problem]]:
    from impactcheck.core import loader

    try:
        return _TargetModel.model_validate(located.data), []
    except ValidationError as exc:
        seen: dict[tuple[Hashable, ...], Problem] = {}
        for err in exc.errors():
            path = loader._data_path(located.data, err["loc"])
            seen.setdefault(path, located.problem(path, _german(err, path)))
        return None, sorted(seen.values(), key=lambda p: p.line or 0)


def _t(value: float) -> Number:
    """Whole tonnes in the reader's way: 1.234.567 in German, 1,234,567 in English."""
    return Number(round(value))


def _rule_sector_ids(rules_dir: Path, slug: str | None, ruleset_id: str) -> list[str] | None:
    """The sector ids of a rule set as the municipality sees it (None: no such rule set; an empty list:
    unreadable or without sectors, so nothing can be said about the mapping). Read from the YAML only:
    the rule set's own validity is `rules check`'s business."""
    file = municipal.folder_of(rules_dir, slug, ruleset_id) / f"{ruleset_id}.yaml"
    if not file.is_file():
        return None
    try:
        data = read_file(file).data
    except InputError:
        return []
    sectors = data.get("sectors") if isinstance(data, dict) else None
    return [s["id"] for s in sectors or [] if isinstance(s, dict) and isinstance(s.get("id"), str)]


def _rules_dir_of(path: Path) -> Path | None:
    """RULES_DIR of a file at RULES_DIR/kommunen/<slug>/ziele/klimaziel.yaml (None elsewhere)."""
    folder = path.resolve().parent
    if folder.name == TARGET_DIR and folder.parent.parent.name == municipal.OWN_RULES_DIR:
        return folder.parent.parent.parent
    return None


def _checks(model: _TargetModel, located: Located, rules_dir: Path | None, slug: str | None) -> list[Problem]:
    found: list[Problem] = []
    low, high = YEARS

    def problem(path: tuple[Hashable, ...], message: str, **params: Any) -> None:
        """`message` an N_() msgid, the pattern of a Message with `params` (translated where it is shown)."""
        found.append(located.problem(path, Message(message, **params)))

    for key in ("base_year", "neutrality_year"):
        year = getattr(model, key)
        if not low <= year <= high:
            problem((key,), N_("„{key}“ muss ein Jahr zwischen {low} und {high} sein"), key=key, low=low, high=high)
    if model.neutrality_year <= model.base_year:
        problem(("neutrality_year",), N_("Das Jahr der Klimaneutralität muss nach dem Basisjahr liegen"))
    seen: dict[str, int] = {}
    owner: dict[str, str] = {}
    known: dict[str, list[str] | None] = {}
    if rules_dir is not None:
        for r in model.rulesets:
            known[r] = _rule_sector_ids(rules_dir, slug, r)
        for i, r in enumerate(model.rulesets):
            if known[r] is None:
                problem(("rulesets", i), N_("Regelwerk „{id}“ gibt es für diese Kommune nicht"), id=r)
    rule_ids = {s for ids in known.values() if ids for s in ids}
    # A rule set that cannot be read says nothing about the mapping (`rules check` names its problem).
    mapping_known = rules_dir is not None and all(known.values())
    for i, sector in enumerate(model.sectors):
        if sector.id in seen:
            problem(
                ("sectors", i, "id"),
                N_("Sektor „{id}“ ist doppelt (zuerst in Zeile {line})"),
                id=sector.id,
                line=seen[sector.id],
            )
        else:
            seen[sector.id] = located.line_of(("sectors", i, "id")) or 0
        if sector.base_t < 0:
            problem(
                ("sectors", i, "base_t"),
                N_(
                    "Die Emissionen des Basisjahres im Sektor „{id}“ sind negativ ({tonnes} t CO2e); "
                    "erwartet wird eine Zahl ab 0"
                ),
                id=sector.id,
                tonnes=f"{sector.base_t:g}",
            )
        for j, b in enumerate(sector.bisko):
            if b not in BISKO_SECTORS:
                problem(
                    ("sectors", i, "bisko", j),
                    N_("„{sector}“ ist kein BISKO-Sektor; erlaubt: {allowed}"),
                    sector=b,
                    allowed=", ".join(BISKO_SECTORS),
                )
        for j, r in enumerate(sector.rule_sectors):
            if mapping_known and r not in rule_ids:
                problem(
                    ("sectors", i, "rule_sectors", j),
                    N_("Handlungsfeld „{id}“ gibt es im Regelwerk {rulesets} nicht; vorhanden: {known}"),
                    id=r,
                    rulesets=", ".join(model.rulesets),
                    known=", ".join(sorted(rule_ids)) or Message(N_("keine")),
                )
            elif r in owner:
                problem(
                    ("sectors", i, "rule_sectors", j),
                    N_("Handlungsfeld „{id}“ ist schon dem Sektor „{sector}“ zugeordnet; jedes nur einem Sektor"),
                    id=r,
                    sector=owner[r],
                )
            else:
                owner[r] = sector.id
    base_total = sum(s.base_t for s in model.sectors)
    p = model.path
    if p.kind == "yearly_percent":
        if p.percent_per_year is None:
            problem(("path",), N_("Pflichtangabe „percent_per_year“ fehlt (Minderung in % des Basisjahres je Jahr)"))
        elif p.percent_per_year <= 0:
            problem(
                ("path", "percent_per_year"),
                N_(
                    "Der Pfad steigt oder bleibt gleich: „percent_per_year“ ist {value}; "
                    "erwartet wird eine Minderung über 0 %"
                ),
                value=f"{p.percent_per_year:g}",
            )
        elif p.percent_per_year > 100:
            problem(("path", "percent_per_year"), N_("„percent_per_year“ darf höchstens 100 sein"))
    elif p.kind == "residual_budget":
        if p.budget_t is None:
            problem(("path",), N_("Pflichtangabe „budget_t“ fehlt (Restbudget in t CO2e)"))
        elif p.budget_t < 0:
            problem(("path", "budget_t"), N_("Das Restbudget ist negativ; erwartet wird eine Zahl ab 0"))
        start = p.start_year if p.start_year is not None else model.base_year + 1
        if p.start_year is not None and not model.base_year < p.start_year < model.neutrality_year:
            problem(
                ("path", "start_year"),
                N_(
                    "Das Startjahr des Restbudgets muss nach dem Basisjahr und vor dem Jahr der Klimaneutralität liegen"
                ),
            )
        elif p.budget_t is not None and p.budget_t >= 0 and model.neutrality_year > start:
            n = model.neutrality_year - start
            first = p.budget_t * n / (n * (n + 1) / 2)
            if first > base_total:
                problem(
                    ("path", "budget_t"),
                    N_(
                        "Der Pfad steigt: mit {budget} t CO2e bis {neutrality_year} wären {start} "
                        "{first} t erlaubt, mehr als im Basisjahr ({base} t)"
                    ),
                    budget=_t(p.budget_t),
                    neutrality_year=model.neutrality_year,
                    start=start,
                    first=_t(first),
                    base=_t(base_total),
                )
    for key in ("percent_per_year", "start_year", "budget_t"):
        wanted = {"yearly_percent": ("percent_per_year",), "residual_budget": ("start_year", "budget_t")}
        if getattr(p, key) is not None and key not in wanted.get(p.kind, ()):
            problem(("path", key), N_("„{key}“ gehört nicht zum Pfad „{kind}“"), key=key, kind=p.kind)
    if model.municipality is not None and slug is not None and model.municipality != slug:
        problem(
            ("municipality",),
            N_("Die Datei liegt im Ordner der Kommune „{slug}“, nennt aber „{named}“"),
            slug=slug,
            named=model.municipality,
        )
    return sorted(found, key=lambda q: q.line or 0)


def load_target(path: str | Path, *, rules_dir: str | Path | None = None) -> ClimateTarget:
    """Read and validate a climate target file; raises TargetFileError naming file, line and problem.

    The rule sets the mapping names are looked up in `rules_dir` (default: the RULES_DIR the file sits
    in, RULES_DIR/kommunen/<slug>/ziele/klimaziel.yaml); a file elsewhere without `rules_dir` is checked
    without them."""
    path = Path(path)
    try:
        located = require_mapping(read_file(path), "„version:“, „base_year:“, „sectors:“, „path:“")
    except InputError as exc:
        raise TargetFileError(exc.problems) from None
    folder_slug = path.resolve().parent.parent.name if _rules_dir_of(path) is not None else None
    root = Path(rules_dir) if rules_dir is not None else _rules_dir_of(path)
    model, problems = _validate(located)
    if model is None:
        raise TargetFileError(problems)
    slug = folder_slug or model.municipality or path.stem
    problems = _checks(model, located, root, folder_slug or model.municipality)
    if problems:
        raise TargetFileError(problems)
    sectors = tuple(Sector(s.id, s.label.strip(), tuple(s.bisko), tuple(s.rule_sectors)) for s in model.sectors)
    return ClimateTarget(
        municipality=slug,
        version=model.version,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        path=str(path),
        title=model.title.strip(),
        source=" ".join(model.source.split()),
        base_year=model.base_year,
        base_t={s.id: float(s.base_t) for s in model.sectors},
        sectors=sectors,
        path_kind=model.path.kind,
        neutrality_year=model.neutrality_year,
        rulesets=tuple(model.rulesets),
        percent_per_year=model.path.percent_per_year,
        start_year=(model.path.start_year or model.base_year + 1) if model.path.kind == "residual_budget" else None,
        budget_t=model.path.budget_t,
        _rule_to_sector={r: s.id for s in sectors for r in s.rule_sectors},
    )


def target_file(municipality: str, rules_dir: str | Path) -> Path:
    """Where the municipality's target file lives (it may not exist)."""
    return municipal.own_rules_dir(Path(rules_dir), municipality) / TARGET_DIR / TARGET_FILE


def target_of(municipality: str, rules_dir: str | Path) -> ClimateTarget | None:
    """The municipality's (slug) current target file, None if it has none; raises TargetFileError if bad."""
    file = target_file(municipality, rules_dir)
    if not file.is_file():
        return None
    return load_target(file, rules_dir=rules_dir)


def check_all(rules_dir: str | Path) -> list[tuple[Path, list[Problem]]]:
    """Every municipality's target file in the rules folder with its problems (for `rules check`)."""
    found = []
    for folder in municipal.own_folders(Path(rules_dir)):
        file = target_file(folder.name, rules_dir)
        if file.is_file():
            try:
                load_target(file, rules_dir=rules_dir)
                found.append((file, []))
            except TargetFileError as exc:
                found.append((file, exc.problems))
    return found


def record(s: Any, target: ClimateTarget, municipality_id: int, actor: Any = None) -> bool:
    """Keep the exact text of the target file once per SHA-256 (as rule sets are kept) and write an
    audit entry when the municipality's target differs from the one last recorded. True if new.

    Called wherever figures are computed from a target (budget page, report), so every figure shown
    can be traced to the file's text."""
    from sqlalchemy import select  # here: `rules check` and `targets check` start without SQLAlchemy

    from impactcheck.store.models import AuditEntry, RulesetSnapshot
    from impactcheck.store.operations import audit, insert_or_ignore, utcnow

    last = s.scalar(
        select(AuditEntry.detail)
        .where(AuditEntry.municipality_id == municipality_id, AuditEntry.action == AUDIT_ACTION)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if last and last.get("sha256") == target.sha256:
        return False
    raw = Path(target.path).read_bytes()
    if hashlib.sha256(raw).hexdigest() != target.sha256:
        return False  # changed on disk since it was read: the next reading records it
    if s.scalar(select(RulesetSnapshot.sha256).where(RulesetSnapshot.sha256 == target.sha256)) is None:
        values = {
            "sha256": target.sha256,
            "kind": SNAPSHOT_KIND,
            "ident": target.municipality[:64],
            "version": target.version[:40],
            "content": raw.decode("utf-8"),
            "stored_at": utcnow(),
        }
        insert_or_ignore(s, RulesetSnapshot.__table__, values, ["sha256"])
    audit(
        s,
        actor,
        AUDIT_ACTION,
        municipality_id=municipality_id,
        sha256=target.sha256,
        version=target.version,
        file=target.path,
        previous=(last or {}).get("sha256"),
    )
    return True
