"""The overview (Übersicht, issue 9 point 5): every figure from store/statistics.py and on the page, for
a known set of checks filed through the operations with a controlled clock; the period and the
register's filters; councillors count no drafts; other municipalities never count; the charts are
well-formed SVG with the same numbers as the tables beside them."""

from __future__ import annotations

import datetime as dt
import functools
import re
import statistics as pystats
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import lxml.html
import pytest
from sqlalchemy import select

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.core.numbers import format_number
from impactcheck.core.registry import resolve_ruleset
from impactcheck.store import listing, statistics
from impactcheck.store import operations as ops
from impactcheck.store.current import ADOPTED_VARIANT
from impactcheck.store.models import Check, CheckSector, Municipality, User
from impactcheck.web import svgchart
from tests.web.conftest import PASSWORD, ROLES, Browser, _config
from tests.web.flows import example

YEAR = dt.date.today().year
LAST = YEAR - 1
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


class Clock:
    def __init__(self):
        self.now = dt.datetime(YEAR, 1, 1, 8, 0)

    def __call__(self) -> dt.datetime:
        return self.now


def file_check(s, author: User, name: str, *, ruleset: str = "kassel-2030", submit: bool = True, **paper: Any) -> Check:
    """Start the example `name`, answer it (and its alternative) in one step each and submit it."""
    data = example(name, ruleset) if "/" in name else _flat_example(ruleset, name)
    rs = _loaded(ruleset)
    fields = {**data["paper"], **paper}
    check = ops.create_check(
        s,
        author,
        paper=ops.PaperData(fields["reference"], fields["title"], fields["department"], fields["committee"]),
        ruleset=rs,
    )
    revision = check.current
    answers = {k: v for k, v in data["answers"].items() if v is not None}
    ops.save_step(s, author, revision, step_id="alle", values=answers, expected_version=revision.version)
    if "alternative" in data:
        ops.set_alternative(
            s, author, revision, description=data["alternative"]["description"], expected_version=revision.version
        )
        alt = {k: v for k, v in {**data["answers"], **data["alternative"]["answers"]}.items() if v is not None}
        ops.save_step(
            s, author, revision, step_id="alle", values=alt, expected_version=revision.version, alternative=True
        )
    if submit:
        ops.submit(s, author, check, rs, expected_version=revision.version)
    s.flush()
    return check


@functools.lru_cache(maxsize=8)
def _loaded(ruleset: str):
    # Worlds of hundreds of checks: the shipped rule set parsed once, as the app's RulesetCache does.
    return resolve_ruleset(ruleset)


def _flat_example(ruleset: str, name: str) -> dict:
    import yaml

    from tests.support import RULES

    return yaml.safe_load((RULES / "examples" / ruleset / f"{name}.yaml").read_text(encoding="utf-8"))


# name -> (example, department, day of March the check is submitted, verdict it must have)
CHECKS = {
    "A": ("strassenumbenennung/ohne-zahlen", "Ordnungsamt", 2, "not_relevant"),  # exit: formal
    "B": ("stellenplan/ohne-zahlen", "Personalamt", 3, "not_relevant"),  # exit: personal
    "C": ("gebuehrensatzung-abfall/andere-lesart", "Ordnungsamt", 4, "not_relevant"),  # exit: formal
    "D": ("gasheizung-ersatz-kita/schaetzt", "Hochbauamt", 5, "negative"),  # 0,0 t; fragile
    "E": ("parkhaus-neubau/schaetzt", "Straßenverkehrsamt", 6, "negative"),
    "F": ("stadtfest/ohne-zahlen", "Kulturamt", 7, "negative"),  # no numbers; fragile
    "G": ("pv-schuldaecher/schaetzt", "Hochbauamt", 8, "positive"),
    "H": ("pv-schuldaecher/ohne-zahlen", "Hochbauamt", 9, "positive"),  # no numbers
    "I": ("baumpflanzprogramm/andere-lesart", "Umweltamt", 10, "positive"),  # no numbers; 1 open point
    "J": ("vereinsfoerderung/ohne-zahlen", "Kulturamt", 11, "neutral"),  # no numbers; by author2
}
# name -> (days from submission to review, decision)
REVIEWS = {"A": (1, "approve"), "D": (2, "approve"), "E": (4, "return"), "G": (10, "approve")}
# name -> (outcome, changed because of the check)
OUTCOMES = {
    "D": ("adopted_alternative", "yes"),
    "E": ("adopted", "no"),
    "G": ("adopted_changed", "partly"),
    "H": ("rejected", "no"),
}


@dataclass
class World:
    app: Any
    ids: dict[str, int]
    municipality_id: int

    def browser(self, username: str) -> Browser:
        b = Browser(self.app.test_client())
        b.login(username)
        return b

    def session(self):
        return self.app.extensions["impactcheck.db"].session()


@pytest.fixture(scope="module")
def world(backend, tmp_path_factory):
    """Checks of this year (March) and last year, reviewed and decided at known times; a draft; a
    submitted check of the neighbouring municipality. Built once per backend (read-only tests)."""
    _, fresh = backend
    url = fresh()
    tmp = tmp_path_factory.mktemp("overview")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "i")})
    prepared = prepare(_config(url, tmp), create_admin=False)
    clock = Clock()
    mp = pytest.MonkeyPatch()
    mp.setattr(ops, "utcnow", clock)
    mp.setattr(ops, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    try:
        with prepared.database.session() as s:
            municipality = s.get(Municipality, prepared.municipality_id)
            users = {
                name: ops.create_user(
                    s, None, municipality=municipality, username=name, password=PASSWORD, role=role, display_name=name
                )
                for name, role in [*((r, r) for r in ROLES), ("author2", "author")]
            }
            other = ops.ensure_municipality(s, slug="nachbar", name="Nachbargemeinde", rulesets=["schnellcheck"])
            fremd = ops.create_user(s, None, municipality=other, username="fremd", password=PASSWORD, role="climate")
            s.flush()
            ids = {}
            for name, (ex, department, day, _verdict) in CHECKS.items():
                clock.now = dt.datetime(YEAR, 3, day, 9, 0)
                owner = users["author2" if name == "J" else "author"]
                check = file_check(s, owner, ex, reference=f"OV-{name}", department=department)
                ids[name] = check.id
                if name in REVIEWS:
                    days, decision = REVIEWS[name]
                    clock.now += dt.timedelta(days=days)
                    comment = "Bitte die Zahlen prüfen." if decision == "return" else ""
                    version = ops.latest_submitted(check).version
                    ops.review(s, users["climate"], check, decision=decision, comment=comment, expected_version=version)
                if name in OUTCOMES:
                    outcome, changed = OUTCOMES[name]
                    clock.now = dt.datetime(YEAR, 4, 20, 12, 0)
                    note = "Wegen des Klimachecks angepasst." if changed != "no" else ""
                    ops.record_outcome(
                        s, users["author"], check, ops.OutcomeData(outcome, dt.date(YEAR, 4, 15), changed, note)
                    )
            # Last year: a positive check reviewed after 30 days, and a quick exit.
            clock.now = dt.datetime(LAST, 6, 1, 9, 0)
            last = file_check(s, users["author"], "radfahrstreifen/schaetzt", reference="OV-L", department="Umweltamt")
            clock.now += dt.timedelta(days=30)
            ops.review(s, users["climate"], last, decision="approve", comment="", expected_version=last.current.version)
            clock.now = dt.datetime(LAST, 7, 1, 9, 0)
            ids["L"] = last.id
            ids["M"] = file_check(
                s, users["author"], "klimaschutzbericht-kenntnisnahme/ohne-zahlen", reference="OV-M"
            ).id
            # A draft (never submitted) and the neighbours' submitted check.
            ids["K"] = file_check(
                s, users["author"], "stadtfest/ohne-zahlen", submit=False, reference="OV-K", department="Kulturamt"
            ).id
            clock.now = dt.datetime(YEAR, 3, 5, 9, 0)
            ids["foreign"] = file_check(
                s, fremd, "gasheizung-buergerhaus", ruleset="schnellcheck", department="Hochbauamt"
            ).id
            s.commit()
            municipality_id = municipality.id
    finally:
        mp.undo()
        prepared.database.dispose()
    yield World(app, ids, municipality_id)
    app.extensions["impactcheck.db"].dispose()


def this_year(**args) -> listing.RegisterFilter:
    return listing.parse_filter({"von": f"{YEAR}-01-01", "bis": f"{YEAR}-12-31", **args})


def figures(world: World, role: str = "climate", **args) -> statistics.Overview:
    with world.session() as s:
        return statistics.overview(s, world.municipality_id, role, this_year(**args), ("personal", "formal"))


def by_key(shares) -> dict:
    return {s.key: s.count for s in shares}


# --- the figures from store/statistics.py ------------------------------------------------------


def test_the_examples_have_the_verdicts_the_figures_rely_on(world):
    with world.session() as s:
        for name, (_ex, department, day, verdict) in CHECKS.items():
            check = s.get(Check, world.ids[name])
            assert (check.verdict, check.department, check.submitted_at.date()) == (
                verdict,
                department,
                dt.date(YEAR, 3, day),
            ), name
        assert s.get(Check, world.ids["foreign"]).verdict == "negative"


def test_counts_by_verdict_exit_and_outcome(world):
    f = figures(world)
    assert (f.total, f.submitted, f.relevant) == (10, 10, 7)
    assert by_key(f.by_verdict) == {"negative": 3, "neutral": 1, "positive": 3, "not_relevant": 3}
    assert [s.key for s in f.by_verdict] == list(listing.VERDICTS)  # every verdict, in the register's order
    # Quick exits: the rule set's reasons in its order, the unused ones with 0.
    assert f.quick_exits == 3
    assert [(s.key, s.count) for s in f.exits][:2] == [("personal", 1), ("formal", 2)]
    assert next(s for s in f.exits if s.key == "formal").share == pytest.approx(2 / 3)
    # Negative checks: one had its alternative adopted, one was adopted as proposed, one is open.
    assert f.negative == 3 and f.adopted_alternative == 1
    assert {k: v for k, v in by_key(f.negative_by_outcome).items() if v} == {
        "adopted_alternative": 1,
        "adopted": 1,
        None: 1,
    }
    assert {k: v for k, v in by_key(f.outcomes).items() if v} == {
        "adopted_alternative": 1,
        "adopted": 1,
        "adopted_changed": 1,
        "rejected": 1,
        None: 6,
    }
    assert by_key(f.changed) == {"yes": 1, "partly": 1, "no": 2}
    assert f.recorded_outcomes == 4


def test_without_numbers_is_counted_never_as_zero(world):
    f = figures(world)
    # F, H, I and J have no t CO2e; D has 0,0 t, which is a number.
    assert f.without_numbers == 4
    with world.session() as s:
        rows = [s.get(Check, world.ids[n]) for n in CHECKS]
    with_numbers = [c.t_co2e_per_year for c in rows if c.verdict != "not_relevant" and c.t_co2e_per_year is not None]
    assert len(with_numbers) == 3 and 0.0 in with_numbers
    assert f.t_proposed == pytest.approx(sum(with_numbers))
    # A selection without any figure sums to None ("–"), not to 0.
    none = figures(world, amt="Kulturamt")
    assert none.total == 2 and none.t_proposed is None and none.without_numbers == 2


def test_sector_sums_proposed_and_adopted(world):
    f = figures(world)
    expected: dict[str, list] = {}
    with world.session() as s:
        for name in CHECKS:
            check = s.get(Check, world.ids[name])
            variant = ADOPTED_VARIANT.get(check.outcome or "")
            for fig in s.scalars(select(CheckSector).where(CheckSector.check_id == check.id)):
                if fig.t_co2e_per_year is None:  # assessed, no figure: not in the sums
                    continue
                entry = expected.setdefault(fig.sector, [None, 0, None, 0])
                if fig.variant == "proposal":
                    entry[0] = (entry[0] or 0) + fig.t_co2e_per_year
                    entry[1] += 1
                if fig.variant == variant:
                    entry[2] = (entry[2] or 0) + fig.t_co2e_per_year
                    entry[3] += 1
    got = {x.sector: [x.proposed, x.proposed_checks, x.adopted, x.adopted_checks] for x in f.sectors}
    assert got.keys() == expected.keys()
    for sector, (proposed, p_n, adopted, a_n) in expected.items():
        assert got[sector][1::2] == [p_n, a_n], sector
        assert got[sector][0] == (None if proposed is None else pytest.approx(proposed)), sector
        assert got[sector][2] == (None if adopted is None else pytest.approx(adopted)), sector
    # What was adopted: D's alternative, E's proposal, G's (changed) proposal; H was rejected.
    with world.session() as s:
        d, e, g = (s.get(Check, world.ids[n]) for n in "DEG")
        assert f.t_adopted == pytest.approx(d.alternative_t_co2e_per_year + e.t_co2e_per_year + g.t_co2e_per_year)
        assert f.t_decided_proposed == pytest.approx(d.t_co2e_per_year + e.t_co2e_per_year + g.t_co2e_per_year)
    assert f.decided_with_numbers == 3
    assert any(x.adopted is not None and x.adopted < 0 for x in f.sectors)  # the alternative saves


def test_departments_quality_and_turnaround(world):
    f = figures(world)
    assert by_key(f.by_department) == {
        "Hochbauamt": 3,
        "Ordnungsamt": 2,
        "Kulturamt": 2,
        "Personalamt": 1,
        "Straßenverkehrsamt": 1,
        "Umweltamt": 1,
    }
    assert f.by_department[0].key == "Hochbauamt"  # most first
    assert (f.fragile, f.with_open_points, f.open_points, f.flagged) == (2, 1, 1, 0)
    # Reviews after 1, 2, 4 and 10 days: the median of an even count is the mean of the middle two.
    assert f.turnaround.reviewed == 4
    assert f.turnaround.median_days == pytest.approx(3.0, abs=1e-6)
    assert f.turnaround.awaiting == 6
    # With last year's review after 30 days: five durations, the middle one.
    every = _all(world)
    assert every.turnaround.reviewed == 5
    assert every.turnaround.median_days == pytest.approx(pystats.median([1, 2, 4, 10, 30]), abs=1e-6)


def _all(world: World, role: str = "climate", **args) -> statistics.Overview:
    with world.session() as s:
        return statistics.overview(s, world.municipality_id, role, listing.parse_filter(args))


def test_period_councillors_and_other_municipalities(world):
    assert figures(world).total == 10
    march_5_to_7 = _all(world, von=f"{YEAR}-03-05", bis=f"{YEAR}-03-07")
    assert march_5_to_7.total == 3 and by_key(march_5_to_7.by_verdict)["negative"] == 3
    last_year = _all(world, von=f"{LAST}-01-01", bis=f"{LAST}-12-31")
    assert (last_year.total, last_year.quick_exits) == (2, 1)
    # Without a period the climate department also counts the draft (as the register lists it) ...
    every = _all(world)
    assert every.total == 13 and every.submitted == 12
    assert by_key(every.by_verdict)[None] == 1
    assert by_key(every.by_department)["Kulturamt"] == 3
    # ... councillors never see drafts, not even in the figures.
    council = _all(world, role="council")
    assert council.total == 12 and None not in by_key(council.by_verdict)
    assert by_key(council.by_department)["Kulturamt"] == 2
    # The neighbours' negative check (Hochbauamt, 5 March) is never counted here, and they see only theirs.
    assert by_key(figures(world).by_department)["Hochbauamt"] == 3
    with world.session() as s:
        other = s.scalar(select(Municipality).where(Municipality.slug == "nachbar"))
        theirs = statistics.overview(s, other.id, "climate", listing.parse_filter({}))
    assert (theirs.total, by_key(theirs.by_verdict)["negative"]) == (1, 1)


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"votum": "negative"},
        {"amt": "Hochbauamt"},
        {"beschluss": "offen"},
        {"beschluss": "adopted_alternative"},
        {"fragil": "1"},
        {"offen": "1"},
        {"ausnahme": "formal"},
        {"status": "submitted"},
        {"geaendert": "no"},
        {"q": "OV-"},
        {"von": f"{YEAR}-03-05", "bis": f"{YEAR}-03-07"},
    ],
    ids=lambda a: "&".join(f"{k}={v}" for k, v in a.items()) or "none",
)
@pytest.mark.parametrize("role", ["climate", "council"])
def test_the_overview_counts_what_the_register_lists(world, args, role):
    flt = listing.parse_filter(args)
    with world.session() as s:
        register_total = listing.paginate(s, listing.register_query(world.municipality_id, role, flt), 1, 25).total
        f = statistics.overview(s, world.municipality_id, role, flt)
        assert statistics.count(s, world.municipality_id, role, flt) == register_total
    assert f.total == register_total
    assert sum(x.count for x in f.by_verdict) == f.total
    assert sum(x.count for x in f.by_department) == f.total
    assert sum(x.count for x in f.outcomes) == f.submitted


def test_figures_are_aggregates_in_a_few_statements(world):
    """No row per check: a fixed number of statements, whatever the number of checks."""
    from sqlalchemy import event

    with world.session() as s:
        statements = []
        engine = s.get_bind()
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            statistics.overview(s, world.municipality_id, "climate", this_year())
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 4, statements  # checks by group, sectors, departments, the median
    assert all("GROUP BY" in q or "count(" in q.lower() or "ORDER BY" in q for q in statements)


# --- the page ---------------------------------------------------------------------------------


def table(doc, table_id: str) -> list[list[str]]:
    rows = doc.get_element_by_id(table_id).xpath(".//tbody/tr")
    return [[" ".join(c.text_content().split()) for c in row.xpath("./th|./td")] for row in rows]


def links_of(doc, table_id: str) -> dict[str, str]:
    out = {}
    for row in doc.get_element_by_id(table_id).xpath(".//tbody/tr"):
        href = row.xpath(".//a/@href")
        if href:
            out[" ".join(row.xpath("./th")[0].text_content().split())] = href[0]
    return out


def svgs(html: str) -> dict[str, ET.Element]:
    ns = "{http://www.w3.org/2000/svg}"
    out = {}
    for markup in SVG.findall(html):
        root = ET.fromstring(markup)  # well-formed XML, or this raises
        out[root.find(f"{ns}title").get("id").removesuffix("-title")] = root
    return out


def chart_values(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "ov-chart__value"]


def chart_labels(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "ov-chart__label"]


@pytest.fixture(scope="module")
def page(world):
    b = world.browser("climate")
    response = b.get("/uebersicht")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, lxml.html.fromstring(html), response


def test_the_page_defaults_to_this_year_and_shows_every_figure(page):
    html, doc, _ = page
    assert f"Kalenderjahr {YEAR}" in html
    assert doc.get_element_by_id("von").get("value") == f"{YEAR}-01-01"
    assert table(doc, "ov-t-verdicts") == [
        ["negativ", "3", "30,0 %"],
        ["neutral", "1", "10,0 %"],
        ["positiv", "3", "30,0 %"],
        ["nicht klimarelevant", "3", "30,0 %"],
    ]
    exits = {row[0]: row[1:] for row in table(doc, "ov-t-exits")}
    assert exits["Personalangelegenheit"] == ["1", "33,3 %"]
    assert exits["Bericht oder Mitteilung ohne eigene Entscheidung"] == ["0", "0,0 %"]
    assert [v for k, v in exits.items() if k.startswith("Rein formaler Beschluss")] == [["2", "66,7 %"]]
    assert "3 von 10 eingereichten Klimachecks (30,0\u00a0%) endeten in der Vorprüfung." in html
    negative = {row[0]: row[1] for row in table(doc, "ov-t-negative")}
    assert negative["mit der Alternative beschlossen"] == "1"
    assert negative["noch kein Beschluss eingetragen"] == "1"
    assert "bei 1 davon (33,3\u00a0%) hat der Rat die Alternative beschlossen" in html
    departments = {row[0]: row[1] for row in table(doc, "ov-t-departments")}
    assert departments["Hochbauamt"] == "3" and departments["Straßenverkehrsamt"] == "1"
    quality = {row[0]: row[1] for row in table(doc, "ov-t-quality")}
    assert quality["mit offenen Punkten („unbekannt“)"] == "1"
    assert quality["klimarelevant, aber ohne Zahlen"] == "4"
    assert doc.get_element_by_id("ov-median").text_content().strip() == "3,0 Tage"
    outcomes = {row[0]: row[1] for row in table(doc, "ov-t-outcomes")}
    assert outcomes["geändert beschlossen"] == "1" and outcomes["noch kein Beschluss eingetragen"] == "6"
    assert {row[0]: row[1] for row in table(doc, "ov-t-changed")} == {"ja": "1", "teilweise": "1", "nein": "2"}
    sectors = {row[0]: row[1:] for row in table(doc, "ov-t-sectors")}
    assert "Gebäude" in sectors  # labels from the rule set, not ids


def test_sector_table_shows_the_sums_german(world, page):
    _, doc, _ = page
    f = figures(world)
    labels = {s.id: s.label for s in resolve_ruleset("kassel-2030").sectors}
    rows = {row[0]: row for row in table(doc, "ov-t-sectors")}
    for x in f.sectors:
        row = rows[labels[x.sector]]
        assert row[1] == ("–" if x.proposed is None else format_number(x.proposed, 1))
        assert row[3] == ("–" if x.adopted is None else format_number(x.adopted, 1))
        assert row[2] == str(x.proposed_checks) and row[4] == str(x.adopted_checks)
    # Every sector of the rule set is listed, in its order; one without any figure says "–", not 0.
    assert list(rows) == list(labels.values())
    without = [rows[labels[s]] for s in labels if s not in {x.sector for x in f.sectors}]
    assert without and all(r[1:] == ["–", "0", "–", "0"] for r in without)


def test_counts_link_into_the_register_with_the_matching_filter(world, page):
    _, doc, _ = page
    period = f"von={YEAR}-01-01&bis={YEAR}-12-31"
    assert links_of(doc, "ov-t-verdicts")["negativ"] == f"/register?votum=negative&{period}"
    exits = links_of(doc, "ov-t-exits")
    assert exits["Personalangelegenheit"] == f"/register?{period}&ausnahme=personal"
    assert "Bericht oder Mitteilung ohne eigene Entscheidung" not in exits  # 0: nothing to open
    negative = links_of(doc, "ov-t-negative")
    assert (
        negative["mit der Alternative beschlossen"]
        == f"/register?votum=negative&{period}&beschluss=adopted_alternative"
    )
    assert negative["noch kein Beschluss eingetragen"] == f"/register?votum=negative&{period}&beschluss=offen"
    assert links_of(doc, "ov-t-departments")["Hochbauamt"] == f"/register?amt=Hochbauamt&{period}"
    assert links_of(doc, "ov-t-quality")["mit offenen Punkten („unbekannt“)"] == f"/register?{period}&offen=1"
    # Each link's filter gives the register exactly the count that was clicked.
    with world.session() as s:
        for table_id in ("ov-t-verdicts", "ov-t-exits", "ov-t-negative", "ov-t-departments", "ov-t-outcomes"):
            shown = {row[0]: row[1] for row in table(doc, table_id)}
            for label, href in links_of(doc, table_id).items():
                from urllib.parse import parse_qsl, urlsplit

                flt = listing.parse_filter(dict(parse_qsl(urlsplit(href).query)))
                total = listing.paginate(s, listing.register_query(world.municipality_id, "climate", flt), 1, 25).total
                assert format_number(total) == shown[label], (table_id, label, href)


def test_charts_are_wellformed_svg_with_the_tables_numbers(page):
    html, doc, response = page
    charts = svgs(html)
    assert {"ov-verdicts", "ov-exits", "ov-negative", "ov-sectors", "ov-departments", "ov-outcomes"} <= charts.keys()
    for chart_id, root in charts.items():
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        assert root.find("{http://www.w3.org/2000/svg}desc").text
    pairs = {
        "ov-verdicts": "ov-t-verdicts",
        "ov-exits": "ov-t-exits",
        "ov-negative": "ov-t-negative",
        "ov-departments": "ov-t-departments",
        "ov-outcomes": "ov-t-outcomes",
        "ov-changed": "ov-t-changed",
    }
    for chart_id, table_id in pairs.items():
        rows = table(doc, table_id)
        assert chart_values(charts[chart_id]) == [r[1] for r in rows], chart_id
        assert len(chart_labels(charts[chart_id])) == len(rows)
    sectors = table(doc, "ov-t-sectors")
    shown = [r for r in sectors if r[1] != "–" or r[3] != "–"]
    assert chart_values(charts["ov-sectors"]) == [v for r in shown for v in (r[1], r[3])]
    # Under the CSP: no inline script, no style attribute.
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_many_departments_the_chart_shows_the_largest_the_table_all(world, monkeypatch):
    from impactcheck.web import overview

    monkeypatch.setattr(overview, "CHART_DEPARTMENTS", 3)
    html = world.browser("climate").get("/uebersicht").get_data(as_text=True)
    rows = table(lxml.html.fromstring(html), "ov-t-departments")
    chart = svgs(html)["ov-departments"]
    assert len(rows) == 6 and chart_values(chart) == [r[1] for r in rows[:3]] == ["3", "2", "2"]
    assert "Das Diagramm zeigt die 3 Ämter mit den meisten Klimachecks, die Tabelle alle 6." in html


def test_period_quick_links_and_other_filters(world):
    b = world.browser("climate")
    html = b.get(f"/uebersicht?von={LAST}-01-01&bis={LAST}-12-31").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    assert f"Kalenderjahr {LAST}" in html
    assert {row[0]: row[1] for row in table(doc, "ov-t-verdicts")} == {
        "negativ": "0",
        "neutral": "0",
        "positiv": "1",
        "nicht klimarelevant": "1",
    }
    assert doc.get_element_by_id("ov-median").text_content().strip() == "30,0 Tage"
    quick = {a.text_content().strip(): a.get("href") for a in doc.xpath("//nav[contains(@class,'ov-quick')]//a")}
    assert quick[f"letztes Jahr ({LAST})"] == f"/uebersicht?von={LAST}-01-01&bis={LAST}-12-31"
    assert quick["alle Jahre"] == "/uebersicht?zeitraum=alle"
    assert (
        doc.xpath("//nav[contains(@class,'ov-quick')]//a[@aria-current]")[0]
        .text_content()
        .strip()
        .startswith("letztes Jahr")
    )
    every = lxml.html.fromstring(b.get("/uebersicht?zeitraum=alle").get_data(as_text=True))
    assert {row[0]: row[1] for row in table(every, "ov-t-verdicts")}["noch nicht eingereicht"] == "1"
    # A register filter the form does not show is listed, kept in the form and removable.
    html = b.get("/uebersicht?votum=negative&amt=Hochbauamt").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    assert {row[0]: row[1] for row in table(doc, "ov-t-verdicts")}["negativ"] == "1"
    assert doc.xpath("//form//input[@type='hidden'][@name='votum']/@value") == ["negative"]
    assert "Ergebnis (Vorlage): negativ" in " ".join(doc.text_content().split())
    removal = doc.xpath("//div[@class='ov-other']//a/@href")[0]
    assert "votum" not in removal and "amt=Hochbauamt" in removal
    assert doc.xpath("//select[@id='amt']/option[@selected]")[0].text == "Hochbauamt"


def test_councillors_see_no_drafts_on_the_page(world):
    html = world.browser("council").get("/uebersicht?zeitraum=alle").get_data(as_text=True)
    verdicts = {row[0]: row[1] for row in table(lxml.html.fromstring(html), "ov-t-verdicts")}
    assert "noch nicht eingereicht" not in verdicts
    assert "12 Klimachecks" in html
    climate = world.browser("climate").get("/uebersicht?zeitraum=alle").get_data(as_text=True)
    assert "13 Klimachecks" in climate


def test_other_municipality_sees_only_its_own(world):
    html = world.browser("fremd").get("/uebersicht").get_data(as_text=True)
    verdicts = {row[0]: row[1] for row in table(lxml.html.fromstring(html), "ov-t-verdicts")}
    assert verdicts["negativ"] == "1" and sum(int(v) for v in verdicts.values()) == 1
    assert "OV-" not in html and "Ordnungsamt" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("von=31.02.2026", "„Eingereicht von“: „31.02.2026“ ist kein Datum (TT.MM.JJJJ)."),
        ("bis=morgen", "„Eingereicht bis“: „morgen“ ist kein Datum (TT.MM.JJJJ)."),
        (f"von={YEAR}-05-01&bis={YEAR}-04-01", "Das Ende des Zeitraums liegt vor seinem Anfang."),
    ],
)
def test_bad_dates_get_a_german_message_not_an_error_page(world, query, message):
    response = world.browser("climate").get(f"/uebersicht?{query}")
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    summary = doc.xpath("//div[@data-error-summary]")[0]
    assert message in " ".join(summary.text_content().split())
    assert summary.xpath(".//a/@href")[0] in ("#von", "#bis")


def test_malformed_register_filters_are_named_not_silently_dropped(world):
    response = world.browser("climate").get("/uebersicht?votum=kaputt&pruefer=abc&amt=Hochbauamt")
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    notice = " ".join(doc.xpath("//div[contains(@class,'notice--warning')]")[0].text_content().split())
    assert "Ergebnis (Vorlage)" in notice and "geprüft von" in notice and "Amt" not in notice
    # What is valid still applies.
    assert {row[0]: row[1] for row in table(doc, "ov-t-verdicts")}["negativ"] == "1"


def test_german_dates_are_understood(world):
    html = world.browser("climate").get(f"/uebersicht?von=05.03.{YEAR}&bis=7.3.{YEAR}").get_data(as_text=True)
    assert "data-error-summary" not in html
    assert f"05.03.{YEAR} – 07.03.{YEAR}" in html
    verdicts = {row[0]: row[1] for row in table(lxml.html.fromstring(html), "ov-t-verdicts")}
    assert verdicts["negativ"] == "3"


def test_nav_link_for_readers_of_all_only(world):
    for who, shown in (("climate", True), ("council", True), ("admin", True), ("author", False)):
        html = world.browser(who).get("/klimachecks/neu" if who == "author" else "/register").get_data(as_text=True)
        assert ('href="/uebersicht"' in html) is shown, who
    assert world.browser("author").get("/uebersicht").status_code == 403


def test_an_empty_municipality_shows_dashes_not_zeros_for_sums(world):
    html = world.browser("climate").get("/uebersicht?von=1990-01-01&bis=1990-12-31").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    assert "In dieser Auswahl gibt es keine Klimachecks." in html
    figures_text = {
        " ".join(d.xpath("./dt")[0].text_content().split()): d.xpath("./dd")[0].text_content().strip()
        for d in doc.xpath("//dl[@class='ov-figures']/div")
    }
    assert figures_text["t CO2e pro Jahr, vorgeschlagen"] == "–"
    assert figures_text["Klimachecks"] == "0"
    assert doc.get_element_by_id("ov-median").text_content().strip() == "–"
    for markup in SVG.findall(html):
        ET.fromstring(markup)


# --- the chart module -------------------------------------------------------------------------


def test_svg_chart_handles_negative_missing_and_hostile_labels():
    bars = [
        svgchart.Bar("Gebäude & <Wärme>", (-120.5, 30.0)),
        svgchart.Bar('Mobilität "Rad"', (None, -2.0)),
        svgchart.Bar("Ein sehr langer Name eines Handlungsfeldes, der nicht in die Spalte passt", (0.0, 7.26)),
    ]
    markup = svgchart.bar_chart(
        "t-1",
        "Titel <b>",
        bars,
        series=(svgchart.Series("vorgeschlagen"), svgchart.Series("beschlossen", hatched=True)),
        fmt=lambda v: format_number(v, 1),
        axis_label="t CO2e pro Jahr",
    )
    root = ET.fromstring(str(markup))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "Titel <b>"
    assert chart_values(root) == ["-120,5", "30,0", "–", "-2,0", "0,0", "7,3"]
    labels = chart_labels(root)
    assert labels[0] == "Gebäude & <Wärme>" and labels[2].endswith("…")
    desc = root.find(f"{ns}desc").text
    assert "Gebäude & <Wärme>: vorgeschlagen -120,5, beschlossen 30,0" in desc
    assert "vorgeschlagen –" in desc  # a missing figure is said, not drawn as 0
    rects = [r for r in root.findall(f"{ns}rect") if r.get("y") != "8"]  # the bars (not the legend, not the hatch)
    assert len(rects) == 4  # six values: a missing figure and a zero draw no bar
    assert all(float(r.get("width")) > 0 and float(r.get("x")) >= 0 for r in rects)
    assert all(float(r.get("x")) + float(r.get("width")) <= svgchart.WIDTH + 0.01 for r in rects)
    # The zero line sits inside the plot: negative bars end left of it, positive ones start at it.
    axis = next(ln for ln in root.iter(f"{ns}line") if ln.get("stroke") == svgchart.TEXT)
    zero = float(axis.get("x1"))
    neg = [r for r in rects if r.get("fill") == svgchart.BRAND and float(r.get("x")) < zero - 0.5]
    assert neg and all(abs(float(r.get("x")) + float(r.get("width")) - zero) < 0.2 for r in neg)
    assert root.find(f"{ns}defs/{ns}pattern").get("id") == "t-1-hatch"
    assert svgchart.bar_chart("t-2", "leer", []) == ""
