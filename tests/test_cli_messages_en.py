"""The command line's own results and errors follow `--lang` (issue 11, point 5): `rules check`, `targets
check` and `docx insert` say in English what they say in German, with file and line, exit status 2 for bad
input; without `--lang` (or with `--lang de`) every word stays as it was. Run in-process through `main`,
the console script's entry point (exit status and stderr as a user sees them)."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest

from tests.core.mini import FACTORS, MINI, write
from tests.support import RULES, run_cli

EXAMPLE = RULES / "examples" / "kassel-2030" / "parkhaus-neubau" / "schaetzt.yaml"
KASSEL_TARGET = RULES / "kommunen" / "kassel" / "ziele" / "klimaziel.yaml"


def _words(text: str) -> set[str]:
    """The words of a line, without option names (--annex-output) and the program's name."""
    text = re.sub(r"--[\w-]+|\bimpactcheck\b", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-zÄÖÜäöüß]{4,}", text)}


def assert_no_german_left(german: str, english: str, *values: str | Path) -> None:
    """No word of the German line is in the English one, except the words of the values filled in
    (file names, ids, units as written in the file)."""
    ours = set().union(*(_words(str(v)) for v in values)) if values else set()
    left = (_words(german) - ours) & _words(english)
    assert not left, f"German words in the English text: {sorted(left)}\n{english}"


# --- rules check ---------------------------------------------------------------------------------

BROKEN_RULES = {
    # name: (rule set text, factor table text, German words, English words, values in the message)
    "unknown question in a condition": (
        MINI.replace(
            "when: {question: heating, equals: gas}\n      - id: features",
            "when: {question: heatting, equals: gas}\n      - id: features",
        ),
        FACTORS,
        "Bedingung nennt die Frage „heatting“, die es nicht gibt – meinten Sie „heating“?",
        "condition names the question “heatting”, which does not exist – did you mean “heating”?",
        ("heatting", "heating"),
    ),
    "unreadable unit": (
        MINI,
        FACTORS.replace("unit: g CO2e/kWh", "unit: Gramm pro kWh"),
        "Einheit „Gramm pro kWh“ nicht lesbar; Form: „g CO2e/kWh“, „kg CO2/l“ oder „t CO2e/t“",
        "unit “Gramm pro kWh” not readable; form: “g CO2e/kWh”, “kg CO2/l” or “t CO2e/t”",
        ("Gramm pro kWh", "form"),  # the same word in both languages
    ),
    "missing field": (
        MINI.replace("title: Mini\n", ""),
        FACTORS,
        "Pflichtangabe „title“ fehlt",
        "required entry “title” is missing",
        ("title",),
    ),
    "unknown operator": (
        MINI.replace("{question: heating, equals: gas}, score: -2", "{question: heating, bigger: gas}, score: -2"),
        FACTORS,
        "Bedingung: unbekannter Operator „bigger“; erlaubt: equals, in, contains, gt, gte, lt, lte, answered",
        "condition: unknown operator “bigger”; allowed: equals, in, contains, gt, gte, lt, lte, answered",
        ("bigger", "equals, in, contains, gt, gte, lt, lte, answered", "operator"),
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_RULES))
def test_rules_check_says_the_problem_in_the_chosen_language(capsys, tmp_path, case):
    rules, factors, german, english, values = BROKEN_RULES[case]
    path = write(tmp_path, rules, factors)
    code, out, default = run_cli(capsys, "rules", "check", path)
    assert code == 2 and out == "" and german in default and len(default.splitlines()) == 1, default
    assert re.match(rf"{re.escape(str(tmp_path))}/\S+\.yaml:\d+: ", default), default  # file and line
    code, _, de = run_cli(capsys, "rules", "check", "--lang", "de", path)
    assert code == 2 and de == default
    code, out, en = run_cli(capsys, "rules", "check", "--lang", "en", path)
    assert code == 2 and out == "" and len(en.splitlines()) == 1, en
    assert en.split(": ", 1)[0] == default.split(": ", 1)[0]  # the same file and line
    assert english in en, en
    assert_no_german_left(default, en, en.split(": ", 1)[0], *values)


def test_rules_check_counts_and_names_several_problems_in_english(capsys, tmp_path):
    path = write(
        tmp_path, MINI.replace("  - {id: adaptation, label: Anpassung", "  - {id: buildings, label: Anpassung")
    )
    code, _, german = run_cli(capsys, "rules", "check", path)
    assert code == 2 and "Handlungsfeld „buildings“ ist doppelt (zuerst in Zeile" in german
    assert german.splitlines()[-1] == "2 Probleme gefunden."
    code, _, english = run_cli(capsys, "rules", "check", "--lang", "en", path)
    assert code == 2 and "Field of action “buildings” appears twice (first at line" in english
    assert english.splitlines()[-1] == "2 problems found."
    assert_no_german_left(german, english, path, "buildings", "adaptation")


def test_rules_check_of_a_good_file_and_its_note_in_english(capsys, tmp_path):
    path = write(tmp_path)
    code, out, err = run_cli(capsys, "rules", "check", "--lang", "en", path)
    assert code == 0 and err == "" and out.startswith(f"OK  {path}")
    assert "Note: no English texts; the English interface shows the German texts" in out
    code, out, _ = run_cli(capsys, "rules", "check", path)
    assert code == 0 and "Hinweis: keine englischen Texte" in out


# --- targets check -------------------------------------------------------------------------------


def _target(tmp_path: Path, old: str, new: str) -> Path:
    text = KASSEL_TARGET.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "klimaziel.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BROKEN_TARGETS = {
    "missing field": (
        ("base_year: 2019\n", ""),
        "Pflichtangabe „base_year“ fehlt",
        "required entry “base_year” is missing",
        ("base_year",),
    ),
    "not a whole number": (
        ("neutrality_year: 2030", "neutrality_year: zwanzigdreißig"),
        "„neutrality_year“ muss eine ganze Zahl sein",
        "“neutrality_year” must be a whole number",
        ("neutrality_year",),
    ),
    "misspelt key": (  # two problems on one line: the second names only its line
        ("base_year: 2019", "base_yaer: 2019"),
        "Pflichtangabe „base_year“ fehlt; Zeile 14: unbekannter Schlüssel „base_yaer“",
        "required entry “base_year” is missing; line 14: unknown key “base_yaer”",
        ("base_yaer", "base_year"),
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_TARGETS))
def test_targets_check_says_the_problem_in_the_chosen_language(capsys, monkeypatch, tmp_path, case):
    monkeypatch.setenv("IMPACTCHECK_RULES_DIR", str(RULES))
    (old, new), german, english, values = BROKEN_TARGETS[case]
    path = _target(tmp_path, old, new)
    code, out, default = run_cli(capsys, "targets", "check", path)
    assert code == 2 and out == "" and german in default and len(default.splitlines()) == 1, default
    assert f"{path}:" in default
    code, _, de = run_cli(capsys, "targets", "check", "--lang", "de", path)
    assert code == 2 and de == default
    code, out, en = run_cli(capsys, "targets", "check", "--lang", "en", path)
    assert code == 2 and out == "" and len(en.splitlines()) == 1, en
    assert f"{path}:" in en and english in en, en
    assert_no_german_left(german, en, tmp_path, *values)


def test_targets_check_ok_line_and_command_errors_in_english(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("IMPACTCHECK_RULES_DIR", str(RULES))
    code, out, _ = run_cli(capsys, "targets", "check", KASSEL_TARGET)
    assert code == 0 and "Version 2026.1, −10 % von 2019 je Jahr, klimaneutral 2030)" in out
    code, out, _ = run_cli(capsys, "targets", "check", "--lang", "en", KASSEL_TARGET)
    assert code == 0 and "version 2026.1, −10 % of 2019 per year, climate-neutral 2030)" in out
    code, _, german = run_cli(capsys, "targets", "check", "--municipality", "nirgendwo")
    assert code == 2 and "Die Kommune „nirgendwo“ hat noch keine Klimaziel-Datei." in german
    code, _, english = run_cli(capsys, "targets", "check", "--lang", "en", "--municipality", "nirgendwo")
    assert code == 2 and "The municipality “nirgendwo” has no climate target file yet." in english
    assert_no_german_left(german, english, RULES, "nirgendwo", "kommunen/nirgendwo/ziele/klimaziel.yaml")
    code, _, english = run_cli(capsys, "targets", "check", "--lang", "en", KASSEL_TARGET, "--municipality", "kassel")
    assert code == 2 and "Please give either a file or --municipality, not both." in english


# --- docx insert ---------------------------------------------------------------------------------


@pytest.fixture
def paper(tmp_path):
    path = tmp_path / "vorlage.docx"
    d = docx.Document()
    d.add_paragraph("Der Magistrat wird beauftragt, die Maßnahme umzusetzen.")
    d.save(path)
    return path


def test_docx_insert_success_lines_in_the_chosen_language(capsys, paper, tmp_path):
    said = {}
    for lang in (None, "de", "en"):
        out = tmp_path / f"mit-{lang}.docx"
        chosen = ["--lang", lang] if lang else []
        code, said[lang], err = run_cli(
            capsys, "docx", "insert", "--rules", "kassel-2030", "--answers", EXAMPLE, "--annex", "separate",
            "--no-chart", *chosen, paper, "-o", out,
        )  # fmt: skip
        assert code == 0, err
        said[lang] = said[lang].replace(f"mit-{lang}", "mit-X")
    assert said[None] == said["de"]
    german, english = said["de"].splitlines(), said["en"].splitlines()
    code = german[0].rsplit(" ", 1)[1].rstrip(")")
    assert german == [
        f"{tmp_path}/mit-X.docx: Klimacheck am Ende des Dokuments eingefügt (Prüfcode {code})",
        f"{tmp_path}/mit-X-anhang.docx: Anlage mit allen Fragen und Antworten",
    ]
    assert english == [
        f"{tmp_path}/mit-X.docx: climate check inserted at the end of the document (verification code {code})",
        f"{tmp_path}/mit-X-anhang.docx: annex with all questions and answers",
    ]
    assert_no_german_left(said["de"], said["en"], tmp_path, "mit-X-anhang.docx")


@pytest.mark.parametrize(
    "args, german, english",
    [
        (
            ["--rules", "kassel-2030"],
            "--rules und --answers angeben (oder --check ID oder --result DATEI)",
            "give --rules and --answers (or --check ID or --result FILE)",
        ),
        (
            ["--check", "12", "--rules", "kassel-2030"],
            "entweder --check, --result oder --rules mit --answers angeben, nicht mehrere",
            "give either --check, --result or --rules with --answers, not several",
        ),
        (
            ["--result", "r.json", "--check", "12"],
            "entweder --check, --result oder --rules mit --answers angeben, nicht mehrere",
            "give either --check, --result or --rules with --answers, not several",
        ),
        (
            ["--rules", "kassel-2030", "--answers", EXAMPLE, "--annex-output", "a.docx"],
            "--annex-output gilt nur mit --annex separate",
            "--annex-output applies only with --annex separate",
        ),
    ],
)
def test_docx_insert_option_mistakes_in_the_chosen_language(capsys, paper, tmp_path, args, german, english):
    out = tmp_path / "out.docx"
    code, _, de = run_cli(capsys, "docx", "insert", *args, paper, "-o", out)
    assert code == 2 and de == f"impactcheck: {german}\n"
    code, _, en = run_cli(capsys, "docx", "insert", *args, "--lang", "en", paper, "-o", out)
    assert code == 2 and en.startswith(f"impactcheck: {english}") and len(en.splitlines()) == 1
    assert_no_german_left(de, en, EXAMPLE, "separate")  # an option's value


def test_docx_insert_file_mistakes_in_english(capsys, paper, tmp_path):
    missing = tmp_path / "fehlt" / "out.docx"
    base = ["docx", "insert", "--rules", "kassel-2030", "--answers", EXAMPLE, "--lang"]
    code, _, de = run_cli(capsys, *base, "de", paper, "-o", missing)
    assert code == 2 and f"{missing}: Ordner {missing.parent} existiert nicht" in de
    code, _, en = run_cli(capsys, *base, "en", paper, "-o", missing)
    assert code == 2 and f"{missing}: folder {missing.parent} does not exist" in en
    code, _, en = run_cli(capsys, *base, "en", paper, "-o", paper)
    assert code == 2 and f"{paper}: the output must not overwrite the input file" in en
    assert_no_german_left(de, en, tmp_path)


# --- commands that stop before the database ----------------------------------------------------------


def test_export_and_users_refuse_bad_options_in_english(capsys, tmp_path):
    code, _, de = run_cli(capsys, "export", "-o", tmp_path)
    assert code == 2 and f"{tmp_path}: ist ein Ordner, keine Datei" in de
    code, _, en = run_cli(capsys, "export", "--lang", "en", "-o", tmp_path)
    assert code == 2 and f"{tmp_path}: is a folder, not a file" in en
    code, _, de = run_cli(capsys, "users", "add", "anna", "--role", "climate", "--installation-admin")
    assert code == 2 and "--installation-admin gilt nur mit --role admin" in de
    code, _, en = run_cli(capsys, "users", "add", "anna", "--role", "climate", "--installation-admin", "--lang", "en")
    assert code == 2 and "--installation-admin applies only with --role admin" in en
    assert_no_german_left(de, en, "admin")  # an option's value


def test_database_and_account_commands_in_english(capsys, monkeypatch, tmp_path):
    """A fresh SQLite installation: the lines of `db upgrade`, `users …` and `municipalities list`."""
    import io
    import os

    for key in list(os.environ):
        if key.startswith("IMPACTCHECK_") and key != "IMPACTCHECK_STRICT":
            monkeypatch.delenv(key)
    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(tmp_path / "instance"))
    code, out, err = run_cli(capsys, "db", "upgrade", "--lang", "en")
    assert code == 0 and out.startswith("Database at revision "), err
    code, german, _ = run_cli(capsys, "db", "upgrade")
    assert code == 0 and german.startswith("Datenbank auf Stand ")
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-langes-passwort\n"))
    code, out, err = run_cli(capsys, "users", "add", "anna", "--role", "author", "--lang", "en")
    assert code == 0 and out == "Account “anna” (author) created.\n", err
    code, _, err = run_cli(capsys, "users", "password", "niemand", "--lang", "en")  # stdin is empty now
    assert code == 2 and err == "impactcheck: no password on standard input\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-langes-passwort\n"))
    code, _, err = run_cli(capsys, "users", "password", "niemand", "--lang", "en")
    assert code == 2 and err == "impactcheck: there is no account “niemand”\n"
    code, out, _ = run_cli(capsys, "municipalities", "list", "--lang", "en")
    assert code == 0 and out.rstrip().endswith("\t1 accounts") and "(installation)" in out
    code, out, _ = run_cli(capsys, "municipalities", "list")
    assert code == 0 and out.rstrip().endswith("\t1 Konten") and "(Installation)" in out
