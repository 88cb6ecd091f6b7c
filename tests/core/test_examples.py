"""Every example answer file yields its expected verdict, in-process and through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.examples import check_examples, example_files
from impactcheck.core.loader import load_ruleset
from tests.support import RULES

EXAMPLES = [(rs, path) for rs in ("kassel-2030", "schnellcheck") for path in example_files(RULES, rs)]


def test_enough_examples():
    kassel = [p.stem for rs, p in EXAMPLES if rs == "kassel-2030"]
    assert len(kassel) >= 8
    # The scenarios the issue names are all there.
    for name in (
        "strassenumbenennung",
        "pv-schuldaecher",
        "gasheizung-kita",
        "parkhaus-neubau",
        "radfahrstreifen",
        "bebauungsplan-gruene-wiese",
        "kantine-vegetarisch",
        "fuhrpark-elektro",
    ):
        assert name in kassel
    verdicts = {load_submission(p).expected_verdict for _, p in EXAMPLES}
    assert verdicts == {"not_relevant", "positive", "neutral", "negative"}


@pytest.mark.parametrize(("ruleset_id", "path"), EXAMPLES, ids=[f"{r}/{p.stem}" for r, p in EXAMPLES])
def test_example_verdict(ruleset_id, path):
    ruleset = load_ruleset(RULES / f"{ruleset_id}.yaml")
    submission = load_submission(path)
    result = evaluate_submission(ruleset, submission)
    assert result.verdict == submission.expected_verdict
    if result.verdict == "negative":
        # A negative example shows the alternative the format requires.
        assert submission.alternative is not None
        assert result.alternative is not None
        assert result.alternative.description
        assert result.requires_alternative
    assert result.paper["reference"]


@pytest.mark.parametrize(("ruleset_id", "path"), EXAMPLES, ids=[f"{r}/{p.stem}" for r, p in EXAMPLES])
def test_cli_assess_prints_expected_verdict(ruleset_id, path):
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "assess", "--rules", ruleset_id, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == load_submission(path).expected_verdict
    assert out["ruleset"]["id"] == ruleset_id
    assert len(out["ruleset"]["sha256"]) == 64


def test_rules_check_reports_examples_that_disagree(tmp_path):
    # A copy of the rules folder where one example expects the wrong verdict.
    import shutil

    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    target = copy / "examples" / "kassel-2030" / "radfahrstreifen.yaml"
    target.write_text(target.read_text().replace("expected_verdict: positive", "expected_verdict: negative"))
    results = dict(check_examples(copy))
    problems = [p for key, found in results.items() for p in found]
    assert len(problems) == 1
    assert "radfahrstreifen.yaml" in str(problems[0])
    assert "erwartet „negative“" in problems[0].message
