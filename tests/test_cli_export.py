"""`impactcheck export` in-process, on SQLite and PostgreSQL: the register's filters, the same rows in
the same order as the register, exit 2 with one German line for bad input, whole files only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os

import openpyxl
import pytest
from sqlalchemy import select

from impactcheck import cli
from impactcheck.bootstrap import prepare
from impactcheck.store import export, listing
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, Municipality
from tests.support import scratch_postgres_database
from tests.web import exportworld
from tests.web.conftest import _config as prepare_config

PASSWORD = "richtig-langes-passwort"
KEEP_ENV = ("IMPACTCHECK_TEST_POSTGRES_URL", "IMPACTCHECK_STRICT")


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def installation(request, tmp_path_factory):
    """An instance folder and a database with the register of exportworld."""
    instance = tmp_path_factory.mktemp("cli-export") / "instance"
    if request.param == "sqlite":
        url, drop = f"sqlite:///{instance.parent / 'impactcheck.sqlite3'}", lambda: None
    else:
        url, drop = scratch_postgres_database("impactcheck_cli")
    prepared = prepare(prepare_config(url, instance), create_admin=False)
    with prepared.database.session() as s:
        municipality = s.get(Municipality, prepared.municipality_id)
        for username, role in (("author", "author"), ("author2", "author"), ("climate", "climate")):
            ops.create_user(s, None, municipality=municipality, username=username, password=PASSWORD, role=role)
        other = ops.ensure_municipality(s, slug="nachbar", name="Nachbargemeinde", rulesets=["schnellcheck"])
        ops.create_user(s, None, municipality=other, username="fremd", password=PASSWORD, role="climate")
        s.commit()
        ids = exportworld.build(s)
    yield {"url": url, "instance": instance, "ids": ids, "database": prepared.database}
    prepared.database.dispose()
    drop()


@pytest.fixture
def run(installation, monkeypatch, capsys):
    """`impactcheck ARGS` in this process, against the installation; (exit status, stdout, stderr)."""
    for key in list(os.environ):
        if key.startswith("IMPACTCHECK_") and key not in KEEP_ENV:
            monkeypatch.delenv(key)
    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(installation["instance"]))
    monkeypatch.setenv("IMPACTCHECK_DATABASE_URL", installation["url"])

    def invoke(*args) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return invoke


def register_ids(installation, slug: str = "default", **args: str) -> list[int]:
    """What the register (the climate department's view) lists for these URL parameters."""
    with installation["database"].session() as s:
        municipality = s.scalar(select(Municipality).where(Municipality.slug == slug))
        query = listing.register_query(municipality.id, "climate", listing.parse_filter(args))
        return list(s.scalars(query.with_only_columns(Check.id)))


def read_csv(path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_of_everything_is_the_register(run, installation, tmp_path):
    out = tmp_path / "alle.csv"
    code, stdout, stderr = run("export", "--format", "csv", "-o", out)
    assert code == 0, stderr
    rows = read_csv(out)
    expected = register_ids(installation)
    assert rows[0] == list(export.HEADERS) and [int(r[0]) for r in rows[1:]] == expected
    assert stdout.strip() == f"{out}: {len(expected)} Klimachecks exportiert (CSV)"
    assert installation["ids"]["draft"] in expected  # the department's view: drafts too
    assert rows[1][-1] == f"/klimachecks/{rows[1][0]}"  # without --basis-url: the path
    assert oct(out.stat().st_mode)[-3:] == "600"  # names of people: private to the owner
    assert [p.name for p in tmp_path.iterdir()] == ["alle.csv"]  # no temporary file left


@pytest.mark.parametrize(
    ("options", "args"),
    [
        (["--status", "submitted"], {"status": "submitted"}),
        (["--votum", "negative", "--sort", "-co2"], {"votum": "negative", "sort": "-co2"}),
        (["--votum-beschlossen", "positive"], {"votum_beschlossen": "positive"}),
        (["--beschluss", "adopted_alternative"], {"beschluss": "adopted_alternative"}),
        (["--beschluss", "offen", "--sort", "nummer"], {"beschluss": "offen", "sort": "nummer"}),
        (["--geaendert", "yes"], {"geaendert": "yes"}),
        (["--markiert"], {"markiert": "1"}),
        (["--offen", "--fragil"], {"offen": "1", "fragil": "1"}),
        (["--ausnahme", "personal"], {"ausnahme": "personal"}),
        (["--suche", "0777"], {"q": "0777"}),
        (["--amt", "Personal- und Organisationsamt"], {"amt": "Personal- und Organisationsamt"}),
        (["--gremium", "@Rat"], {"gremium": "@Rat"}),
        (["--regelwerk", "kassel-2030"], {"regelwerk": "kassel-2030"}),
        (["--von", "2000-01-01", "--bis", "2999-12-31"], {"von": "2000-01-01", "bis": "2999-12-31"}),
        (["--von", "2999-01-01"], {"von": "2999-01-01"}),
    ],
)
def test_filters_are_the_register_filters(run, installation, tmp_path, options, args):
    out = tmp_path / "auswahl.xlsx"  # the format from the file name
    code, stdout, stderr = run("export", *options, "-o", out)
    assert code == 0, stderr
    ws = openpyxl.load_workbook(out)["Klimachecks"]
    got = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert got == register_ids(installation, **args)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:AC{len(got) + 1}"
    assert "(XLSX)" in stdout


def test_filters_pick_what_they_say(run, installation, tmp_path):
    ids = installation["ids"]

    def exported(*options) -> list[int]:
        out = tmp_path / "x.csv"
        code, _, stderr = run("export", *options, "-o", out)
        assert code == 0, stderr
        return [int(r[0]) for r in read_csv(out)[1:]]

    assert exported("--beschluss", "adopted_alternative") == [ids["parkhaus"]]
    assert exported("--markiert") == [ids["feuerwache"]]
    assert exported("--suche", "26.0777") == [ids["revised"]]
    assert set(exported("--pruefer", "climate")) == {ids["exit"], ids["revised"]}
    assert exported("--municipality", "nachbar") == [ids["foreign"]]
    assert exported("--von", "2999-01-01") == []
    # The department sees the current state: the never submitted draft and the revised check's new draft.
    assert set(exported("--status", "draft")) == {ids["draft"], ids["revised"]}


def test_links_use_the_given_address(run, installation, tmp_path):
    out = tmp_path / "links.csv"
    code, _, stderr = run("export", "-o", out, "--basis-url", "https://klima.kassel.de/", "--markiert")
    assert code == 0, stderr
    row = read_csv(out)[1]
    assert row[-1] == f"https://klima.kassel.de/klimachecks/{installation['ids']['feuerwache']}"


def test_xlsx_cells_are_typed(run, installation, tmp_path):
    out = tmp_path / "typen.xlsx"
    code, _, stderr = run("export", "--format", "xlsx", "-o", out, "--beschluss", "adopted_alternative")
    assert code == 0, stderr
    ws = openpyxl.load_workbook(out).active
    row = {h: c for h, c in zip(export.HEADERS, next(ws.iter_rows(min_row=2)), strict=True)}
    assert row["Nummer"].value == installation["ids"]["parkhaus"]
    assert row["t CO2e/a beschlossen"].value == pytest.approx(-11.774) and row["t CO2e/a beschlossen"].data_type == "n"
    assert isinstance(row["Eingereicht"].value, dt.datetime) and row["Beschlussdatum"].value == dt.datetime(
        2026, 11, 20
    )
    assert row["Begründung der Änderung"].value == "-Stellplätze halbiert; Radparken"
    assert row["Begründung der Änderung"].quotePrefix and row["Begründung der Änderung"].data_type == "s"


def test_an_existing_file_is_replaced_whole(run, tmp_path):
    out = tmp_path / "alt.csv"
    out.write_bytes(b"alter Inhalt")
    code, _, stderr = run("export", "-o", out, "--status", "fertig")  # refused: the old file stays
    assert code == 2 and out.read_bytes() == b"alter Inhalt"
    code, _, stderr = run("export", "-o", out)
    assert code == 0, stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbfNummer;")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--format", "pdf"], "pdf"),
        (["--von", "2026-13-01"], "--von: „2026-13-01“ ungültig"),
        (["--bis", "morgen"], "--bis"),
        (["--status", "fertig"], "--status: „fertig“ ungültig; erlaubt: draft, submitted"),
        (["--votum", "gut"], "--votum"),
        (["--beschluss", "angenommen"], "--beschluss"),
        (["--geaendert", "vielleicht"], "--geaendert"),
        (["--sort", "quer"], "--sort"),
        (["--amt", "  "], "--amt: leerer Wert"),
        (["--municipality", "nirgendwo"], "Kommune „nirgendwo“ gibt es nicht; vorhanden: default, nachbar"),
        (["--pruefer", "niemand"], "--pruefer: Konto „niemand“"),
        (["--basis-url", "klima.kassel.de"], "--basis-url"),
        (["--fragil", "--unbekannt"], "--unbekannt"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run, tmp_path, options, needle):
    out = tmp_path / "x.csv"
    code, stdout, stderr = run("export", *options, "-o", out)
    assert code == 2, (stdout, stderr)
    assert len(stderr.strip().splitlines()) == 1 and needle in stderr, stderr
    assert "Traceback" not in stderr and not out.exists()


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("fehlt/x.csv", "existiert nicht"),
        ("datei.txt/x.csv", "existiert nicht"),
        (".", "ist ein Ordner"),
        ("x.txt", "--format csv oder xlsx"),
    ],
)
def test_bad_output_path_is_one_line_and_exit_2(run, tmp_path, target, needle):
    (tmp_path / "datei.txt").write_text("x")
    code, _, stderr = run("export", "-o", tmp_path / target)
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and needle in stderr, stderr


def test_without_a_database_says_so(tmp_path, monkeypatch, capsys):
    for key in list(os.environ):
        if key.startswith("IMPACTCHECK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(tmp_path / "leer"))
    with pytest.raises(SystemExit) as exited:
        cli.main(["export", "-o", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "keine Datenbank vorhanden" in err and len(err.strip().splitlines()) == 1


def test_export_in_english(run, installation, tmp_path):
    """--lang en: the header, the labels and the command's own lines in English; the same rows."""
    out = tmp_path / "all.csv"
    code, stdout, stderr = run("export", "--lang", "en", "-o", out)
    assert code == 0, stderr
    rows = read_csv(out)
    expected = register_ids(installation)
    assert rows[0][:3] == ["Number", "Paper", "Title"] and "Drucksache" not in rows[0]
    assert [int(r[0]) for r in rows[1:]] == expected
    assert stdout.strip() == f"{out}: {len(expected)} climate checks exported (CSV)"
    code, _, stderr = run("export", "--lang", "en", "--status", "fertig", "-o", out)
    assert code == 2 and "--status: “fertig” invalid; allowed: draft, submitted" in stderr
    assert "ungültig" not in stderr and "erlaubt" not in stderr
    code, _, stderr = run("export", "--lang", "en", "--municipality", "nirgendwo", "-o", out)
    assert code == 2 and "there is no municipality “nirgendwo”; available: default, nachbar" in stderr
