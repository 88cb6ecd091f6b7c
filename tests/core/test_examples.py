"""The robustness suite: every scenario's readings agree on the expected verdict (issue 7).

A scenario is one council paper, read by two or three different honest authors (one gives the
numbers, one leaves them empty, one reads an ambiguous point the other way). In-process through the
CLI's own code for all readings; one real subprocess shows the console script does the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from impactcheck.cli import cli
from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.examples import check_examples, check_scenario, example_files, readings, scenario_folders
from tests.support import ARCHIVE, RULES

SCENARIOS = scenario_folders(RULES, "kassel-2030")
READINGS = [p for s in SCENARIOS for p in readings(s)]
EXAMPLES = [(rs, path) for rs in ("kassel-2030", "schnellcheck") for path in example_files(RULES, rs)]


def test_the_suite_is_large_and_covers_every_verdict():
    assert len(SCENARIOS) >= 24
    assert len(READINGS) >= 55
    assert all(len(readings(s)) >= 2 for s in SCENARIOS)
    # The kinds of decision the issue names are all there.
    names = {s.name for s in SCENARIOS}
    for name in (
        "ersatzneubau-kita",
        "sanierung-mit-anbau-schule",
        "neubau-feuerwache",
        "led-strassenbeleuchtung",
        "brueckensanierung",
        "fuhrpark-elektro",
        "it-ausstattung-verwaltung",
        "mehrkosten-schulneubau",
        "vereinsfoerderung",
        "grundstuecksverkauf-logistik",
        "bebauungsplan-brache",
        "fernwaerme-anschluss-schule",
        "parkgebuehrensatzung",
        "baumpflanzprogramm",
        "schulmensa-vertrag",
        "kunstrasenplatz",
        "stadtfest",
        "strassenumbenennung",
        "stellenplan",
        "gebuehrensatzung-abfall",
    ):
        assert name in names
    verdicts = {load_submission(p).expected_verdict for p in READINGS}
    assert verdicts == {"not_relevant", "positive", "neutral", "negative"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_all_readings_of_a_scenario_agree(kassel, scenario):
    outcome = check_scenario(kassel, scenario)
    assert outcome.problems == []
    assert set(outcome.verdicts.values()) == {outcome.expected}


@pytest.mark.parametrize("path", READINGS, ids=[f"{p.parent.name}/{p.stem}" for p in READINGS])
def test_reading_is_complete_and_negative_ones_have_their_alternative(kassel, path):
    submission = load_submission(path)
    result = evaluate_submission(kassel, submission)
    assert result.verdict == submission.expected_verdict
    assert not result.assessment.dropped, "a reading answers only the questions it is asked"
    assert result.paper["reference"] and result.paper["title"]
    if result.verdict == "negative":
        assert result.requires_alternative
        assert result.alternative is not None and result.alternative.description
        assert not result.alternative.assessment.dropped


@pytest.mark.parametrize(("ruleset_id", "path"), EXAMPLES, ids=[f"{r}/{p.parent.name}/{p.stem}" for r, p in EXAMPLES])
def test_assess_prints_the_expected_verdict(ruleset_id, path):
    result = CliRunner().invoke(cli, ["assess", "--rules", ruleset_id, str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["verdict"] == load_submission(path).expected_verdict
    assert out["ruleset"]["id"] == ruleset_id and len(out["ruleset"]["sha256"]) == 64
    if out["verdict"] != "not_relevant" and ruleset_id == "kassel-2030":
        assert "robustness" in out and isinstance(out["robustness"]["fragile"], bool)


def test_console_script_assess_prints_robustness():
    path = RULES / "examples" / "kassel-2030" / "ersatzneubau-kita" / "schaetzt.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "assess", "--rules", "kassel-2030", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == "positive"
    assert out["robustness"]["tried"] > 0 and out["robustness"]["fragile"] is False
    assert out["decision"] == {"kind": "massnahme", "label": out["decision"]["label"], "indirect": False}


def test_archived_catalogue_still_gives_its_examples_verdicts(kassel_2026_1):
    for path in example_files(ARCHIVE, "kassel-2030"):
        submission = load_submission(path)
        assert evaluate_submission(kassel_2026_1, submission).verdict == submission.expected_verdict, path.name


def test_rules_check_reports_a_scenario_whose_readings_disagree(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    reading = copy / "examples" / "kassel-2030" / "gasheizung-ersatz-kita" / "ohne-zahlen.yaml"
    # This author would have picked a heat pump: the paper now reads differently for one of three.
    reading.write_text(reading.read_text(encoding="utf-8").replace("heizung_neu: gas", "heizung_neu: waermepumpe"))
    results = dict(check_examples(copy))
    problems = [p for found in results.values() for p in found]
    assert len(problems) == 1
    assert "gasheizung-ersatz-kita" in str(problems[0])
    assert "die Lesarten ergeben verschiedene Ergebnisse" in problems[0].message
    assert "ohne-zahlen.yaml → positive" in problems[0].message
    # And through the command, with exit status 2 and the scenario named.
    result = CliRunner().invoke(cli, ["rules", "check"], env={"IMPACTCHECK_RULES_DIR": str(copy)})
    assert result.exit_code == 2
    assert "gasheizung-ersatz-kita: die Lesarten ergeben verschiedene Ergebnisse" in result.output


def test_rules_check_and_assess_read_rules_dir_from_the_instance_config(tmp_path):
    """RULES_DIR in instance/config.py is the folder `rules check` checks, as the web app uses it."""
    copy = tmp_path / "stadt-regeln"
    shutil.copytree(RULES, copy)
    reading = copy / "examples" / "kassel-2030" / "gasheizung-ersatz-kita" / "ohne-zahlen.yaml"
    reading.write_text(reading.read_text(encoding="utf-8").replace("heizung_neu: gas", "heizung_neu: waermepumpe"))
    instance = tmp_path / "instance"
    instance.mkdir()
    # Relative to the instance folder, as the README documents.
    (instance / "config.py").write_text('RULES_DIR = "../stadt-regeln"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "check"], env={"IMPACTCHECK_INSTANCE": str(instance)})
    assert result.exit_code == 2
    assert f"OK  {copy / 'kassel-2030.yaml'}" in result.output
    assert "gasheizung-ersatz-kita: die Lesarten ergeben verschiedene Ergebnisse" in result.output
    # assess resolves a rule set id in the same folder: a rule set only the city's folder has.
    (copy / "nur-hier.yaml").write_text((copy / "schnellcheck.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    answers = RULES / "examples" / "schnellcheck"
    example = next(p for p in sorted(answers.rglob("*.yaml")))
    found = CliRunner().invoke(
        cli, ["assess", "--rules", "nur-hier", str(example)], env={"IMPACTCHECK_INSTANCE": str(instance)}
    )
    assert found.exit_code == 0, found.output
    elsewhere = {"IMPACTCHECK_INSTANCE": str(tmp_path / "ohne-konfiguration")}
    unknown = CliRunner().invoke(cli, ["assess", "--rules", "nur-hier", str(example)], env=elsewhere)
    assert "Regelwerk „nur-hier“ unbekannt" in str(unknown.exception)  # the shipped folder has no such id


def test_a_broken_instance_config_is_one_line(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("RULES_DIR = (\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "rules", "check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "IMPACTCHECK_INSTANCE": str(instance)},
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "config.py" in proc.stderr and "Konfiguration nicht lesbar" in proc.stderr


def test_a_scenario_needs_two_readings(tmp_path, kassel):
    folder = tmp_path / "einzeln"
    folder.mkdir()
    shutil.copy(READINGS[0], folder / "nur.yaml")
    outcome = check_scenario(kassel, folder)
    assert not outcome.agree
    assert "mindestens zwei Lesarten" in outcome.problems[0].message


def test_rules_check_prints_each_scenario():
    result = CliRunner().invoke(cli, ["rules", "check"])
    assert result.exit_code == 0, result.output
    for scenario in SCENARIOS:
        assert f"{scenario}/ (" in result.output
