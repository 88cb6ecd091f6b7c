"""The register's exports (CSV for German Excel, XLSX with typed cells) on SQLite and PostgreSQL:
exactly the register's set and order for the same URL, what each role may see, typed cells, formula
injection neutralised, streamed from a column-only query."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import event, select

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.store import export, listing
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, Municipality, User
from tests.web import exportworld
from tests.web.conftest import PASSWORD, ROLES, Browser, _config

ALL_ROLES = (*ROLES, "author2")
FILTERS = [
    "",
    "status=submitted",
    "status=draft",
    "votum=negative",
    "votum_beschlossen=positive",
    "beschluss=adopted_alternative",
    "beschluss=offen",
    "geaendert=yes",
    "markiert=1",
    "ausnahme=personal",
    "q=radfahr",
    "q=%25",  # a literal % matches nothing, not everything
    "amt=Kulturamt",
    "regelwerk=kassel-2030",
    "sort=co2",
    "sort=-co2",
    "sort=nummer",
    "sort=-datum&status=submitted",
    "von=2000-01-01&bis=2999-12-31",
    "von=kein-datum",  # malformed: ignored, as the register ignores it
]


@pytest.fixture(scope="module")
def site(backend, tmp_path_factory):
    """One app with the register of exportworld for all tests of this module (read only)."""
    _, fresh = backend
    url = fresh()
    tmp = tmp_path_factory.mktemp("export")
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "instance")}
    )
    prepared = prepare(_config(url, tmp), create_admin=False)
    with prepared.database.session() as s:
        municipality = s.get(Municipality, prepared.municipality_id)
        for role in ALL_ROLES:
            ops.create_user(
                s,
                None,
                municipality=municipality,
                username=role,
                password=PASSWORD,
                role=role.rstrip("2"),
                display_name=f"Frau {role.title()}",
            )
        other = ops.ensure_municipality(s, slug="nachbar", name="Nachbargemeinde", rulesets=["schnellcheck"])
        ops.create_user(s, None, municipality=other, username="fremd", password=PASSWORD, role="climate")
        s.commit()
        ids = exportworld.build(s)
    prepared.database.dispose()
    browsers: dict[str, Browser] = {}

    def login(who: str) -> Browser:
        if who not in browsers:
            browsers[who] = Browser(app.test_client())
            browsers[who].login(who)
        return browsers[who]

    yield {"app": app, "ids": ids, "login": login}
    app.extensions["impactcheck.db"].dispose()


def register_ids(site, who: str, query_string: str) -> list[int]:
    """The ids of the register's rows for this user and URL, from listing.register_query itself."""
    app = site["app"]
    args = dict(re.findall(r"([^&=]+)=([^&]*)", query_string.replace("%25", "%")))
    with app.extensions["impactcheck.db"].session() as s:
        user = s.scalar(select(User).where(User.username == who))
        query = listing.register_query(user.municipality_id, user.role, listing.parse_filter(args))
        return list(s.scalars(query.with_only_columns(Check.id)))


def get_csv(site, who: str, query_string: str = "") -> tuple[bytes, list[list[str]]]:
    response = site["login"](who).get("/register/export.csv" + (f"?{query_string}" if query_string else ""))
    assert response.status_code == 200, response.status_code
    raw = response.get_data()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def get_xlsx(site, who: str, query_string: str = ""):
    response = site["login"](who).get("/register/export.xlsx" + (f"?{query_string}" if query_string else ""))
    assert response.status_code == 200, response.status_code
    raw = response.get_data()
    return raw, openpyxl.load_workbook(io.BytesIO(raw))


# --- the same set as the register -------------------------------------------------------------


@pytest.mark.parametrize("query_string", FILTERS)
def test_csv_and_xlsx_hold_the_register_rows_in_order(site, query_string):
    expected = register_ids(site, "climate", query_string)
    _, rows = get_csv(site, "climate", query_string)
    assert rows[0] == list(export.HEADERS)
    assert [int(r[0]) for r in rows[1:]] == expected
    _, wb = get_xlsx(site, "climate", query_string)
    ws = wb["Klimachecks"]
    assert [c.value for c in ws[1]] == list(export.HEADERS)
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == expected


def test_filters_narrow_the_world_as_built(site):
    """The parametrised comparison above means something only if the filters select different rows."""
    ids = site["ids"]
    everything = register_ids(site, "climate", "")
    assert ids["deleted"] not in everything and ids["foreign"] not in everything
    assert ids["draft"] in everything and len(everything) == 12
    assert register_ids(site, "climate", "beschluss=adopted_alternative") == [ids["parkhaus"]]
    assert register_ids(site, "climate", "markiert=1") == [ids["feuerwache"]]
    assert register_ids(site, "climate", "q=radfahr") == [ids["revised"]]  # in the title
    assert register_ids(site, "climate", "q=26.0777") == [ids["revised"]]  # in the reference
    assert register_ids(site, "climate", "q=%25") == []
    assert set(register_ids(site, "climate", "ausnahme=personal")) == {ids["exit"]}


def test_the_register_page_lists_the_same_checks(site):
    """Where the register page links its rows, it links the exported ones (first page)."""
    b = site["login"]("climate")
    page = b.get("/register?status=submitted").get_data(as_text=True)
    _, rows = get_csv(site, "climate", "status=submitted")
    linked = [int(i) for i in re.findall(r'href="/klimachecks/(\d+)"', page)]
    exported = [int(r[0]) for r in rows[1:]]
    assert linked == exported  # every submitted check is linked, in the same order (one page: < 25 rows)


def test_councillors_export_only_what_was_submitted(site):
    ids = site["ids"]
    expected = register_ids(site, "council", "")
    _, rows = get_csv(site, "council", "")
    exported = [int(r[0]) for r in rows[1:]]
    assert exported == expected
    assert ids["draft"] not in exported and ids["revised"] in exported
    assert len(exported) == len(register_ids(site, "climate", "")) - 1
    stand = {int(r[0]): r[export.HEADERS.index("Stand")] for r in rows[1:]}
    assert stand[ids["revised"]] == "zurückgegeben"  # not "Entwurf": the newer draft is the author's
    _, climate_rows = get_csv(site, "climate", "")
    assert {int(r[0]): r[7] for r in climate_rows[1:]}[ids["revised"]] == "Entwurf"
    # Even asked for drafts, a councillor gets none.
    assert get_csv(site, "council", "status=draft")[1][1:] == []
    _, wb = get_xlsx(site, "council", "")
    assert [r[0] for r in wb.active.iter_rows(min_row=2, values_only=True)] == expected


def test_another_municipality_sees_its_own_checks_only(site):
    _, rows = get_csv(site, "fremd", "")
    assert [int(r[0]) for r in rows[1:]] == [site["ids"]["foreign"]]


@pytest.mark.parametrize("who", ["author", "author2"])
def test_authors_may_not_export_the_register(site, who):
    for url in ("/register/export.csv", "/register/export.xlsx"):
        assert site["login"](who).get(url).status_code == 403


def test_anonymous_is_sent_to_the_login(site):
    client = site["app"].test_client()
    for url in ("/register/export.csv", "/register/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the files --------------------------------------------------------------------------------


def test_csv_is_for_german_excel(site):
    ids = site["ids"]
    response = site["login"]("admin").get("/register/export.csv")
    assert response.is_streamed
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    today = dt.datetime.now(dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).date()
    assert response.headers["Content-Disposition"] == f'attachment; filename="klimachecks-{today.isoformat()}.csv"'
    assert "no-store" in response.headers["Cache-Control"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbfNummer;Drucksache;Titel;")
    assert raw.count(b"\r\n") >= 13 and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF (a title's CR is quoted)
    rows = {int(r[0]): dict(zip(export.HEADERS, r, strict=True)) for r in get_csv(site, "admin")[1][1:]}
    park = rows[ids["parkhaus"]]
    assert park["Votum Vorlage"] == "negativ" and park["Votum Alternative"] == "positiv"
    assert park["t CO2e/a Vorlage"] == "595,595" and park["t CO2e/a Alternative"] == "-11,774"
    assert park["Votum beschlossen"] == "positiv" and park["t CO2e/a beschlossen"] == "-11,774"
    assert park["Beschluss"] == "mit der Alternative beschlossen" and park["Beschlussdatum"] == "2026-11-20"
    assert park["geändert wegen Klimacheck"] == "ja"
    assert park["Begründung der Änderung"] == "'-Stellplätze halbiert; Radparken"  # text: neutralised
    assert park["Verfasser/in"] == "Frau Author2" and park["Amt"] == "Amt für Straßen- und Verkehrswesen"
    assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", park["Eingereicht"])
    assert park["Link"] == f"http://localhost/klimachecks/{ids['parkhaus']}"
    flagged = rows[ids["feuerwache"]]
    assert flagged["markiert"] == "ja" and flagged["fragil"] in ("ja", "nein") and flagged["Beschluss"] == ""
    exited = rows[ids["exit"]]
    assert exited["Ausnahme"] == "Personalangelegenheit"  # the rule set's label, also in the streamed body
    assert exited["Votum Vorlage"] == "nicht klimarelevant" and exited["Sitzung"] == "2026-11-03"
    assert exited["Stand"] == "freigegeben" and exited["Prüfer/in"] == "Frau Climate"
    assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", exited["Geprüft"])
    assert exited["Regelwerk"] == "kassel-2030" and exited["Version"] and exited["Revision"] == "1"
    assert exited["t CO2e/a Vorlage"] == "" and exited["offene Punkte"] == "0" and exited["markiert"] == "nein"
    draft = rows[ids["draft"]]
    assert draft["Stand"] == "Entwurf" and draft["Eingereicht"] == "" and draft["Revision"] == ""


def test_times_are_in_the_municipality_time_zone(site):
    app = site["app"]
    with app.extensions["impactcheck.db"].session() as s:
        stored = s.get(Check, site["ids"]["exit"]).submitted_at  # UTC, naive
    local = stored.replace(tzinfo=dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    rows = {int(r[0]): r for r in get_csv(site, "climate")[1][1:]}
    assert rows[site["ids"]["exit"]][9] == local.strftime("%Y-%m-%d %H:%M")
    _, wb = get_xlsx(site, "climate")
    cell = next(r for r in wb.active.iter_rows(min_row=2) if r[0].value == site["ids"]["exit"])[9]
    assert cell.value == local.replace(tzinfo=None, microsecond=0)


def test_xlsx_has_typed_cells_a_frozen_header_and_an_autofilter(site):
    ids = site["ids"]
    response = site["login"]("climate").get("/register/export.xlsx")
    assert response.mimetype == export.XLSX_MIMETYPE
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    wb = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    ws = wb["Klimachecks"]
    count = len(register_ids(site, "climate", ""))
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:AC{count + 1}" and ws.max_row == count + 1 and ws.max_column == 29
    assert all(c.font.b for c in ws[1])
    assert ws.column_dimensions["C"].width >= 40  # the title gets room
    col = {h: i for i, h in enumerate(export.HEADERS)}
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    park, exited, draft = rows[ids["parkhaus"]], rows[ids["exit"]], rows[ids["draft"]]
    assert isinstance(park[col["Nummer"]].value, int) and park[col["Nummer"]].data_type == "n"
    assert park[col["t CO2e/a Vorlage"]].value == pytest.approx(595.595)
    assert park[col["t CO2e/a Alternative"]].value == pytest.approx(-11.774)  # negative: still a number
    assert park[col["t CO2e/a beschlossen"]].data_type == "n"
    assert isinstance(park[col["Eingereicht"]].value, dt.datetime) and park[col["Eingereicht"]].is_date
    assert park[col["Eingereicht"]].number_format == "DD.MM.YYYY HH:MM"
    assert park[col["Beschlussdatum"]].value == dt.datetime(2026, 11, 20)  # a date cell (openpyxl reads datetimes)
    assert park[col["Beschlussdatum"]].number_format == "DD.MM.YYYY" and park[col["Beschlussdatum"]].is_date
    assert exited[col["Sitzung"]].value == dt.datetime(2026, 11, 3) and exited[col["Sitzung"]].is_date
    assert isinstance(exited[col["offene Punkte"]].value, int)
    assert exited[col["markiert"]].value == "nein" and park[col["geändert wegen Klimacheck"]].value == "ja"
    assert exited[col["Revision"]].value == 1 and draft[col["Revision"]].value is None
    assert draft[col["Eingereicht"]].value is None and draft[col["t CO2e/a Vorlage"]].value is None
    assert park[col["Link"]].value == f"http://localhost/klimachecks/{ids['parkhaus']}"


def test_formula_injection_is_neutralised(site):
    ids = site["ids"]
    hostile = {ids[f"hostile{n}"]: title for n, title in enumerate(exportworld.HOSTILE_TITLES, 1)}
    rows = {int(r[0]): r for r in get_csv(site, "climate")[1][1:]}
    for ident, title in hostile.items():
        assert rows[ident][2] == "'" + title  # Titel
        assert rows[ident][1].startswith("'=H") and rows[ident][4] == "'@Rat"  # Drucksache, Gremium
    assert rows[ids["parkhaus"]][17] == "-11,774"  # a negative number is a number, not neutralised
    raw, wb = get_xlsx(site, "climate")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere in the file
    cells = {r[0].value: r for r in wb.active.iter_rows(min_row=2)}
    for ident, title in hostile.items():
        cell = cells[ident][2]
        assert cell.value == title and cell.data_type == "s" and cell.quotePrefix
        assert cells[ident][1].data_type == "s" and cells[ident][1].quotePrefix and cells[ident][4].value == "@Rat"
    assert cells[ids["parkhaus"]][17].data_type == "n"
    assert not cells[ids["led"]][2].quotePrefix  # harmless text stays as it is


def test_export_reads_columns_once_not_objects_per_row(site):
    """One query for the rows (the check table's columns only, no revision JSON), one for the names:
    the same statements for 1 row and for 12, so none is issued per row."""
    app = site["app"]
    engine = app.extensions["impactcheck.db"].engine
    b = site["login"]("climate")

    def statements(url: str) -> list[str]:
        seen: list[str] = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert b.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        # (the logged-in user's own row is loaded once per request, by Flask-Login)
        return [st for st in seen if "password_hash" not in st and ("klimacheck" in st or "display_name" in st)]

    many = statements("/register/export.xlsx")
    one = statements("/register/export.xlsx?beschluss=adopted_alternative")
    assert len(many) == len(one) == 2, many
    rows_query = next(st for st in many if "FROM klimacheck" in st)
    assert "revision" not in rows_query and "answers" not in rows_query and "result" not in rows_query.lower()
    csv_statements = statements("/register/export.csv")
    assert len(csv_statements) == 2


# --- the writers on their own (what the benchmark calls) --------------------------------------


def _row(**values):
    row = [None] * len(export.COLUMNS)
    for name, value in values.items():
        row[export.HEADERS.index(name)] = value
    return tuple(row)


def test_writers_format_numbers_dates_and_strip_what_xml_cannot_hold(tmp_path):
    rows = [
        _row(
            Nummer=7,
            Titel="Straße\x01 mit Steuerzeichen",
            **{"t CO2e/a Vorlage": -12.5, "t CO2e/a Alternative": 1234567.125, "t CO2e/a beschlossen": -0.0},
            Sitzung=dt.date(2026, 12, 1),
            Eingereicht=dt.datetime(2026, 12, 1, 9, 5, 30),
            fragil=True,
            markiert=False,
            **{"Begründung der Änderung": "x" * 40_000},
        ),
        _row(Nummer=8, **{"t CO2e/a Vorlage": float("nan"), "offene Punkte": 3}),
    ]
    out = io.BytesIO()
    assert export.write_csv(iter(rows), out) == 2
    parsed = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline=""), delimiter=";"))
    first = dict(zip(export.HEADERS, parsed[1], strict=True))
    assert first["t CO2e/a Vorlage"] == "-12,5" and first["t CO2e/a Alternative"] == "1234567,125"
    assert first["t CO2e/a beschlossen"] == "0" and first["Sitzung"] == "2026-12-01"
    assert first["Eingereicht"] == "2026-12-01 09:05" and first["fragil"] == "ja" and first["markiert"] == "nein"
    assert parsed[2][export.HEADERS.index("t CO2e/a Vorlage")] == "" and parsed[2][22] == "3"
    path = tmp_path / "x.xlsx"
    assert export.write_xlsx(iter(rows), path) == 2
    ws = openpyxl.load_workbook(path).active
    assert ws["C2"].value == "Straße mit Steuerzeichen"
    assert ws["Q2"].value == -12.5 and ws["R2"].value == 1234567.125
    assert len(ws["AB2"].value) == export.XLSX_MAX_TEXT
    assert ws["Q3"].value is None and ws["W3"].value == 3
    assert ws["J2"].value == dt.datetime(2026, 12, 1, 9, 5, 30)
    assert ws.auto_filter.ref == "A1:AC3"


def test_an_empty_export_still_has_its_header(tmp_path):
    out = io.BytesIO()
    assert export.write_csv(iter(()), out) == 0
    assert out.getvalue() == b"\xef\xbb\xbf" + ";".join(export.HEADERS).encode("utf-8") + b"\r\n"
    path = tmp_path / "leer.xlsx"
    assert export.write_xlsx(iter(()), path) == 0
    ws = openpyxl.load_workbook(path).active
    assert ws.max_row == 1 and ws.auto_filter.ref == "A1:AC1" and ws.freeze_panes == "A2"


def test_a_failing_export_leaves_no_temporary_file(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def rows():
        yield _row(Nummer=1)
        raise RuntimeError("Verbindung verloren")

    with pytest.raises(RuntimeError):
        export.write_xlsx(rows(), io.BytesIO())
    assert list(tmp_path.iterdir()) == []


def test_exit_reasons_are_labelled_once_per_rule_set_and_survive_a_missing_one():
    from impactcheck.core.errors import InputError, Problem
    from impactcheck.core.registry import resolve_ruleset

    asked = []

    def lookup(ident):
        asked.append(ident)
        if ident == "weg":
            raise InputError(Problem("Regelwerk „weg“ unbekannt"))
        return resolve_ruleset(ident)

    labels = export.ExitLabels(lookup)
    assert [labels("kassel-2030", "personal") for _ in range(3)] == ["Personalangelegenheit"] * 3
    assert labels("kassel-2030", "unbekannt") == "unbekannt" and labels("weg", "personal") == "personal"
    assert labels("kassel-2030", None) is None
    assert asked == ["kassel-2030", "weg"]


def test_csv_goes_out_in_batches_before_the_rows_are_all_read():
    read = []

    def rows():
        for n in range(1, 6):
            read.append(n)
            yield _row(Nummer=n)

    chunks = export.iter_csv(rows(), batch=2)
    head = next(chunks)
    assert head.startswith(b"\xef\xbb\xbfNummer;") and read == []  # the header before any row is read
    first = next(chunks)
    assert first.startswith(b"1;") and first.count(b"\r\n") == 2 and read == [1, 2]
    rest = list(chunks)
    assert len(rest) == 2 and rest[-1].startswith(b"5;")
    whole = io.BytesIO()
    export.write_csv(iter([_row(Nummer=n) for n in range(1, 6)]), whole)
    assert b"".join([head, first, *rest]) == whole.getvalue()
