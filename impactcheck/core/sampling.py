"""Generate answer sets a rule set accepts: for the benchmark, property tests and probing a catalogue.

Questions are answered in order, each only while its conditions hold, exactly as an author would
meet them in the wizard. The random source is pluggable so hypothesis can drive (and shrink) it.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from impactcheck.core import model as m


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
    answers: dict[str, Any] = {}
    exited = False
    screening = ruleset.screening
    for step in ruleset.all_steps:
        if step.id == "exit" and screening is not None:
            exited = screening.exit_when.test(answers)
        if exited and step.stage != "screening":
            continue
        if step.when is not None and not step.when.test(answers):
            continue
        for q in step.questions:
            if q.when is not None and not q.when.test(answers):
                continue
            if not q.required and not chooser.boolean():
                continue
            value = _value(q, chooser)
            if value is not None:
                answers[q.id] = value
    return answers


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
