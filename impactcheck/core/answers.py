"""The answers file (YAML or JSON): paper metadata, answers, an optional alternative."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impactcheck.core.errors import AnswersError, Problem
from impactcheck.core.i18n import N_, Message
from impactcheck.core.model import VERDICTS, RuleSet
from impactcheck.core.result import Result
from impactcheck.core.yamlsource import Located, read_file, require_mapping

TOP_KEYS = ("paper", "answers", "alternative", "expected_verdict")
PAPER_KEYS = ("reference", "title", "department", "committee", "meeting_date")
ALTERNATIVE_KEYS = ("description", "answers")


@dataclass(frozen=True)
class Submission:
    answers: dict[str, Any]
    paper: dict[str, Any] = field(default_factory=dict)
    alternative: dict[str, Any] | None = None
    expected_verdict: str | None = None  # metadata of the examples in rules/examples/
    source: Located | None = None


def parse_submission(located: Located) -> Submission:
    """Check the shape of an answers document; problems carry file and line."""
    data = located.data
    problems: list[Problem] = []

    def bad(path: tuple, message: str) -> None:
        problems.append(located.problem(path, message))

    for key in data:
        if key not in TOP_KEYS:
            bad(
                (key,),
                Message(N_("unbekannter Schlüssel „{key}“; erlaubt: {allowed}"), key=key, allowed=", ".join(TOP_KEYS)),
            )
    answers = data.get("answers")
    if "answers" not in data:
        bad((), Message(N_("Schlüssel „answers“ fehlt (die Antworten als „frage_id: wert“)")))
    elif not isinstance(answers, dict):
        bad(("answers",), Message(N_("„answers“ muss Einträge „frage_id: wert“ enthalten")))
    paper = data.get("paper") or {}
    if not isinstance(paper, dict):
        bad(("paper",), Message(N_("„paper“ muss Einträge wie „reference: …“ enthalten")))
        paper = {}
    for key, value in paper.items():
        if key not in PAPER_KEYS:
            message = N_("unbekannter Schlüssel „{key}“ in „paper“; erlaubt: {allowed}")
            bad(("paper", key), Message(message, key=key, allowed=", ".join(PAPER_KEYS)))
        elif isinstance(value, dt.date):
            paper[key] = value.isoformat()
        elif not isinstance(value, str | int):
            bad(("paper", key), Message(N_("„{key}“ muss ein Text sein"), key=key))
    alternative = data.get("alternative")
    if alternative is not None:
        if not isinstance(alternative, dict):
            bad(("alternative",), Message(N_("„alternative“ braucht „description“ und „answers“")))
            alternative = None
        else:
            for key in alternative:
                if key not in ALTERNATIVE_KEYS:
                    bad(
                        ("alternative", key),
                        Message(
                            N_("unbekannter Schlüssel „{key}“ in „alternative“; erlaubt: {allowed}"),
                            key=key,
                            allowed=", ".join(ALTERNATIVE_KEYS),
                        ),
                    )
    expected = data.get("expected_verdict")
    if expected is not None and expected not in VERDICTS:
        bad(
            ("expected_verdict",),
            Message(N_("„expected_verdict“ ist einer von: {verdicts}"), verdicts=", ".join(VERDICTS)),
        )
    if problems:
        raise AnswersError(problems)
    return Submission(
        answers=dict(answers),
        paper={k: str(v) for k, v in paper.items()},
        alternative=alternative,
        expected_verdict=expected,
        source=located,
    )


def load_submission(path: str | Path) -> Submission:
    located = require_mapping(read_file(path), Message(N_("„answers:“ und „paper:“")))
    return parse_submission(located)


def evaluate_submission(ruleset: RuleSet, submission: Submission) -> Result:
    """evaluate() for a submission; answer problems get the file and line they come from."""
    from impactcheck.core.evaluate import evaluate

    try:
        return evaluate(ruleset, submission.answers, alternative=submission.alternative, paper=submission.paper)
    except AnswersError as exc:
        src = submission.source
        if src is None:
            raise
        raise AnswersError(
            [Problem(p.message, file=src.file, line=src.line_of(p.path), path=p.path) for p in exc.problems]
        ) from None
