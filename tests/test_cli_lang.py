"""`--lang de|en` of `assess --format text` and `docx insert` (issue 11, point 5), run in-process through
`main`, the console script's own entry point (exit status and stderr as a user sees them)."""

from __future__ import annotations

import json
import re

import docx

from tests.support import RULES, run_cli
from tests.web.old_catalogue import section_text

EXAMPLE = RULES / "examples" / "kassel-2030" / "parkhaus-neubau" / "schaetzt.yaml"


def test_text_report_in_both_languages(capsys):
    code, german, _ = run_cli(capsys, "assess", "--rules", "kassel-2030", "--format", "text", EXAMPLE)
    assert code == 0 and "Ergebnis: NEGATIV" in german and "Handlungsfelder:" in german
    code, default, _ = run_cli(capsys, "assess", "--rules", "kassel-2030", "--format", "text", "--lang", "de", EXAMPLE)
    assert default == german
    code, english, _ = run_cli(capsys, "assess", "--rules", "kassel-2030", "--format", "text", "--lang", "en", EXAMPLE)
    assert code == 0 and "Result: NEGATIVE" in english and "Fields of action:" in english
    assert "Handlungsfelder" not in english and "pro Jahr" not in english


def test_json_is_the_same_in_every_language(capsys):
    _, german, _ = run_cli(capsys, "assess", "--rules", "kassel-2030", EXAMPLE)
    _, english, _ = run_cli(capsys, "assess", "--rules", "kassel-2030", "--lang", "en", EXAMPLE)
    assert json.loads(german) == json.loads(english)


def test_docx_insert_in_english(capsys, tmp_path):
    paper = tmp_path / "vorlage.docx"
    d = docx.Document()
    d.add_heading("Beschlussvorlage 101.26.0815", 1)
    d.add_paragraph("Der Magistrat wird beauftragt, die Maßnahme umzusetzen.")
    d.save(paper)
    out = {}
    for lang in ("de", "en"):
        target = tmp_path / f"mit-{lang}.docx"
        code, said, err = run_cli(
            capsys, "docx", "insert", "--rules", "kassel-2030", "--answers", EXAMPLE, "--annex", "end",
            "--lang", lang, "--no-chart", paper, "-o", target,
        )  # fmt: skip
        assert code == 0, err
        out[lang] = section_text(target.read_bytes()).splitlines()  # also inside the content controls
        # The success line is in the chosen language too; the code itself is the same in both.
        found = re.search(r"(?:Prüfcode|verification code) ([A-Z0-9-]+)", said)
        assert found, said
        out[lang + "-code"] = found.group(1)
        assert ("Prüfcode" in said) == (lang == "de")
    assert "Klimacheck" in out["de"] and "Climate check" in out["en"]
    assert "Anlage: Fragen und Antworten zum Klimacheck" in out["de"]
    assert "Annex: questions and answers of the climate check" in out["en"]
    assert out["de-code"] == out["en-code"]  # the verification code does not depend on the language


def test_bad_input_in_the_chosen_language(capsys, tmp_path):
    answers = tmp_path / "antworten.yaml"
    answers.write_text("answers:\n  no_such_question: 1\n", encoding="utf-8")
    code, _, german = run_cli(capsys, "assess", "--rules", "kassel-2030", answers)
    assert code == 2 and "unbekannte Frage „no_such_question“" in german and len(german.splitlines()) == 1
    code, _, english = run_cli(capsys, "assess", "--rules", "kassel-2030", "--lang", "en", answers)
    assert code == 2 and "unknown question “no_such_question”" in english and len(english.splitlines()) == 1
    assert "unbekannt" not in english
    code, _, unknown = run_cli(capsys, "assess", "--rules", "no-such-rules", "--lang", "en", answers)
    assert code == 2 and "Rule set “no-such-rules” unknown" in unknown
