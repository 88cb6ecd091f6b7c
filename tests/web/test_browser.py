"""End-to-end in a real browser (Debian's chromium driven by Playwright): the three main paths.

A new user's way, as the README describes it: the admin account from the first start creates an
author account in the web interface; the author then completes a check that exits in the screening,
a positive check with numbers, and a negative check with its alternative. Every wizard page is
photographed at 1280 px and at 390 px into artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import re
import threading

import pytest
import yaml
from playwright.sync_api import expect
from werkzeug.serving import make_server

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.core.numbers import format_number
from impactcheck.store import operations as ops
from impactcheck.store.models import Municipality
from tests.support import ROOT, RULES, require, require_program

SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "admin-passwort-lang"


@pytest.fixture(scope="module")
def chromium():
    executable = require_program("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "playwright not installed")
    expect.set_options(timeout=10_000)
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def live(backend, tmp_path):
    """The app on a real HTTP port, with only the first-start admin account (as after `impactcheck serve`)."""
    name, fresh = backend
    url = fresh()
    prepared = prepare(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path),
            "MUNICIPALITY_SLUG": "default",
            "MUNICIPALITY_NAME": None,
            "DEFAULT_RULESET": "kassel-2030",
            "RULESETS": None,
            "RULES_DIR": None,
        },
        create_admin=False,
    )
    with prepared.database.session() as s:
        municipality = s.get(Municipality, prepared.municipality_id)
        ops.create_user(s, None, municipality=municipality, username="admin", password=ADMIN_PASSWORD, role="admin")
        s.commit()
    prepared.database.dispose()
    app = create_app({"SECRET_KEY": "e2e", "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", name
    server.shutdown()
    app.extensions["impactcheck.db"].dispose()


class Walk:
    """A page plus screenshots of every page at both widths."""

    def __init__(self, page, prefix: str):
        self.page = page
        self.prefix = prefix
        self.count = 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.wait_for_load_state("networkidle")  # the chart image comes separately
        for width, height in ((1280, 900), (390, 844)):
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(path=str(SHOTS / f"{self.prefix}-{self.count:02d}-{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def heading(self) -> str:
        return self.page.locator("h1").inner_text()

    def fill_step(self, answers: dict) -> None:
        """Answer the questions of the current page that the answers dict knows, as a person would."""
        for group in self.page.locator("[data-question]").all():
            if not group.is_visible():
                continue
            qid = group.get_attribute("data-question")
            kind = group.get_attribute("data-type")
            if qid not in answers:
                continue
            value = answers[qid]
            if value is None:  # the alternative removes this answer: clear the field
                group.locator("input, textarea").first.fill("")
            elif kind == "yes_no":
                group.locator(f'input[value="{"ja" if value else "nein"}"]').check()
            elif kind in ("single_choice", "scale"):
                group.locator(f'input[value="{value}"]').check()
            elif kind == "multiple_choice":
                for box in group.locator("input[type=checkbox]").all():
                    box.set_checked(box.get_attribute("value") in value)
            elif kind == "number":
                group.locator("input").fill(format_number(value))
            else:
                group.locator("textarea, input").first.fill(value)

    def wizard(self, answers: dict, name: str, max_steps: int = 20) -> list[str]:
        titles = []
        for _ in range(max_steps):
            if "/pruefen" in self.page.url:
                return titles
            heading = self.heading()
            assert re.search(r"Schritt \d+ von \d+", heading), heading
            assert re.search(r"Schritt \d+ von \d+", self.page.title()), self.page.title()
            titles.append(heading)
            self.fill_step(answers)
            step_id = self.page.url.rsplit("/", 1)[-1]
            self.shot(f"{name}-{step_id}")
            self.page.get_by_role("button", name="Weiter").click()
            self.page.wait_for_load_state()
        raise AssertionError(f"no review page after {max_steps} steps: {titles}")


def example(name: str) -> dict:
    return yaml.safe_load((RULES / "examples" / "kassel-2030" / f"{name}.yaml").read_text(encoding="utf-8"))


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def new_check(walk: Walk, base: str, paper: dict, name: str) -> None:
    page = walk.page
    page.goto(f"{base}/klimachecks")
    page.get_by_role("link", name="Neuen Klimacheck beginnen").click()
    page.get_by_label("Drucksachen-Nummer").fill(paper["reference"])
    page.get_by_label("Titel der Vorlage").fill(paper["title"])
    page.get_by_label("Einbringendes Amt").fill(paper["department"])
    page.get_by_label("Gremium").fill(paper["committee"])
    walk.shot(f"{name}-vorlage")
    page.get_by_role("button", name="Weiter").click()
    page.wait_for_load_state()


def test_three_main_paths(chromium, live):
    base, backend_name = live
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A console error would be, e.g., a script or style the Content-Security-Policy blocked.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    walk = Walk(page, f"{backend_name}")

    # The admin from the first start creates the author's account.
    login(page, base, "admin", ADMIN_PASSWORD)
    assert page.url.endswith("/admin/benutzer")
    page.get_by_label("Benutzername").fill("a.meier")
    page.get_by_label("Name", exact=True).fill("Anna Meier")
    page.get_by_label("Rolle").select_option("author")
    page.get_by_label("Erstes Passwort").fill("meier-passwort-2026")
    walk.shot("admin-benutzer")
    page.get_by_role("button", name="Konto anlegen").click()
    assert "Das Konto „a.meier“ ist angelegt." in page.content()
    page.get_by_role("button", name="Abmelden").click()
    login(page, base, "a.meier", "meier-passwort-2026")
    assert page.url.endswith("/klimachecks")
    walk.shot("meine-leer")

    # 1. Not relevant: the quick exit with a reason.
    data = example("strassenumbenennung")
    new_check(walk, base, data["paper"], "exit")
    titles = walk.wizard(data["answers"], "exit")
    assert len(titles) == 2
    walk.shot("exit-pruefen")
    page.get_by_role("button", name="Klimacheck einreichen").click()
    assert "Ergebnis: nicht klimarelevant" in page.content()
    walk.shot("exit-ergebnis")

    # 2. Positive, with numbers.
    data = example("pv-schuldaecher")
    new_check(walk, base, data["paper"], "positiv")
    walk.wizard(data["answers"], "positiv")
    assert "Vorschau des Ergebnisses" in page.content()
    walk.shot("positiv-pruefen")
    page.get_by_role("button", name="Klimacheck einreichen").click()
    content = page.content()
    assert "Ergebnis: positiv" in content and "-252,0 t CO2e" in content
    walk.shot("positiv-ergebnis")

    # 3. Negative: submitting needs the alternative, assessed in its own pass.
    data = example("gasheizung-kita")
    new_check(walk, base, data["paper"], "negativ")
    walk.wizard(data["answers"], "negativ")
    assert page.get_by_role("button", name="Klimacheck einreichen").count() == 0
    walk.shot("negativ-pruefen")
    page.get_by_role("link", name="Alternative beschreiben und bewerten").click()
    page.get_by_label("Beschreibung der Alternative").fill(data["alternative"]["description"])
    walk.shot("negativ-alternative")
    page.get_by_role("button", name="Weiter zur Bewertung der Alternative").click()
    alt = {**data["answers"], **data["alternative"]["answers"]}
    walk.page.locator("[data-question]").first.wait_for()
    # The alternative starts from the proposal's answers.
    assert page.locator('input[name="betrifft_gebaeude"][value="ja"]').is_checked()
    titles = walk.wizard(alt, "alternative")
    assert all(t.startswith("Alternative") for t in titles)
    content = page.content()
    assert "Ursprünglicher Vorschlag" in content
    walk.shot("alternative-pruefen")
    page.get_by_role("button", name="Klimacheck einreichen").click()
    content = page.content()
    assert "Ergebnis: negativ" in content and "Ergebnis: positiv" in content
    walk.shot("negativ-ergebnis")
    assert page.locator("img.chart").evaluate("img => img.complete && img.naturalWidth > 0")
    assert not errors, errors


def test_same_page_question_appears_with_its_condition(chromium, live):
    base, _ = live
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    login(page, base, "admin", ADMIN_PASSWORD)
    page.get_by_label("Benutzername").fill("b.schulz")
    page.get_by_label("Rolle").select_option("author")
    page.get_by_label("Erstes Passwort").fill("schulz-passwort-2026")
    page.get_by_role("button", name="Konto anlegen").click()
    page.get_by_role("button", name="Abmelden").click()
    login(page, base, "b.schulz", "schulz-passwort-2026")
    walk = Walk(page, "bedingung")
    new_check(walk, base, example("gasheizung-kita")["paper"], "bedingung")
    walk.fill_step(
        {k: k == "betrifft_gebaeude" for k in example("gasheizung-kita")["answers"] if k.startswith("betrifft_")}
    )
    page.get_by_role("button", name="Weiter").click()
    page.wait_for_url("**/schritt/gebaeude")
    standard = page.locator("#q-gebaeude_standard")
    expect(standard).to_be_hidden()  # hidden (by the server already) until the kind of work is known
    page.locator('input[name="gebaeude_art"][value="neubau"]').check()
    expect(standard).to_be_visible()
    page.locator('input[name="gebaeude_art"][value="anmietung"]').check()
    expect(standard).to_be_hidden()
    # An error keeps what was typed and the summary links to the question.
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator('input[name="gebaeude_art"][value="anmietung"]')).to_be_checked()
    page.locator('.error-summary a[href="#q-heizung"]').click()
    expect(page).to_have_url(re.compile(r"#q-heizung$"))
