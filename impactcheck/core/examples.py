"""The example answer files in rules/examples/<ruleset-id>/, each with its expected verdict.

An example is a file, or a scenario: a folder of two or more readings of one council paper, each
written as a different honest author would fill in the check. All readings of a scenario must give
the same verdict, and it must be the scenario's `expected_verdict` – the robustness suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_, Message, Number
from impactcheck.core.loader import load_ruleset
from impactcheck.core.model import RuleSet

EXAMPLES_DIR = "examples"
ARCHIVE_DIR = "archive"
_SUFFIXES = (".yaml", ".yml", ".json")


def example_files(rules_dir: Path, ruleset_id: str) -> list[Path]:
    """Every answers file of a rule set's examples: single files and the readings of scenarios."""
    folder = rules_dir / EXAMPLES_DIR / ruleset_id
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)


def scenario_folders(rules_dir: Path, ruleset_id: str) -> list[Path]:
    folder = rules_dir / EXAMPLES_DIR / ruleset_id
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def readings(scenario: Path) -> list[Path]:
    return sorted(p for p in scenario.iterdir() if p.is_file() and p.suffix in _SUFFIXES)


@dataclass(frozen=True)
class ScenarioOutcome:
    scenario: Path
    expected: str | None
    verdicts: dict[str, str]  # reading file name -> verdict
    problems: list[Problem]

    @property
    def agree(self) -> bool:
        return len(set(self.verdicts.values())) == 1 and not self.problems


def check_scenario(ruleset: RuleSet, scenario: Path) -> ScenarioOutcome:
    """Evaluate every reading; problems name readings that fail, disagree or miss the expectation."""
    problems: list[Problem] = []
    verdicts: dict[str, str] = {}
    expected: set[str] = set()
    files = readings(scenario)
    if len(files) < 2:
        problems.append(
            Problem(Message(N_("ein Szenario braucht mindestens zwei Lesarten (Antwortdateien)")), str(scenario))
        )
    for path in files:
        try:
            submission = load_submission(path)
            verdicts[path.name] = evaluate_submission(ruleset, submission).verdict
        except InputError as exc:
            problems += exc.problems
            continue
        if submission.expected_verdict is None:
            problems.append(Problem(Message(N_("„expected_verdict“ fehlt in der Lesart")), str(path), 1))
        else:
            expected.add(submission.expected_verdict)
    if len(expected) > 1:
        problems.append(
            Problem(
                Message(
                    N_("die Lesarten erwarten verschiedene Ergebnisse: {verdicts}"),
                    verdicts=", ".join(sorted(expected)),
                ),
                str(scenario),
            )
        )
    if len(set(verdicts.values())) > 1:
        found = ", ".join(f"{name} → {v}" for name, v in verdicts.items())
        problems.append(
            Problem(Message(N_("die Lesarten ergeben verschiedene Ergebnisse ({found})"), found=found), str(scenario))
        )
    elif verdicts and len(expected) == 1 and next(iter(verdicts.values())) != next(iter(expected)):
        problems.append(
            Problem(
                Message(
                    N_("Ergebnis „{verdict}“, erwartet „{expected}“"),
                    verdict=next(iter(verdicts.values())),
                    expected=next(iter(expected)),
                ),
                str(scenario),
            )
        )
    return ScenarioOutcome(scenario, next(iter(expected)) if len(expected) == 1 else None, verdicts, problems)


def check_examples(rules_dir: Path) -> Iterator[tuple[str, list[Problem]]]:
    """For every example file and scenario: (description, problems). Archived catalogue versions
    (rules/archive/<name>/) are checked against their own examples."""
    folder = rules_dir / EXAMPLES_DIR
    if folder.is_dir():
        yield from _check_folder(rules_dir, folder)
    archive = rules_dir / ARCHIVE_DIR
    if archive.is_dir():
        for version in sorted(p for p in archive.iterdir() if (p / EXAMPLES_DIR).is_dir()):
            yield from _check_folder(version, version / EXAMPLES_DIR)


def _check_folder(rules_dir: Path, folder: Path) -> Iterator[tuple[str, list[Problem]]]:
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        ruleset_path = rules_dir / f"{sub.name}.yaml"
        if not ruleset_path.is_file():
            yield str(sub), [Problem(Message(N_("kein Regelwerk „{id}“ zu diesen Beispielen"), id=sub.name), str(sub))]
            continue
        try:
            ruleset = load_ruleset(ruleset_path)
        except InputError:
            continue  # the rule set's own problems are reported already
        for path in sorted(p for p in sub.iterdir() if p.is_file() and p.suffix in _SUFFIXES):
            yield _check_file(ruleset, path)
        for scenario in scenario_folders(rules_dir, sub.name):
            outcome = check_scenario(ruleset, scenario)
            if outcome.problems:
                yield str(scenario), outcome.problems
            else:
                yield (
                    Message(
                        N_("{scenario}/ ({n} Lesarten) → {verdict}"),
                        scenario=str(scenario),
                        n=Number(len(outcome.verdicts)),
                        verdict=outcome.expected,
                    ),
                    [],
                )


def _check_file(ruleset: RuleSet, path: Path) -> tuple[str, list[Problem]]:
    try:
        submission = load_submission(path)
        result = evaluate_submission(ruleset, submission)
    except InputError as exc:
        return str(path), exc.problems
    expected = submission.expected_verdict
    if expected is None:
        return str(path), [Problem(Message(N_("„expected_verdict“ fehlt im Beispiel")), str(path), 1)]
    if result.verdict != expected:
        return str(path), [
            Problem(
                Message(N_("Ergebnis „{verdict}“, erwartet „{expected}“"), verdict=result.verdict, expected=expected),
                str(path),
                1,
            )
        ]
    return f"{path} → {result.verdict}", []
