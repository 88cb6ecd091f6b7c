"""The register (/register) and "Meine Klimachecks" on SQLite and PostgreSQL: every filter, every sort,
the search, paging, the form keeping its values, what councillors see, malformed parameters, and a
constant number of SQL statements however many checks there are.

The checks are rows as `store/operations` writes them (the current-state columns of the check row;
the register reads nothing else), inserted once per module; a few are filed through the real
operations to tie the two together. Each filter and sort is compared with the same rule evaluated in
Python over the inserted rows (`ROWS`), so a wrong condition, a missing NULL rule or a wrong time
zone shows as a difference.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, select

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.store import listing
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, Municipality, User
from tests.web import exportworld
from tests.web.conftest import PASSWORD, Browser, _config

BERLIN = ZoneInfo("Europe/Berlin")
T0 = dt.datetime(2026, 3, 1, 9, 0)  # UTC, as stored

# Users of the module's world: username -> (role, display name, municipality slug)
USERS = {
    "author": ("author", "Frau Author", "default"),
    "author2": ("author", "Herr Zweiter", "default"),
    "climate": ("climate", "Frau Klima", "default"),
    "climate2": ("climate", "Herr Prüfer", "default"),
    "council": ("council", "Frau Rat", "default"),
    "admin": ("admin", "Frau Admin", "default"),
    "fremd": ("climate", "Herr Fremd", "nachbar"),
    "fremdautor": ("author", "Frau Viele", "nachbar"),
    "klein": ("climate", "Frau Klein", "klein"),
    "kleinautor": ("author", "Herr Wenige", "klein"),
}
SUBMITTED = {"status": "approved", "filed_status": "approved", "filed_number": 1, "ruleset_version": "2026.2"}


def _row(ref: str, title: str, *, days: float, **values) -> dict:
    """One check row of the default municipality; `days` after T0 it was created (and, if filed, submitted
    an hour later)."""
    created = T0 + dt.timedelta(days=days)
    row = {
        "reference": ref,
        "title": title,
        "department": "Amt für Hochbau und Gebäudebewirtschaftung",
        "committee": "Bau- und Planungsausschuss",
        "owner": "author",
        "created_at": created,
        "status": "draft",
        "revision_count": 1,
        "filed_number": None,
        "filed_status": None,
        "verdict": None,
        "alternative_verdict": None,
        "adopted_verdict": None,
        "t_co2e_per_year": None,
        "adopted_t_co2e_per_year": None,
        "exit_reason": None,
        "fragile": False,
        "flagged": False,
        "open_points": 0,
        "ruleset_id": "kassel-2030",
        "ruleset_version": None,
        "submitted_at": None,
        "reviewed_at": None,
        "reviewer": None,
        "outcome": None,
        "outcome_date": None,
        "outcome_changed": None,
        "meeting_date": None,
        "deleted_at": None,
        "municipality": "default",
    }
    if values.get("status", "draft") != "draft" or values.get("filed_status"):
        row.update(SUBMITTED, submitted_at=created + dt.timedelta(hours=1))
    row.update(values)
    return row


ROWS = [
    _row("101.26.0001", "Neubau Kita Wolfsanger", days=0),  # a draft, never submitted
    _row(
        "101.26.0002",
        "Ausbau der Holländischen Straße",
        days=1,
        status="submitted",
        filed_status="submitted",
        verdict="negative",
        alternative_verdict="negative",
        flagged=True,
        t_co2e_per_year=120.5,
        department="Straßenverkehrs- und Tiefbauamt",
        committee="Ausschuss für Stadtentwicklung, Mobilität und Verkehr",
        owner="author2",
        meeting_date=dt.date(2026, 5, 1),
    ),
    _row(
        "101.26.0003",
        "PV auf Schuldächern",
        days=2,
        verdict="positive",
        t_co2e_per_year=-35.25,
        reviewer="climate",
        outcome="adopted",
        outcome_date=dt.date(2026, 4, 2),
        outcome_changed="no",
        adopted_verdict="positive",
        adopted_t_co2e_per_year=-35.25,
        meeting_date=dt.date(2026, 4, 2),
    ),
    _row(
        "101.26.0004",
        "Parkhaus Innenstadt",
        days=3,
        verdict="negative",
        alternative_verdict="positive",
        t_co2e_per_year=80.0,
        reviewer="climate",
        outcome="adopted_alternative",
        outcome_date=dt.date(2026, 4, 9),
        outcome_changed="yes",
        adopted_verdict="positive",
        adopted_t_co2e_per_year=-10.0,
        department="Straßenverkehrs- und Tiefbauamt",
    ),
    _row("101.26.0005", "Geschäftsordnung des Rates", days=4, verdict="not_relevant", exit_reason="formal"),
    _row(
        "SC-6",
        "Stellenplan 2027",
        days=5,
        verdict="not_relevant",
        exit_reason="personal",
        ruleset_id="schnellcheck",
        ruleset_version="2026.1",
        committee="Haupt- und Finanzausschuss",
    ),
    _row(
        "101.26.0007",
        "Heizungstausch Rathaus",
        days=6,
        verdict="neutral",
        fragile=True,
        open_points=2,
        t_co2e_per_year=0.0,
        reviewer="climate2",
        outcome="rejected",
        outcome_date=dt.date(2026, 4, 20),
        outcome_changed="partly",
    ),
    _row(
        "101.26.0008",
        "Radweg Kölnische Straße",
        days=7,
        status="returned",
        filed_status="returned",
        verdict="positive",
        t_co2e_per_year=-4.0,
        reviewer="climate2",
        open_points=1,
    ),
    _row(  # approved, and the author is writing revision 2: councillors see the approved state
        "101.26.0009",
        "Sanierung Hallenbad Süd",
        days=8,
        status="draft",
        filed_status="approved",
        revision_count=2,
        verdict="positive",
        t_co2e_per_year=-12.0,
        reviewer="climate",
        owner="author2",
    ),
    _row("101.26.0010", "Gelöschter Entwurf", days=9, deleted_at=T0 + dt.timedelta(days=10)),
    _row("B_2", "50% Förderung für Lastenräder", days=10, verdict="positive", t_co2e_per_year=-1.5),
    _row("BX2", "Umbau_Halle Nord", days=11, verdict="neutral"),
    _row("101.26.0013", "UmbauXHalle Süd", days=12, verdict="neutral"),
    _row("101.26.0014", "Übergang am Königsplatz", days=13, verdict="neutral", reviewer="climate"),
    # Submitted at 22:30 UTC on 31 March: 00:30 on 1 April in Kassel (summer time).
    _row("101.26.0015", "Spät eingereicht", days=30, verdict="neutral", submitted_at=dt.datetime(2026, 3, 31, 22, 30)),
    # 21:30 UTC: 23:30 on 31 March in Kassel.
    _row(
        "101.26.0016",
        "Knapp vor Mitternacht",
        days=30,
        verdict="neutral",
        submitted_at=dt.datetime(2026, 3, 31, 21, 30),
    ),
]
VISIBLE = [r for r in ROWS if r["municipality"] == "default" and r["deleted_at"] is None]
FILED = [r for r in VISIBLE if r["filed_status"]]
# A municipality of many checks (one author) and one of few: the statement counts must agree.
MANY, FEW = 45, 3
REAL_REF = "OPS-1"  # filed through the real operations (tests/web/exportworld.file_check)


def _local_day(value: dt.datetime) -> dt.date:
    return value.replace(tzinfo=dt.UTC).astimezone(BERLIN).date()


def _db_row(row: dict, users: dict[str, int], municipalities: dict[str, int]) -> dict:
    out = {k: v for k, v in row.items() if k not in ("owner", "reviewer", "municipality")}
    out["owner_id"] = users[row["owner"]]
    out["reviewer_id"] = users[row["reviewer"]] if row["reviewer"] else None
    out["municipality_id"] = municipalities[row["municipality"]]
    return out


def _bulk(prefix: str, n: int, owner: str, municipality: str) -> list[dict]:
    rows = []
    for i in range(n):
        submitted = i % 3 != 0
        rows.append(
            _row(
                f"{prefix}-{i:03d}",
                f"Vorlage {i}",
                days=100 + i,
                owner=owner,
                municipality=municipality,
                verdict="neutral" if submitted else None,
                department="Fremdamt" if municipality == "nachbar" else "Kleinamt",
                status="approved" if submitted else "draft",
                t_co2e_per_year=float(i) if submitted else None,
            )
        )
    return rows


@pytest.fixture(scope="module")
def site(backend, tmp_path_factory):
    """One app over the world above for every test of this module (the tests only read)."""
    _, fresh = backend
    url = fresh()
    tmp = tmp_path_factory.mktemp("register")
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "instance")}
    )
    prepared = prepare(_config(url, tmp), create_admin=False)
    with prepared.database.session() as s:
        municipalities = {"default": s.get(Municipality, prepared.municipality_id)}
        municipalities["nachbar"] = ops.ensure_municipality(
            s, slug="nachbar", name="Nachbargemeinde", rulesets=["kassel-2030"]
        )
        municipalities["klein"] = ops.ensure_municipality(s, slug="klein", name="Kleinstadt", rulesets=["kassel-2030"])
        users = {}
        for name, (role, display, slug) in USERS.items():
            users[name] = ops.create_user(
                s,
                None,
                municipality=municipalities[slug],
                username=name,
                password=PASSWORD,
                role=role,
                display_name=display,
            ).id
        mids = {slug: m.id for slug, m in municipalities.items()}
        rows = ROWS + _bulk("V", MANY, "fremdautor", "nachbar") + _bulk("K", FEW, "kleinautor", "klein")
        s.execute(insert(Check), [_db_row(r, users, mids) for r in rows])
        # One check through the real operations, so the columns the register reads are the ones they write.
        real = exportworld.file_check(s, s.get(User, users["author"]), "stellenplan/ohne-zahlen", reference=REAL_REF)
        ops.review(
            s,
            s.get(User, users["climate"]),
            real,
            decision="approve",
            comment="",
            expected_version=real.current.version,
        )
        ops.record_outcome(
            s, s.get(User, users["climate"]), real, ops.OutcomeData("withdrawn", dt.date(2026, 4, 1), "no")
        )
        s.commit()
    prepared.database.dispose()
    browsers: dict[str, Browser] = {}

    def login(who: str) -> Browser:
        if who not in browsers:
            browsers[who] = Browser(app.test_client())
            browsers[who].login(who)
        return browsers[who]

    yield {"app": app, "login": login}
    app.extensions["impactcheck.db"].dispose()


REF = re.compile(r'<td data-label="Drucksache">(?:<a href="[^"]*">)?([^<]+)')


def page(site, who: str, query: str = "") -> tuple[str, list[str]]:
    """The register for `who` at `/register?query` (all on one page unless `query` pages): its HTML and
    the references of its rows, in order, without the check filed through the operations."""
    sep = "&" if query else ""
    if "pro_seite" not in query and "seite" not in query:
        query = f"pro_seite=200{sep}{query}"
    response = site["login"](who).get(f"/register?{query}")
    assert response.status_code == 200, (query, response.status_code)
    text = response.get_data(as_text=True)
    return text, [html.unescape(r) for r in REF.findall(text) if html.unescape(r) != REAL_REF]


def refs(rows) -> list[str]:
    return [r["reference"] for r in rows]


def newest_first(rows) -> list[str]:
    return refs(sorted(rows, key=lambda r: (r["created_at"], ROWS.index(r)), reverse=True))


# --- filters ---------------------------------------------------------------------------------------

FILTER_CASES = [
    ("", lambda r: True),
    ("status=draft", lambda r: r["status"] == "draft"),
    ("status=submitted", lambda r: r["status"] == "submitted"),
    ("status=approved", lambda r: r["status"] == "approved"),
    ("status=returned", lambda r: r["status"] == "returned"),
    ("votum=negative", lambda r: r["verdict"] == "negative"),
    ("votum=not_relevant", lambda r: r["verdict"] == "not_relevant"),
    ("verdict=positive", lambda r: r["verdict"] == "positive"),  # a bookmark from before the new names
    ("votum_beschlossen=positive", lambda r: r["adopted_verdict"] == "positive"),
    ("amt=Straßenverkehrs- und Tiefbauamt", lambda r: r["department"].startswith("Straßenverkehrs")),
    ("gremium=Haupt- und Finanzausschuss", lambda r: r["committee"] == "Haupt- und Finanzausschuss"),
    ("regelwerk=schnellcheck", lambda r: r["ruleset_id"] == "schnellcheck"),
    ("regelwerk=kassel-2030@2026.2", lambda r: r["ruleset_id"] == "kassel-2030" and r["ruleset_version"] == "2026.2"),
    ("regelwerk=kassel-2030@1999.1", lambda r: False),
    ("ausnahme=formal", lambda r: r["exit_reason"] == "formal"),
    ("ausnahme=personal", lambda r: r["exit_reason"] == "personal"),
    ("markiert=1", lambda r: r["flagged"]),
    ("fragil=1", lambda r: r["fragile"]),
    ("offen=1", lambda r: r["open_points"] > 0),
    ("pruefer={climate2}", lambda r: r["reviewer"] == "climate2"),
    ("beschluss=adopted_alternative", lambda r: r["outcome"] == "adopted_alternative"),
    ("beschluss=rejected", lambda r: r["outcome"] == "rejected"),
    ("beschluss=offen", lambda r: r["outcome"] is None and r["filed_status"] is not None),
    ("geaendert=yes", lambda r: r["outcome_changed"] == "yes"),
    ("geaendert=partly", lambda r: r["outcome_changed"] == "partly"),
    # Local days of the municipality: 22:30 UTC on 31 March is 1 April in Kassel.
    (
        "von=2026-04-01",
        lambda r: r["submitted_at"] is not None and _local_day(r["submitted_at"]) >= dt.date(2026, 4, 1),
    ),
    (
        "bis=2026-03-31",
        lambda r: r["submitted_at"] is not None and _local_day(r["submitted_at"]) <= dt.date(2026, 3, 31),
    ),
    (
        "von=2026-03-03&bis=2026-03-05",
        lambda r: (
            r["submitted_at"] is not None
            and dt.date(2026, 3, 3) <= _local_day(r["submitted_at"]) <= dt.date(2026, 3, 5)
        ),
    ),
    (
        "von=01.04.2026",
        lambda r: r["submitted_at"] is not None and _local_day(r["submitted_at"]) >= dt.date(2026, 4, 1),
    ),
    ("amt=Straßenverkehrs- und Tiefbauamt&votum=negative&beschluss=offen", lambda r: r["reference"] == "101.26.0002"),
    ("markiert=1&fragil=1", lambda r: False),
]


def _user_id(site, username: str) -> int:
    with site["app"].extensions["impactcheck.db"].session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def test_every_filter_selects_what_it_says(site):
    ids = {"climate2": _user_id(site, "climate2")}
    seen = set()
    for query, rule in FILTER_CASES:
        query = query.format(**ids)
        _, got = page(site, "climate", query)
        expected = newest_first([r for r in VISIBLE if rule(r)])
        assert got == expected, query
        seen.add(tuple(got))
    # The cases mean something: they select many different sets, most of them neither empty nor all.
    assert len(seen) > 15
    assert "101.26.0010" not in page(site, "climate")[1]  # a deleted draft is gone
    assert not any(ref.startswith("V-") for ref in page(site, "climate")[1])  # another municipality's checks


def test_the_date_range_is_shown_and_filtered_in_local_days(site):
    text, got = page(site, "climate", "von=2026-04-01&bis=2026-04-01")
    assert got == ["101.26.0015"]
    assert "01.04.2026" in text  # submitted 22:30 UTC on 31 March
    text, got = page(site, "climate", "von=2026-03-31&bis=2026-03-31")
    assert got == ["101.26.0016"] and "31.03.2026" in text


def test_councillors_filter_and_see_the_submitted_state(site):
    text, got = page(site, "council")
    assert got == newest_first(FILED)
    assert "101.26.0001" not in got  # a draft that was never submitted
    row = text[text.index("101.26.0009") :].split("</tr>")[0]
    assert "freigegeben" in row and "Entwurf" not in row  # revision 2 is being written: not their business
    # "Stand" means the submitted state for them: the approved check with a new draft counts as approved.
    assert "101.26.0009" in page(site, "council", "status=approved")[1]
    assert "101.26.0009" not in page(site, "climate", "status=approved")[1]
    assert "101.26.0009" in page(site, "climate", "status=draft")[1]
    assert page(site, "council", "status=draft")[1] == []
    assert '<option value="draft"' not in text  # they are not offered drafts
    # The climate department sees both: the draft in progress and what was submitted.
    climate = page(site, "climate")[0]
    row = climate[climate.index("101.26.0009") :].split("</tr>")[0]
    assert "Entwurf" in row and "zuletzt eingereicht: freigegeben" in row


def test_every_role_that_reads_all_gets_the_register_and_others_not(site):
    for who in ("climate", "council", "admin"):
        assert site["login"](who).get("/register").status_code == 200
    assert site["login"]("author").get("/register").status_code == 403
    assert page(site, "admin")[1] == newest_first(VISIBLE)
    assert "V-001" in page(site, "fremd")[1] and "101.26.0002" not in page(site, "fremd")[1]


# --- sorting ----------------------------------------------------------------------------------------

VERDICT_ORDER = {v: i for i, v in enumerate(listing.VERDICTS)}
SORT_KEYS = {
    "angelegt": lambda r: r["created_at"],
    "datum": lambda r: r["submitted_at"],
    "nummer": lambda r: r["reference"],
    "votum": lambda r: VERDICT_ORDER.get(r["verdict"]),
    "co2": lambda r: r["t_co2e_per_year"],
    "sitzung": lambda r: r["meeting_date"],
}


def _sorted(rows, sort: str) -> list[str]:
    """The register's order: by the key (NULL last in both directions), ties by insertion order (the id)
    in the same direction."""
    key = SORT_KEYS[sort.lstrip("-")]
    descending = sort.startswith("-")
    present = [r for r in rows if key(r) is not None]
    absent = [r for r in rows if key(r) is None]
    present.sort(key=lambda r: (key(r), ROWS.index(r)), reverse=descending)
    absent.sort(key=ROWS.index, reverse=descending)
    return refs(present + absent)


@pytest.mark.parametrize("key", sorted(SORT_KEYS))
def test_every_sort_in_both_directions(site, key):
    for sort in (key, f"-{key}"):
        text, got = page(site, "climate", f"sort={sort}")
        assert got == _sorted(VISIBLE, sort), sort
        assert f'<option value="{sort}" selected>' in text  # the sort select says how it is sorted
    # Sorting keeps the filter.
    _, got = page(site, "climate", f"sort=-{key}&votum=neutral")
    assert got == _sorted([r for r in VISIBLE if r["verdict"] == "neutral"], f"-{key}")


def test_column_headers_sort_and_say_so(site):
    text, _ = page(site, "climate", "sort=co2&votum=positive")
    header = re.search(r'<th scope="col" class="num" aria-sort="ascending"><a class="sort-link" href="([^"]+)"', text)
    assert header, "the sorted column carries aria-sort"
    link = html.unescape(header.group(1))
    assert "sort=-co2" in link and "votum=positive" in link and "pro_seite=200" in link  # reverses, keeps the rest
    assert text.count("aria-sort=") == 1
    # An unsorted column's link sorts by it, newest/largest first for dates and tonnes.
    datum = re.search(r'<th scope="col"><a class="sort-link" href="([^"]+)">Eingereicht', text)
    assert "sort=-datum" in html.unescape(datum.group(1))
    nummer = re.search(r'<th scope="col"><a class="sort-link" href="([^"]+)">Drucksache', text)
    assert "sort=nummer" in html.unescape(nummer.group(1)) and "sort=-nummer" not in html.unescape(nummer.group(1))


# --- search ----------------------------------------------------------------------------------------

SEARCHES = [
    ("kita", ["101.26.0001"]),  # case-insensitive
    ("WOLFSANGER", ["101.26.0001"]),
    ("übergang", ["101.26.0014"]),  # also for umlauts (SQLite's own LIKE folds ASCII only)
    ("ÜBERGANG", ["101.26.0014"]),
    ("straße", ["101.26.0008", "101.26.0002"]),
    ("50%", ["B_2"]),  # % is a character, not a wildcard
    ("%", ["B_2"]),
    ("b_2", ["B_2"]),  # _ too: "BX2" does not match
    ("umbau_halle", ["BX2"]),  # not "UmbauXHalle"
    ("101.26.001", ["101.26.0016", "101.26.0015", "101.26.0014", "101.26.0013", "101.26.0010"][:4]),
    ("*", []),
    ("gibt es nicht", []),
]


def test_search_over_reference_and_title(site):
    for term, expected in SEARCHES:
        text, got = page(site, "climate", f"q={term.replace('%', '%25')}")
        assert got == expected, term
        assert f'value="{html.escape(term)}"' in text  # the box keeps the term
    # The search combines with the filters.
    assert page(site, "climate", "q=stra%C3%9Fe&status=returned")[1] == ["101.26.0008"]
    # Councillors search what they may see only.
    assert page(site, "council", "q=kita")[1] == []


# --- paging ----------------------------------------------------------------------------------------


def test_paging_counts_pages_and_keeps_the_filters(site):
    b = site["login"]("fremd")  # the neighbouring municipality: MANY checks of one author
    expected = [f"V-{i:03d}" for i in reversed(range(MANY))]
    seen = []
    for number in (1, 2):
        text = b.get(f"/register?pro_seite=25&seite={number}").get_data(as_text=True)
        seen += [html.unescape(r) for r in REF.findall(text)]
        assert f"Seite {number} von 2" in text
        assert f"{MANY} Klimachecks" in text
    assert seen == expected  # every check once, in order, over the pages
    text = b.get("/register?pro_seite=25&seite=2").get_data(as_text=True)
    assert "Einträge 26–45" in text and 'rel="prev"' in text and 'rel="next"' not in text
    # The links keep the filter and the page size.
    text = b.get("/register?pro_seite=25&votum=neutral&sort=co2").get_data(as_text=True)
    neutral = 2 * MANY // 3
    assert f"{neutral} Klimachecks" in text and "Seite 1 von 2" in text
    last = html.unescape(re.search(r'href="([^"]+)" rel="last"', text).group(1))
    assert all(p in last for p in ("votum=neutral", "sort=co2", "pro_seite=25", "seite=2"))
    text = b.get(last).get_data(as_text=True)
    got = [html.unescape(r) for r in REF.findall(text)]
    assert len(got) == neutral - 25 and got[-1] == f"V-{MANY - 1:03d}"  # ascending tonnes: the largest last
    assert 'aria-current="page"' in text


def test_a_page_past_the_end_shows_the_last_page(site):
    b = site["login"]("fremd")
    text = b.get("/register?pro_seite=25&seite=999").get_data(as_text=True)
    assert "Seite 2 von 2" in text and "angezeigt wird die letzte Seite" in text
    assert len(REF.findall(text)) == MANY - 25
    text = b.get("/register?seite=0").get_data(as_text=True)
    assert "Seite 1 von 1" not in text and len(REF.findall(text)) == MANY  # 45 fit on the default page of 50
    # Every page size offered works; no filter finds nothing, and says so.
    for size in listing.PAGE_SIZES:
        assert len(REF.findall(b.get(f"/register?pro_seite={size}").get_data(as_text=True))) == min(size, MANY)
    text = b.get("/register?q=nichts-dergleichen&seite=3").get_data(as_text=True)
    assert "Kein Klimacheck passt zu diesen Filtern." in text and "Filter zurücksetzen" in text


@pytest.mark.parametrize(
    "query",
    [
        "seite=abc",
        "pro_seite=9999",
        "pro_seite=-1",
        "von=kaputt",
        "bis=2026-02-30",
        "bis=9999-12-31",
        "von=0001-01-01",
        "votum=katastrophal",
        "status=%00",
        "pruefer=abc",
        "pruefer=99999999999999999999",
        "sort=drop table",
        "seite=99999999999999999999999",
        "regelwerk=%3Cscript%3E",
        "q=" + "x" * 500,
    ],
)
def test_malformed_parameters_give_the_page_with_sane_defaults(site, query):
    response = site["login"]("fremd").get(f"/register?{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<script>" not in text
    if not query.startswith(("seite=9", "regelwerk", "q=", "status=%00")):  # NUL: dropped by the hygiene layer
        assert "Nicht verstanden und daher nicht angewandt" in text, query
    got = REF.findall(text)
    assert len(got) in (0, listing.DEFAULT_PAGE_SIZE, MANY, MANY - 25) or query.startswith("seite=9")


@pytest.mark.parametrize("path", ["/register/export.csv", "/register/export.xlsx", "/uebersicht"])
def test_dates_out_of_reach_do_not_break_exports_or_the_overview(site, path):
    response = site["login"]("climate").get(f"{path}?bis=9999-12-31&von=0001-01-01")
    assert response.status_code == 200


def test_the_ignored_parameter_is_named(site):
    text = site["login"]("climate").get("/register?von=kaputt&votum=negative").get_data(as_text=True)
    assert "Nicht verstanden und daher nicht angewandt: Eingereicht ab." in text
    assert [html.unescape(r) for r in REF.findall(text)] == ["101.26.0004", "101.26.0002"]  # the rest applies


# --- the form --------------------------------------------------------------------------------------


def test_the_form_keeps_every_value_and_labels_every_field(site):
    reviewer = _user_id(site, "climate2")
    query = (
        f"q=Stra%C3%9Fe&status=returned&votum=positive&votum_beschlossen=positive&amt=Stra%C3%9Fenverkehrs-+und+Tiefbauamt"
        f"&gremium=Bau-+und+Planungsausschuss&von=2026-03-01&bis=2026-12-31&regelwerk=kassel-2030%402026.2"
        f"&ausnahme=formal&markiert=1&fragil=1&offen=1&pruefer={reviewer}&beschluss=rejected&geaendert=partly"
        f"&sort=-co2&pro_seite=100"
    )
    text, _ = page(site, "climate", query)
    selected = dict(
        re.findall(
            r'<select class="select[^"]*" id="([a-z_]+)" name="\1">.*?<option value="([^"]*)" selected>', text, re.S
        )
    )
    assert selected == {
        "status": "returned",
        "votum": "positive",
        "votum_beschlossen": "positive",
        "amt": "Straßenverkehrs- und Tiefbauamt",
        "gremium": "Bau- und Planungsausschuss",
        "regelwerk": "kassel-2030@2026.2",
        "ausnahme": "formal",
        "pruefer": str(reviewer),
        "beschluss": "rejected",
        "geaendert": "partly",
        "sort": "-co2",
        "pro_seite": "100",
    }
    assert 'id="q" name="q" value="Straße"' in text
    assert 'id="von" name="von" value="2026-03-01"' in text and 'id="bis" name="bis" value="2026-12-31"' in text
    for box in ("markiert", "fragil", "offen"):
        assert f'id="{box}" name="{box}" value="1" checked' in text
    # Every field of the form has a visible label.
    start = text.index('<form method="get"')
    form = text[start : text.index("</form>", start)]
    ids = re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', form)
    assert len(ids) == 18
    for ident in ids:
        label = re.search(
            rf'<label class="label small" for="{ident}">([^<]+)</label>|<label for="{ident}">([^<]+)</label>', form
        )
        assert label and (label.group(1) or label.group(2)).strip(), ident


def test_the_form_offers_the_values_present(site):
    text, _ = page(site, "climate")
    options = lambda name: re.findall(  # noqa: E731
        r'<option value="([^"]+)"[^>]*>([^<]*)</option>', text.split(f'name="{name}"')[1].split("</select>")[0]
    )
    departments = [v for v, _ in options("amt")]
    assert departments == sorted({r["department"] for r in VISIBLE} | {"Personal- und Organisationsamt"})
    assert "Fremdamt" not in text  # nothing of the neighbouring municipality
    formal = "Rein formaler Beschluss (z. B. Geschäftsordnung, Wahl, Benennung, Satzungsänderung ohne Sachwirkung)"
    assert dict(options("ausnahme")) == {"personal": "Personalangelegenheit", "formal": formal}
    # Rule sets present, each with the versions the installation evaluated with (its snapshots).
    assert [v for v, _ in options("regelwerk")] == ["kassel-2030", "kassel-2030@2026.2", "schnellcheck"]
    assert "Klimacheck Kassel – Klimaneutralität 2030 – Version 2026.2" in text
    assert [label for _, label in options("pruefer")] == ["Frau Klima", "Herr Prüfer"]


def test_a_reviewer_asked_for_is_named_only_within_the_municipality(site):
    """The filter form keeps a reviewer from the URL selectable; their name comes with the form's
    choices (one statement), and an account of another municipality stays a number."""
    with site["app"].app_context():
        database = site["app"].extensions["impactcheck.db"]
        with database.session() as s:
            ids = {name: ident for name, ident in s.execute(select(User.username, User.id)).all()}
    options = lambda text: re.findall(  # noqa: E731
        r'<option value="([^"]+)"([^>]*)>([^<]*)</option>', text.split('name="pruefer"')[1].split("</select>")[0]
    )
    foreign = ids["fremd"]  # the climate department of the neighbouring municipality
    text, _ = page(site, "climate", f"pruefer={foreign}")
    assert (str(foreign), " selected", f"Konto {foreign}") in options(text)
    assert "Herr Fremd" not in text
    text, _ = page(site, "climate", f"pruefer={ids['climate2']}")
    assert [label for _, _sel, label in options(text)] == ["Frau Klima", "Herr Prüfer"]
    assert (str(ids["climate2"]), " selected", "Herr Prüfer") in options(text)


# --- the rows --------------------------------------------------------------------------------------


def test_rows_show_the_columns_in_german(site):
    text, _ = page(site, "climate")
    row = lambda ref: text[text.index(f">{ref}<") :].split("</tr>")[0]  # noqa: E731
    r2 = row("101.26.0002")
    assert "Herr Zweiter" in r2 and "Straßenverkehrs- und Tiefbauamt" in r2
    assert "120,5" in r2 and "markiert" in r2 and "02.03.2026" in r2  # created 1 March 09:00 UTC + 1 day, +1 h
    r4 = row("101.26.0004")
    assert "mit der Alternative beschlossen" in r4 and "wirksam: positiv" in r4 and "beschlossen: -10,0" in r4
    assert "geändert wegen des Klimachecks: ja" in r4
    assert "Ausstieg: Rein formaler Beschluss" in row("101.26.0005")
    assert "Ausstieg: Personalangelegenheit" in row("SC-6")
    r7 = row("101.26.0007")
    assert "nicht robust" in r7 and "2 offene Punkte" in r7 and "abgelehnt" in r7
    # Links: a filed check to its page; a draft of someone else is plain text.
    assert re.search(r'<a href="/klimachecks/\d+">101.26.0002</a>', text)
    assert '<td data-label="Drucksache">101.26.0001</td>' in text
    assert "angelegt 01.03.2026" in row("101.26.0001")  # a draft: when it was started (the default order)
    # The check filed through the real operations carries what they wrote.
    real = row(REAL_REF)
    assert "zurückgezogen" in real and "Ausstieg: Personalangelegenheit" in real and "freigegeben" in real


def test_download_links_carry_the_filter(site):
    text, _ = page(site, "climate", "votum=negative&sort=co2")
    links = [html.unescape(h) for h in re.findall(r'<a href="([^"]+)" download>', text)]
    if not links:
        pytest.fail("no download links although the exports blueprint is installed")
    assert any(link.startswith("/register/export.csv?") for link in links)
    assert any(link.startswith("/register/export.xlsx?") for link in links)
    for link in links:
        assert "votum=negative" in link and "sort=co2" in link and "pro_seite" not in link


# --- a constant number of statements ------------------------------------------------------------


@contextmanager
def counted(site):
    engine = site["app"].extensions["impactcheck.db"].engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(site, who: str, url: str) -> list[str]:
    b = site["login"](who)
    b.get(url)  # warm: the login's first request may load the user once more
    with counted(site) as statements:
        assert b.get(url).status_code == 200
    return list(statements)


@pytest.mark.parametrize(
    "url", ["/register", "/register?pro_seite=200", "/register?votum=neutral&sort=co2", "/klimachecks"]
)
def test_statements_do_not_grow_with_the_checks(site, url):
    many_who, few_who = ("fremdautor", "kleinautor") if url == "/klimachecks" else ("fremd", "klein")
    many = _statements(site, many_who, url)
    few = _statements(site, few_who, url)
    assert len(many) == len(few), (many, few)
    # The register: the user (with the municipality), the page with its count, the filter form's
    # choices, the navigation's count of decisions due.
    assert len(many) <= (4 if url.startswith("/register") else 16), many
    # No revision (and none of its JSON) is read for a list.
    assert not any(re.search(r"\bFROM revision\b", s) for s in many)


# --- Meine Klimachecks --------------------------------------------------------------------------


def test_my_checks_are_paged_and_read_from_the_check_rows(site):
    b = site["login"]("fremdautor")  # MANY checks
    text = b.get("/klimachecks").get_data(as_text=True)
    assert f"{MANY} Klimachecks" in text and "Seite 1 von 1" not in text
    text = b.get("/klimachecks?pro_seite=25").get_data(as_text=True)
    assert "Seite 1 von 2" in text and len(REF.findall(text)) == 25
    nxt = html.unescape(re.search(r'href="([^"]+)" rel="next"', text).group(1))
    text = b.get(nxt).get_data(as_text=True)
    assert "Seite 2 von 2" in text and len(REF.findall(text)) == MANY - 25
    assert b.get("/klimachecks?seite=abc&pro_seite=abc").status_code == 200
    # Status, revision and result come from the row's columns.
    text = site["login"]("author2").get("/klimachecks").get_data(as_text=True)
    row = text[text.index("101.26.0009") :].split("</tr>")[0]
    assert "Entwurf" in row and "Revision 2" in row and "positiv" in row and "eingereicht mit Revision 1" in row
    assert "Fortsetzen" in row and "Entwurf löschen" not in row  # it was submitted once: part of the record
    text = site["login"]("author").get("/klimachecks").get_data(as_text=True)
    row = text[text.index("101.26.0001") :].split("</tr>")[0]
    assert "Fortsetzen" in row and "Entwurf löschen" in row
    assert "Gelöschter Entwurf" not in text


def test_my_checks_list_what_the_wizard_filed(site):
    """The page reads the columns operations write: submit and revise through the wizard (in the small
    municipality, whose checks no other test counts)."""
    from tests.web.flows import submit_example

    author = site["login"]("kleinautor")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="W-1")
    text = author.get("/klimachecks").get_data(as_text=True)
    row = text[text.index("W-1") :].split("</tr>")[0]
    assert "eingereicht" in row and "nicht klimarelevant" in row and "Ansehen" in row
    author.get(f"/klimachecks/{check_id}")
    assert author.post(f"/klimachecks/{check_id}/neue-revision").status_code == 302
    text = author.get("/klimachecks").get_data(as_text=True)
    row = text[text.index("W-1") :].split("</tr>")[0]
    assert "Entwurf" in row and "Revision 2" in row and "Fortsetzen" in row
    # The department's register shows the draft in progress and the submitted state beside it.
    text = site["login"]("klein").get("/register").get_data(as_text=True)
    row = text[text.index("W-1") :].split("</tr>")[0]
    assert "Entwurf" in row and "zuletzt eingereicht: eingereicht" in row and "nicht klimarelevant" in row
