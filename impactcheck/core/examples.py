"""The example answer files in rules/examples/<ruleset-id>/, each with its expected verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.errors import InputError, Problem
from impactcheck.core.loader import load_ruleset

EXAMPLES_DIR = "examples"


def example_files(rules_dir: Path, ruleset_id: str) -> list[Path]:
    folder = rules_dir / EXAMPLES_DIR / ruleset_id
    return sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml", ".json"))


def check_examples(rules_dir: Path) -> Iterator[tuple[str, list[Problem]]]:
    """For every example: (description, problems); an example must yield its expected verdict."""
    folder = rules_dir / EXAMPLES_DIR
    if not folder.is_dir():
        return
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        ruleset_path = rules_dir / f"{sub.name}.yaml"
        if not ruleset_path.is_file():
            yield str(sub), [Problem(f"kein Regelwerk „{sub.name}“ zu diesen Beispielen", str(sub))]
            continue
        try:
            ruleset = load_ruleset(ruleset_path)
        except InputError:
            continue  # the rule set's own problems are reported already
        for path in example_files(rules_dir, sub.name):
            try:
                submission = load_submission(path)
                result = evaluate_submission(ruleset, submission)
            except InputError as exc:
                yield str(path), exc.problems
                continue
            expected = submission.expected_verdict
            if expected is None:
                yield str(path), [Problem("„expected_verdict“ fehlt im Beispiel", str(path), 1)]
            elif result.verdict != expected:
                yield str(path), [Problem(f"Ergebnis „{result.verdict}“, erwartet „{expected}“", str(path), 1)]
            else:
                yield f"{path} → {result.verdict}", []
