"""Generate answer sets a rule set accepts: for the benchmark, property tests and probing a catalogue.

Questions are answered in order, each only while its conditions hold, exactly as an author would
meet them in the wizard. The random source is pluggable so hypothesis can drive (and shrink) it.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from impactcheck.core import model as m
from impactcheck.core.evaluate import Visibility


class Chooser(Protocol):
    def boolean(self) -> bool: ...
    def pick(self, options: list[Any]) -> Any: ...
    def subset(self, options: list[Any]) -> list[Any]: ...
    def integer(self, low: int, high: int) -> int: ...
    def number(self, low: float, high: float) -> float: ...
    def text(self) -> str: ...


class RandomChooser:
    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)

    def boolean(self) -> bool:
        return self.rng.random() < 0.5

    def pick(self, options):
        return self.rng.choice(options)

    def subset(self, options):
        return [o for o in options if self.rng.random() < 0.3]

    def integer(self, low, high):
        return self.rng.randint(low, high)

    def number(self, low, high):
        # Most real quantities are small against the bounds; sample on a log-like scale.
        span = high - low
        return round(low + span * self.rng.random() ** 4, 2)

    def text(self):
        return self.rng.choice(["Kurze Begründung.", "Siehe Sachverhalt.", "Äußerst geringe Wirkung – geprüft."])


def sample_answers(ruleset: m.RuleSet, chooser: Chooser) -> dict[str, Any]:
    """One answer set that passes validation: required questions answered, optional ones sometimes."""

    def fill(q: Any) -> Any:
        if not q.required and not chooser.boolean():
            return None
        return _value(q, chooser)

    return dict(Visibility(ruleset, {}, fill=fill).effective)


def _value(q: Any, chooser: Chooser) -> Any:
    t = q.type
    if t == "yes_no":
        return chooser.boolean()
    if t == "single_choice":
        return chooser.pick([o.id for o in q.options])
    if t == "multiple_choice":
        chosen = chooser.subset([o.id for o in q.options])
        return chosen or [q.options[0].id]
    if t == "scale":
        return chooser.integer(-2, 2)
    if t == "number":
        if q.integer:
            return chooser.integer(int(q.min), int(q.max))
        return chooser.number(q.min, q.max)
    return chooser.text()
