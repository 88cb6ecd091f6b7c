"""`impactcheck docx insert` from outside: exit codes, one-line errors, whole files only, light imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import RULES
from tests.word import docs

ANSWERS = RULES / "examples" / "kassel-2030" / "gasheizung-ersatz-kita/schaetzt.yaml"


def run(*args: str | Path, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "impactcheck", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def paper(tmp_path):
    path = tmp_path / "vorlage.docx"
    path.write_bytes(docs.make(docs.beschlussvorlage))
    return path


def insert(*extra: str | Path, source: Path, output: Path, rules: bool = True):
    given = ("--rules", "kassel-2030", "--answers", ANSWERS) if rules else ()
    return run("docx", "insert", *given, *extra, source, "-o", output)


def assert_bad_input(proc, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]


def test_insert_writes_the_paper_with_the_section(paper, tmp_path):
    out = tmp_path / "mit-klimacheck.docx"
    proc = insert("--author", "Maria Muster", source=paper, output=out)
    assert proc.returncode == 0, proc.stderr
    assert "nach dem Abschnitt „Finanzielle Auswirkungen“" in proc.stdout and "Prüfcode" in proc.stdout
    docs.assert_kept(paper.read_bytes(), out.read_bytes())
    assert "bearbeitet von Maria Muster" in docs.section_text(out.read_bytes())
    assert "Klimacheck Nr." not in docs.section_text(out.read_bytes())


def test_annex_separate_writes_a_second_file_and_no_chart(paper, tmp_path):
    out = tmp_path / "out.docx"
    proc = insert("--annex", "separate", "--no-chart", source=paper, output=out)
    assert proc.returncode == 0, proc.stderr
    annex = tmp_path / "out-anhang.docx"
    assert "Anlage: Fragen und Antworten" in docs.section_text(annex.read_bytes(), "klimacheck-anhang")
    assert not set(docs.CHART_MEMBERS) & set(docs.members(out.read_bytes()))
    chosen = tmp_path / "antworten.docx"
    proc = insert("--annex", "separate", "--annex-output", chosen, source=paper, output=out)
    assert proc.returncode == 0 and chosen.is_file()


def test_annex_at_the_end(paper, tmp_path):
    out = tmp_path / "out.docx"
    assert insert("--annex", "end", source=paper, output=out).returncode == 0
    assert len(docs.sections(docs.document(out.read_bytes()), "klimacheck-anhang")) == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"kein Word", ("vorlage.docx", "keine Word-Datei im Format .docx")),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le"), ("altes Word-Format .doc",)),
        (None, ("vorlage.docx", "Datei nicht gefunden")),
    ],
    ids=["not-a-zip", "doc", "missing"],
)
def test_bad_files_give_exit_2_and_one_line(tmp_path, content, words):
    source = tmp_path / "vorlage.docx"
    if content is not None:
        source.write_bytes(content)
    out = tmp_path / "out.docx"
    out.write_bytes(b"the previous output")
    assert_bad_input(insert(source=source, output=out), *words)
    assert out.read_bytes() == b"the previous output", "a failed run must not touch the output"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.docx"] + (["vorlage.docx"] if content else []))


def test_macros_refused_with_the_reason(paper, tmp_path):
    import io
    import zipfile

    docm = tmp_path / "vorlage.docm"
    buf = io.BytesIO()
    with zipfile.ZipFile(paper) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("word/vbaProject.bin", b"\0" * 32)
    docm.write_bytes(buf.getvalue())
    assert_bad_input(insert(source=docm, output=tmp_path / "out.docx"), "Makros", "Programmcode")


def test_bad_answers_and_rules(paper, tmp_path):
    answers = tmp_path / "antworten.yaml"
    answers.write_text("answers:\n  gibt_es_nicht: 1\n", encoding="utf-8")
    proc = run("docx", "insert", "--rules", "kassel-2030", "--answers", answers, paper, "-o", tmp_path / "o.docx")
    assert_bad_input(proc, "antworten.yaml")
    proc = run("docx", "insert", "--rules", "nirgendwo", "--answers", ANSWERS, paper, "-o", tmp_path / "o.docx")
    assert_bad_input(proc, "nirgendwo")
    assert not (tmp_path / "o.docx").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--check", "17"), ("keine Datenbank vorhanden",)),
        (("--rules", "kassel-2030"), ("--rules und --answers",)),
        (("--check", "17", "--rules", "kassel-2030", "--answers", str(ANSWERS)), ("nicht mehrere",)),
        (("--rules", "kassel-2030", "--answers", str(ANSWERS), "--annex-output", "x.docx"), ("--annex separate",)),
        (("--rules", "kassel-2030", "--answers", str(ANSWERS), "--annex", "sometimes"), ("sometimes",)),
    ],
)
def test_option_mistakes(paper, tmp_path, args, words):
    # --check reads the web app's database: an empty one in a fresh instance folder here.
    env = {"IMPACTCHECK_INSTANCE": str(tmp_path / "instance")}
    assert_bad_input(run("docx", "insert", *args, paper, "-o", tmp_path / "o.docx", env=env), *words)


def test_output_must_not_overwrite_the_input_and_its_folder_must_exist(paper, tmp_path):
    before = paper.read_bytes()
    assert_bad_input(insert(source=paper, output=paper), "nicht überschreiben")
    assert paper.read_bytes() == before
    assert_bad_input(insert(source=paper, output=tmp_path / "fehlt" / "o.docx"), "existiert nicht")


def test_docx_insert_loads_neither_flask_nor_sqlalchemy(paper, tmp_path):
    probe = (
        "import sys\n"
        "from impactcheck.cli import main\n"
        "try:\n"
        f"    main(['docx', 'insert', '--rules', 'kassel-2030', '--answers', {str(ANSWERS)!r}, {str(paper)!r},"
        f" '-o', {str(tmp_path / 'o.docx')!r}])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "heavy = ('flask', 'flask_wtf', 'flask_login', 'flask_babel', 'sqlalchemy', 'alembic', 'wtforms')\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert proc.stdout.strip().splitlines()[-1] == "0 []", proc.stdout + proc.stderr
