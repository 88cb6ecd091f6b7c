"""Load and completely validate rule sets and factor tables before anything uses them.

Every problem is reported at once, each with file, line and a plain German explanation, because the
people who edit these files are climate officers, not programmers.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from impactcheck.core import model as m
from impactcheck.core import units
from impactcheck.core.conditions import Atom, Condition
from impactcheck.core.errors import InputError, Problem, RuleFileError
from impactcheck.core.i18n import N_, Message, Number
from impactcheck.core.yamlsource import Located, read_file, require_mapping

FACTORS_DIR = "factors"


# --- pydantic errors in plain German ----------------------------------------------------------


def _known_keys(models: Iterable[type[BaseModel]]) -> set[str]:
    keys: set[str] = set()
    for cls in models:
        keys.update(cls.model_fields)
    return keys


_ALL_KEYS = _known_keys(
    [
        m.RuleSet,
        m.Settings,
        m.Co2Price,
        m.Screening,
        m.ExitReason,
        m.ExitStep,
        m.Sector,
        m.Step,
        m.YesNoQuestion,
        m.SingleChoiceQuestion,
        m.MultipleChoiceQuestion,
        m.ScaleQuestion,
        m.NumberQuestion,
        m.TextQuestion,
        m.Option,
        m.Effect,
        m.Quantification,
        m.Line,
        m.Verdict,
        m.VerdictRule,
        m.FactorTable,
        m.Factor,
        m.TypicalValue,
        m.Lookup,
        m.Term,
        m.Decision,
        m.LifetimeRule,
    ]
)


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Hashable, ...]:
    """Map pydantic's error location to a path in the data (dropping union tags like 'number')."""
    path: list[Hashable] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict):
            if part in node:
                path.append(part)
                node = node[part]
            elif last:
                path.append(part)  # a missing or unknown key
            # else: a discriminator tag pydantic inserted; it is not in the data
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        else:
            break  # a scalar: the rest names union members ('int', 'float'), not places
    return tuple(path)


def _german(err: dict[str, Any], path: tuple[Hashable, ...]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    field = str(path[-1]) if path and isinstance(path[-1], str) else None
    if kind == "missing":
        return Message(N_("Pflichtangabe „{field}“ fehlt"), field=field)
    if kind == "extra_forbidden":
        if "input" in err and err["input"] is None:
            # `{label: Wind, Sonne}`: YAML read the part after the comma as a key of its own.
            return Message(
                N_(
                    "unbekannter Schlüssel „{field}“ – enthält der Text davor ein Komma? "
                    "Dann den Text in Anführungszeichen setzen"
                ),
                field=field,
            )
        hint = difflib.get_close_matches(str(field), sorted(_ALL_KEYS), n=1)
        if hint:
            return Message(N_("unbekannter Schlüssel „{field}“ – meinten Sie „{hint}“?"), field=field, hint=hint[0])
        return Message(N_("unbekannter Schlüssel „{field}“"), field=field)
    if kind in ("string_type", "str_type"):
        return Message(N_("„{field}“ muss Text sein"), field=field) if field else Message(N_("Text erwartet"))
    if kind in ("int_type", "int_from_float", "int_parsing"):
        if field:
            return Message(N_("„{field}“ muss eine ganze Zahl sein"), field=field)
        return Message(N_("ganze Zahl erwartet"))
    if kind in ("float_type", "float_parsing"):
        return Message(N_("„{field}“ muss eine Zahl sein"), field=field) if field else Message(N_("Zahl erwartet"))
    if kind == "bool_type":
        if field:
            return Message(N_("„{field}“ ist true oder false"), field=field)
        return Message(N_("true oder false erwartet"))
    if kind == "list_type":
        if field:
            return Message(N_("„{field}“ muss eine Liste sein (Einträge mit „- “)"), field=field)
        return Message(N_("Liste erwartet"))
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if field:
            return Message(N_("„{field}“ muss Einträge mit Schlüsseln enthalten"), field=field)
        return Message(N_("Eintrag mit Schlüsseln erwartet"))
    if kind == "literal_error":
        return Message(
            N_("„{field}“: nicht erlaubter Wert; erlaubt: {allowed}"),
            field=str(field).replace("'", ""),
            allowed=str(ctx.get("expected", "")).replace("'", ""),
        )
    if kind == "union_tag_invalid":
        return Message(
            N_("unbekannter Fragetyp „{type}“; erlaubt: {allowed}"),
            type=ctx.get("tag"),
            allowed=", ".join(m.QUESTION_TYPES),
        )
    if kind == "union_tag_not_found":
        return Message(N_("Angabe „type“ fehlt; erlaubt: {allowed}"), allowed=", ".join(m.QUESTION_TYPES))
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "")
        if field:
            return Message(N_("„{field}“ muss {sign} {bound} sein"), field=field, sign=sign, bound=bound)
        return Message(N_("Wert muss {sign} {bound} sein"), sign=sign, bound=bound)
    if kind == "too_short":
        return Message(N_("„{field}“ braucht mindestens {n} Einträge"), field=field, n=ctx.get("min_length"))
    if kind == "string_too_short":
        return Message(N_("„{field}“ darf nicht leer sein"), field=field)
    if kind == "string_too_long":
        return Message(N_("„{field}“ ist zu lang (höchstens {n} Zeichen)"), field=field, n=ctx.get("max_length"))
    if kind == "string_pattern_mismatch":
        if field == "language":
            return Message(N_("„language“ ist ein Sprachkürzel wie „de“"))
        return Message(
            N_(
                "„{field}“ ist keine gültige ID: nur Kleinbuchstaben a–z, Ziffern und _, beginnend mit einem Buchstaben"
            ),
            field=field,
        )
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return Message(N_("„{field}“ muss ein Datum sein (JJJJ-MM-TT)"), field=field)
    if kind == "condition":
        # The condition parser's own Message (ctx), so it is translated where it is shown.
        return Message(N_("Bedingung: {problem}"), problem=ctx.get("message", err["msg"]))
    # pydantic's own (English) words for a case not named above
    return Message(N_("„{field}“: {problem}"), field=field, problem=err["msg"]) if field else err["msg"]


def _validate(cls: type[BaseModel], located: Located) -> tuple[Any, list[Problem]]:
    try:
        return cls.model_validate(located.data), []
    except ValidationError as exc:
        by_path: dict[tuple[Hashable, ...], list[dict[str, Any]]] = {}
        for err in exc.errors():
            path = _data_path(located.data, err["loc"])
            if err["type"] == "condition":
                path = path + tuple((err.get("ctx") or {}).get("subpath", ()))
            elif err["type"] == "union_tag_invalid":
                path = (*path, "type")
            by_path.setdefault(path, []).append(err)
        problems = []
        for path, errs in by_path.items():
            kinds = {e["type"] for e in errs}
            if len(errs) > 1 and kinds <= {"int_type", "float_type", "int_from_float"}:
                # `int | float` fails twice for one value: say it once.
                message = Message(N_("„{field}“ muss eine Zahl sein"), field=path[-1])
                problems.append(located.problem(path, message))
                continue
            problems.append(located.problem(path, _german(errs[0], path)))
        return None, sorted(problems, key=lambda p: p.line or 0)


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _duplicates(items: Iterable[tuple[str, tuple[Hashable, ...]]], what: str, located: Located) -> Iterator[Problem]:
    """`what` names the kind of entry (a msgid, or a Message like "Option in Frage „x“")."""
    seen: dict[str, tuple[Hashable, ...]] = {}
    for ident, path in items:
        if ident in seen:
            first = located.line_of(seen[ident])
            yield located.problem(
                path,
                Message(
                    N_("{what} „{id}“ ist doppelt (zuerst in Zeile {line})"),
                    what=what if isinstance(what, Message) else Message(what),
                    id=ident,
                    line=first,
                ),
            )
        else:
            seen[ident] = path


# --- English texts beside the German ones --------------------------------------------------------

# Placeholders a text may carry ({name}, %(name)s): a translation must keep each of them.
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sdf]")


def _texts(obj: Any, path: tuple[Hashable, ...] = ()) -> Iterator[tuple[tuple[Hashable, ...], str, Any, Any]]:
    """Every translatable text of a loaded rule set or factor table: (path of the German text in the
    file, field name, German text, English text or None). A scale's `labels` give one entry per point."""
    if isinstance(obj, BaseModel):
        fields = set(m.translatable_fields(type(obj)))
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if name in fields and isinstance(value, dict):
                english = getattr(obj, name + "_en") or {}
                for key, text in value.items():
                    yield (*path, name, key), name, text, english.get(key)
            elif name in fields:
                if value:
                    yield (*path, name), name, value, getattr(obj, name + "_en")
            elif not name.endswith("_en"):
                yield from _texts(value, (*path, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _texts(item, (*path, i))
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from _texts(item, (*path, key))


def _check_placeholders(obj: Any, located: Located) -> Iterator[Problem]:
    for path, name, german, english in _texts(obj):
        if not english:
            continue
        want, got = sorted(_PLACEHOLDER.findall(german)), sorted(_PLACEHOLDER.findall(english))
        if want != got:
            yield located.problem(
                (*path[:-1], f"{name}_en") if isinstance(path[-1], str) else (*path[:-2], f"{name}_en", path[-1]),
                Message(
                    N_("„{field}_en“ muss dieselben Platzhalter enthalten wie „{field}“: {german} statt {english}"),
                    field=name,
                    german=", ".join(want) or Message(N_("keine")),
                    english=", ".join(got) or Message(N_("keine")),
                ),
            )


def english_notes(obj: Any, located: Located) -> list[Problem]:
    """Information, not errors: texts without an English sibling show in German on English pages."""
    texts = list(_texts(obj))
    missing = [(path, name) for path, name, _german, english in texts if not english]
    if not missing:
        return []
    if len(missing) == len(texts):
        message = Message(N_("Hinweis: keine englischen Texte; die englische Oberfläche zeigt die deutschen Texte"))
        return [Problem(message, file=located.file)]
    first_path, first_name = missing[0]
    message = Message(
        N_(
            "Hinweis: {missing} von {total} Texten ohne englische Fassung (zuerst Zeile {line}: „{field}“); "
            "die englische Oberfläche zeigt dort den deutschen Text"
        ),
        missing=Number(len(missing)),
        total=Number(len(texts)),
        line=located.line_of(first_path),
        field=first_name,
    )
    return [Problem(message, file=located.file)]


# --- factor tables ----------------------------------------------------------------------------


def _read(path: str | Path, expected: str) -> Located:
    try:
        return require_mapping(read_file(path), expected)
    except RuleFileError:
        raise
    except InputError as exc:
        raise RuleFileError(exc.problems) from None


def load_factor_table(path: str | Path) -> m.FactorTable:
    located = _read(path, Message(N_("„id:“, „title:“, „factors:“")))
    table, problems = _validate(m.FactorTable, located)
    if table is not None:
        problems += list(_check_factor_table(table, located))
    if problems:
        raise RuleFileError(problems)
    table._sha256 = _sha256(str(path))
    table._path = str(path)
    return table


def _check_factor_table(table: m.FactorTable, located: Located) -> Iterator[Problem]:
    yield from _duplicates(((f.id, ("factors", i, "id")) for i, f in enumerate(table.factors)), N_("Faktor"), located)
    yield from _check_placeholders(table, located)
    for i, f in enumerate(table.factors):
        if m.parse_factor_unit(f.unit) is None:
            yield located.problem(
                ("factors", i, "unit"),
                Message(
                    N_("Einheit „{unit}“ nicht lesbar; Form: „g CO2e/kWh“, „kg CO2/l“ oder „t CO2e/t“"), unit=f.unit
                ),
            )
        if not f.source.strip():
            yield located.problem(("factors", i, "source"), Message(N_("Faktor „{id}“ hat keine Quelle"), id=f.id))
    yield from _duplicates(
        ((v.id, ("typical_values", i, "id")) for i, v in enumerate(table.typical_values)), N_("Kennwert"), located
    )
    for i, v in enumerate(table.typical_values):
        try:
            units.dims(v.unit)
        except units.UnitError:
            yield located.problem(
                ("typical_values", i, "unit"),
                Message(
                    N_("Einheit „{unit}“ nicht lesbar; Form: „kWh/(m²·a)“, „Fz-km/(Fahrzeug·a)“ oder „1“"), unit=v.unit
                ),
            )


# --- rule sets --------------------------------------------------------------------------------


def load_ruleset(path: str | Path) -> m.RuleSet:
    """Load, validate and index a rule set; raises RuleFileError listing every problem."""
    path = str(path)
    located = _read(path, Message(N_("„id:“, „version:“, „steps:“")))
    ruleset, problems = _validate(m.RuleSet, located)
    if ruleset is None:
        raise RuleFileError(problems)
    table = None
    if ruleset.factors:
        table_path = Path(path).parent / FACTORS_DIR / f"{ruleset.factors}.yaml"
        try:
            table = load_factor_table(table_path)
        except FileNotFoundError:  # pragma: no cover - read_file turns this into InputError
            raise
        except InputError as exc:
            if not table_path.exists():
                raise RuleFileError(
                    located.problem(
                        ("factors",),
                        Message(
                            N_("Faktortabelle „{id}“ nicht gefunden (erwartet: {path})"),
                            id=ruleset.factors,
                            path=str(table_path),
                        ),
                    )
                ) from None
            raise RuleFileError(exc.problems) from None
        if table.id != ruleset.factors:
            problems.append(
                Problem(
                    Message(
                        N_("die Faktortabelle heißt „{id}“, erwartet „{expected}“"),
                        id=table.id,
                        expected=ruleset.factors,
                    ),
                    str(table_path),
                    1,
                )
            )
    ruleset._factor_table = table
    ruleset._path = path
    ruleset._sha256 = _sha256(path)
    problems += list(_SemanticCheck(ruleset, located).run())
    if problems:
        raise RuleFileError(sorted(problems, key=lambda p: (p.file != path, p.line or 0)))
    ruleset.build_index()
    return ruleset


class _SemanticCheck:
    """Checks that need the whole rule set: references, duplicates, order, cycles, units."""

    def __init__(self, rs: m.RuleSet, located: Located):
        self.rs = rs
        self.loc = located
        self.questions: dict[str, tuple[Any, tuple[Hashable, ...], int]] = {}  # id -> (q, path, position)

    def problem(self, path: tuple[Hashable, ...], message: str, /, **params: Any) -> Problem:
        """`message` is a msgid; with `params` the pattern of a Message (translated where it is shown)."""
        return self.loc.problem(path, Message(message, **params))

    def run(self) -> Iterator[Problem]:
        rs = self.rs
        yield from _duplicates(((s.id, ("steps", i, "id")) for i, s in enumerate(rs.steps)), N_("Schritt"), self.loc)
        for i, step in enumerate(rs.steps):
            if step.id == m.EXIT_STEP_ID:
                yield self.problem(
                    ("steps", i, "id"),
                    N_("die Schritt-ID „{id}“ ist für den Ausstieg der Vorprüfung reserviert"),
                    id=m.EXIT_STEP_ID,
                )
        yield from _duplicates(
            ((s.id, ("sectors", i, "id")) for i, s in enumerate(rs.sectors)), N_("Handlungsfeld"), self.loc
        )
        yield from _duplicates(
            ((p.id, ("settings", "co2_prices", i, "id")) for i, p in enumerate(rs.settings.co2_prices)),
            N_("CO2-Preis"),
            self.loc,
        )
        yield from self._collect_questions()
        yield from self._check_stage_order()
        yield from self._check_screening()
        yield from self._check_visibility_conditions()
        yield from self._check_effects()
        yield from self._check_quantification()
        yield from self._check_verdict()
        yield from self._check_decision()
        yield from self._check_named_lookups()
        yield from self._check_unknown_not_penalised()
        yield from self._check_none_buttons()
        yield from _check_placeholders(rs, self.loc)

    # questions and their positions

    def _collect_questions(self) -> Iterator[Problem]:
        position = 0
        seen_paths: list[tuple[str, tuple[Hashable, ...]]] = []
        for i, step in enumerate(self.rs.steps):
            for j, q in enumerate(step.questions):
                path = ("steps", i, "questions", j)
                seen_paths.append((q.id, (*path, "id")))
                if q.id in m.RESERVED_QUESTION_IDS:
                    yield self.problem(
                        (*path, "id"),
                        N_("die ID „{id}“ ist für die Vorprüfung reserviert; bitte anders nennen"),
                        id=q.id,
                    )
                self.questions.setdefault(q.id, (q, path, position))
                position += 1
                yield from self._check_question(q, path)
        yield from _duplicates(seen_paths, N_("Frage"), self.loc)

    def _check_question(self, q: Any, path: tuple[Hashable, ...]) -> Iterator[Problem]:
        if isinstance(q, m.SingleChoiceQuestion | m.MultipleChoiceQuestion):
            yield from _duplicates(
                ((o.id, (*path, "options", k, "id")) for k, o in enumerate(q.options)),
                Message(N_("Option in Frage „{id}“"), id=q.id),
                self.loc,
            )
        if isinstance(q, m.NumberQuestion) and q.min >= q.max:
            yield self.problem(
                (*path, "max"),
                N_("Frage „{id}“: „max“ ({max}) muss größer als „min“ ({min}) sein"),
                id=q.id,
                max=q.max,  # as written in the file
                min=q.min,
            )

    def _check_stage_order(self) -> Iterator[Problem]:
        last = 0
        for i, step in enumerate(self.rs.steps):
            rank = m.STAGES.index(step.stage)
            if rank < last:
                yield self.problem(
                    ("steps", i, "stage"),
                    N_("Schritt „{id}“ (Stufe {stage}) steht hinter einer späteren Stufe; Reihenfolge: {order}"),
                    id=step.id,
                    stage=step.stage,
                    order=" → ".join(m.STAGES),
                )
            last = max(last, rank)
        if self.rs.screening and not any(s.stage == "screening" for s in self.rs.steps):
            yield self.problem(
                ("screening",), N_("„screening“ braucht mindestens einen Schritt mit „stage: screening“")
            )

    def _check_screening(self) -> Iterator[Problem]:
        s = self.rs.screening
        if s is None:
            return
        yield from _duplicates(
            ((r.id, ("screening", "exit_reasons", i, "id")) for i, r in enumerate(s.exit_reasons)),
            N_("Ausstiegsgrund"),
            self.loc,
        )
        for i, r in enumerate(s.exit_reasons):
            if r.suggest_when is not None:
                yield from self._check_condition(r.suggest_when, ("screening", "exit_reasons", i, "suggest_when"), None)
        base = ("screening", "exit_when")
        for atom, sub in s.exit_when.atoms():
            entry = self.questions.get(atom.subject)
            if entry is None:
                continue  # reported by the reference check below
            stage = self.rs.steps[entry[1][1]].stage
            if stage != "screening":
                yield self.problem(
                    (*base, *sub),
                    N_("der Ausstieg darf nur Fragen der Vorprüfung prüfen; „{id}“ gehört zur Stufe {stage}"),
                    id=atom.subject,
                    stage=stage,
                )
        yield from self._check_condition(s.exit_when, base, before=None)

    # conditions

    def _check_condition(self, cond: Condition, base: tuple[Hashable, ...], before: int | None) -> Iterator[Problem]:
        """References exist, come earlier than `before` (a question position), and fit the type."""
        for atom, sub in cond.atoms():
            path = (*base, *sub)
            if atom.kind == "value":
                yield from self._check_value_atom(atom, path)
                continue
            entry = self.questions.get(atom.subject)
            if entry is None:
                hint = difflib.get_close_matches(atom.subject, list(self.questions), n=1)
                if hint:
                    yield self.problem(
                        path,
                        N_("Bedingung nennt die Frage „{id}“, die es nicht gibt – meinten Sie „{hint}“?"),
                        id=atom.subject,
                        hint=hint[0],
                    )
                else:
                    yield self.problem(path, N_("Bedingung nennt die Frage „{id}“, die es nicht gibt"), id=atom.subject)
                continue
            q, _, position = entry
            if before is not None and position >= before:
                yield self.problem(
                    path,
                    N_("Bedingung prüft die Frage „{id}“, die erst später (oder hier) gestellt wird"),
                    id=atom.subject,
                )
            yield from self._check_operand(atom, q, path)

    def _check_operand(self, atom: Atom, q: Any, path: tuple[Hashable, ...]) -> Iterator[Problem]:
        op, val = atom.op, atom.operand
        if op == "answered":
            return
        t = q.type
        allowed = {
            "yes_no": {"equals", "in"},
            "single_choice": {"equals", "in"},
            "multiple_choice": {"contains"},
            "scale": {"equals", "in", "gt", "gte", "lt", "lte"},
            "number": {"equals", "in", "gt", "gte", "lt", "lte"},
            "text": {"equals"},
        }[t]
        if op not in allowed:
            yield self.problem(
                path,
                N_("„{op}“ passt nicht zur Frage „{id}“ (Typ {type}); möglich: {allowed}"),
                op=op,
                id=q.id,
                type=t,
                allowed=", ".join(sorted(allowed | {"answered"})),
            )
            return
        values = list(val) if op == "in" else [val]
        for v in values:
            if t == "yes_no" and not isinstance(v, bool):
                yield self.problem(
                    path, N_("Frage „{id}“ ist eine Ja/Nein-Frage: vergleichen Sie mit true oder false"), id=q.id
                )
            elif t in ("single_choice", "multiple_choice"):
                ids = [o.id for o in q.options]
                if v not in ids:
                    yield self.problem(
                        path,
                        N_("Frage „{id}“ hat keine Option „{option}“; vorhanden: {known}"),
                        id=q.id,
                        option=v,
                        known=", ".join(ids),
                    )
            elif t == "scale" and (isinstance(v, bool) or not isinstance(v, int | float) or not -2 <= v <= 2):
                yield self.problem(
                    path, N_("Frage „{id}“ ist eine Skala von -2 bis +2; „{value}“ passt nicht"), id=q.id, value=v
                )
            elif t == "number" and (isinstance(v, bool) or not isinstance(v, int | float)):
                yield self.problem(path, N_("Frage „{id}“ erwartet eine Zahl; „{value}“ passt nicht"), id=q.id, value=v)
            elif t == "text" and not isinstance(v, str):
                yield self.problem(path, N_("Frage „{id}“ ist eine Textfrage; vergleichen Sie mit Text"), id=q.id)

    def _check_value_atom(self, atom: Atom, path: tuple[Hashable, ...]) -> Iterator[Problem]:
        if atom.subject not in m.VERDICT_VALUES:
            yield self.problem(
                path,
                N_("unbekannter berechneter Wert „{name}“; vorhanden: {known}"),
                name=atom.subject,
                known=", ".join(m.VERDICT_VALUES),
            )
            return
        boolean = atom.subject in m.BOOLEAN_VALUES
        if atom.op in ("in", "contains"):
            yield self.problem(path, N_("„{op}“ passt nicht zu einem berechneten Wert"), op=atom.op)
        elif boolean and atom.op not in ("equals", "answered"):
            yield self.problem(path, N_("„{name}“ ist true oder false; nutzen Sie „equals“"), name=atom.subject)
        elif boolean and atom.op == "equals" and not isinstance(atom.operand, bool):
            yield self.problem(path, N_("„{field}“ ist true oder false"), field=atom.subject)
        elif (
            not boolean
            and atom.op == "equals"
            and (isinstance(atom.operand, bool) or not isinstance(atom.operand, int | float))
        ):
            yield self.problem(path, N_("„{name}“ ist eine Zahl"), name=atom.subject)

    def _check_visibility_conditions(self) -> Iterator[Problem]:
        # Cycles first: a question whose visibility depends, through others, on itself.
        graph: dict[str, set[str]] = {}
        for step in self.rs.steps:
            step_refs = step.when.questions() if step.when else set()
            for q in step.questions:
                refs = set(step_refs)
                if q.when:
                    refs |= q.when.questions()
                graph[q.id] = {r for r in refs if r in self.questions}
        cyclic: set[str] = set()
        for cycle in _find_cycles(graph):
            cyclic.update(cycle)
            q, path, _ = self.questions[cycle[0]]
            yield self.problem(
                (*path, "when"),
                N_("Bedingungen bilden einen Kreis: {cycle} (keine Frage kann zuerst kommen)"),
                cycle=" → ".join([*cycle, cycle[0]]),
            )
        for i, step in enumerate(self.rs.steps):
            first = self.questions[step.questions[0].id][2] if step.questions[0].id in self.questions else 0
            if step.when and not (step.when.questions() & cyclic):
                yield from self._check_condition(step.when, ("steps", i, "when"), before=first)
            for j, q in enumerate(step.questions):
                if (
                    q.when
                    and q.id not in cyclic
                    and self.questions.get(q.id, (None, None, -1))[1] == ("steps", i, "questions", j)
                ):
                    position = self.questions[q.id][2]
                    yield from self._check_condition(q.when, ("steps", i, "questions", j, "when"), before=position)

    # effects, quantification, verdict

    def _question_of_type(
        self, qid: str, types: tuple[str, ...], path: tuple[Hashable, ...], role: str
    ) -> Iterator[Problem]:
        """`role`: a YAML key ("times") as it is, or a msgid naming what the question is for."""
        role = role if "_" in role or role.islower() else Message(role)
        entry = self.questions.get(qid)
        if entry is None:
            yield self.problem(path, N_("{role}: die Frage „{id}“ gibt es nicht"), role=role, id=qid)
        elif entry[0].type not in types:
            yield self.problem(
                path,
                N_("{role}: die Frage „{id}“ hat den Typ {type}, erwartet: {expected}"),
                role=role,
                id=qid,
                type=entry[0].type,
                expected=Message(N_("{first} oder {second}"), first=" oder ".join(types[:-1]), second=types[-1])
                if len(types) > 1
                else types[0],
            )

    def _check_sector(self, sector_id: str, path: tuple[Hashable, ...]) -> Iterator[Problem]:
        if sector_id not in {s.id for s in self.rs.sectors}:
            yield self.problem(
                path,
                N_("Handlungsfeld „{id}“ gibt es nicht; vorhanden: {known}"),
                id=sector_id,
                known=", ".join(s.id for s in self.rs.sectors),
            )

    def _check_effects(self) -> Iterator[Problem]:
        for i, e in enumerate(self.rs.effects):
            base = ("effects", i)
            yield from self._check_sector(e.sector, (*base, "sector"))
            if (e.score is None) == (e.score_from is None):
                yield self.problem(
                    base,
                    N_("eine Wirkung braucht genau eines: „score“ (fester Wert) oder „score_from“ (eine Skala-Frage)"),
                )
            if e.score_from:
                yield from self._question_of_type(e.score_from, ("scale",), (*base, "score_from"), "score_from")
            if e.reason_from:
                yield from self._question_of_type(e.reason_from, ("text",), (*base, "reason_from"), "reason_from")
            if e.when:
                yield from self._check_condition(e.when, (*base, "when"), before=None)
            lines = {ln.id for ln in self.rs.quantification.lines} if self.rs.quantification else set()
            for k, line_id in enumerate(e.quantified_by):
                if line_id not in lines:
                    yield self.problem(
                        (*base, "quantified_by", k),
                        N_("„quantified_by“: die Zeile „{id}“ gibt es nicht"),
                        id=line_id,
                    )

    def _check_quantification(self) -> Iterator[Problem]:
        qn = self.rs.quantification
        if qn is None:
            return
        table = self.rs.factor_table
        if table is None:
            yield self.problem(
                ("quantification",), N_("Quantifizierung braucht eine Faktortabelle: „factors: <id>“ angeben")
            )
        for i, rule in enumerate(qn.lifetimes):
            yield from self._check_condition(rule.when, ("quantification", "lifetimes", i, "when"), before=None)
        if qn.lifetime_question:
            yield from self._question_of_type(
                qn.lifetime_question, ("number",), ("quantification", "lifetime_question"), N_("Lebensdauer")
            )
        if qn.method_question:
            yield from self._question_of_type(
                qn.method_question, ("single_choice",), ("quantification", "method_question"), N_("Methode")
            )
            entry = self.questions.get(qn.method_question)
            if entry and entry[0].type == "single_choice":
                bad = [o.id for o in entry[0].options if o.id not in m.METHODS]
                if bad:
                    yield self.problem(
                        entry[1],
                        N_("die Optionen der Methodenfrage heißen {methods}; nicht: {bad}"),
                        methods=", ".join(m.METHODS),
                        bad=", ".join(bad),
                    )
        yield from _duplicates(
            ((ln.id, ("quantification", "lines", i, "id")) for i, ln in enumerate(qn.lines)),
            N_("Zeile"),
            self.loc,
        )
        for i, line in enumerate(qn.lines):
            base = ("quantification", "lines", i)
            yield from self._check_sector(line.sector, (*base, "sector"))
            for k, qid in enumerate(line.quantities):
                path = (*base, "quantity") if isinstance(line.quantity, str) else (*base, "quantity", k)
                yield from self._question_of_type(qid, ("number",), path, N_("Menge"))
            if line.when is not None:
                yield from self._check_condition(line.when, (*base, "when"), before=None)
            if table is None:
                continue
            if line.times or not isinstance(line.factor, str) or len(line.quantities) > 1 or line.quantity_default:
                yield from self._check_compound_line(line, base, table)
                continue
            factor = table.get(line.factor)
            if factor is None:
                hint = difflib.get_close_matches(line.factor, [f.id for f in table.factors], n=1)
                yield self._missing_factor(line.factor, table, hint, (*base, "factor"))
                continue
            entry = self.questions.get(line.quantity)
            if entry and entry[0].type == "number" and m.parse_factor_unit(factor.unit):
                expected = expected_quantity_units(factor.activity_unit, line.per)
                if entry[0].unit not in expected and not _units_cancel(entry[0].unit, factor.activity_unit, line.per):
                    yield self.problem(
                        (*base, "quantity"),
                        N_(
                            "Einheit passt nicht: Frage „{question}“ fragt in „{unit}“, "
                            "Faktor „{factor}“ ({factor_unit}, {per}) braucht „{expected}“"
                        ),
                        question=line.quantity,
                        unit=entry[0].unit,
                        factor=factor.id,
                        factor_unit=factor.unit,
                        per=_per(line.per),
                        expected=expected[0],
                    )

    def _check_lookup(self, lookup: m.Lookup, path: tuple[Hashable, ...], known: dict[str, Any], what: str):
        """A lookup names a choice question, its options, and ids that exist in the factor table."""
        if lookup.use is not None:
            if lookup.by or lookup.values or lookup.otherwise:
                yield self.problem(path, N_("„use“ steht allein (höchstens mit „default“)"))
            if lookup.use not in self.rs.lookups:
                yield self.problem(
                    (*path, "use"),
                    N_("die Auswahl „{name}“ ist unter „lookups“ nicht definiert; vorhanden: {known}"),
                    name=lookup.use,
                    known=", ".join(self.rs.lookups) or Message(N_("keine")),
                )
                return
            if lookup.default and lookup.default not in known:
                yield self.problem(
                    (*path, "default"),
                    N_("{what} „{id}“ fehlt in der Faktortabelle"),
                    what=Message(what),
                    id=lookup.default,
                )
            return
        if lookup.by is None or not lookup.values:
            yield self.problem(path, N_("eine Auswahl braucht „by“ (eine Frage) und „values“ (Option: ID)"))
            return
        entry = self.questions.get(lookup.by)
        if entry is None or entry[0].type != "single_choice":
            yield from self._question_of_type(lookup.by, ("single_choice",), (*path, "by"), N_("Auswahl nach"))
        else:
            options = [o.id for o in entry[0].options]
            for key in lookup.values:
                if key not in options:
                    yield self.problem(
                        (*path, "values", key),
                        N_("Frage „{id}“ hat keine Option „{option}“; vorhanden: {known}"),
                        id=lookup.by,
                        option=key,
                        known=", ".join(options),
                    )
        if lookup.otherwise is not None:
            yield from self._check_lookup(lookup.otherwise, (*path, "otherwise"), known, what)
        for key, ident in [*lookup.values.items(), *([("default", lookup.default)] if lookup.default else [])]:
            if ident not in known:
                hint = difflib.get_close_matches(ident, list(known), n=1)
                where = (*path, "values", key) if key != "default" else (*path, "default")
                if hint:
                    yield self.problem(
                        where,
                        N_("{what} „{id}“ fehlt in der Faktortabelle – meinten Sie „{hint}“?"),
                        what=Message(what),
                        id=ident,
                        hint=hint[0],
                    )
                else:
                    yield self.problem(
                        where, N_("{what} „{id}“ fehlt in der Faktortabelle"), what=Message(what), id=ident
                    )

    def _check_compound_line(self, line: m.Line, base: tuple[Hashable, ...], table: m.FactorTable) -> Iterator[Problem]:
        """Typical values and choices multiply out to the factor's activity per year (or once)."""
        factors = {f.id: f for f in table.factors}
        typical = {v.id: v for v in table.typical_values}
        problems: list[Problem] = []
        parts: list[Any] = []  # unit Counters, or None where a reference is broken
        # The quantity questions (all alternatives must share a unit).
        q_units = {
            self.questions[q][0].unit
            for q in line.quantities
            if q in self.questions and self.questions[q][0].type == "number"
        }
        if len(q_units) > 1:
            problems.append(
                self.problem(
                    (*base, "quantity"),
                    N_("die Mengenfragen einer Zeile brauchen dieselbe Einheit: {units}"),
                    units=", ".join(sorted(q_units)),
                )
            )
        parts.append(next(iter(q_units)) if q_units else None)
        if line.quantity_default is not None:
            d = line.quantity_default
            if isinstance(d, str):
                ids = [d]
                if d not in typical:
                    problems.append(
                        self.problem(
                            (*base, "quantity_default"),
                            N_("Kennwert „{id}“ fehlt in der Faktortabelle „{table}“"),
                            id=d,
                            table=table.id,
                        )
                    )
            else:
                problems += list(self._check_lookup(d, (*base, "quantity_default"), typical, N_("Kennwert")))
                ids = self._ids(d)
            for vid in ids:
                if vid in typical and q_units and typical[vid].unit not in q_units:
                    problems.append(
                        self.problem(
                            (*base, "quantity_default"),
                            N_("Kennwert „{id}“ ({unit}) passt nicht zur Einheit der Mengenfrage ({units})"),
                            id=vid,
                            unit=typical[vid].unit,
                            units=", ".join(q_units),
                        )
                    )
        for k, term in enumerate(line.times):
            path = (*base, "times", k)
            fallbacks = [x for x in (term.typical, term.lookup) if x is not None]
            if len(fallbacks) > 1 or (term.question is None and not fallbacks):
                problems.append(
                    self.problem(
                        path,
                        N_(
                            "ein Faktor unter „times“ nennt „question“, „typical“ oder „lookup“ – oder „question“ "
                            "mit einem Kennwert für den Fall ohne Antwort"
                        ),
                    )
                )
                parts.append(None)
                continue
            units_here = []
            if term.question:
                problems += list(self._question_of_type(term.question, ("number",), (*path, "question"), "times"))
                entry = self.questions.get(term.question)
                units_here.append(entry[0].unit if entry and entry[0].type == "number" else None)
            if term.typical:
                if term.typical not in typical:
                    problems.append(
                        self.problem(
                            (*path, "typical"),
                            N_("Kennwert „{id}“ fehlt in der Faktortabelle „{table}“"),
                            id=term.typical,
                            table=table.id,
                        )
                    )
                    units_here.append(None)
                else:
                    units_here.append(typical[term.typical].unit)
            if term.lookup:
                problems += list(self._check_lookup(term.lookup, (*path, "lookup"), typical, N_("Kennwert")))
                found = [typical[i].unit for i in self._ids(term.lookup) if i in typical]
                units_here += found or [None]
            readable = {str(sorted(units.dims(u).items())) for u in units_here if u and _readable(u)}
            if len(readable) > 1:
                problems.append(
                    self.problem(
                        path,
                        N_("Frage und Kennwerte eines Faktors brauchen dieselbe Einheit: {units}"),
                        units=", ".join(sorted({u for u in units_here if u})),
                    )
                )
            parts.append(units_here[0])
        if isinstance(line.factor, str):
            chosen = [line.factor]
            if line.factor not in factors:
                hint = difflib.get_close_matches(line.factor, list(factors), n=1)
                problems.append(self._missing_factor(line.factor, table, hint, (*base, "factor")))
        else:
            problems += list(self._check_lookup(line.factor, (*base, "factor"), factors, N_("Faktor")))
            chosen = [i for i in self._ids(line.factor) if i in factors]
        activity = {factors[i].activity_unit for i in chosen if i in factors and m.parse_factor_unit(factors[i].unit)}
        yield from problems
        if problems or None in parts or len(activity) != 1:
            if len(activity) > 1:
                yield self.problem(
                    (*base, "factor"),
                    N_("die Faktoren einer Auswahl brauchen dieselbe Einheit: {units}"),
                    units=", ".join(sorted(activity)),
                )
            return
        try:
            total = units.combine(*(units.dims(u) for u in parts), units.inverse(units.dims(activity.pop())))
        except units.UnitError as exc:
            yield self.problem((*base, "quantity"), N_("Einheit „{unit}“ nicht lesbar"), unit=str(exc))
            return
        wanted = units.PER_YEAR if line.per == "year" else units.ONCE
        if total != wanted:
            yield self.problem(
                (*base, "times"),
                N_("Einheiten gehen nicht auf: Menge × Kennwerte ÷ Faktor ergibt „{got}“, erwartet „{wanted}“ ({per})"),
                got=units.show(total),
                wanted=units.show(wanted),
                per=_per(line.per),
            )

    def _missing_factor(
        self, factor: str, table: m.FactorTable, hint: list[str], path: tuple[Hashable, ...]
    ) -> Problem:
        if hint:
            return self.problem(
                path,
                N_("Faktor „{id}“ fehlt in der Faktortabelle „{table}“ – meinten Sie „{hint}“?"),
                id=factor,
                table=table.id,
                hint=hint[0],
            )
        return self.problem(path, N_("Faktor „{id}“ fehlt in der Faktortabelle „{table}“"), id=factor, table=table.id)

    def _ids(self, lookup: m.Lookup) -> list[str]:
        """The ids a lookup may give (named lookups that do not exist give none; reported elsewhere)."""
        if lookup.use is not None and lookup.use not in self.rs.lookups:
            return []
        try:
            return self.rs.lookup_ids(lookup)
        except (KeyError, RecursionError):
            return []

    def _check_named_lookups(self) -> Iterator[Problem]:
        for name, lookup in self.rs.lookups.items():
            if lookup.use is not None:
                yield self.problem(("lookups", name, "use"), N_("eine benannte Auswahl kann nicht selbst „use“ nutzen"))
                continue
            table = self.rs.factor_table
            known = {f.id for f in table.factors} | {v.id for v in table.typical_values} if table else set()
            yield from self._check_lookup(lookup, ("lookups", name), dict.fromkeys(known), "ID")

    def _check_decision(self) -> Iterator[Problem]:
        d = self.rs.decision
        if d is None:
            return
        entry = self.questions.get(d.question)
        if entry is None or entry[0].type != "single_choice":
            yield from self._question_of_type(
                d.question, ("single_choice",), ("decision", "question"), N_("Art der Entscheidung")
            )
            return
        options = [o.id for o in entry[0].options]
        for k, opt in enumerate(d.indirect):
            if opt not in options:
                yield self.problem(
                    ("decision", "indirect", k),
                    N_("Frage „{id}“ hat keine Option „{option}“"),
                    id=d.question,
                    option=opt,
                )

    def _check_unknown_not_penalised(self) -> Iterator[Problem]:
        """An "unknown" answer is scored 0: no effect may move a score because of it."""
        for i, e in enumerate(self.rs.effects):
            if e.when is None or e.score_from is not None:
                continue
            for atom, sub in e.when.atoms():
                if atom.kind != "question" or atom.op not in ("equals", "in", "contains") or "not" in sub:
                    continue
                entry = self.questions.get(atom.subject)
                if entry is None or entry[0].type not in ("single_choice", "multiple_choice"):
                    continue
                values = atom.operand if atom.op == "in" else (atom.operand,)
                hit = [v for v in values if v in entry[0].unknown_options]
                if hit:
                    yield self.problem(
                        ("effects", i, "when", *sub),
                        N_("die Antwort „{option}“ heißt „unbekannt“ und zählt 0; sie darf keine Bewertung auslösen"),
                        option=hit[0],
                    )

    def _check_none_buttons(self) -> Iterator[Problem]:
        for i, step in enumerate(self.rs.steps):
            if step.none_button and not any(q.type == "yes_no" for q in step.questions):
                yield self.problem(("steps", i, "none_button"), N_("„none_button“ braucht Ja/Nein-Fragen im Schritt"))

    def _check_verdict(self) -> Iterator[Problem]:
        rules = self.rs.verdict.rules
        for i, rule in enumerate(rules):
            base = ("verdict", "rules", i)
            if rule.when is None and i < len(rules) - 1:
                yield self.problem(
                    base,
                    N_(
                        "eine Regel ohne „when“ gilt immer; die Regeln danach würden nie erreicht – sie gehört ans Ende"
                    ),
                )
            if rule.when is not None:
                yield from self._check_condition(rule.when, (*base, "when"), before=None)
        if rules[-1].when is not None:
            yield self.problem(
                ("verdict", "rules", len(rules) - 1),
                N_("die letzte Urteilsregel braucht kein „when“: sie ist die Regel für alle übrigen Fälle"),
            )


def _per(per: str) -> Message:
    """A line's `per` in words, inside a message."""
    return Message(N_("pro Jahr")) if per == "year" else Message(N_("einmalig"))


def _units_cancel(quantity_unit: str, activity: str, per: str) -> bool:
    """Quantity ÷ activity leaves 1/a (yearly) or nothing (once): "Bäume" and "kg CO2/(Baum·a)"."""
    try:
        total = units.combine(units.dims(quantity_unit), units.inverse(units.dims(activity)))
    except units.UnitError:
        return False
    return total == (units.PER_YEAR if per == "year" else units.ONCE)


def _readable(unit: str) -> bool:
    try:
        units.dims(unit)
        return True
    except units.UnitError:
        return False


def expected_quantity_units(activity: str, per: str) -> list[str]:
    """Units a quantity question may use for a factor per `activity`: 'kWh' → 'kWh/a' for yearly lines."""
    if per == "once":
        return [activity]
    # A factor already per year (kg CO2/m²·a) takes a plain stock (m²).
    for suffix in ("·a", "*a", " a"):
        if activity.endswith(suffix):
            return [activity[: -len(suffix)].strip()]
    return [f"{activity}/a", f"{activity} pro Jahr"]


def _find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each elementary cycle found by depth-first search, once."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


# --- checking many files (the `rules check` command) ------------------------------------------


def kind_of(path: Path) -> str:
    """'factors' for files in a factors folder, else 'ruleset'."""
    return "factors" if path.parent.name == FACTORS_DIR else "ruleset"


def check_file(path: Path, notes: list[Problem] | None = None) -> list[Problem]:
    """The problems of one rule file or factor table; `notes` (if given) receives the information
    about texts without English, for a file without problems."""
    try:
        if kind_of(path) == "factors":
            loaded: m.FactorTable | m.RuleSet = load_factor_table(path)
        else:
            loaded = load_ruleset(path)
            if loaded.id != path.stem and path.suffix in (".yaml", ".yml"):
                return [
                    Problem(
                        Message(N_("die Datei muss wie die ID heißen: {name}"), name=f"{loaded.id}{path.suffix}"),
                        str(path),
                        1,
                    )
                ]
    except InputError as exc:
        return exc.problems
    if notes is not None:
        notes += english_notes(loaded, _read(path, ""))
    return []
