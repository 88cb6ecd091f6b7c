"""`impactcheck docx insert --result FILE`: the JSON that `assess` writes, inserted without the rule set
(assess once, insert into several versions of a paper). In-process: the exit codes and lines are the
CLI's own; tests/test_cli_docx.py runs the command as a process."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from tests.support import RULES, run_cli
from tests.word import docs

ANSWERS = RULES / "examples" / "kassel-2030" / "gasheizung-ersatz-kita" / "schaetzt.yaml"


@pytest.fixture(scope="module")
def assessed(tmp_path_factory) -> Path:
    """The JSON of `impactcheck assess` for a negative example (with alternative and figures)."""
    from click.testing import CliRunner

    from impactcheck.cli import cli

    ran = CliRunner().invoke(cli, ["assess", "--rules", "kassel-2030", str(ANSWERS)])
    assert ran.exit_code == 0, ran.output
    path = tmp_path_factory.mktemp("assessed") / "ergebnis.json"
    path.write_text(ran.stdout, encoding="utf-8")
    return path


@pytest.fixture
def paper(tmp_path) -> Path:
    path = tmp_path / "vorlage.docx"
    path.write_bytes(docs.make(docs.beschlussvorlage))
    return path


def _has_chart(data: bytes) -> bool:
    with zipfile.ZipFile(BytesIO(data)) as zf:
        return any(n.startswith("word/charts/") for n in zf.namelist())


def test_a_stored_result_gives_the_same_section_as_the_rules(capsys, assessed, paper, tmp_path):
    by_rules, by_result = tmp_path / "regeln.docx", tmp_path / "ergebnis.docx"
    code, out, err = run_cli(
        capsys, "docx", "insert", "--rules", "kassel-2030", "--answers", ANSWERS, paper, "-o", by_rules
    )
    assert code == 0, err
    code_rules = out.split("Prüfcode ")[1].split(")")[0]
    code, out, err = run_cli(capsys, "docx", "insert", "--result", assessed, paper, "-o", by_result)
    assert code == 0, err
    assert f"Prüfcode {code_rules})" in out  # the same Result: the same verification code
    section = docs.section_text(by_result.read_bytes())
    assert section == docs.section_text(by_rules.read_bytes())
    assert "Alternative" in section and "t CO2e" in section
    assert _has_chart(by_result.read_bytes())
    docs.assert_kept(paper.read_bytes(), by_result.read_bytes())


def test_a_stored_result_in_english_takes_the_rule_sets_texts(capsys, assessed, paper, tmp_path):
    out_file = tmp_path / "english.docx"
    code, _out, err = run_cli(capsys, "docx", "insert", "--result", assessed, "--lang", "en", paper, "-o", out_file)
    assert code == 0, err
    section = docs.section_text(out_file.read_bytes())
    # Fixed labels from the catalogue, the decision kind and the answers from the rule set's English texts.
    assert "Result of the climate check: negative" in section
    assert "Kind of decision: A specific measure" in section and "Future heating: Natural gas" in section
    assert "Ergebnis des Klimachecks" not in section and "Heizung künftig" not in section


@pytest.mark.parametrize(
    "content, words",
    [
        (None, ["fehlt.json", "Datei nicht gefunden"]),
        (b'{\n  "ruleset": ', ["kaputt.json", "kein gültiges JSON", ":2"]),
        (b"\xff\xfe{}", ["kaputt.json", "keine UTF-8-Textdatei"]),
        (b"[1, 2, 3]", ["kaputt.json", "kein Ergebnis, wie „impactcheck assess“ es schreibt"]),
        (json.dumps({"answers": {"art": "massnahme"}}).encode(), ["kaputt.json", "kein Ergebnis"]),
    ],
)
def test_a_bad_result_file_gives_exit_2_one_line_and_no_output(capsys, paper, tmp_path, content, words):
    name = "fehlt.json" if content is None else "kaputt.json"
    if content is not None:
        (tmp_path / name).write_bytes(content)
    out_file = tmp_path / "out.docx"
    code, _out, err = run_cli(capsys, "docx", "insert", "--result", tmp_path / name, paper, "-o", out_file)
    assert code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err
    assert not out_file.exists()


@pytest.mark.parametrize("ident", [5, "../../etc/regeln", "unbekannt"])
def test_an_english_section_from_a_result_whose_rule_set_is_not_here(capsys, assessed, paper, tmp_path, ident):
    """The stored texts with the fixed labels in English; a result file never makes the CLI read a path."""
    data = json.loads(assessed.read_text(encoding="utf-8"))
    data["ruleset"]["id"] = ident
    (tmp_path / "fremd.json").write_text(json.dumps(data), encoding="utf-8")
    out_file = tmp_path / "out.docx"
    args = ("docx", "insert", "--result", tmp_path / "fremd.json", "--lang", "en", paper, "-o", out_file)
    code, _out, err = run_cli(capsys, *args)
    assert code == 0, err
    section = docs.section_text(out_file.read_bytes())
    assert "Result of the climate check: negative" in section
    assert "Heizung künftig: Erdgas" in section  # the answers as stored: no rule set gave English texts


def test_a_deeply_nested_file_is_refused(capsys, paper, tmp_path):
    (tmp_path / "tief.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, _, err = run_cli(
        capsys, "docx", "insert", "--result", tmp_path / "tief.json", paper, "-o", tmp_path / "o.docx"
    )
    assert code == 2 and len(err.splitlines()) == 1 and "kein Ergebnis" in err, err


def test_a_folder_as_result_file_is_refused(capsys, paper, tmp_path):
    code, _, err = run_cli(capsys, "docx", "insert", "--result", tmp_path, paper, "-o", tmp_path / "out.docx")
    assert code == 2 and len(err.splitlines()) == 1 and "Datei nicht lesbar" in err, err
