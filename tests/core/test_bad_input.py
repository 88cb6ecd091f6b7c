"""Broken rule files and bad answer files: exit status 2, one clear line naming file and problem."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from impactcheck.core.errors import RuleFileError
from impactcheck.core.loader import load_factor_table, load_ruleset
from tests.core.mini import FACTORS, MINI, write
from tests.support import RULES

GOOD_ANSWERS = "answers:\n  relevant: true\n  heating: gas\n"


def run(*args: str):
    return subprocess.run([sys.executable, "-m", "impactcheck", *args], capture_output=True, text=True, check=False)


def assert_one_clear_line(proc, *needles: str):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


# --- rule files: (description, change to MINI, expected text, line fragment or None) -------------

RULE_CASES = [
    ("invalid YAML", lambda t: t.replace("title: Mini", "title: [Mini"), "kein gültiges YAML", None),
    ("empty file", lambda t: "", "die Datei ist leer", None),
    ("only a comment", lambda t: "# nichts\n", "die Datei ist leer", None),
    ("list at top level", lambda t: "- id: mini\n", "oberste Ebene ist eine Liste", None),
    (
        "unknown key",
        lambda t: t.replace("title: Mini", "title: Mini\ntitel: Mini"),
        "unbekannter Schlüssel „titel“",
        "titel: Mini",
    ),
    (
        "unknown key in a question",
        lambda t: t.replace("text: Relevant?", "text: Relevant?\n        hepl: x"),
        "unbekannter Schlüssel „hepl“ – meinten Sie „help“?",
        "hepl: x",
    ),
    (
        "wrong type",
        lambda t: t.replace("significance_threshold: 100", "significance_threshold: viel"),
        "„significance_threshold“ muss eine",
        "significance_threshold",
    ),
    (
        "wrong boolean",
        lambda t: t.replace("required: false\n        text: Gas", "required: vielleicht\n        text: Gas"),
        "„required“ ist true oder false",
        "required: vielleicht",
    ),
    (
        "out of range",
        lambda t: t.replace("score: -2, reason: Gas", "score: -5, reason: Gas"),
        "„score“ muss ≥ -2 sein",
        "score: -5",
    ),
    (
        "unknown question type",
        lambda t: t.replace("type: scale", "type: slider"),
        "unbekannter Fragetyp „slider“",
        "type: slider",
    ),
    (
        "condition on a missing question",
        lambda t: t.replace(
            "{question: heating, equals: gas}\n      - id: features",
            "{question: heizung, equals: gas}\n      - id: features",
        ),
        "die Frage „heizung“, die es nicht gibt",
        "question: heizung",
    ),
    (
        "condition with a bad operator",
        lambda t: t.replace(
            "when: {question: heating, equals: gas}\n      - id: feat",
            "when: {question: heating, is: gas}\n      - id: feat",
        ),
        "unbekannter Operator „is“",
        "heating, is: gas",
    ),
    (
        "condition on a later question",
        lambda t: t.replace(
            "      - id: heating\n        type: single_choice",
            "      - id: heating\n        when: {question: heat, gte: 1}\n        type: single_choice",
        ),
        "erst später",
        "question: heat, gte",
    ),
    (
        "option not offered in a condition",
        lambda t: t.replace(
            "when: {question: heating, equals: gas}\n      - id: f",
            "when: {question: heating, equals: coal}\n      - id: f",
        ),
        "keine Option „coal“",
        "equals: coal",
    ),
    (
        "duplicate question id",
        lambda t: t.replace("      - id: note\n", "      - id: heat\n"),
        "Frage „heat“ ist doppelt",
        None,
    ),
    (
        "duplicate key",
        lambda t: t.replace('version: "1"', 'version: "1"\nversion: "2"'),
        "Schlüssel „version“ steht zweimal",
        'version: "2"',
    ),
    ("unit mismatch", lambda t: t.replace("unit: kWh/a", "unit: MWh/a"), "Einheit passt nicht", None),
    ("unknown factor", lambda t: t.replace("factor: gas,", "factor: gaz,"), "Faktor „gaz“ fehlt", "factor: gaz"),
    (
        "unknown sector",
        lambda t: t.replace("sector: adaptation, score_from", "sector: klima, score_from"),
        "Handlungsfeld „klima“ gibt es nicht",
        "sector: klima",
    ),
    (
        "unreachable verdict rule",
        lambda t: t.replace("      when: {value: score_sum, gt: 0}\n", ""),
        "gilt immer",
        None,
    ),
    (
        "unknown computed value",
        lambda t: t.replace("value: score_sum", "value: score_total"),
        "unbekannter berechneter Wert „score_total“",
        "score_total",
    ),
    (
        "comma in flow text",
        lambda t: t.replace("{id: gas, label: Gas}", "{id: gas, label: Gas, Öl}"),
        "enthält der Text davor ein Komma",
        "label: Gas, Öl",
    ),
]


@pytest.mark.parametrize(("name", "change", "needle", "fragment"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_broken_rule_file(tmp_path, name, change, needle, fragment):
    text = change(MINI)
    assert text != MINI or name == "", "the case must change the file"
    path = write(tmp_path, text)
    with pytest.raises(RuleFileError) as exc:
        load_ruleset(path)
    first = exc.value.problems[0]
    assert first.file == str(path)
    assert any(needle in p.message for p in exc.value.problems), exc.value.problems
    if fragment:
        expected_line = line_of(text, fragment)
        assert any(p.line == expected_line and needle in p.message for p in exc.value.problems), (
            expected_line,
            exc.value.problems,
        )
    # The same problem through both commands: exit 2, one line naming the file.
    answers = tmp_path / "a.yaml"
    answers.write_text(GOOD_ANSWERS)
    assert_one_clear_line(run("assess", "--rules", str(path), str(answers)), str(path), needle)
    proc = run("rules", "check", str(path))
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_cycle_in_conditions(tmp_path):
    text = MINI.replace(
        "      - id: heating\n        type: single_choice",
        "      - id: heating\n        when: {question: gas_kwh, answered: false}\n        type: single_choice",
    )
    with pytest.raises(RuleFileError) as exc:
        load_ruleset(write(tmp_path, text))
    messages = [p.message for p in exc.value.problems]
    assert any("Kreis" in m and "heating" in m and "gas_kwh" in m for m in messages), messages


def test_factor_without_source(tmp_path):
    factors = FACTORS.replace("source: GEMIS", "source: ''")
    path = write(tmp_path, factors=factors)
    with pytest.raises(RuleFileError) as exc:
        load_factor_table(tmp_path / "factors" / "mini-factors.yaml")
    assert "„source“ darf nicht leer sein" in exc.value.problems[0].message
    assert exc.value.problems[0].line == 4
    proc = run("assess", "--rules", str(path), str(RULES / "examples/kassel-2030/stellenplan/ohne-zahlen.yaml"))
    assert_one_clear_line(proc, "mini-factors.yaml:4", "source")
    missing = FACTORS.replace(", source: Ökobaudat", "")
    write(tmp_path, factors=missing)
    proc = run("rules", "check", str(tmp_path / "factors" / "mini-factors.yaml"))
    assert proc.returncode == 2 and "Pflichtangabe „source“ fehlt" in proc.stderr


def test_missing_factor_table(tmp_path):
    path = write(tmp_path, MINI.replace("factors: mini-factors", "factors: other"))
    proc = run("rules", "check", str(path))
    assert proc.returncode == 2 and "Faktortabelle „other“ nicht gefunden" in proc.stderr


def test_all_problems_of_a_file_are_listed(tmp_path):
    text = MINI.replace("title: Mini", "titel: Mini").replace("type: scale", "type: slider")
    with pytest.raises(RuleFileError) as exc:
        load_ruleset(write(tmp_path, text))
    assert len(exc.value.problems) >= 3  # unknown key, missing title, unknown type


def test_missing_rule_file_and_unknown_id(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text(GOOD_ANSWERS)
    assert_one_clear_line(
        run("assess", "--rules", str(tmp_path / "nope.yaml"), str(answers)), "nope.yaml", "Datei nicht gefunden"
    )
    assert_one_clear_line(
        run("assess", "--rules", "berlin-2045", str(answers)), "Regelwerk „berlin-2045“ unbekannt", "kassel-2030"
    )
    assert_one_clear_line(run("rules", "check", str(tmp_path / "nope.yaml")), "nope.yaml", "Datei nicht gefunden")


def test_rules_check_passes_on_the_shipped_rules():
    proc = run("rules", "check")
    assert proc.returncode == 0, proc.stderr
    assert "kassel-2030.yaml" in proc.stdout and "schnellcheck.yaml" in proc.stdout
    assert proc.stdout.count("OK") >= 3 + 12  # 2 rule sets, 1 factor table, examples


# --- answer files ------------------------------------------------------------------------------

ANSWER_CASES = [
    ("invalid YAML", "answers: [relevant: true\n", "kein gültiges YAML"),
    ("invalid JSON", '{"answers": {"relevant": true,}}', "kein gültiges JSON"),
    ("empty file", "", "die Datei ist leer"),
    ("list at top level", "- relevant: true\n", "oberste Ebene ist eine Liste"),
    ("no answers key", "paper: {title: x}\n", "Schlüssel „answers“ fehlt"),
    ("unknown top-level key", GOOD_ANSWERS + "antworten: {}\n", "unbekannter Schlüssel „antworten“"),
    ("unknown paper key", "paper: {titel: x}\n" + GOOD_ANSWERS, "unbekannter Schlüssel „titel“ in „paper“"),
    ("unknown question id", GOOD_ANSWERS + "  colour: red\n", "unbekannte Frage „colour“"),
    ("wrong type", GOOD_ANSWERS.replace("relevant: true", "relevant: 7"), "keine Ja/Nein-Antwort"),
    ("out of range", GOOD_ANSWERS + "  gas_kwh: 5000000\n", "über dem Höchstwert"),
    ("option not offered", GOOD_ANSWERS.replace("heating: gas", "heating: coal"), "keine der angebotenen Optionen"),
    ("missing required", "answers:\n  relevant: true\n", "Pflichtfrage „heating“"),
    ("not UTF-8", "answers:\n  note: \xe4\n", "keine UTF-8-Textdatei"),
]


@pytest.mark.parametrize(("name", "content", "needle"), ANSWER_CASES, ids=[c[0] for c in ANSWER_CASES])
def test_bad_answers_file(tmp_path, name, content, needle):
    rules = write(tmp_path)
    suffix = ".json" if "JSON" in name else ".yaml"
    path = tmp_path / f"answers{suffix}"
    if name == "not UTF-8":
        path.write_bytes(content.encode("latin-1"))
    else:
        path.write_text(content, encoding="utf-8")
    assert_one_clear_line(run("assess", "--rules", str(rules), str(path)), str(path), needle)


def test_answer_problem_names_the_line(tmp_path):
    rules = write(tmp_path)
    path = tmp_path / "a.yaml"
    path.write_text("paper:\n  title: Test\nanswers:\n  relevant: true\n  heating: coal\n")
    assert_one_clear_line(run("assess", "--rules", str(rules), str(path)), f"{path}:5", "„heating“")


def test_missing_answers_file(tmp_path):
    assert_one_clear_line(
        run("assess", "--rules", "kassel-2030", str(tmp_path / "fehlt.yaml")), "fehlt.yaml", "Datei nicht gefunden"
    )


def test_directory_instead_of_file(tmp_path):
    assert_one_clear_line(run("assess", "--rules", "kassel-2030", str(tmp_path)), "Verzeichnis")


def test_usage_error_is_one_line():
    assert_one_clear_line(run("assess", "--format", "pdf", "x.yaml"), "pdf")


def test_text_format_for_people():
    reading = RULES / "examples/kassel-2030/gasheizung-ersatz-kita/schaetzt.yaml"
    proc = run("assess", "--rules", "kassel-2030", "--format", "text", str(reading))
    assert proc.returncode == 0
    out = proc.stdout
    assert "Ergebnis: NEGATIV" in out
    assert "Art der Entscheidung: Eine konkrete Maßnahme" in out
    assert "Das Ergebnis stützt sich auf: " in out
    # Floor area × typical heat demand, the same heat before and after: a replacement counted once.
    assert "Wärme vor der Maßnahme: 850 m² × 150 kWh/(m²·a) × 250 g CO2e/kWh = -31,9 t CO2e/Jahr" in out
    assert "Wärme mit der neuen Heizung: 850 m² × 150 kWh/(m²·a) × 250 g CO2e/kWh = 31,9 t CO2e/Jahr" in out
    assert "Kennwert Heizenergieverbrauch Kindertagesstätte, Bestand unsaniert: 150 kWh/(m²·a)" in out
    assert "Emissionen: 0,0 t CO2e pro Jahr" in out and "Methode: vereinfacht" in out
    assert "Alternative: " in out


def test_text_format_tells_a_fragile_verdict_in_plain_german(tmp_path):
    answers = tmp_path / "fragil.yaml"
    answers.write_text(
        """answers:
  entscheidung_art: massnahme
  betrifft_gebaeude: true
  betrifft_mobilitaet: false
  betrifft_energie: false
  betrifft_flaechen: false
  betrifft_beschaffung: false
  betrifft_ernaehrung: false
  betrifft_wirtschaft: false
  betrifft_foerderung: false
  betrifft_nachfrage: false
  betrifft_anpassung: false
  geb_massnahme: neubau
  geb_bezug: ersetzt
  geb_nutzung: kita
  geb_flaeche_m2: 1200
  geb_flaeche_alt_m2: 600
  geb_standard: unbekannt
  heizung_neu: waermepumpe
  heizung_alt: gas
  geb_pv: nein
""",
        encoding="utf-8",
    )
    text = run("assess", "--rules", "kassel-2030", "--format", "text", str(answers))
    assert text.returncode == 0
    assert "Das Ergebnis ist nicht robust:" in text.stdout
    assert "Das Ergebnis hängt an der Angabe „Fläche: 1.200 m²“ – bei „1.800 m²“ wäre es negativ." in text.stdout
    assert "Offene Punkte (unbekannt oder in dieser Vorlage nicht entschieden):\n  – Energiestandard" in text.stdout
    data = json.loads(run("assess", "--rules", "kassel-2030", str(answers)).stdout)
    assert data["robustness"]["fragile"] is True
    assert {"question": "geb_flaeche_m2", "answer": 1200, "alternative": 1800.0, "would_be": "negative"}.items() <= (
        data["robustness"]["depends_on"][0].items()
    )
    assert [p["question"] for p in data["open_points"]] == ["geb_standard"]


def test_yaml_aliases_are_refused(tmp_path):
    rules = write(tmp_path)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nanswers: {relevant: true}\n"
    )
    assert_one_clear_line(run("assess", "--rules", str(rules), str(bomb)), "bomb.yaml:2", "Verweise mit *")
    loop = tmp_path / "loop.yaml"
    loop.write_text("answers: &x [*x]\n")
    assert_one_clear_line(run("assess", "--rules", str(rules), str(loop)), "loop.yaml:1", "Verweise mit *")


def test_exit_step_id_is_reserved(tmp_path):
    path = write(tmp_path, MINI.replace("  - id: build\n", "  - id: exit\n"))
    with pytest.raises(RuleFileError) as exc:
        load_ruleset(path)
    assert any("für den Ausstieg der Vorprüfung reserviert" in p.message for p in exc.value.problems)
