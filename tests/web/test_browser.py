"""End-to-end in a real browser (Debian's chromium driven by Playwright): the three main paths.

A new user's way, as the README describes it: the admin account from the first start creates an
author account in the web interface; the author then completes a check that exits in the screening,
a positive check with numbers, and a negative check with its alternative. Every wizard page is
photographed at 1280 px and at 390 px into artifacts/screenshots/ (ignored by git).

Every page these tests visit is checked with axe-core (WCAG 2.0/2.1 A and AA) at both widths; a
serious or critical violation fails the test. axe comes from npm (package.json, `npm ci`); it is put
into the page with `page.evaluate`, which the app's Content-Security-Policy does not block (Playwright's
`add_script_tag` inserts an inline script, which `script-src 'self'` refuses), so the pages are checked
exactly as served, CSP on.
"""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.core.numbers import format_number
from impactcheck.store import operations as ops
from impactcheck.store.models import Municipality
from tests.support import ROOT, require, require_program
from tests.web.conftest import _config
from tests.web.flows import TOPICS

SHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = ((1280, 900), (390, 844))
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


class Axe:
    """axe-core run in the page; collects the serious and critical violations of every page checked."""

    RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
        .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
                                      summary: n.failureSummary}))})))"""

    def __init__(self, source: str | None):
        self.source = source  # None: axe-core is not installed; the pages are walked, not checked
        self.checked: list[str] = []
        self.found: list[str] = []

    def check(self, page, name: str) -> None:
        """The page as it is now, at the current viewport width."""
        if self.source is None:
            return
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        width = page.viewport_size["width"]
        self.checked.append(f"{name}@{width}")
        for v in page.evaluate(self.RUN, AXE_TAGS):
            if v["impact"] in ("serious", "critical"):
                nodes = "\n".join(f"      {n['target']}: {n['html']}\n        {n['summary']}" for n in v["nodes"][:5])
                self.found.append(f"{name} @ {width}px: {v['id']} ({v['impact']}): {v['help']}\n{nodes}")

    def check_widths(self, page, name: str) -> None:
        """At desktop and at phone width; the viewport ends at desktop width."""
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            self.check(page, name)
        page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})

    def assert_clean(self) -> None:
        """Fails with every violation found so far; without axe-core, skips (fails under
        IMPACTCHECK_STRICT=1) once the test's own assertions have passed."""
        require(self.source is not None, f"axe-core not installed ({AXE.relative_to(ROOT)} missing: run `npm ci`)")
        found, self.found = self.found, []
        assert not found, f"axe: {len(found)} serious or critical violation(s):\n" + "\n".join(found)


@pytest.fixture(scope="module")
def axe_source() -> str | None:
    return AXE.read_text(encoding="utf-8") if AXE.is_file() else None


@pytest.fixture
def axe(axe_source):
    checker = Axe(axe_source)
    yield checker
    if checker.checked:
        print(f"\naxe checked {len(checker.checked)} page views: {', '.join(checker.checked)}")


@pytest.fixture
def live(backend, tmp_path):
    """The app on a real HTTP port, with only the first-start admin account (as after `impactcheck serve`)."""
    name, fresh = backend
    url = fresh()
    prepared = prepare(_config(url, tmp_path), create_admin=False)
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
    """A page plus screenshots of every page at both widths, each checked by axe when given."""

    def __init__(self, page, prefix: str, axe: Axe | None = None):
        self.page = page
        self.prefix = prefix
        self.axe = axe
        self.count = 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.wait_for_load_state("networkidle")  # scripts and styles come separately
        for width, height in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(path=str(SHOTS / f"{self.prefix}-{self.count:02d}-{name}-{width}.png"), full_page=True)
            if self.axe is not None:
                self.axe.check(self.page, name)
        self.page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})

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


NO_TOPICS = dict.fromkeys(TOPICS, False)
PAPER_EXIT = {
    "reference": "101.26.0933",
    "title": "Umbenennung der Kurfürstenstraße in Luise-Fischer-Straße",
    "department": "Vermessung und Geoinformation",
    "committee": "Ortsbeirat Mitte",
}
PAPER_HEATING = {
    "reference": "101.26.0601",
    "title": "Ersatz der Heizungsanlage in der Kita Wolfsanger",
    "department": "Amt für Hochbau und Gebäudebewirtschaftung",
    "committee": "Bau- und Planungsausschuss",
}
# A worn-out gas boiler replaced by a new gas boiler: negative; the alternative is a heat pump.
HEATING = {
    "entscheidung_art": "massnahme",
    **NO_TOPICS,
    "betrifft_gebaeude": True,
    "geb_massnahme": "heizungstausch",
    "geb_nutzung": "kita",
    "geb_flaeche_m2": 950,
    "heizung_neu": "gas",
    "heizung_alt": "gas",
}
# A replacement building twice the size of the containers it replaces: positive, but only just.
FRAGILE = {
    "entscheidung_art": "massnahme",
    **NO_TOPICS,
    "betrifft_gebaeude": True,
    "geb_massnahme": "neubau",
    "geb_bezug": "ersetzt",
    "geb_nutzung": "kita",
    "geb_flaeche_m2": 1200,
    "geb_flaeche_alt_m2": 600,
    "geb_standard": "eg40",
    "heizung_neu": "waermepumpe",
    "heizung_alt": "gas",
    "geb_pv": "nein",
}


class Loads:
    """Counts the pages the browser loads (every document, after redirects)."""

    def __init__(self, page):
        self.n = 0
        page.on("load", lambda _page: self._count())

    def _count(self) -> None:
        self.n += 1

    def since(self, start: int) -> int:
        return self.n - start


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def new_check(walk: Walk, base: str, paper: dict, name: str, prefilled: bool = False) -> None:
    page = walk.page
    page.goto(f"{base}/klimachecks")
    page.get_by_role("link", name="Neuen Klimacheck beginnen").click()
    page.wait_for_load_state()
    start_paper(walk, paper, name, prefilled)


def start_paper(walk: Walk, paper: dict, name: str, prefilled: bool = False) -> None:
    page = walk.page
    page.get_by_label("Drucksachen-Nummer").fill(paper["reference"])
    page.get_by_label("Titel der Vorlage").fill(paper["title"])
    if not prefilled:
        page.get_by_label("Einbringendes Amt").fill(paper["department"])
        page.get_by_label("Gremium").fill(paper["committee"])
    walk.shot(f"{name}-vorlage")
    page.get_by_role("button", name="Weiter").click()
    page.wait_for_load_state()


def new_author(page, base: str, username: str, password: str, walk: Walk | None = None) -> None:
    """The admin from the first start creates an author's account; the author logs in."""
    login(page, base, "admin", ADMIN_PASSWORD)
    assert page.url.endswith("/admin/benutzer")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Name", exact=True).fill("Anna Meier")
    page.get_by_label("Rolle").select_option("author")
    page.get_by_label("Erstes Passwort").fill(password)
    if walk:
        walk.shot("admin-benutzer")
    page.get_by_role("button", name="Konto anlegen").click()
    # Waits for the page after the redirect (read at once, content() can catch the navigation midway).
    page.get_by_text(f"Das Konto „{username}“ ist angelegt.").wait_for(timeout=15_000)
    page.get_by_role("button", name="Abmelden").click()
    login(page, base, username, password)
    assert page.url.endswith("/klimachecks")


def test_main_paths_with_page_loads(chromium, live, axe):
    """Quick exit in ≤ 5 page loads, the one-click "none of these", a fragile verdict shown end to end,
    and a negative check with its alternative in ≤ 12 page loads."""
    base, backend_name = live
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A console error would be, e.g., a script or style the Content-Security-Policy blocked.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    walk = Walk(page, f"{backend_name}", axe)
    loads = Loads(page)
    new_author(page, base, "a.meier", "meier-passwort-2026", walk)
    walk.shot("meine-leer")

    # 1. Not relevant, from the list of checks to the result: the kind of decision exits at once.
    page.goto(f"{base}/klimachecks")
    start = loads.n
    page.get_by_role("link", name="Neuen Klimacheck beginnen").click()
    page.wait_for_load_state()
    start_paper(walk, PAPER_EXIT, "exit")
    assert "Schritt 1 von 1" in walk.heading()
    page.locator('input[name="entscheidung_art"][value="formal"]').check()
    expect(page.locator("#q-betrifft_gebaeude")).to_be_hidden()  # a formal decision asks no topics
    walk.shot("exit-vorpruefung")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator('input[name="exit_reason"][value="formal"]')).to_be_checked()  # suggested by the kind
    page.get_by_label("Erläutern Sie das in einem Satz.").fill("Nur der Straßenname ändert sich.")
    walk.shot("exit-grund")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    walk.shot("exit-pruefen")
    page.get_by_role("button", name="Klimacheck einreichen").click()
    page.wait_for_load_state()
    assert "Ergebnis: nicht klimarelevant" in page.content()
    counted = {"quick exit": loads.since(start)}
    assert counted["quick exit"] <= 5, counted
    walk.shot("exit-ergebnis")

    # 2. "None of these topics" in one click; department and committee come from the last check.
    page.goto(f"{base}/klimachecks")
    start = loads.n
    page.get_by_role("link", name="Neuen Klimacheck beginnen").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Einbringendes Amt")).to_have_value(PAPER_EXIT["department"])
    expect(page.get_by_label("Gremium")).to_have_value(PAPER_EXIT["committee"])
    start_paper(walk, {**PAPER_EXIT, "reference": "101.26.0934", "title": "Stellenplan 2027"}, "keins", True)
    page.locator('input[name="entscheidung_art"][value="massnahme"]').check()
    page.get_by_role("button", name="Keines dieser Themen ist betroffen").click()
    page.wait_for_load_state()
    assert "Keine Klimarelevanz" in walk.heading()
    page.locator('input[name="exit_reason"][value="personal"]').check()
    page.get_by_label("Erläutern Sie das in einem Satz.").fill("Der Stellenplan ändert nur Stellen.")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Klimacheck einreichen").click()
    page.wait_for_load_state()
    assert "Ergebnis: nicht klimarelevant" in page.content()
    counted["none of these"] = loads.since(start)
    assert counted["none of these"] <= 5, counted

    # 3. A fragile verdict: said on the review page and the result page, in plain German.
    new_check(
        walk,
        base,
        {**PAPER_HEATING, "reference": "101.26.0701", "title": "Ersatzneubau Kita Forstfeld"},
        "fragil",
        prefilled=False,
    )
    walk.wizard(FRAGILE, "fragil")
    content = page.content()
    assert "Das Ergebnis ist nicht robust." in content
    assert "Ihr Ergebnis hängt an der Angabe „Fläche: 1.200 m²“" in content
    walk.shot("fragil-pruefen")
    page.get_by_role("button", name="Klimacheck einreichen").click()
    page.wait_for_load_state()
    expect(page.locator("#fragile")).to_contain_text("Ihr Ergebnis hängt an der Angabe")
    expect(page.locator(".verdict__label").first).to_contain_text("nicht robust")
    walk.shot("fragil-ergebnis")

    # 4. Negative: the alternative starts from one page with the proposal's answers; only what differs.
    page.goto(f"{base}/klimachecks")
    start = loads.n
    page.get_by_role("link", name="Neuen Klimacheck beginnen").click()
    page.wait_for_load_state()
    start_paper(walk, PAPER_HEATING, "negativ")
    walk.wizard(HEATING, "negativ")
    assert page.get_by_role("button", name="Klimacheck einreichen").count() == 0
    walk.shot("negativ-pruefen")
    page.get_by_role("link", name="Alternative beschreiben und bewerten").click()
    page.wait_for_load_state()
    page.get_by_label("Beschreibung der Alternative").fill("Luft-Wasser-Wärmepumpe statt Gaskessel.")
    assert "Nur die Heizung wird erneuert" in page.content()  # the proposal's answers, ready to change
    walk.shot("negativ-alternative")
    page.get_by_role("button", name="Ändern Gebäude").click()
    page.wait_for_load_state()
    assert walk.heading().startswith("Alternative")
    expect(page.locator('input[name="heizung_neu"][value="gas"]')).to_be_checked()
    page.locator('input[name="heizung_neu"][value="waermepumpe"]').check()
    walk.shot("alternative-gebaeude")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    assert "/pruefen" in page.url
    assert "Ursprünglicher Vorschlag" in page.content()
    walk.shot("alternative-pruefen")
    page.get_by_role("button", name="Klimacheck einreichen").click()
    page.wait_for_load_state()
    content = page.content()
    assert "Ergebnis: negativ" in content and "Ergebnis: positiv" in content
    counted["negative with alternative"] = loads.since(start)
    assert counted["negative with alternative"] <= 12, counted
    print("\npage loads:", ", ".join(f"{path} {n}" for path, n in counted.items()))
    walk.shot("negativ-ergebnis")
    # The sector chart is drawn inline (SVG, no image request): one bar per sector with a score.
    chart = page.locator(".chart svg")
    assert chart.count() == 1 and chart.locator("rect").count() > 0

    # The climate department finds the fragile check with the register's filter.
    page.get_by_role("button", name="Abmelden").click()
    login(page, base, "admin", ADMIN_PASSWORD)
    page.get_by_label("Benutzername").fill("k.stelle")
    page.get_by_label("Rolle").select_option("climate")
    page.get_by_label("Erstes Passwort").fill("klima-passwort-2026")
    page.get_by_role("button", name="Konto anlegen").click()
    page.get_by_role("button", name="Abmelden").click()
    login(page, base, "k.stelle", "klima-passwort-2026")
    page.goto(f"{base}/register")
    page.get_by_label("nur nicht robuste Ergebnisse").check()
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_load_state()
    body = page.locator("table tbody")
    expect(body).to_contain_text("101.26.0701")  # the fragile replacement building
    expect(body).not_to_contain_text("101.26.0933")  # a quick exit is never fragile
    expect(body.locator("tr").first).to_contain_text("nicht robust")
    walk.shot("register-fragil")
    assert not errors, errors
    axe.assert_clean()


def test_same_page_question_appears_with_its_condition(chromium, live):
    base, _ = live
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    new_author(page, base, "b.schulz", "schulz-passwort-2026")
    walk = Walk(page, "bedingung")
    new_check(walk, base, PAPER_HEATING, "bedingung")
    topics = page.locator("#q-betrifft_gebaeude")
    expect(topics).to_be_hidden()  # the topics follow the kind of decision
    page.locator('input[name="entscheidung_art"][value="massnahme"]').check()
    expect(topics).to_be_visible()
    walk.fill_step({k: k == "betrifft_gebaeude" for k in NO_TOPICS})
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_url("**/schritt/gebaeude")
    standard = page.locator("#q-geb_standard")
    expect(standard).to_be_hidden()  # hidden (by the server already) until the kind of work is known
    page.locator('input[name="geb_massnahme"][value="neubau"]').check()
    expect(standard).to_be_visible()
    page.locator('input[name="geb_massnahme"][value="anmietung"]').check()
    expect(standard).to_be_hidden()
    # An error keeps what was typed and the summary links to the question.
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator('input[name="geb_massnahme"][value="anmietung"]')).to_be_checked()
    page.locator('.error-summary a[href="#q-heizung_neu"]').click()
    expect(page).to_have_url(re.compile(r"#q-heizung_neu$"))


# --- what a new user hit (issue 9, point 6) and axe on every other page -----------------------------


def make_accounts(page, base: str, accounts: dict[str, str]) -> None:
    """The admin creates accounts ({username: role}); each is sent with Enter in the password field,
    which must mean "Konto anlegen"."""
    login(page, base, "admin", ADMIN_PASSWORD)
    for username, role in accounts.items():
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Name", exact=True).fill(username.replace(".", " ").title())
        page.get_by_label("Rolle").select_option(role)
        page.get_by_label("Erstes Passwort").fill(f"{username}-passwort-2026")
        page.get_by_label("Erstes Passwort").press("Enter")
        page.wait_for_load_state()
        expect(page.locator(".notice--success")).to_contain_text(f"Das Konto „{username}“ ist angelegt.")
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_load_state()


def login_as(page, base: str, username: str) -> None:
    login(page, base, username, f"{username}-passwort-2026")


FOCUS = """() => { const el = document.activeElement; const r = el.getBoundingClientRect();
    return {id: el.id, cls: el.className, text: el.innerText.slice(0, 200),
            top: r.top, bottom: r.bottom, height: window.innerHeight}; }"""


def assert_focused_in_view(page, element_id: str, text: str) -> None:
    """The error (or warning) has the focus, and its top is on the screen (not thousands of pixels away)."""
    focus = page.evaluate(FOCUS)
    assert focus["id"] == element_id, focus
    assert text in focus["text"], focus
    assert 0 <= focus["top"] < focus["height"] - 40, focus


def exit_check(page, base: str, paper: dict) -> None:
    """A check that exits in the screening, from "Neuen Klimacheck beginnen" to its result page."""
    page.goto(f"{base}/klimachecks/neu")
    for label, key in (("Drucksachen-Nummer", "reference"), ("Titel der Vorlage", "title")):
        page.get_by_label(label).fill(paper[key])
    page.get_by_label("Einbringendes Amt").fill(paper["department"])
    page.get_by_label("Gremium").fill(paper["committee"])
    page.get_by_role("button", name="Weiter").click()
    page.wait_for_load_state()
    page.locator('input[name="entscheidung_art"][value="formal"]').check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("Erläutern Sie das in einem Satz.").fill("Nur der Straßenname ändert sich.")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Klimacheck einreichen").click()
    page.wait_for_load_state()
    assert "Ergebnis: nicht klimarelevant" in page.content()


def test_enter_in_a_field_goes_on(chromium, live, axe):
    """Enter in a text or number field means "Weiter" (it was the "Zurück" link at the top)."""
    base, _ = live
    page = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900}).new_page()
    make_accounts(page, base, {"e.enter": "author"})
    login_as(page, base, "e.enter")
    # The paper form: Enter in the title.
    page.goto(f"{base}/klimachecks/neu")
    page.get_by_label("Drucksachen-Nummer").fill(PAPER_HEATING["reference"])
    page.get_by_label("Einbringendes Amt").fill(PAPER_HEATING["department"])
    page.get_by_label("Gremium").fill(PAPER_HEATING["committee"])
    page.get_by_label("Titel der Vorlage").fill(PAPER_HEATING["title"])
    page.get_by_label("Titel der Vorlage").press("Enter")
    page.wait_for_url("**/schritt/vorpruefung")
    walk = Walk(page, "enter")
    walk.fill_step(FRAGILE)
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_url("**/schritt/gebaeude")
    # A number field: Enter saves the step and goes on to the next one (here the review page).
    walk.fill_step(FRAGILE)
    area = page.locator("#geb_flaeche_m2")
    area.focus()
    area.press("Enter")
    page.wait_for_url("**/pruefen")
    assert "Prüfen Sie Ihre Angaben" in walk.heading()
    # On the phone, changing the number from the review page ("Ändern"): Enter leads back to it.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator('a[href$="/schritt/gebaeude?zurueck=pruefen#q-geb_flaeche_m2"]').click()
    page.wait_for_url("**/schritt/gebaeude?zurueck=pruefen*")
    area = page.locator("#geb_flaeche_m2")
    area.fill("1.150")
    area.press("Enter")
    page.wait_for_url(re.compile(r"/pruefen(#.*)?$"))  # the link's #q-… goes along through the redirect
    expect(page.locator("main")).to_contain_text("1.150 m²")
    axe.check_widths(page, "pruefen")
    axe.assert_clean()


def test_errors_take_the_focus_where_they_are_and_axe_on_every_page(chromium, live, axe):
    """After an error the message has the focus where the person acted (paper form, the upload and the
    review form at the end of the long result page, the duplicate warning); and every page of the app
    not walked above passes axe at both widths."""
    base, _ = live
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A console error is, e.g., a script or style the CSP refused; an error page's own status is not one.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource: the server responded")
            else None
        ),
    )
    page.goto(f"{base}/login")
    axe.check_widths(page, "login")
    page.get_by_label("Benutzername").fill("admin")
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    axe.check_widths(page, "login-fehler")
    login(page, base, "admin", ADMIN_PASSWORD)
    page.get_by_role("button", name="Konto anlegen").click()  # nothing filled in
    page.wait_for_load_state()
    assert_focused_in_view(page, "error-summary", "Bitte geben Sie einen Benutzernamen an.")
    axe.check_widths(page, "benutzer-fehler")
    page.get_by_role("button", name="Abmelden").click()
    make_accounts(page, base, {"f.autor": "author", "f.klima": "climate", "f.rat": "council"})

    # The paper form: the error summary takes the focus.
    login_as(page, base, "f.autor")
    axe.check_widths(page, "meine-leer")
    page.goto(f"{base}/klimachecks/neu")
    page.get_by_label("Drucksachen-Nummer").fill(PAPER_EXIT["reference"])
    page.get_by_role("button", name="Weiter").click()
    page.wait_for_load_state()
    assert_focused_in_view(page, "error-summary", "Bitte geben Sie den Titel der Vorlage an.")
    axe.check_widths(page, "vorlage-fehler")
    exit_check(page, base, PAPER_EXIT)
    result_url = page.url
    axe.check_widths(page, "ergebnis-autor")

    # The upload at the end of the result page: the message there, with the focus, at both widths.
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(result_url)
        page.locator("#annex-end").check()
        page.locator("#paper").set_input_files(
            files=[{"name": "vorlage.docx", "mimeType": "application/octet-stream", "buffer": b"kein Word"}]
        )
        page.get_by_role("button", name="Vorlage mit Klimacheck herunterladen").click()
        page.wait_for_load_state()
        assert_focused_in_view(page, "upload-error-summary", "vorlage.docx")
        expect(page.locator("#annex-end")).to_be_checked()
        axe.check(page, "ergebnis-upload-fehler")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The same paper again: the warning names the check, takes the focus; "Trotzdem" goes on.
    page.goto(f"{base}/klimachecks/neu")
    page.get_by_label("Drucksachen-Nummer").fill(PAPER_EXIT["reference"].upper() + " ")
    page.get_by_label("Titel der Vorlage").fill("Zweiter Versuch")
    page.get_by_role("button", name="Weiter").click()
    page.wait_for_load_state()
    assert page.url.endswith("/klimachecks/neu"), page.url  # not on to the first step
    assert_focused_in_view(page, "schon-begonnen", PAPER_EXIT["title"])
    axe.check_widths(page, "vorlage-schon-begonnen")
    page.get_by_role("button", name="Trotzdem neu beginnen").click()
    page.wait_for_url("**/schritt/vorpruefung")
    axe.check_widths(page, "schritt-1")
    # … and that second draft is deleted again, after the question.
    draft_url = page.url.rsplit("/schritt/", 1)[0]
    page.goto(f"{draft_url}/pruefen")
    page.get_by_role("link", name="Entwurf löschen").click()
    page.wait_for_load_state()
    assert "Entwurf löschen?" in walk_heading(page)
    axe.check_widths(page, "entwurf-loeschen")
    page.get_by_role("button", name="Entwurf endgültig löschen").click()
    page.wait_for_url("**/klimachecks")
    expect(page.locator(".notice--success")).to_contain_text("ist gelöscht")
    expect(page.locator("table")).not_to_contain_text("Zweiter Versuch")
    axe.check_widths(page, "meine-klimachecks")
    page.goto(f"{base}/klimachecks/999999")
    axe.check_widths(page, "fehler-404")
    page.goto(f"{base}/register")
    axe.check_widths(page, "fehler-403")
    for path, name in (("/beschluesse-nachtragen", "beschluesse-nachtragen"),):
        page.goto(base + path)
        axe.check_widths(page, name)
    page.get_by_role("button", name="Abmelden").click()

    # The climate department: the review form at the end of the result page.
    login_as(page, base, "f.klima")
    page.goto(result_url)
    axe.check_widths(page, "ergebnis-klimaschutzstelle")
    page.get_by_role("button", name="Entscheidung speichern").click()
    page.wait_for_load_state()
    assert_focused_in_view(page, "review-error-summary", "Bitte wählen Sie eine Entscheidung.")
    axe.check_widths(page, "pruefung-fehler")
    for path, name in (
        ("/register", "register"),
        ("/register?status=submitted&q=umbenennung&votum=not_relevant", "register-gefiltert"),
        ("/uebersicht", "uebersicht"),
        ("/beschluesse-nachtragen", "beschluesse-nachtragen-klima"),
        (result_url.replace(base, "") + "/beschluss", "beschluss-eintragen"),
    ):
        page.goto(base + path)
        assert page.locator("h1").count() == 1, path
        axe.check_widths(page, name)
    page.get_by_role("button", name="Beschluss speichern").click()  # nothing chosen: the form's errors
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_be_visible()
    axe.check_widths(page, "beschluss-fehler")
    page.get_by_role("button", name="Abmelden").click()

    # A councillor: the check without the author's upload, the register, the overview.
    login_as(page, base, "f.rat")
    page.goto(result_url)
    assert page.get_by_label("In Ihre Vorlage einfügen").count() == 0
    expect(page.get_by_role("link", name="Klimacheck-Abschnitt als Word-Datei")).to_be_visible()
    axe.check_widths(page, "ergebnis-rat")
    for path, name in (("/register", "register-rat"), ("/uebersicht", "uebersicht-rat")):
        page.goto(base + path)
        axe.check_widths(page, name)
    axe.assert_clean()
    assert not errors, errors


def test_a_recorded_decision_is_found_in_register_overview_and_excel(chromium, live, axe, tmp_path):
    """The climate department records the council's decision, filters the register by it, downloads the
    filtered register as XLSX (opened with openpyxl) and finds the decision in the overview."""
    import openpyxl

    base, _ = live
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    login(page, base, "admin", ADMIN_PASSWORD)
    page.get_by_role("button", name="Abmelden").click()
    make_accounts(page, base, {"w.autor": "author", "w.klima": "climate"})
    login_as(page, base, "w.autor")
    exit_check(page, base, PAPER_EXIT)
    result_url = page.url
    page.get_by_role("button", name="Abmelden").click()

    login_as(page, base, "w.klima")
    page.goto(result_url)
    page.get_by_role("link", name="Beschluss eintragen").click()
    page.wait_for_load_state()
    page.get_by_label("beschlossen wie vorgeschlagen").check()
    page.get_by_label("Datum des Beschlusses").fill("2026-11-24")
    page.get_by_label("nein", exact=True).check()
    page.get_by_role("button", name="Beschluss speichern").click()
    page.wait_for_url(result_url)
    expect(page.locator("main")).to_contain_text("beschlossen wie vorgeschlagen")

    page.goto(f"{base}/register")
    page.locator("details summary").first.click()
    page.get_by_label("Beschluss des Rates").select_option("adopted")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_load_state()
    assert "beschluss=adopted" in page.url
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(PAPER_EXIT["reference"])
    axe.check_widths(page, "register-nach-beschluss")
    with page.expect_download() as download:
        page.get_by_role("link", name="Als Excel herunterladen").click()
    target = tmp_path / "register.xlsx"
    download.value.save_as(target)
    sheet = openpyxl.load_workbook(target, read_only=True).active
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == 1, lines
    row = dict(zip(header, lines[0], strict=True))
    assert row["Drucksache"] == PAPER_EXIT["reference"] and row["Beschluss"] == "beschlossen wie vorgeschlagen"

    page.goto(f"{base}/uebersicht?zeitraum=alle")
    adopted = page.locator("#ov-t-outcomes tr", has_text="beschlossen wie vorgeschlagen")
    expect(adopted).to_have_count(1)
    expect(adopted.locator("td").first).to_have_text("1")
    axe.check_widths(page, "uebersicht-mit-beschluss")
    axe.assert_clean()
    context.close()


def walk_heading(page) -> str:
    return page.locator("h1").inner_text()


def test_axe_reports_what_it_should(chromium, live, axe):
    """The check itself works: an unnamed image and a scroll box out of keyboard reach are reported."""
    require(axe.source is not None, f"axe-core not installed ({AXE.relative_to(ROOT)} missing: run `npm ci`)")
    base, _ = live
    page = chromium.new_context(locale="de-DE", viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{base}/login")
    page.evaluate(
        """() => { const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<img src="/static/favicon.svg">'
          + '<div id="box" style="overflow-x:auto;width:100px"><p style="width:900px">'
          + 'breit '.repeat(50) + '</p></div>'); }"""
    )
    axe.check(page, "kaputt")
    found, axe.found = "\n".join(axe.found), []
    assert "image-alt (critical)" in found, found
    assert "scrollable-region-focusable (serious)" in found, found


def test_a_councillor_checks_the_code_of_a_paper_and_follows_their_committees(chromium, live, axe, tmp_path):
    """The code from the downloaded Word section, typed into /pruefen (reached from the footer, without
    login) as a reader types it, is confirmed; a mistyped one is refused at its field. A councillor
    names their committee and finds the check under "Vorlagen meiner Ausschüsse"."""
    import io

    from docx import Document
    from docx.oxml.ns import qn

    base, _ = live
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    make_accounts(page, base, {"p.autor": "author", "p.rat": "council"})
    login_as(page, base, "p.autor")
    exit_check(page, base, PAPER_EXIT)
    with page.expect_download() as download:
        page.get_by_role("link", name="Klimacheck-Abschnitt als Word-Datei").click()
    target = tmp_path / "abschnitt.docx"
    download.value.save_as(target)
    body = Document(io.BytesIO(target.read_bytes())).element.body
    texts = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]
    line = next(m for t in texts if (m := re.search(r"Klimacheck Nr\. (\d+-\d+) · .*Prüfcode (\S{4}-\S{4})", t)))
    number, code = line.groups()
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="Prüfcode eines Klimachecks prüfen").click()
    page.wait_for_load_state()
    axe.check_widths(page, "pruefcode-leer")
    page.get_by_label("Prüfcode", exact=True).fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Prüfen").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Der Prüfcode ist echt.")
    expect(page.locator("main")).to_contain_text(PAPER_EXIT["title"])
    expect(page.locator(".summary-list")).to_contain_text(number)
    axe.check_widths(page, "pruefcode-echt")
    forged = code[:-1] + ("0" if code[-1] != "0" else "1")
    page.get_by_label("Prüfcode", exact=True).fill(forged)
    page.get_by_role("button", name="Prüfen").click()
    page.wait_for_load_state()
    assert_focused_in_view(page, "error-summary", "Kein Klimacheck mit diesem Prüfcode.")
    expect(page.get_by_label("Prüfcode", exact=True)).to_have_attribute("aria-invalid", "true")
    axe.check_widths(page, "pruefcode-falsch")

    login_as(page, base, "p.rat")
    page.get_by_role("link", name="Vorlagen meiner Ausschüsse").click()
    page.wait_for_load_state()
    axe.check_widths(page, "ausschuesse-leer")
    page.get_by_role("link", name="Meine Ausschüsse angeben").click()
    page.wait_for_load_state()
    page.get_by_label(PAPER_EXIT["committee"]).check()
    axe.check_widths(page, "ausschuesse-einstellen")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/meine-ausschuesse")
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody tr").first).to_contain_text(PAPER_EXIT["reference"])
    axe.check_widths(page, "ausschuesse-liste")
    page.get_by_role("link", name=PAPER_EXIT["reference"]).click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name=re.compile("neue Revision|Entscheidung speichern")).count() == 0
    axe.assert_clean()
    context.close()


# --- the same three paths in English (issue 11, point 5) --------------------------------------------

# Words that give a German text away (checked in visible text after taking out what is allowed to stay
# German): function words no English sentence has, the app's own nouns, and the German letters.
GERMAN_WORDS = re.compile(
    r"\b(?:der|die|das|und|nicht|ist|sind|ein|eine|einen|mit|für|oder|von|zu|zum|zur|auf|bei|Sie|Ihr|Ihre|"
    r"wird|werden|kein|keine|noch|nach|über|wie|sich|dem|den|des|im|vom|am|Klimacheck|Klimachecks|Vorlage|"
    r"Ergebnis|Schritt|Weiter|Zurück|Jahr|Jahre|Prüfcode|Amt|Gremium|Regelwerk|Entwurf|eingereicht)\b"
    r"|[äöüÄÖÜß]"
)


def rule_set_texts_without_english(ruleset_id: str) -> set[str]:
    """The rule set's own texts that may stay German on an English page: every text of the rule set
    except those with an English sibling (`text` beside a non-empty `text_en`; `labels_en` per value)."""
    from impactcheck.core.registry import resolve_ruleset

    allowed: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                english = value.get(f"{key}_en")
                if isinstance(item, str):
                    if not english:  # a text with an English sibling must not show on an English page
                        allowed.add(item)
                elif isinstance(item, dict) and isinstance(english, dict):
                    allowed.update(v for k, v in item.items() if isinstance(v, str) and not english.get(k))
                    walk({k: v for k, v in item.items() if not isinstance(v, str)})
                else:
                    walk(item)
        elif isinstance(value, list | tuple | set):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            allowed.add(value)

    walk(resolve_ruleset(ruleset_id).model_dump(mode="json"))
    import yaml

    for table in sorted((ROOT / "impactcheck" / "rules" / "factors").glob("*.yaml")):  # labels, sources
        walk(yaml.safe_load(table.read_text(encoding="utf-8")))
    return {t for t in allowed if t.strip()}


class EnglishCheck:
    """Collects German left on English pages: where, which word, in what sentence."""

    def __init__(self, allowed: set[str]):
        # Whole words only, longest first (a long allowed text goes out before a shorter one inside it);
        # a line of the page may hold several allowed texts, each taken out on its own.
        texts = sorted({t.strip() for t in allowed if len(t.strip()) > 1}, key=len, reverse=True)
        self.texts = texts
        self.allowed = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in texts))
        self.found: dict[str, set[str]] = {}

    def text(self, where: str, text: str) -> None:
        for line in text.splitlines():
            if line.strip().endswith("…") and any(t.startswith(line.strip()[:-1]) for t in self.texts):
                continue  # an allowed text shortened to fit (a chart's label)
            if GERMAN_WORDS.search(self.allowed.sub(" ", line)):
                self.found.setdefault(line.strip()[:160], set()).add(where)

    def page(self, page, name: str) -> None:
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en", (name, page.url)
        self.text(f"{name} ({page.url.split('/', 3)[-1]})", page.locator("body").inner_text())
        self.text(f"{name} <title>", page.title())

    def docx(self, name: str, content: bytes) -> None:
        import io

        from docx import Document
        from docx.oxml.ns import qn

        body = Document(io.BytesIO(content)).element.body
        lines = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]
        self.text(name, "\n".join(lines))

    def report(self) -> str:
        return "\n".join(f"  {line!r}  ← {', '.join(sorted(where))}" for line, where in sorted(self.found.items()))


def fill_answers(page, answers: dict) -> None:
    """As Walk.fill_step, with numbers typed without separators: the same in either language."""
    for group in page.locator("[data-question]").all():
        qid = group.get_attribute("data-question")
        if not group.is_visible() or qid not in answers:
            continue
        kind, value = group.get_attribute("data-type"), answers[qid]
        if kind == "yes_no":
            group.locator(f'input[value="{"ja" if value else "nein"}"]').check()
        elif kind in ("single_choice", "scale"):
            group.locator(f'input[value="{value}"]').check()
        elif kind == "multiple_choice":
            for box in group.locator("input[type=checkbox]").all():
                box.set_checked(box.get_attribute("value") in value)
        elif kind == "number":
            group.locator("input").fill(str(value))
        else:
            group.locator("textarea, input").first.fill(value)


def test_main_paths_in_english(chromium, live, tmp_path):
    """With the browser set to English the three paths (quick exit, a fragile positive check with numbers,
    a negative check with its alternative) run in English: no German left on any page or in the Word
    section, except what the test typed and the rule set's own texts that have no English."""
    base, _ = live
    typed = {"Anna Meier", "Nur der Straßenname ändert sich.", "Luft-Wasser-Wärmepumpe statt Gaskessel."}
    for paper in (PAPER_EXIT, PAPER_HEATING):
        typed.update(paper.values())
    typed.update({"Ersatzneubau Kita Forstfeld", "101.26.0701"})
    check = EnglishCheck(typed | rule_set_texts_without_english("kassel-2030"))
    context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()

    def log_in(username: str, password: str) -> None:
        page.goto(f"{base}/login")
        check.page(page, "login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    log_in("admin", ADMIN_PASSWORD)
    check.page(page, "users")
    page.locator("#username").fill("a.meier")
    page.locator("#display_name").fill("Anna Meier")
    page.locator("#role").select_option("author")
    page.locator("#password").fill("meier-passwort-2026")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".notice--success")).to_contain_text("has been created")
    check.page(page, "users-created")
    page.get_by_role("button", name="Log out").click()
    log_in("a.meier", "meier-passwort-2026")
    check.page(page, "my-checks-empty")

    def start(paper: dict, name: str) -> None:
        page.goto(f"{base}/klimachecks/neu")
        check.page(page, f"{name}-paper")
        for field in ("reference", "title", "department", "committee"):
            page.locator(f"#{field}").fill(paper[field])
        page.get_by_role("button", name="Next", exact=True).click()
        page.wait_for_load_state()

    def wizard(answers: dict, name: str) -> None:
        for _ in range(20):
            if page.url.endswith("/pruefen"):
                check.page(page, f"{name}-review")
                return
            assert re.search(r"Step \d+ of \d+", page.locator("h1").inner_text()), page.locator("h1").inner_text()
            fill_answers(page, answers)
            check.page(page, f"{name}-{page.url.rsplit('/', 1)[-1]}")
            page.get_by_role("button", name="Next", exact=True).click()
            page.wait_for_load_state()
        raise AssertionError("no review page")

    def submit(name: str) -> None:
        page.get_by_role("button", name="Submit the climate check").click()
        page.wait_for_load_state()
        assert re.search(r"/klimachecks/\d+$", page.url), page.url
        check.page(page, f"{name}-result")

    # 1. The quick exit.
    start(PAPER_EXIT, "exit")
    page.locator('input[name="entscheidung_art"][value="formal"]').check()
    check.page(page, "exit-screening")
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_load_state()
    page.locator('textarea[name="exit_explanation"], input[name="exit_explanation"]').fill(
        "Nur der Straßenname ändert sich."
    )
    check.page(page, "exit-reason")
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_load_state()
    check.page(page, "exit-review")
    submit("exit")

    # 2. A fragile positive check with numbers.
    start({**PAPER_HEATING, "reference": "101.26.0701", "title": "Ersatzneubau Kita Forstfeld"}, "fragile")
    wizard(FRAGILE, "fragile")
    submit("fragile")

    # 3. Negative, with its alternative; then the Word section of the result.
    start(PAPER_HEATING, "negative")
    wizard(HEATING, "negative")
    page.locator('a[href$="/alternative"]').first.click()
    page.wait_for_load_state()
    check.page(page, "alternative")
    page.locator("#description").fill("Luft-Wasser-Wärmepumpe statt Gaskessel.")
    page.locator('button[name="change"][value="gebaeude"]').click()
    page.wait_for_load_state()
    page.locator('input[name="heizung_neu"][value="waermepumpe"]').check()
    check.page(page, "alternative-building")
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_load_state()
    check.page(page, "alternative-review")
    submit("negative")
    with page.expect_download() as download:
        page.locator('a[href*="/klimacheck.docx"]').first.click()
    target = tmp_path / "section.docx"
    download.value.save_as(target)
    check.docx("Word section", target.read_bytes())
    context.close()
    assert not check.found, f"German left in the English interface ({len(check.found)} lines):\n{check.report()}"
