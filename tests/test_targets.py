"""Climate target files (issue 12, point 1): the shipped targets load with their paths; bad files are
refused with file, line and a plain German message; `impactcheck targets check` says OK or exits 2 with
one line on stderr."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest

from impactcheck import cli
from impactcheck.store import targets as t
from tests.support import RULES

KASSEL = RULES / "kommunen" / "kassel" / "ziele" / "klimaziel.yaml"
LAUTERN = RULES / "kommunen" / "kaiserslautern" / "ziele" / "klimaziel.yaml"


def test_the_shipped_targets_load_with_their_paths():
    kassel = t.target_of("kassel", RULES)
    assert kassel is not None and kassel.municipality == "kassel"
    assert (kassel.base_year, kassel.neutrality_year, kassel.path_kind) == (2019, 2030, "yearly_percent")
    assert kassel.rulesets == ("kassel-2030",)
    base = kassel.base_total_t
    assert base == sum(kassel.base_t.values()) > 1_000_000
    # −10 % of 2019 every year: 2020 has 90 %, 2025 40 %, 2029 nothing; before the base year all of it.
    assert kassel.allowed_total_t(2018) == kassel.allowed_total_t(2019) == base
    assert kassel.allowed_total_t(2020) == pytest.approx(0.9 * base)
    assert kassel.allowed_total_t(2025) == pytest.approx(0.4 * base)
    assert kassel.allowed_total_t(2029) == pytest.approx(0.0, abs=1e-6)
    assert kassel.allowed_total_t(2031) == 0.0
    # Per sector in proportion to the base year; the rule set's sectors land where the file says.
    assert sum(kassel.allowed_t(2025).values()) == pytest.approx(0.4 * base)
    assert kassel.allowed_t(2025)["mobilitaet"] == pytest.approx(0.4 * kassel.base_t["mobilitaet"])
    assert kassel.sector_of("mobility") == "mobilitaet" and kassel.sector_of("procurement") == "industrie"
    assert kassel.sector_of("adaptation") == t.UNASSIGNED and kassel.residual_budget_t() is None
    assert "BEISPIELWERTE" in kassel.source  # estimated figures say so

    lautern = t.load_target(LAUTERN)
    assert (lautern.neutrality_year, lautern.path_kind, lautern.start_year) == (2035, "residual_budget", 2023)
    # A residual budget on a falling line: its years add up to the budget, and it never rises.
    years = range(lautern.start_year, lautern.neutrality_year + 1)
    assert sum(lautern.allowed_total_t(y) for y in years) == pytest.approx(lautern.residual_budget_t())
    allowed = [lautern.allowed_total_t(y) for y in range(2018, 2037)]
    assert all(a >= b for a, b in itertools.pairwise(allowed))
    assert lautern.allowed_total_t(2022) == lautern.base_total_t and lautern.allowed_total_t(2035) == 0.0
    assert lautern.sector_of("land_use") == t.UNASSIGNED  # BISKO has no land use: said in the file
    # Different neutrality years, different paths.
    assert kassel.allowed_total_t(2030) == 0.0 < lautern.allowed_total_t(2030)


def test_a_linear_path_falls_straight_to_neutrality(tmp_path):
    text = KASSEL.read_text(encoding="utf-8").replace(
        "  kind: yearly_percent              # je Jahr ein fester Anteil der Emissionen des Basisjahres weniger\n"
        "  percent_per_year: 10\n",
        "  kind: linear\n",
    )
    assert "kind: linear" in text
    target = t.load_target(_write(tmp_path, text), rules_dir=RULES)
    base = target.base_total_t
    assert target.allowed_total_t(2019) == base
    assert target.allowed_total_t(2024) == pytest.approx(base * 6 / 11)  # 5 of 11 years to 2030
    assert target.allowed_total_t(2030) == 0.0


def _write(tmp_path: Path, text: str, name: str = "klimaziel.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


BASE = KASSEL.read_text(encoding="utf-8")

# name -> (change to the Kassel file, the line's text, words of the message)
BAD = {
    "missing base year": (("base_year: 2019\n", ""), None, "Pflichtangabe „base_year“ fehlt"),
    "negative emissions": (
        ("    base_t: 390000\n", "    base_t: -390000\n"),
        "base_t: -390000",
        "Emissionen des Basisjahres im Sektor „mobilitaet“ sind negativ",
    ),
    "sector not in the rule set": (
        ("    rule_sectors: [mobility]\n", "    rule_sectors: [verkehrswende]\n"),
        "rule_sectors: [verkehrswende]",
        "Handlungsfeld „verkehrswende“ gibt es im Regelwerk kassel-2030 nicht",
    ),
    "a path that rises": (
        ("  percent_per_year: 10\n", "  percent_per_year: -5\n"),
        "percent_per_year: -5",
        "Der Pfad steigt",
    ),
    "neutrality before the base year": (
        ("neutrality_year: 2030\n", "neutrality_year: 2015\n"),
        "neutrality_year: 2015",
        "nach dem Basisjahr",
    ),
    "a sector mapped twice": (
        ("    rule_sectors: [food]\n", "    rule_sectors: [food, mobility]\n"),
        "rule_sectors: [food, mobility]",
        "schon dem Sektor „mobilitaet“ zugeordnet",
    ),
    "unknown BISKO sector": (
        ("    bisko: [verkehr]\n", "    bisko: [strassenverkehr]\n"),
        "bisko: [strassenverkehr]",
        "„strassenverkehr“ ist kein BISKO-Sektor",
    ),
    "unknown key": (("base_year: 2019\n", "base_year: 2019\nbasisjahr: 2019\n"), "basisjahr:", "unbekannter Schlüssel"),
    "YAML syntax": (("title: Klimaziel Kassel", "title: [Klimaziel Kassel"), None, "kein gültiges YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_target_files_are_refused_with_file_line_and_message(tmp_path, case):
    (old, new), needle, words = BAD[case]
    assert old in BASE, case
    text = BASE.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(t.TargetFileError) as refused:
        t.load_target(path, rules_dir=RULES)
    error = refused.value
    assert error.path == str(path) and words in error.message, (case, str(error))
    assert error.line is not None, case
    if needle is not None:
        assert error.line == _line_of(text, needle), (case, str(error))
    assert str(error).startswith(f"{path}:{error.line}: "), str(error)
    assert "Traceback" not in str(error) and "\n" not in str(error)


def test_a_residual_budget_larger_than_the_base_year_is_a_rising_path(tmp_path):
    text = LAUTERN.read_text(encoding="utf-8").replace("budget_t: 4000000", "budget_t: 90000000")
    with pytest.raises(t.TargetFileError) as refused:
        t.load_target(_write(tmp_path, text), rules_dir=RULES)
    assert "Der Pfad steigt" in refused.value.message
    assert refused.value.line == _line_of(text, "budget_t: 90000000")


def test_a_file_in_another_municipality_s_folder_must_name_it(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("examples", "archive", "kommunen"))
    file = t.target_file("arnstadt", rules)
    file.parent.mkdir(parents=True)
    file.write_text(BASE, encoding="utf-8")  # says "municipality: kassel"
    with pytest.raises(t.TargetFileError) as refused:
        t.target_of("arnstadt", rules)
    assert "Kommune „arnstadt“" in refused.value.message
    file.write_text(BASE.replace("municipality: kassel", "municipality: arnstadt"), encoding="utf-8")
    assert t.target_of("arnstadt", rules).municipality == "arnstadt"
    assert t.target_of("nirgendwo", rules) is None


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def run(monkeypatch, capsys):
    """`impactcheck ARGS` in this process with RULES_DIR set; (exit status, stdout, stderr)."""

    def invoke(*args, rules_dir: Path = RULES) -> tuple[int, str, str]:
        monkeypatch.setenv("IMPACTCHECK_RULES_DIR", str(rules_dir))
        with pytest.raises(SystemExit) as exited:
            cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return invoke


def test_cli_says_ok_for_good_files(run, tmp_path):
    code, out, err = run("targets", "check", "--municipality", "kassel")
    assert code == 0 and err == "" and out.startswith(f"OK  {KASSEL}")
    code, out, _ = run("targets", "check")
    assert code == 0 and str(KASSEL) in out and str(LAUTERN) in out
    code, out, _ = run("targets", "check", LAUTERN)
    assert code == 0 and "Restbudget 4.000.000 t CO2e ab 2023" in out


@pytest.mark.parametrize("case", ["negative emissions", "a path that rises", "YAML syntax", "missing base year"])
def test_cli_refuses_bad_files_with_exit_2_and_one_line(run, tmp_path, case):
    (old, new), _needle, words = BAD[case]
    path = _write(tmp_path, BASE.replace(old, new, 1))
    # A file elsewhere is checked against the installation's rule sets (RULES_DIR).
    code, out, err = run("targets", "check", path)
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and words in err and str(path) in err, err
    assert "Traceback" not in err and out == ""


def test_cli_refuses_a_municipality_without_a_file_and_a_bad_slug(run):
    code, _, err = run("targets", "check", "--municipality", "nirgendwo")
    assert code == 2 and "noch keine Klimaziel-Datei" in err and len(err.strip().splitlines()) == 1
    code, _, err = run("targets", "check", "--municipality", "Kassel!")
    assert code == 2 and "Kürzel" in err


def test_rules_check_checks_every_municipality_s_target_too(run, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("examples", "archive"))
    code, out, err = run("rules", "check", rules_dir=rules)
    assert code == 0, err
    assert f"OK  {t.target_file('kassel', rules)}" in out and f"OK  {t.target_file('kaiserslautern', rules)}" in out
    file = t.target_file("kassel", rules)
    file.write_text(BASE.replace("base_year: 2019\n", ""), encoding="utf-8")
    code, out, err = run("rules", "check", rules_dir=rules)
    assert code == 2 and re.search(rf"{re.escape(str(file))}:\d+: Pflichtangabe „base_year“ fehlt", err), err
