"""Several municipalities in one installation: the installation admin's pages, each municipality's own
settings (time zone, rule sets) and own rule sets folder, and nothing of one visible from the other."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from flask_login import login_user
from sqlalchemy import select

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.store import operations as ops
from impactcheck.store.models import AuditEntry, Municipality, User
from tests.support import RULES
from tests.web.conftest import PASSWORD, Browser
from tests.web.conftest import _config as prepare_config
from tests.web.flows import answer_all, start


def _make_installation_admin(db_session, username: str = "admin") -> None:
    user = db_session.scalar(select(User).where(User.username == username))
    ops.set_installation_admin(db_session, None, user, True)
    db_session.commit()


def _municipality(db_session, slug: str) -> Municipality:
    db_session.expire_all()
    return db_session.scalar(select(Municipality).where(Municipality.slug == slug))


# --- the installation admin's pages -------------------------------------------------------------


def test_only_an_installation_admin_reaches_the_municipality_pages(app, as_role, db_session):
    nachbar = _municipality(db_session, "nachbar")
    for who in ("author", "council", "climate", "admin", "fremd", "fremdadmin"):
        b = as_role(who)
        assert b.get("/admin/kommunen").status_code == 403, who
        assert b.get(f"/admin/kommunen/{nachbar.id}").status_code == 403, who
        assert "/admin/kommunen" not in b.get("/register" if who != "author" else "/klimachecks").get_data(as_text=True)
    _make_installation_admin(db_session)
    admin = as_role("admin")
    page = admin.get("/admin/kommunen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nachbargemeinde" in html and 'href="/admin/kommunen"' in html  # in the list and the navigation
    assert admin.get("/admin/kommunen/99999").status_code == 404


def test_an_installation_admin_creates_a_municipality_and_its_admin(app, as_role, db_session):
    _make_installation_admin(db_session)
    admin = as_role("admin")
    response = admin.submit(
        "/admin/kommunen",
        {
            "slug": "arnstadt",
            "name": "Stadt Arnstadt",
            "timezone": "Europe/Vienna",
            "rulesets": ["kassel-2030", "schnellcheck"],
            "default_ruleset": "schnellcheck",
            "neutrality_year": "2035",
            "oparl_endpoint": " https://ris.arnstadt.example/oparl/v1 ",
        },
    )
    assert response.status_code == 302, admin.last_html[:3000]
    arnstadt = _municipality(db_session, "arnstadt")
    assert (arnstadt.name, arnstadt.timezone, arnstadt.rulesets, arnstadt.neutrality_year) == (
        "Stadt Arnstadt",
        "Europe/Vienna",
        ["schnellcheck", "kassel-2030"],
        2035,
    )
    assert arnstadt.oparl_endpoint == "https://ris.arnstadt.example/oparl/v1"
    created = db_session.scalar(
        select(AuditEntry).where(AuditEntry.action == "municipality.create").order_by(AuditEntry.id.desc())
    )
    assert created.municipality_id == arnstadt.id and created.user.username == "admin"
    edit = f"/admin/kommunen/{arnstadt.id}"
    assert response.headers["Location"].endswith(edit)
    assert 'value="https://ris.arnstadt.example/oparl/v1"' in admin.get(edit).get_data(as_text=True)
    # Its first admin, who then manages (only) Arnstadt's accounts.
    response = admin.submit(
        edit, {"username": "arn-admin", "display_name": "Frau Arn", "password": PASSWORD}, f"{edit}/admins"
    )
    assert response.status_code == 302
    arn = Browser(app.test_client())
    arn.login("arn-admin")
    users = arn.get("/admin/benutzer").get_data(as_text=True)
    listed = re.findall(r'<td data-label="Benutzername">([^<]+)</td>', users)
    assert listed == ["arn-admin"]
    assert arn.get("/admin/kommunen").status_code == 403  # a municipality's admin, not the installation's
    assert "Stadt Arnstadt" in users  # the header names the municipality
    # Editing: a new time zone and neutrality year; the slug stays.
    response = admin.submit(
        edit,
        {
            "name": "Stadt Arnstadt",
            "timezone": "",
            "rulesets": ["kassel-2030"],
            "default_ruleset": "kassel-2030",
            "neutrality_year": "",
            "oparl_endpoint": "",
        },
    )
    assert response.status_code == 302
    arnstadt = _municipality(db_session, "arnstadt")
    assert (arnstadt.timezone, arnstadt.rulesets, arnstadt.neutrality_year) == (None, ["kassel-2030"], None)
    assert arnstadt.oparl_endpoint is None  # empty: the installation's setting OPARL_ENDPOINT applies


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"slug": "nachbar"}, "Die Kommune „nachbar“ gibt es schon."),
        ({"slug": "Groß/Stadt"}, "Kürzel „Groß/Stadt“ ungültig"),
        ({"timezone": "Europe/Kassel"}, "Zeitzone „Europe/Kassel“ unbekannt"),
        ({"rulesets": ["gibt-es-nicht"], "default_ruleset": "gibt-es-nicht"}, "Regelwerk „gibt-es-nicht“ unbekannt"),
        ({"neutrality_year": "bald"}, "Bitte geben Sie das Jahr als Zahl an"),
        ({"neutrality_year": "1990"}, "zwischen 2000 und 2100"),
        ({"name": ""}, "Bitte geben Sie den Namen der Kommune an."),
        ({"rulesets": [], "default_ruleset": ""}, "Bitte mindestens ein Regelwerk anbieten."),
        ({"oparl_endpoint": "ftp://ris.example/oparl"}, "Die OParl-Adresse muss mit http:// oder https:// beginnen"),
        ({"oparl_endpoint": "ris.example.de/oparl"}, "Die OParl-Adresse muss mit http:// oder https:// beginnen"),
        ({"oparl_endpoint": "https://ris.example/o parl"}, "keine Leer- oder Steuerzeichen"),
    ],
)
def test_bad_municipality_input_is_a_form_error(app, as_role, db_session, data, needle):
    _make_installation_admin(db_session)
    admin = as_role("admin")
    form = {
        "slug": "neustadt",
        "name": "Neustadt",
        "timezone": "",
        "rulesets": ["kassel-2030"],
        "default_ruleset": "kassel-2030",
        **data,
    }
    response = admin.submit("/admin/kommunen", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert needle in html and 'class="error-summary"' in html
    assert _municipality(db_session, "neustadt") is None


def test_the_installations_own_municipality_keeps_its_rule_sets_from_the_settings(app, as_role, db_session):
    _make_installation_admin(db_session)
    admin = as_role("admin")
    default = _municipality(db_session, "default")
    page = admin.get(f"/admin/kommunen/{default.id}").get_data(as_text=True)
    assert "Festgelegt durch die Einstellungen RULESETS und DEFAULT_RULESET" in page
    response = admin.submit(
        f"/admin/kommunen/{default.id}",
        {
            "name": "Stadt Kassel",
            "timezone": "Europe/Berlin",
            "rulesets": ["schnellcheck"],
            "default_ruleset": "schnellcheck",
        },
    )
    assert response.status_code == 302
    default = _municipality(db_session, "default")
    assert default.rulesets[0] == "kassel-2030" and default.timezone == "Europe/Berlin"


# --- each municipality's own settings -----------------------------------------------------------


def test_the_time_zone_is_the_municipalitys(app, db_session):
    from flask_babel import get_timezone

    from impactcheck.web.context import municipality_timezone

    nachbar = _municipality(db_session, "nachbar")
    nachbar.timezone = "Pacific/Kiritimati"
    db_session.commit()
    for username, zone in (("fremd", "Pacific/Kiritimati"), ("climate", "Europe/Berlin")):
        with app.test_request_context("/"):
            login_user(db_session.scalar(select(User).where(User.username == username)))
            assert municipality_timezone() == zone
            assert str(get_timezone()) == zone  # what every page's dates are shown in


def test_the_outcome_due_date_uses_the_municipalitys_day(app, db_session, monkeypatch):
    """Kiritimati is 14 hours ahead of UTC: "today" there is a day later than in Berlin for 10 hours."""
    import datetime as dt

    from impactcheck.web import outcome

    nachbar = _municipality(db_session, "nachbar")
    nachbar.timezone = "Pacific/Kiritimati"
    db_session.commit()
    days = {}
    for username in ("fremd", "climate"):
        with app.test_request_context("/"):
            login_user(db_session.scalar(select(User).where(User.username == username)))
            days[username] = outcome.local_today()
    assert days["fremd"] - days["climate"] in (dt.timedelta(0), dt.timedelta(days=1))
    now = dt.datetime.now(dt.UTC)
    assert days["fremd"] == now.astimezone(dt.timezone(dt.timedelta(hours=14))).date()


# --- own rule sets per municipality ---------------------------------------------------------------


@pytest.fixture
def own_rules(tmp_path) -> Path:
    """A rules folder with the shipped rule sets and one of Nachbargemeinde's own."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("archive"))
    own = folder / "kommunen" / "nachbar"
    (own / "examples" / "nachbar-check").mkdir(parents=True)
    text = (RULES / "schnellcheck.yaml").read_text(encoding="utf-8")
    text = text.replace("id: schnellcheck", "id: nachbar-check").replace(
        "title: Schnellcheck Klimaschutz", "title: Klimacheck der Nachbargemeinde"
    )
    (own / "nachbar-check.yaml").write_text(text, encoding="utf-8")
    shutil.copy(RULES / "examples/schnellcheck/sitzungstermine.yaml", own / "examples/nachbar-check/")
    return folder


@pytest.fixture
def own_rules_app(backend, tmp_path, own_rules):
    _, fresh = backend
    url = fresh()
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "RULES_DIR": str(own_rules),
        }
    )
    prepared = prepare({**prepare_config(url, tmp_path), "RULES_DIR": str(own_rules)}, create_admin=False)
    with prepared.database.session() as s:
        home = s.get(Municipality, prepared.municipality_id)
        ops.create_user(s, None, municipality=home, username="author", password=PASSWORD, role="author")
        other = ops.ensure_municipality(s, slug="nachbar", name="Nachbargemeinde", rulesets=["nachbar-check"])
        ops.create_user(s, None, municipality=other, username="fremdautor", password=PASSWORD, role="author")
        s.commit()
    prepared.database.dispose()
    yield application
    application.extensions["impactcheck.db"].dispose()


def test_a_municipalitys_own_rule_set_is_offered_only_there(own_rules_app):
    assert own_rules_app.config["RULES_DIR"].endswith("rules")
    nachbar = Browser(own_rules_app.test_client())
    nachbar.login("fremdautor")
    form = nachbar.get("/klimachecks/neu").get_data(as_text=True)
    assert 'value="nachbar-check"' in form  # its only rule set: a hidden field
    check = start(nachbar, ruleset="nachbar-check", reference="N-1")
    data = yaml.safe_load((RULES / "examples/schnellcheck/sitzungstermine.yaml").read_text(encoding="utf-8"))
    answer_all(nachbar, check, data["answers"], ruleset_id="schnellcheck")  # its copy: the same steps
    review = nachbar.get(f"/klimachecks/{check}/pruefen").get_data(as_text=True)
    assert nachbar.post(f"/klimachecks/{check}/einreichen", {"version": nachbar.version(review)}).status_code == 302
    result = json.loads(nachbar.get(f"/klimachecks/{check}/ergebnis.json").get_data(as_text=True))
    assert result["ruleset"]["id"] == "nachbar-check"
    home = Browser(own_rules_app.test_client())
    home.login("author")
    assert "nachbar-check" not in home.get("/klimachecks/neu").get_data(as_text=True)
    # Posting the other municipality's rule set id by hand is refused like any id not offered.
    response = home.submit(
        "/klimachecks/neu",
        {"reference": "X-1", "title": "T", "department": "D", "committee": "C", "ruleset": "nachbar-check"},
    )
    assert response.status_code in (200, 422) and "Regelwerk" in home.last_html


def test_a_municipality_offers_only_rule_sets_it_can_see(own_rules_app):
    from impactcheck.store import municipalities as municipal

    rules = Path(own_rules_app.config["RULES_DIR"])
    assert "nachbar-check" in municipal.available_ids(rules, "nachbar")
    assert "nachbar-check" not in municipal.available_ids(rules, "default")
    with own_rules_app.extensions["impactcheck.db"].session() as s:
        home = s.scalar(select(Municipality).where(Municipality.slug == "default"))
        data = municipal.MunicipalityData(name=home.name, timezone=None, rulesets=["nachbar-check"])
        with pytest.raises(ops.OperationError, match="Regelwerk „nachbar-check“ unbekannt"):
            ops.edit_municipality(s, None, home, data, available=municipal.available_ids(rules, "default"))


def test_rules_check_checks_each_municipalitys_folder_and_refuses_a_shared_id(own_rules, monkeypatch, capsys):
    from impactcheck import cli

    monkeypatch.setenv("IMPACTCHECK_RULES_DIR", str(own_rules))

    def rules_check() -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            cli.main(["rules", "check"])
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    code, out, err = rules_check()
    assert code == 0, err
    assert f"OK  {own_rules / 'kommunen/nachbar/nachbar-check.yaml'}" in out
    assert "sitzungstermine.yaml" in out.split("nachbar-check.yaml", 1)[1]  # its examples, too
    shutil.copy(own_rules / "schnellcheck.yaml", own_rules / "kommunen/nachbar/schnellcheck.yaml")
    code, _, err = rules_check()
    assert code == 2
    assert (
        "kommunen/nachbar/schnellcheck.yaml: Regelwerk „schnellcheck“ gibt es auch gemeinsam für alle Kommunen" in err
    )


# --- nothing of one municipality in the other's pages, files and counts ------------------------------


def test_lists_counts_and_exports_show_only_the_own_municipality(app, as_role, db_session):
    """A submitted check in each municipality, with a reference only it has: every list, count and
    export of one never shows or counts the other's."""
    from impactcheck.store.models import Check

    nachbar = _municipality(db_session, "nachbar")
    ops.update_municipality(db_session, nachbar, name=nachbar.name, rulesets=["kassel-2030"])
    ops.create_user(db_session, None, municipality=nachbar, username="fremdautor", password=PASSWORD, role="author")
    db_session.commit()
    data = yaml.safe_load((RULES / "examples/kassel-2030/strassenumbenennung/ohne-zahlen.yaml").read_text())
    made = {}
    for author, reference in (("author", "HEIM-4711"), ("fremdautor", "NACHBAR-0815")):
        b = as_role(author)
        check = start(b, reference=reference, meeting_date="2026-11-01")  # passed: its outcome is due
        answer_all(b, check, data["answers"])
        review = b.get(f"/klimachecks/{check}/pruefen").get_data(as_text=True)
        assert b.post(f"/klimachecks/{check}/einreichen", {"version": b.version(review)}).status_code == 302
        made[author] = (check, reference, b)
    db_session.expire_all()
    assert {c.municipality_id for c in db_session.scalars(select(Check))} == {
        _municipality(db_session, "default").id,
        nachbar.id,
    }
    pages = {
        "author": ["/klimachecks", "/beschluesse-nachtragen"],
        "fremdautor": ["/klimachecks", "/beschluesse-nachtragen"],
        "climate": ["/register", "/uebersicht?zeitraum=alle", "/register/export.csv"],
        "fremd": ["/register", "/uebersicht?zeitraum=alle", "/register/export.csv"],
    }
    home = {"author": "author", "climate": "author", "fremdautor": "fremdautor", "fremd": "fremdautor"}
    for who, urls in pages.items():
        own_check, own_ref, _ = made[home[who]]
        other_check, other_ref, _ = made["fremdautor" if home[who] == "author" else "author"]
        b = as_role(who)
        for url in urls:
            text = b.get(url).get_data(as_text=True)
            assert own_ref in text or url.startswith("/uebersicht"), (who, url)
            assert other_ref not in text and f"/klimachecks/{other_check}" not in text, (who, url)
        assert b.get(f"/klimachecks/{other_check}/ergebnis.json").status_code == 404
        assert b.get(f"/klimachecks/{own_check}/ergebnis.json").status_code == 200
        if who in ("climate", "fremd"):
            overview = b.get("/uebersicht?zeitraum=alle").get_data(as_text=True)
            # One check counted, not two: the overview's total of submitted checks.
            assert re.search(r"\b1\s*</", overview) and not re.search(r">\s*2\s*<", overview), who
        else:
            nav = b.get("/klimachecks").get_data(as_text=True)
            assert "Beschluss nachtragen (1" in nav, who  # the count in the navigation: its own only
