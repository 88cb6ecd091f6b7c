"""The condition language of the rule files: declarative data, evaluated here, never `eval`.

A condition is a mapping. Combinators: ``all: [...]``, ``any: [...]``, ``not: {...}``.
An atom names its subject – ``question: <id>`` (an answer) or ``value: <name>`` (a computed figure,
only in verdict rules) – and exactly one operator: ``equals``, ``in``, ``contains``, ``gt``, ``gte``,
``lt``, ``lte`` or ``answered``. An atom about a question without an answer is false (``answered:
false`` is the way to ask for that).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from impactcheck.core.i18n import N_, Message

OPERATORS = ("equals", "in", "contains", "gt", "gte", "lt", "lte", "answered")
COMPARISONS = {"gt", "gte", "lt", "lte"}


class ConditionSyntaxError(ValueError):
    """A malformed condition; `path` is relative to the condition's own position in the file. `message`
    is a `core.i18n.Message`, translated where it is shown."""

    def __init__(self, message: str, path: tuple[Hashable, ...] = ()):
        super().__init__(message)
        self.message = message
        self.path = path


class Condition:
    def test(self, facts: Mapping[str, Any], values: Mapping[str, Any] | None = None) -> bool:
        raise NotImplementedError

    def atoms(self) -> Iterator[tuple[Atom, tuple[Hashable, ...]]]:
        """Every atom with its path inside this condition (for semantic checks with lines)."""
        raise NotImplementedError

    def questions(self) -> set[str]:
        return {a.subject for a, _ in self.atoms() if a.kind == "question"}

    def to_data(self) -> Any:
        """Back to the rule file's form, e.g. for the browser to show and hide questions."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class All(Condition):
    parts: tuple[Condition, ...]

    def test(self, facts, values=None):
        # Plain loops: conditions are tested tens of thousands of times per second.
        for p in self.parts:  # noqa: SIM110 - a generator costs more than the test itself
            if not p.test(facts, values):
                return False
        return True

    def to_data(self):
        return {"all": [p.to_data() for p in self.parts]}

    def atoms(self):
        for i, p in enumerate(self.parts):
            for atom, path in p.atoms():
                yield atom, ("all", i, *path)


@dataclass(frozen=True, eq=False)
class Any_(Condition):
    parts: tuple[Condition, ...]

    def test(self, facts, values=None):
        for p in self.parts:  # noqa: SIM110
            if p.test(facts, values):
                return True
        return False

    def to_data(self):
        return {"any": [p.to_data() for p in self.parts]}

    def atoms(self):
        for i, p in enumerate(self.parts):
            for atom, path in p.atoms():
                yield atom, ("any", i, *path)


@dataclass(frozen=True, eq=False)
class Not(Condition):
    part: Condition

    def test(self, facts, values=None):
        return not self.part.test(facts, values)

    def to_data(self):
        return {"not": self.part.to_data()}

    def atoms(self):
        for atom, path in self.part.atoms():
            yield atom, ("not", *path)


@dataclass(frozen=True, eq=False)
class Atom(Condition):
    kind: str  # "question" or "value"
    subject: str
    op: str
    operand: Any

    def __post_init__(self):
        # `in` as a set lookup where every operand can be hashed; the keys keep yes/no apart from numbers.
        keys = None
        if self.op == "in":
            try:
                keys = frozenset(_key(o) for o in self.operand)
            except TypeError:
                keys = None
        object.__setattr__(self, "_keys", keys)

    def test(self, facts, values=None):
        source = facts if self.kind == "question" else (values or {})
        actual = source.get(self.subject)
        op = self.op
        if op == "answered":
            return (actual is not None) == self.operand
        if actual is None:
            return False
        if op == "equals":
            return _same(actual, self.operand)
        if op == "in":
            keys = self._keys
            if keys is not None:
                try:
                    return _key(actual) in keys
                except TypeError:  # an unhashable answer (a list) equals no hashable operand
                    return False
            return any(_same(actual, o) for o in self.operand)
        if op == "contains":
            return isinstance(actual, list | tuple | set | frozenset) and self.operand in actual
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        if op == "gt":
            return actual > self.operand
        if op == "gte":
            return actual >= self.operand
        if op == "lt":
            return actual < self.operand
        return actual <= self.operand  # lte

    def atoms(self):
        yield self, ()

    def to_data(self):
        return {self.kind: self.subject, self.op: list(self.operand) if self.op == "in" else self.operand}


def _key(value: Any) -> tuple[bool, Any]:
    # True == 1 in Python; a yes/no answer must not equal a number.
    return (isinstance(value, bool), value)


def _same(a: Any, b: Any) -> bool:
    return _key(a) == _key(b)


def parse(raw: Any, *, allow_values: bool = False) -> Condition:
    """Turn the mapping from a rule file into a Condition; raises ConditionSyntaxError with a path."""
    if not isinstance(raw, dict):
        raise ConditionSyntaxError(
            Message(N_("eine Bedingung muss ein Eintrag wie „{question: frage_id, equals: wert}“ sein"))
        )
    combinators = [k for k in ("all", "any", "not") if k in raw]
    if combinators:
        if len(raw) != 1:
            raise ConditionSyntaxError(
                Message(
                    N_("„{key}“ muss allein stehen; weitere Schlüssel: {others}"),
                    key=combinators[0],
                    others=", ".join(str(k) for k in raw if k != combinators[0]),
                )
            )
        key = combinators[0]
        value = raw[key]
        if key == "not":
            return Not(_nested(value, ("not",), allow_values))
        if not isinstance(value, list) or not value:
            raise ConditionSyntaxError(
                Message(N_("„{key}“ braucht eine nicht leere Liste von Bedingungen"), key=key), (key,)
            )
        parts = tuple(_nested(item, (key, i), allow_values) for i, item in enumerate(value))
        return All(parts) if key == "all" else Any_(parts)
    subjects = [k for k in ("question", "value") if k in raw]
    if len(subjects) != 1:
        if allow_values:
            message = N_(
                "eine Bedingung nennt genau eines: „question:“ (eine Antwort) oder „value:“ (einen berechneten Wert); "
                "oder sie verbindet Bedingungen mit „all:“, „any:“ oder „not:“"
            )
        else:
            message = N_(
                "eine Bedingung nennt genau eines: „question:“ (eine Antwort) ; "
                "oder sie verbindet Bedingungen mit „all:“, „any:“ oder „not:“"
            )
        raise ConditionSyntaxError(Message(message))
    kind = subjects[0]
    if kind == "value" and not allow_values:
        raise ConditionSyntaxError(
            Message(N_("„value:“ (berechnete Werte) gibt es nur in den Urteilsregeln (verdict)")), ("value",)
        )
    subject = raw[kind]
    if not isinstance(subject, str) or not subject:
        raise ConditionSyntaxError(Message(N_("„{key}:“ braucht eine ID als Text"), key=kind), (kind,))
    unknown = [k for k in raw if k != kind and k not in OPERATORS]
    if unknown:
        raise ConditionSyntaxError(
            Message(N_("unbekannter Operator „{op}“; erlaubt: {allowed}"), op=unknown[0], allowed=", ".join(OPERATORS)),
            (unknown[0],),
        )
    ops = [k for k in raw if k in OPERATORS]
    if len(ops) != 1:
        raise ConditionSyntaxError(
            Message(N_("eine Bedingung braucht genau einen Operator ({allowed})"), allowed=", ".join(OPERATORS))
        )
    op = ops[0]
    operand = raw[op]
    if op == "in" and (not isinstance(operand, list) or not operand):
        raise ConditionSyntaxError(Message(N_("„in:“ braucht eine nicht leere Liste von Werten")), (op,))
    if op in COMPARISONS and (isinstance(operand, bool) or not isinstance(operand, int | float)):
        raise ConditionSyntaxError(
            Message(N_("„{op}:“ vergleicht mit einer Zahl, nicht mit „{value}“"), op=op, value=operand), (op,)
        )
    if op == "answered" and not isinstance(operand, bool):
        raise ConditionSyntaxError(Message(N_("„answered:“ ist true oder false")), (op,))
    if op in ("equals", "contains") and isinstance(operand, list | dict):
        raise ConditionSyntaxError(Message(N_("„{op}:“ vergleicht mit einem einzelnen Wert"), op=op), (op,))
    if op == "in":
        operand = tuple(operand)
    return Atom(kind, subject, op, operand)


def _nested(raw: Any, prefix: tuple[Hashable, ...], allow_values: bool) -> Condition:
    try:
        return parse(raw, allow_values=allow_values)
    except ConditionSyntaxError as exc:
        raise ConditionSyntaxError(exc.message, prefix + exc.path) from None
