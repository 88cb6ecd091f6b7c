"""OParl: an author starts a check from a paper in the council information system (a local OParl server
serving the specification's examples and papers of our own), every way that system can fail gives one
German sentence, and the council information system reads the filed check back (public, OParl style)."""

from __future__ import annotations

import hashlib
import html
import json
import re
import time

import pytest
import sqlalchemy as sa
import yaml

from impactcheck.store import migrate
from impactcheck.store.models import AuditEntry, Check, Municipality, Upload
from impactcheck.web import oparl
from tests.oparl_server import BIG_BYTES, DRIP_SECONDS, SCHEMAS, OparlServer, closed_port, schema_validator
from tests.support import RULES, scratch_postgres_database, seed_old_rows
from tests.web.flows import answer_all
from tests.web.test_migrations import downgrade


@pytest.fixture(scope="module")
def ris():
    with OparlServer() as server:
        yield server


@pytest.fixture
def configured(app, ris):
    """The installation's fallback endpoint: the local server's System; short timeouts."""
    app.config.update(OPARL_ENDPOINT=ris.url + "/", OPARL_TIMEOUT=1, OPARL_SEARCH_PAGES=20)
    return ris


def start_page(b, address: str):
    return b.get("/klimachecks/neu/ratsinfo", query_string={"adresse": address})


def value(page: str, name: str) -> str | None:
    m = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', page
    )
    return html.unescape(m.group(1)) if m else None


def selected(page: str, name: str) -> str | None:
    """The option a browser sends for a select: the selected one, else the first."""
    m = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    if not m:
        return None
    options = re.findall(r'<option([^>]*)value="([^"]*)"([^>]*)>', m.group(1))
    chosen = [v for before, v, after in options if "selected" in before + after]
    return (chosen or [options[0][1]])[0]


def filled(page: str) -> dict[str, str]:
    """What the browser sends of the filled start form (without a file)."""
    names = ("reference", "title", "department", "committee", "meeting_date")
    names += ("oparl_url", "oparl_typ", "oparl_datum", "oparl_dateiname")
    data = {n: value(page, n) or "" for n in names}
    data["ruleset"] = value(page, "ruleset") or selected(page, "ruleset") or ""
    return data


def test_start_from_a_paper_fills_the_form_keeps_the_url_and_the_docx(app, as_role, configured, db_session):
    author = as_role("author")
    assert "/klimachecks/neu/ratsinfo" in author.get("/klimachecks/neu").get_data(as_text=True)
    url = configured.url + "/paper/0815"
    response = start_page(author, url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    form = filled(page)
    assert form["reference"] == "0815/2026"
    assert form["title"] == "Ersatz der Gasheizung in der Kita Am Park durch eine Luft-Wasser-Wärmepumpe"
    assert form["department"] == "Amt für Hochbau und Gebäudebewirtschaftung"  # underDirectionOf
    assert form["committee"] == "Ausschuss für Umwelt, Klimaschutz und Energie"  # the first consultation
    assert form["meeting_date"] == "2026-12-08"  # its meeting's day
    assert form["oparl_url"] == url
    assert "Beschlussvorlage" in page and "Rat der Stadt (Beschlussfassung" in page  # the whole Beratungsfolge
    assert 'name="oparl_datei" value="ja" checked' in page and "0815.docx" in page
    assert 'action="/klimachecks/neu"' in page

    # The author corrects nothing and starts; the form goes to the wizard's ordinary start.
    response = author.client.post(
        "/klimachecks/neu",
        data={**form, "oparl_datei": "ja", "csrf_token": author.token(page), "trotzdem": "0815/2026"},
    )
    assert response.status_code == 302
    check = db_session.scalars(sa.select(Check).where(Check.reference == "0815/2026")).one()
    assert (check.paper_url, check.paper_type, check.paper_date.isoformat()) == (url, "Beschlussvorlage", "2026-11-10")
    assert check.paper_url_sha256 == hashlib.sha256(url.encode()).hexdigest()
    upload = db_session.scalars(sa.select(Upload).where(Upload.check_id == check.id)).one()
    served = configured.world.files["/files/download/0815-main/0815.docx"][1]
    assert (upload.filename, upload.content) == ("0815.docx", served)
    actions = db_session.scalars(sa.select(AuditEntry.action).where(AuditEntry.check_id == check.id)).all()
    assert {"check.create", "check.upload", "check.oparl"} <= set(actions)

    # The council information system finds nothing while it is a draft ...
    public = app.test_client()
    path = f"/api/v1/oparl/papers/{check.paper_url_sha256}"
    response = public.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert "keinen eingereichten Klimacheck" in response.get_json()["detail"]

    # ... and once it is submitted: what /pruefen shows, the code the check page shows.
    data = yaml.safe_load((RULES / "examples/kassel-2030/strassenumbenennung/ohne-zahlen.yaml").read_text())
    answer_all(author, check.id, data["answers"])
    review = author.get(f"/klimachecks/{check.id}/pruefen").get_data(as_text=True)
    assert author.post(f"/klimachecks/{check.id}/einreichen", {"version": author.version(review)}).status_code == 302
    result_page = author.get(f"/klimachecks/{check.id}").get_data(as_text=True)
    assert f'href="{url}"' in result_page and "Beschlussvorlage im Ratsinformationssystem" in result_page

    response = public.get(path)  # no login
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["paper"] == url
    (item,) = body["impactcheck:checks"]
    db_session.expire_all()
    revision = db_session.get(Check, check.id).revisions[-1]
    assert item["impactcheck:number"] == f"{check.id}-1"
    assert item["impactcheck:verdict"] == revision.verdict
    assert item["impactcheck:status"] == "submitted"
    assert item["impactcheck:verificationCode"] in result_page
    assert item["impactcheck:ruleset"]["id"] == "kassel-2030" and item["impactcheck:ruleset"]["version"]
    # Nothing else of the check: no title, no author, no answers.
    assert set(item) == {
        "type",
        "web",
        "impactcheck:number",
        "impactcheck:revision",
        "impactcheck:status",
        "impactcheck:verdict",
        "impactcheck:submitted",
        "impactcheck:verificationCode",
        "impactcheck:ruleset",
        "impactcheck:paperReference",
    }
    assert "Kita" not in response.get_data(as_text=True)
    assert public.get("/api/v1/oparl/papers/" + "0" * 64).status_code == 404
    assert public.get("/api/v1/oparl/papers/kein-hash").status_code == 404


def test_the_municipality_s_own_endpoint_wins_and_none_means_by_hand(app, as_role, ris, db_session):
    author = as_role("author")
    page = author.get("/klimachecks/neu/ratsinfo?adresse=x").get_data(as_text=True)
    assert "kein Ratsinformationssystem (OParl) eingerichtet" in page
    assert "/klimachecks/neu/ratsinfo" not in author.get("/klimachecks/neu").get_data(as_text=True)
    app.config.update(OPARL_ENDPOINT=f"http://127.0.0.1:{closed_port()}/", OPARL_TIMEOUT=1)
    municipality = db_session.scalars(sa.select(Municipality).where(Municipality.slug == "default")).one()
    municipality.oparl_endpoint = ris.url + "/body/0"  # a Body URL works as well as the System's
    db_session.commit()
    page = start_page(author, ris.url + "/paper/0816").get_data(as_text=True)
    assert filled(page)["department"] == "Straßenverkehrs- und Tiefbauamt"
    assert "0816.pdf" in page and "keine Word-Datei" in page and 'name="oparl_datei"' not in page
    search = author.get("/klimachecks/neu/ratsinfo", query_string={"suche": "Parkgebühren"}).get_data(as_text=True)
    assert "0822/2026/1" in search  # on the list's third page


def test_search_follows_the_pages_up_to_the_cap(app, as_role, configured):
    author = as_role("author")
    page = author.get("/klimachecks/neu/ratsinfo", query_string={"suche": "kita"}).get_data(as_text=True)
    assert "1 Vorlage gefunden" in page and "0815/2026" in page
    assert "/klimachecks/neu/ratsinfo?adresse=" in page  # each hit is taken over by a link
    page = author.get("/klimachecks/neu/ratsinfo", query_string={"suche": "Parkgebühren"}).get_data(as_text=True)
    assert "0822/2026/1" in page and "durchsucht" not in page  # third page, whole list read
    app.config["OPARL_SEARCH_PAGES"] = 2
    page = author.get("/klimachecks/neu/ratsinfo", query_string={"suche": "Parkgebühren"}).get_data(as_text=True)
    assert "0 Vorlagen gefunden" in page and "die ersten 6 Vorlagen der Liste" in page


BAD = [
    ("unreachable", None, "ist nicht erreichbar"),
    ("not_oparl_json", "/kaputt/json", "nicht im OParl-Format geantwortet"),
    ("html", "/kaputt/html", "nicht im OParl-Format geantwortet"),
    ("redirect_elsewhere", "/kaputt/umleitung", "leitet auf einen anderen Server weiter (localhost)"),
    ("slow", "/kaputt/langsam", "nicht innerhalb von 1 Sekunden geantwortet"),
    ("dripping", "/kaputt/tropfen", "nicht innerhalb von 1 Sekunden geantwortet"),
    ("other_host", "http://intranet.example/paper/1", "gehört nicht zum Ratsinformationssystem Ihrer Kommune"),
    ("not_a_paper", "/organization/41", "steht keine Vorlage (OParl „Paper“), sondern „Organization“"),
    ("missing", "/paper/gibt-es-nicht", "gibt es im Ratsinformationssystem nichts"),
    ("no_url", "0815/2026", "ist keine Internetadresse"),
]


def test_a_failing_council_information_system_gives_one_german_sentence(app, as_role, configured):
    author = as_role("author")
    endpoint = app.config["OPARL_ENDPOINT"]
    for case, address, message in BAD:
        app.config["OPARL_ENDPOINT"] = endpoint
        if case == "unreachable":
            port = closed_port()
            app.config["OPARL_ENDPOINT"] = f"http://127.0.0.1:{port}/"
            address = f"http://127.0.0.1:{port}/paper/0815"
        elif address.startswith("/"):
            address = configured.url + address
        before = len(configured.requests)
        response = start_page(author, address)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (case, page[:500])
        assert message in html.unescape(page), case
        assert 'class="error-summary"' in page and 'aria-invalid="true"' in page, case
        seen = configured.requests[before:]
        assert not [r for r in seen if r[0].startswith("localhost")], case  # nobody followed it elsewhere
        if case == "other_host":
            assert seen == [], case
    # The dripping answer was given up at the deadline, not read to its end and refused afterwards.
    for _ in range(int(DRIP_SECONDS * 20)):  # the server notices at its next write
        if configured.httpd.drips_finished:
            break
        time.sleep(0.05)
    assert configured.httpd.drips_finished == [False]


def test_a_redirect_within_the_system_is_followed(app, as_role, configured):
    page = start_page(as_role("author"), configured.url + "/kaputt/umleitung-intern").get_data(as_text=True)
    assert filled(page)["reference"] == "0815/2026"


def test_a_50_mb_main_file_is_refused_while_it_streams_and_the_check_starts_without_it(
    app, as_role, configured, db_session
):
    author = as_role("author")
    page = start_page(author, configured.url + "/paper/0821").get_data(as_text=True)
    form = filled(page)
    assert form["oparl_dateiname"] == "gross.docx"
    sent_before = configured.httpd.big_bytes_sent
    data = {**form, "oparl_datei": "ja", "csrf_token": author.token(page), "trotzdem": "0821/2026"}
    response = author.client.post("/klimachecks/neu", data=data)
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "„gross.docx“ im Ratsinformationssystem ist größer als 20 MB" in text
    assert value(text, "oparl_url") == configured.url + "/paper/0821"  # the form keeps its paper
    assert configured.httpd.big_bytes_sent - sent_before < BIG_BYTES  # stopped reading, not read to the end
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Check)) == 0
    data.pop("oparl_datei")  # the author unticks the file and starts
    assert author.client.post("/klimachecks/neu", data=data).status_code == 302
    check = db_session.scalars(sa.select(Check)).one()
    assert check.paper_url == configured.url + "/paper/0821" and check.uploads == []


def test_a_forged_paper_url_in_the_start_form_is_refused(app, as_role, configured, db_session):
    """The hidden field is the author's input: another host is refused at the start as on the look-up."""
    author = as_role("author")
    page = start_page(author, configured.url + "/paper/0790").get_data(as_text=True)
    data = {**filled(page), "oparl_url": "http://169.254.169.254/latest/meta-data", "csrf_token": author.token(page)}
    response = author.client.post("/klimachecks/neu", data={**data, "trotzdem": "0790/2026"})
    assert response.status_code == 200
    assert "gehört nicht zum Ratsinformationssystem" in html.unescape(response.get_data(as_text=True))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Check)) == 0


# --- what impactcheck reads, against the OParl 1.1 schemas ---------------------------------------------

MODELS = {
    "Paper": oparl.Paper,
    "File": oparl.File,
    "Consultation": oparl.Consultation,
    "Organization": oparl.Organization,
    "Meeting": oparl.Meeting,
    "Body": oparl.Body,
    "System": oparl.System,
}
# The specification's own Meeting example has agenda items without their required "order"; it is served
# as it is (our client reads only name and start of a meeting).
EXAMPLE_FLAWS = {"/meeting/281"}


def test_every_field_impactcheck_reads_is_an_oparl_field():
    for name, model in MODELS.items():
        schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
        assert set(model.model_fields) <= set(schema["properties"]), name
        required = set(schema.get("required", []))
        assert {f for f, info in model.model_fields.items() if info.is_required()} <= required, name


def test_the_served_objects_are_valid_oparl_and_read_as_impactcheck_reads_them(ris):
    validators = {name: schema_validator(name) for name in MODELS}
    checked = 0
    for path, obj in ris.world.objects.items():
        kind = obj["type"].rsplit("/", 1)[1]
        if kind in validators and path not in EXAMPLE_FLAWS:
            errors = [e.message for e in validators[kind].iter_errors(obj)]
            assert not errors, (path, errors)
            MODELS[kind].model_validate(obj)
            checked += 1
    assert checked >= 20
    client = oparl.Client(ris.url + "/", timeout=2)
    example = client.paper(ris.url + "/paper/749")  # the specification's Paper example
    assert (example.reference, example.title, example.paper_type) == (
        "1234/2014",
        "Antwort auf Anfrage 1200/2014",
        "Beantwortung einer Anfrage",
    )
    assert example.department == "Kämmerei" and example.committee == "Ausschuss für Haushalt und Finanzen"
    assert example.main_file is not None and not example.main_file.is_docx


def test_a_json_answer_beyond_the_limit_is_refused(ris):
    client = oparl.Client(ris.url + "/", timeout=2, max_json_bytes=500)
    with pytest.raises(oparl.OparlError, match="größer als"):
        client.paper(ris.url + "/paper/0815")


# --- migration 0008 ----------------------------------------------------------------------------------


@pytest.fixture(params=("sqlite", "postgresql"))
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        yield engine
        engine.dispose()
        return
    url, drop = scratch_postgres_database("impactcheck_mig")
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()
    drop()


def test_migration_0008_adds_the_paper_link_to_existing_rows_and_goes_back(empty_engine):
    migrate.upgrade(empty_engine, "0007")
    meta = sa.MetaData()
    meta.reflect(empty_engine)
    t = meta.tables
    with empty_engine.begin() as conn:
        seed_old_rows(conn, t, {1: "0815/2026"}, rulesets=("x",))
    migrate.upgrade(empty_engine, "0008")
    with empty_engine.connect() as conn:
        row = conn.execute(sa.text("SELECT reference, paper_url, paper_url_sha256, paper_type FROM klimacheck")).one()
        assert tuple(row) == ("0815/2026", None, None, None)
        assert conn.execute(sa.text("SELECT oparl_endpoint FROM municipality")).scalar() is None
    with empty_engine.begin() as conn:
        conn.execute(sa.text("UPDATE klimacheck SET paper_url = 'https://ris.example/paper/1', paper_type = 'Antrag'"))
    downgrade(empty_engine, "0007")
    with empty_engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("klimacheck")}
        assert "paper_url" not in columns and "reference" in columns
        assert conn.execute(sa.text("SELECT reference FROM klimacheck")).scalar() == "0815/2026"
