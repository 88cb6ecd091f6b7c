"""The climate budget (issue 12, points 2, 3 and 5): ~200 checks over two years, filed and decided
through the operations, against the municipality's target file; the page's figures recomputed here
independently from the database rows and the stored results; two municipalities with different
neutrality years; who may see the page; the outcome form's "Wirksam ab (Jahr)"; the target text kept
and audit-logged like a rule set."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from sqlalchemy import event, select

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.store import budget as budgets
from impactcheck.store import operations as ops
from impactcheck.store import targets
from impactcheck.store.models import AuditEntry, Check, Municipality, Revision, RulesetSnapshot
from tests.support import RULES
from tests.web.conftest import PASSWORD, ROLES, Browser, _config
from tests.web.test_overview import Clock, file_check

YEARS = (2024, 2025)  # the decisions' sessions
KASSEL = RULES / "kommunen" / "kassel" / "ziele" / "klimaziel.yaml"
LAUTERN = RULES / "kommunen" / "kaiserslautern" / "ziele" / "klimaziel.yaml"
# Readings of the robustness suite: with numbers (two with an alternative), without, and a quick exit.
WITH_NUMBERS = (
    "gasheizung-ersatz-kita/schaetzt",
    "parkhaus-neubau/schaetzt",
    "pv-schuldaecher/schaetzt",
    "radfahrstreifen/schaetzt",
    "fuhrpark-elektro/schaetzt",
    "led-strassenbeleuchtung/schaetzt",
    "ersatzneubau-kita/schaetzt",
    "kunstrasenplatz/schaetzt",
)
WITHOUT_NUMBERS = ("stadtfest/ohne-zahlen", "vereinsfoerderung/ohne-zahlen")
QUICK_EXIT = ("strassenumbenennung/ohne-zahlen",)
HAS_ALTERNATIVE = {"gasheizung-ersatz-kita/schaetzt", "parkhaus-neubau/schaetzt", "kunstrasenplatz/schaetzt"}
HOME_CHECKS = 200
LAUTERN_CHECKS = 24


def _outcome(i: int, example: str) -> str | None:
    """Every kind of decision, the alternative where there is one; some rejected, deferred, open."""
    kinds = ["adopted", "adopted_changed", "adopted_alternative", "rejected", "adopted", "deferred", None]
    kind = kinds[i % len(kinds)]
    if kind == "adopted_alternative" and example not in HAS_ALTERNATIVE:
        return "adopted"
    return kind


@dataclass
class World:
    app: Any
    rules: Path
    home_id: int
    lautern_id: int
    home_refs: list[str]
    lautern_refs: list[str]

    def browser(self, username: str) -> Browser:
        b = Browser(self.app.test_client())
        b.login(username)
        return b

    def session(self):
        return self.app.extensions["impactcheck.db"].session()


def _target_file(rules: Path, slug: str, source: Path) -> Path:
    file = targets.target_file(slug, rules)
    file.parent.mkdir(parents=True, exist_ok=True)
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"^municipality: \S+", f"municipality: {slug}", text, count=1, flags=re.M)
    file.write_text(text, encoding="utf-8")
    return file


def _decide(s, actor, check, i: int, example: str, year: int) -> None:
    outcome = _outcome(i, example)
    if outcome is None:
        return
    date = dt.date(year, 1 + i % 12, 1 + i % 27)
    effective = (None, year, year + 1, year + 3)[i % 4]
    ops.record_outcome(s, actor, check, ops.OutcomeData(outcome, date, "no", "", effective_year=effective))


@pytest.fixture(scope="module")
def world(backend, tmp_path_factory):
    """The home municipality (Kassel's target: −10 % a year, neutral 2030) with 200 checks of 2024 and
    2025; "lautern" (Kaiserslautern's: residual budget, neutral 2035) with its own; Nachbargemeinde
    without a target file. Built once per backend; the tests only read (or restore what they change)."""
    _, fresh = backend
    url = fresh()
    tmp = tmp_path_factory.mktemp("budget")
    rules = tmp / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("kommunen", "archive"))
    _target_file(rules, "default", KASSEL)
    _target_file(rules, "lautern", LAUTERN)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp / "i"),
            "RULES_DIR": str(rules),
        }
    )
    prepared = prepare({**_config(url, tmp), "RULES_DIR": str(rules)}, create_admin=False)
    clock = Clock()
    mp = pytest.MonkeyPatch()
    mp.setattr(ops, "utcnow", clock)
    mp.setattr(ops, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    try:
        with prepared.database.session() as s:
            home = s.get(Municipality, prepared.municipality_id)
            users = {
                role: ops.create_user(s, None, municipality=home, username=role, password=PASSWORD, role=role)
                for role in ROLES
            }
            lautern = ops.ensure_municipality(s, slug="lautern", name="Stadt Lautern", rulesets=["kassel-2030"])
            nachbar = ops.ensure_municipality(s, slug="nachbar", name="Nachbargemeinde", rulesets=["kassel-2030"])
            l_author = ops.create_user(
                s, None, municipality=lautern, username="l-autor", password=PASSWORD, role="author"
            )
            ops.create_user(s, None, municipality=lautern, username="l-klima", password=PASSWORD, role="climate")
            ops.create_user(s, None, municipality=nachbar, username="fremd", password=PASSWORD, role="climate")
            s.flush()
            pool = [*WITH_NUMBERS, *WITHOUT_NUMBERS, *QUICK_EXIT]
            home_refs, lautern_refs = [], []
            for i in range(HOME_CHECKS):
                year = YEARS[i * len(YEARS) // HOME_CHECKS]
                example = pool[i % len(pool)]
                clock.now = dt.datetime(year, 1 + i % 12, 1 + i % 27, 9, 0)
                reference = f"KB-{i:03d}"
                check = file_check(s, users["author"], example, reference=reference, title=f"Vorlage {reference}")
                home_refs.append(reference)
                clock.now = dt.datetime(year, 12, 31, 12, 0)
                _decide(s, users["climate"], check, i, example, year)
            for i in range(LAUTERN_CHECKS):
                year = YEARS[i % 2]
                example = WITH_NUMBERS[i % len(WITH_NUMBERS)]
                clock.now = dt.datetime(year, 3, 1 + i, 9, 0)
                reference = f"KL-{i:03d}"
                check = file_check(s, l_author, example, reference=reference, title=f"Lauterer Vorlage {reference}")
                lautern_refs.append(reference)
                clock.now = dt.datetime(year, 12, 31, 12, 0)
                _decide(s, l_author, check, i, example, year)
            s.commit()
            world = World(app, rules, home.id, lautern.id, home_refs, lautern_refs)
    finally:
        mp.undo()
        prepared.database.dispose()
    yield world
    app.extensions["impactcheck.db"].dispose()


# --- the independent recomputation ---------------------------------------------------------------


@dataclass
class Expected:
    years: dict[int, dict[str, float]]  # year -> budget sector -> t
    totals: dict[str, float]  # reference -> total over the lifetime
    without_numbers: set[str]
    not_relevant: int


def recompute(world: World, municipality_id: int, target: targets.ClimateTarget, first: int, last: int) -> Expected:
    """The budget from the rows: each check's outcome and effective year, its filed revision's whole
    stored Result (read as JSON in Python, not through the JSON path the store uses)."""
    variant_of = {"adopted": "proposal", "adopted_changed": "proposal", "adopted_alternative": "alternative"}
    years = {y: {} for y in range(first, last + 1)}
    totals, without, not_relevant = {}, set(), 0
    with world.session() as s:
        checks = s.scalars(select(Check).where(Check.municipality_id == municipality_id)).all()
        for check in checks:
            if check.outcome not in variant_of:
                continue
            revision = s.scalar(
                select(Revision).where(Revision.check_id == check.id, Revision.number == check.filed_number)
            )
            result = revision.result
            if result["verdict"] == "not_relevant":
                not_relevant += 1
                continue
            part = result["alternative"] if variant_of[check.outcome] == "alternative" else result
            emissions = part.get("emissions") or {}
            lines = [line for line in emissions.get("lines") or [] if line.get("counts", True)]
            if not lines:
                without.add(check.reference)
                continue
            start = check.effective_year or check.outcome_date.year
            life = emissions["lifetime_years"]
            total = 0.0
            for line in lines:
                sector = target.sector_of(line["sector"])
                if line["per"] == "once":
                    total += line["t_co2e_once"]
                    if start in years:
                        years[start][sector] = years[start].get(sector, 0.0) + line["t_co2e_once"]
                else:
                    total += line["t_co2e_per_year"] * life
                    for year in years:
                        share = min(1.0, max(0.0, start + life - year)) if year >= start else 0.0
                        years[year][sector] = years[year].get(sector, 0.0) + line["t_co2e_per_year"] * share
            totals[check.reference] = total
    return Expected(years, totals, without, not_relevant)


def number(text: str) -> float:
    """A figure as the page writes it ("+1.234", "−567", "0", "12,5 %") back to a float."""
    text = text.strip().replace("\u00a0%", "").replace("−", "-").replace(".", "").replace(",", ".")
    return float(text)


def page_table(html: str, table_id: str) -> list[list[str]]:
    doc = lxml.html.fromstring(html)
    rows = doc.get_element_by_id(table_id).xpath("./tbody/tr")
    return [[cell.text_content().strip() for cell in row.xpath("./th|./td")] for row in rows]


def _target(world: World, slug: str) -> targets.ClimateTarget:
    return targets.target_of(slug, world.rules)


# --- the tests ------------------------------------------------------------------------------------


def test_the_world_has_what_the_figures_rely_on(world):
    with world.session() as s:
        home = s.scalars(select(Check).where(Check.municipality_id == world.home_id)).all()
        assert len(home) == HOME_CHECKS and {c.outcome_date.year for c in home if c.outcome_date} == set(YEARS)
        kinds = {c.outcome for c in home}
        assert {"adopted", "adopted_changed", "adopted_alternative", "rejected", "deferred", None} <= kinds
        assert {c.effective_year for c in home} >= {None, 2024, 2025, 2026, 2027, 2028}


def test_the_page_figures_match_an_independent_recomputation(world):
    target = _target(world, "default")
    page = world.browser("climate").get("/klimabudget")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = page_table(html, "kb-t-years")
    shown_years = [int(r[0]) for r in rows]
    assert shown_years == list(range(shown_years[0], target.neutrality_year + 1))
    assert shown_years[0] == min(target.base_year + 1, 2024)
    expected = recompute(world, world.home_id, target, shown_years[0], shown_years[-1])
    cumulative = 0.0
    for year, allowed, effect, _share, summed, _n in rows:
        year = int(year)
        want = sum(expected.years[year].values())
        cumulative += want
        assert number(allowed) == pytest.approx(target.allowed_total_t(year), abs=0.5), year
        assert number(effect) == pytest.approx(want, abs=0.5 if abs(want) >= 0.5 else 0.05), year
        assert number(summed) == pytest.approx(cumulative, abs=0.6), year
    assert any(abs(sum(v.values())) >= 1 for v in expected.years.values())  # the figures are not all 0

    # Per sector, over all years shown.
    sectors = {r[0]: r for r in page_table(html, "kb-t-sectors")}
    for sector in target.sectors:
        want = sum(expected.years[y].get(sector.id, 0.0) for y in expected.years)
        assert number(sectors[sector.label][5]) == pytest.approx(want, abs=0.6), sector.id

    # Without numbers: counted and listed, never as zero; quick exits apart.
    doc = lxml.html.fromstring(html)
    assert int(doc.get_element_by_id("kb-without-numbers").text_content()) == len(expected.without_numbers)
    listed = {a.text_content() for a in doc.get_element_by_id("kb-without-list").xpath(".//a")}
    assert listed == expected.without_numbers and expected.without_numbers
    assert int(doc.get_element_by_id("kb-with-numbers").text_content()) == len(expected.totals)
    assert f"{expected.not_relevant} beschlossene Vorlagen waren nicht klimarelevant" in html

    # The decisions that move it most, both directions, with links to the checks.
    movers = page_table(html, "kb-t-movers")
    assert len(movers) == 10
    shown = {r[0] for r in movers}
    # The ten largest either way (equal checks tie: any of them may be shown).
    assert (
        min(abs(expected.totals[ref]) for ref in shown)
        >= max(abs(t) for ref, t in expected.totals.items() if ref not in shown) - 1e-6
    )
    assert any(expected.totals[ref] < 0 for ref in shown) or all(t >= 0 for t in expected.totals.values())
    magnitudes = [abs(number(r[7])) for r in movers]
    assert magnitudes == sorted(magnitudes, reverse=True)
    for row in movers:
        assert number(row[7]) == pytest.approx(expected.totals[row[0]], abs=0.6)
    with world.session() as s:
        first = s.scalar(select(Check).where(Check.reference == movers[0][0]))
    assert f'href="/klimachecks/{first.id}"' in html


def test_the_store_computes_the_same_in_one_statement(world):
    target = _target(world, "default")
    with world.session() as s:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            result = budgets.budget(s, world.home_id, target)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1, statements
    expected = recompute(world, world.home_id, target, result.years[0].year, result.years[-1].year)
    for year in result.years:
        for sector, t in year.effect_by_sector.items():
            assert t == pytest.approx(expected.years[year.year].get(sector, 0.0), abs=1e-6), (year.year, sector)
    assert {d.reference for d in result.without_numbers} == expected.without_numbers
    assert result.rule_sets == (f"kassel-2030 {_ruleset_version()}",)
    # Computed again: the same figures (from the stored results and outcomes only).
    with world.session() as s:
        assert budgets.budget(s, world.home_id, target) == result


def test_a_past_year_counts_only_the_decisions_made_by_then(world):
    target = _target(world, "default")
    with world.session() as s:
        everything = budgets.budget(s, world.home_id, target)
        until_2024 = budgets.budget(s, world.home_id, target, decided_by=dt.date(2024, 12, 31))
        dates = {
            c.reference: c.outcome_date for c in s.scalars(select(Check).where(Check.municipality_id == world.home_id))
        }
    kept = {d.reference for d in (*until_2024.decisions, *until_2024.without_numbers)}
    assert kept and kept < {d.reference for d in (*everything.decisions, *everything.without_numbers)}
    assert all(dates[ref].year == 2024 for ref in kept)


def test_the_figures_rest_on_the_stored_results_not_on_today_s_rules(world):
    """Every factor of today's table doubled: the budget and the page stay as they were."""
    target = _target(world, "default")
    browser = world.browser("climate")
    with world.session() as s:
        before = budgets.budget(s, world.home_id, target)
    page_before = page_table(browser.get("/klimabudget").get_data(as_text=True), "kb-t-years")
    factors = world.rules / "factors" / "de-2026.yaml"
    original = factors.read_text(encoding="utf-8")
    doubled = re.sub(r"(\n\s+value: )([0-9.]+)", lambda m: f"{m[1]}{float(m[2]) * 2:g}", original)
    assert doubled != original
    factors.write_text(doubled, encoding="utf-8")
    try:
        with world.session() as s:
            assert budgets.budget(s, world.home_id, target) == before
        assert page_table(browser.get("/klimabudget").get_data(as_text=True), "kb-t-years") == page_before
    finally:
        factors.write_text(original, encoding="utf-8")


def _ruleset_version() -> str:
    from impactcheck.core.registry import resolve_ruleset

    return resolve_ruleset("kassel-2030").version


def test_two_municipalities_have_their_own_paths_and_figures(world):
    home = world.browser("climate").get("/klimabudget").get_data(as_text=True)
    other = world.browser("l-klima").get("/klimabudget").get_data(as_text=True)
    kassel, lautern = _target(world, "default"), _target(world, "lautern")
    assert kassel.neutrality_year == 2030 and lautern.neutrality_year == 2035
    home_years = [int(r[0]) for r in page_table(home, "kb-t-years")]
    other_years = [int(r[0]) for r in page_table(other, "kb-t-years")]
    assert home_years[-1] == 2030 and other_years[-1] == 2035
    assert page_table(home, "kb-t-years")[home_years.index(2030)][1] == "0"
    assert number(page_table(other, "kb-t-years")[other_years.index(2030)][1]) > 0
    assert "Restbudget" in other and 'id="kb-residual"' in other and 'id="kb-residual"' not in home
    # No check of one municipality appears on the other's page.
    assert not any(ref in other for ref in world.home_refs)
    assert not any(ref in home for ref in world.lautern_refs)
    # Their figures are their own: recomputed from each one's rows.
    first = other_years[0]
    expected = recompute(world, world.lautern_id, lautern, first, other_years[-1])
    for row in page_table(other, "kb-t-years"):
        want = sum(expected.years[int(row[0])].values())
        assert number(row[2]) == pytest.approx(want, abs=0.5 if abs(want) >= 0.5 else 0.05)
    home_sectors = {r[0] for r in page_table(home, "kb-t-sectors")}
    other_sectors = {r[0] for r in page_table(other, "kb-t-sectors")}
    assert "Gebäude" in home_sectors and "Kommunale Einrichtungen" in other_sectors
    assert "Kommunale Einrichtungen" not in home_sectors


def test_who_sees_the_page_and_the_link(world):
    for role in ("climate", "council", "admin"):
        b = world.browser(role)
        assert b.get("/klimabudget").status_code == 200, role
        assert 'href="/klimabudget"' in b.get("/register").get_data(as_text=True), role
    author = world.browser("author")
    assert author.get("/klimabudget").status_code == 403
    assert 'href="/klimabudget"' not in author.get("/klimachecks").get_data(as_text=True)
    anonymous = Browser(world.app.test_client()).get("/klimabudget")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_charts_are_svg_under_the_csp_with_their_tables(world):
    response = world.browser("climate").get("/klimabudget")
    html = response.get_data(as_text=True)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    charts = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(charts) == 3
    for svg in charts:
        root = ET.fromstring(svg)  # well-formed
        assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title") is not None
        assert "style=" not in svg and "<script" not in svg
    # The path chart shows the same figures as the table beside it.
    desc = ET.fromstring(charts[0]).find("{http://www.w3.org/2000/svg}desc").text
    for year, allowed, *_rest in page_table(html, "kb-t-years"):
        assert f"{year}: {allowed}" in desc
    assert "<style" not in html and " style=" not in html and "onclick" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None


def test_without_a_target_file_the_page_explains_how_to_set_one_up(world):
    html = world.browser("fremd").get("/klimabudget").get_data(as_text=True)
    assert "Für Ihre Kommune ist noch kein Klimaziel hinterlegt." in html
    assert (
        "kommunen/nachbar/ziele/klimaziel.yaml" in html and "impactcheck targets check --municipality nachbar" in html
    )
    assert 'id="kb-t-years"' not in html


def test_a_bad_target_file_is_named_on_the_page_not_a_500(world):
    file = targets.target_file("nachbar", world.rules)
    file.parent.mkdir(parents=True, exist_ok=True)
    text = LAUTERN.read_text(encoding="utf-8").replace("municipality: kaiserslautern", "municipality: nachbar")
    file.write_text(text.replace("    base_t: 230000\n", "    base_t: -230000\n", 1), encoding="utf-8")
    try:
        response = world.browser("fremd").get("/klimabudget")
        html = response.get_data(as_text=True)
        line = next(i for i, t in enumerate(file.read_text().splitlines(), 1) if "-230000" in t)
        assert response.status_code == 200
        assert f"kommunen/nachbar/ziele/klimaziel.yaml, Zeile {line}:" in html and "negativ" in html
    finally:
        shutil.rmtree(file.parent)


def test_the_target_text_is_kept_and_audit_logged_once_per_version(world):
    world.browser("council").get("/klimabudget")
    world.browser("climate").get("/klimabudget")
    target = _target(world, "default")
    with world.session() as s:
        snapshot = s.get(RulesetSnapshot, target.sha256)
        assert snapshot is not None and snapshot.kind == "target" and snapshot.ident == "default"
        assert snapshot.content == Path(target.path).read_text(encoding="utf-8")
        entries = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "target.recorded", AuditEntry.municipality_id == world.home_id
            )
        ).all()
        assert [e.detail["sha256"] for e in entries] == [target.sha256]  # once, however often it is read
    # A new version of the file: recorded again, the earlier one named.
    file = Path(target.path)
    original = file.read_text(encoding="utf-8")
    file.write_text(original.replace('version: "2026.1"', 'version: "2026.2"'), encoding="utf-8")
    try:
        world.browser("climate").get("/klimabudget")
        newer = _target(world, "default")
        with world.session() as s:
            entries = s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "target.recorded", AuditEntry.municipality_id == world.home_id)
                .order_by(AuditEntry.id)
            ).all()
            assert [e.detail["sha256"] for e in entries] == [target.sha256, newer.sha256]
            assert entries[-1].detail["previous"] == target.sha256 and entries[-1].detail["version"] == "2026.2"
    finally:
        file.write_text(original, encoding="utf-8")


def test_the_report_link_waits_for_its_endpoint(world):
    html = world.browser("climate").get("/klimabudget").get_data(as_text=True)
    has_report = "report.download" in world.app.view_functions
    assert ("herunterladen (Word)" in html) == has_report


# --- the outcome form's "Wirksam ab (Jahr)" (a fresh database) -------------------------------------


def test_the_effective_year_is_recorded_validated_and_audited(app, db_session):
    from tests.web.flows import submit_example
    from tests.web.test_outcome import seen_token

    author = Browser(app.test_client())
    author.login("author")
    check_id = submit_example(author, "pv-schuldaecher/schaetzt")
    url = f"/klimachecks/{check_id}/beschluss"
    form = {"outcome": "adopted", "date": dt.date.today().isoformat(), "changed": "no", "note": ""}
    today = dt.date.today()
    for bad, words in (("20x7", "vierstellige Zahl"), (str(today.year - 1), "frühestens im Jahr des Beschlusses")):
        response = author.submit(url, {**form, "effective_year": bad})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and words in html, bad
        assert f'value="{bad}"' in html  # the input is kept
    assert author.submit(url, {**form, "effective_year": str(today.year + 40)}).status_code == 422
    assert author.submit(url, {**form, "effective_year": str(today.year + 2)}).status_code == 302
    db_session.expire_all()
    check = db_session.get(Check, check_id)
    assert check.effective_year == today.year + 2
    assert f'value="{today.year + 2}"' in author.get(url).get_data(as_text=True)  # shown to change it
    audit = db_session.scalars(
        select(AuditEntry).where(AuditEntry.check_id == check_id, AuditEntry.action == "check.outcome")
    ).all()
    assert audit[-1].detail["effective_year"] == today.year + 2
    # Emptied again (knowing the decision recorded): the decision's year counts.
    seen = seen_token(author.get(url).get_data(as_text=True))
    assert author.submit(url, {**form, "effective_year": "", "seen": seen}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Check, check_id).effective_year is None
    assert budgets.effective_year(db_session.get(Check, check_id)) == today.year
