"""Races: two requests that change the same thing at the same moment, against a real server.

Every test serves the app on a loopback port (werkzeug, one thread per request) and sends the two
requests from two threads at once, on SQLite and on PostgreSQL. So that the race happens every time
and not by luck, a `Rendezvous` holds each request at its first write until the other has reached
it too: both have read the same state before either writes, the situation a double click or two
tabs create. Each ends in the conflict page with the typed input kept, or is idempotent (the
second click sees what the first did) – never in a 500 or a second row.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import event, func, select, update

from impactcheck.store.models import AuditEntry, Check, Municipality, Revision, RulesetSnapshot, User
from tests.support import ROOT
from tests.web.conftest import PASSWORD, TOKEN, VERSION
from tests.web.flows import PAPER, SCREEN_NO

WRITES = ("INSERT", "UPDATE", "DELETE")
ROW_LOCK = re.compile(r"FOR (NO KEY )?UPDATE$")
CONFLICT = "an anderer Stelle geändert"


class Rendezvous:
    """Hold each of `parties` requests at its first statement starting with one of `at` until all
    have arrived there (or `timeout` passed: a request that never writes must not hang the test)."""

    def __init__(self, engine, at: tuple[str, ...] = WRITES, parties: int = 2, timeout: float = 5.0):
        self.engine = engine
        self.at = tuple(a.upper() for a in at)
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.held: set[int] = set()
        self.happened = False
        self._lock = threading.Lock()

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        sql = statement.strip().upper()
        # A row lock (PostgreSQL's SELECT … FOR [NO KEY] UPDATE) is where a request starts writing, too.
        if not (sql.startswith(self.at) or (self.at == WRITES and ROW_LOCK.search(sql))):
            return
        with self._lock:
            me = threading.get_ident()
            if me in self.held or me == threading.main_thread().ident:
                return
            self.held.add(me)
        try:
            self.barrier.wait()
            self.happened = True
        except threading.BrokenBarrierError:
            pass

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)


class Client:
    """A browser on the live server: cookies, the CSRF token and version of the last page."""

    def __init__(self, base: str, http: requests.Session | None = None):
        self.base = base
        self.http = http or requests.Session()
        self.html = ""

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, allow_redirects=False, timeout=60)
        if response.status_code == 200:
            self.html = response.text
        return response

    def post(self, path: str, data: dict, html: str | None = None) -> requests.Response:
        payload = {"csrf_token": token(html or self.html), **data}
        return self.http.post(self.base + path, data=payload, allow_redirects=False, timeout=60)

    def login(self, username: str) -> Client:
        self.get("/login")
        assert self.post("/login", {"username": username, "password": PASSWORD}).status_code == 302
        return self

    def twin(self) -> Client:
        """The same browser (same cookies): a second click, or a second tab."""
        http = requests.Session()
        http.cookies.update(self.http.cookies)
        return Client(self.base, http)


def token(html: str) -> str:
    m = TOKEN.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


def version(html: str) -> str:
    m = VERSION.search(html)
    assert m, "no version on the page"
    return m.group(1) or m.group(2)


def at_once(*calls):
    """Run the calls in parallel threads; their results in order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(c) for c in calls]
        return [f.result() for f in futures]


@pytest.fixture
def engine(app):
    return app.extensions["impactcheck.db"].engine


def start(client: Client, **paper) -> int:
    client.get("/klimachecks/neu")
    data = {**PAPER, **paper, "ruleset": "kassel-2030"}
    # "Trotzdem neu beginnen": past the warning that this paper reference has a check already.
    data["trotzdem"] = data["reference"].strip().lower()
    response = client.post("/klimachecks/neu", data)
    assert response.status_code == 302, response.text[:2000]
    return int(re.search(r"/klimachecks/(\d+)/", response.headers["Location"]).group(1))


def to_review(client: Client, check_id: int) -> str:
    """Answer a check that exits in the screening; returns the review page."""
    for step, data in (
        ("vorpruefung", SCREEN_NO),
        ("exit", {"exit_reason": "information", "exit_explanation": "Nur ein Bericht."}),
    ):
        client.get(f"/klimachecks/{check_id}/schritt/{step}")
        sent = client.post(f"/klimachecks/{check_id}/schritt/{step}", {**data, "version": version(client.html)})
        assert sent.status_code == 302, sent.text[:2000]
    review = client.get(f"/klimachecks/{check_id}/pruefen")
    assert review.status_code == 200
    return review.text


def submitted(client: Client, check_id: int) -> None:
    html = to_review(client, check_id)
    assert client.post(f"/klimachecks/{check_id}/einreichen", {"version": version(html)}).status_code == 302


def count(db_session, stmt) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(stmt.subquery()))


# --- same-version saves -----------------------------------------------------------------------


def test_same_version_step_saves_end_in_the_conflict_page(live, engine, db_session):
    author = Client(live).login("author")
    check_id = start(author)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    page = author.get(url).text
    base = {"version": version(page), "action": "next"}
    one, two = author, author.twin()
    with Rendezvous(engine) as meeting:
        first, second = at_once(
            lambda: one.post(url, {**base, **SCREEN_NO, "betrifft_gebaeude": "ja"}, html=page),
            lambda: two.post(url, {**base, **SCREEN_NO, "betrifft_mobilitaet": "ja"}, html=page),
        )
    assert meeting.happened, "the two saves did not overlap"
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 302], (statuses, first.text[:300], second.text[:300])
    loser = first if first.status_code == 200 else second
    assert CONFLICT in loser.text
    db_session.expire_all()
    stored = db_session.get(Check, check_id).current
    # The loser's typed answer is on its page, not in the database; its page carries the current
    # version, so saving again is a deliberate overwrite.
    lost_topic = "betrifft_gebaeude" if loser is first else "betrifft_mobilitaet"
    assert f'name="{lost_topic}" value="ja" checked' in loser.text
    assert stored.answers[lost_topic] is False
    assert version(loser.text) == str(stored.version)
    again = (one if loser is first else two).post(
        url, {"version": version(loser.text), "action": "next", **SCREEN_NO, lost_topic: "ja"}, html=loser.text
    )
    assert again.status_code == 302
    db_session.expire_all()
    assert db_session.get(Check, check_id).current.answers[lost_topic] is True


@pytest.mark.parametrize(
    ("page_name", "field", "typed"),
    [
        ("vorlage", "title", ("Titel aus Fenster eins", "Titel aus Fenster zwei")),
        ("alternative", "description", ("Sanierung statt Neubau", "Wärmepumpe statt Gaskessel")),
    ],
)
def test_same_version_paper_and_alternative_saves_end_in_the_conflict_page(
    live, engine, db_session, page_name, field, typed
):
    author = Client(live).login("author")
    check_id = start(author)
    path = f"/klimachecks/{check_id}/{page_name}"
    page = author.get(path).text
    base = {**(PAPER if field == "title" else {}), "version": version(page)}
    twin = author.twin()
    with Rendezvous(engine) as meeting:
        responses = at_once(
            lambda: author.post(path, {**base, field: typed[0]}, html=page),
            lambda: twin.post(path, {**base, field: typed[1]}, html=page),
        )
    assert meeting.happened
    assert sorted(r.status_code for r in responses) == [200, 302], [r.text[:300] for r in responses]
    loser = next(i for i, r in enumerate(responses) if r.status_code == 200)
    assert CONFLICT in responses[loser].text
    assert typed[loser] in responses[loser].text  # the typed input is on the page
    db_session.expire_all()
    check = db_session.get(Check, check_id)
    assert (check.title if field == "title" else check.current.alternative_description) == typed[1 - loser]


# --- double clicks ----------------------------------------------------------------------------


def test_double_submit_shows_the_submitted_result(live, engine, db_session):
    author = Client(live).login("author")
    check_id = start(author)
    review = to_review(author, check_id)
    data = {"version": version(review)}
    twin = author.twin()
    with Rendezvous(engine) as meeting:
        responses = at_once(
            lambda: author.post(f"/klimachecks/{check_id}/einreichen", data, html=review),
            lambda: twin.post(f"/klimachecks/{check_id}/einreichen", data, html=review),
        )
    assert meeting.happened
    for r in responses:
        assert r.status_code == 302, r.text[:500]
        assert r.headers["Location"].endswith(f"/klimachecks/{check_id}")
    # Each click's browser shows the result page with a notice that the check is submitted.
    for client in (author, twin):
        page = client.get(f"/klimachecks/{check_id}")
        assert page.status_code == 200
        assert "ist eingereicht" in page.text
    assert count(db_session, select(Revision).where(Revision.check_id == check_id)) == 1
    assert count(db_session, select(AuditEntry).where(AuditEntry.action == "check.submit")) == 1
    assert db_session.get(Check, check_id).current.status == "submitted"


def test_double_new_revision_gives_both_the_draft(live, engine, db_session):
    author = Client(live).login("author")
    check_id = start(author)
    submitted(author, check_id)
    page = author.get(f"/klimachecks/{check_id}").text
    twin = author.twin()
    url = f"/klimachecks/{check_id}/neue-revision"
    with Rendezvous(engine) as meeting:
        responses = at_once(lambda: author.post(url, {}, html=page), lambda: twin.post(url, {}, html=page))
    assert meeting.happened
    for r in responses:
        assert r.status_code == 302, r.text[:500]
        assert r.headers["Location"].endswith(f"/klimachecks/{check_id}/pruefen")
    for client in (author, twin):
        assert client.get(f"/klimachecks/{check_id}/pruefen").status_code == 200
    db_session.expire_all()
    numbers = [(r.number, r.status) for r in db_session.get(Check, check_id).revisions]
    assert numbers == [(1, "submitted"), (2, "draft")]
    assert count(db_session, select(AuditEntry).where(AuditEntry.action == "check.new_revision")) == 1


def test_double_remove_alternative_says_it_is_removed(live, engine, db_session):
    author = Client(live).login("author")
    check_id = start(author)
    page = author.get(f"/klimachecks/{check_id}/alternative").text
    described = {"description": "Sanierung statt Neubau", "version": version(page)}
    assert author.post(f"/klimachecks/{check_id}/alternative", described).status_code == 302
    review = author.get(f"/klimachecks/{check_id}/pruefen").text
    url = f"/klimachecks/{check_id}/alternative/entfernen"
    twin = author.twin()
    data = {"version": version(review)}
    with Rendezvous(engine) as meeting:
        responses = at_once(lambda: author.post(url, data, html=review), lambda: twin.post(url, data, html=review))
    assert meeting.happened
    assert [r.status_code for r in responses] == [302, 302]
    for client in (author, twin):
        shown = client.get(f"/klimachecks/{check_id}/pruefen").text
        assert "Die Alternative wurde entfernt." in shown and CONFLICT not in shown
    db_session.expire_all()
    assert db_session.get(Check, check_id).current.alternative_description is None
    assert count(db_session, select(AuditEntry).where(AuditEntry.action == "check.alternative_removed")) == 1


def test_double_approve_shows_the_decision(live, engine, db_session):
    author = Client(live).login("author")
    check_id = start(author)
    submitted(author, check_id)
    reviewer = Client(live).login("climate")
    page = reviewer.get(f"/klimachecks/{check_id}").text
    data = {"decision": "approve", "comment": "", "version": version(page)}
    twin = reviewer.twin()
    url = f"/klimachecks/{check_id}/pruefung"
    with Rendezvous(engine) as meeting:
        responses = at_once(lambda: reviewer.post(url, data, html=page), lambda: twin.post(url, data, html=page))
    assert meeting.happened
    for r in responses:
        assert r.status_code == 302, r.text[:500]
        assert r.headers["Location"].endswith(f"/klimachecks/{check_id}")
    for client in (reviewer, twin):
        assert re.search("ist (bereits )?freigegeben", client.get(f"/klimachecks/{check_id}").text)
    assert count(db_session, select(AuditEntry).where(AuditEntry.action == "check.approve")) == 1
    # A click that arrives after the first was stored is told the same, not that nothing is to review.
    late = reviewer.post(url, data, html=page)
    assert late.status_code == 302
    assert "bereits freigegeben" in reviewer.get(f"/klimachecks/{check_id}").text


def test_double_start_makes_one_draft(live, engine, db_session):
    author = Client(live).login("author")
    page = author.get("/klimachecks/neu").text
    data = {**PAPER, "ruleset": "kassel-2030"}
    twin = author.twin()
    with Rendezvous(engine) as meeting:
        responses = at_once(
            lambda: author.post("/klimachecks/neu", data, html=page),
            lambda: twin.post("/klimachecks/neu", data, html=page),
        )
    assert meeting.happened
    assert [r.status_code for r in responses] == [302, 302], [r.text[:300] for r in responses]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    assert count(db_session, select(Check)) == 1
    assert count(db_session, select(AuditEntry).where(AuditEntry.action == "check.create")) == 1
    # A click a moment later (the first response already arrived) gets the same draft too.
    later = author.post("/klimachecks/neu", data, html=page)
    assert later.headers["Location"] == responses[0].headers["Location"]
    assert count(db_session, select(Check)) == 1
    # Not a double click: another paper, another author, or the same paper again minutes later.
    first = int(re.search(r"/klimachecks/(\d+)/", later.headers["Location"]).group(1))
    assert start(author, title="Eine andere Vorlage") != first
    assert start(Client(live).login("author2")) != first
    db_session.execute(update(Check).values(created_at=Check.created_at - dt.timedelta(minutes=5)))
    db_session.commit()
    assert start(author) != first
    assert count(db_session, select(Check)) == 4


# --- the rule set snapshot --------------------------------------------------------------------


def test_simultaneous_submits_store_a_new_snapshot_once(live, engine, db_session):
    """The first two submits after a rule file changed both store its text: one row, no error."""
    clients, reviews = [], []
    for name in ("author", "author2"):
        client = Client(live).login(name)
        check_id = start(client)
        reviews.append((check_id, to_review(client, check_id)))
        clients.append(client)
    assert count(db_session, select(RulesetSnapshot)) == 0
    with Rendezvous(engine, at=("INSERT INTO ruleset_snapshot",)) as meeting:
        responses = at_once(
            *(
                (lambda c=c, cid=cid, html=html: c.post(f"/klimachecks/{cid}/einreichen", {"version": version(html)}))
                for c, (cid, html) in zip(clients, reviews, strict=True)
            )
        )
    assert meeting.happened
    assert [r.status_code for r in responses] == [302, 302], [r.text[:300] for r in responses]
    db_session.expire_all()
    assert {db_session.get(Check, cid).current.status for cid, _ in reviews} == {"submitted"}
    assert count(db_session, select(RulesetSnapshot)) == 2  # the rule file and its factor table


# --- the CLI: two `users add` at once for a municipality not yet in the database ----------------

BARRIER = """
import os, sys, time
from sqlalchemy import Engine, event

folder, at = sys.argv[1], sys.argv[2].upper()
held = []

@event.listens_for(Engine, "before_cursor_execute")
def _meet(conn, cursor, statement, *args):
    # Both processes wait here before their first matching write, so both have read before either writes.
    if held or not statement.lstrip().upper().startswith(at):
        return
    held.append(1)
    open(os.path.join(folder, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 15
    while len(os.listdir(folder)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)

from impactcheck.cli import main
main(sys.argv[3:])
"""


def _users_add_at_once(tmp_path: Path, database_url: str, at: str, names: tuple[str, str], **settings: str):
    """Run two `users add` processes that meet before the statement `at`; (exit status, stdout, stderr) each."""
    folder = tmp_path / "barrier"
    folder.mkdir()
    env = {
        **os.environ,
        "IMPACTCHECK_INSTANCE": str(tmp_path / "instance"),
        "IMPACTCHECK_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        **{f"IMPACTCHECK_{k}": v for k, v in settings.items()},
    }
    password = tmp_path / "password.txt"
    password.write_text("ein-langes-passwort\n", encoding="utf-8")
    stdins = [password.open(encoding="utf-8") for _ in names]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BARRIER, str(folder), at, "users", "add", name, "--role", "author"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name, stdin in zip(names, stdins, strict=True)
    ]
    outcomes = [p.communicate(timeout=120) for p in procs]
    for stdin in stdins:
        stdin.close()
    assert len(os.listdir(folder)) == 2, ("the two processes did not meet", outcomes)
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outcomes, strict=True)]


def test_two_users_add_at_once_for_a_new_municipality(app, tmp_path, db_session):
    results = _users_add_at_once(
        tmp_path,
        app.config["DATABASE_URL"],
        "INSERT INTO municipality",
        ("erste", "zweite"),
        MUNICIPALITY_SLUG="neu",
        MUNICIPALITY_NAME="Neue Gemeinde",
    )
    assert [r[0] for r in results] == [0, 0], results
    db_session.expire_all()
    neu = db_session.scalar(select(Municipality).where(Municipality.slug == "neu"))
    assert neu is not None
    assert set(db_session.scalars(select(User.username).where(User.municipality_id == neu.id))) == {"erste", "zweite"}
    created = select(AuditEntry).where(AuditEntry.action == "municipality.create", AuditEntry.municipality_id == neu.id)
    assert count(db_session, created) == 1


def test_two_users_add_of_one_name_at_once(app, tmp_path, db_session):
    """One account is created, the other command is told so in one line (exit 2), not an internal error."""
    results = _users_add_at_once(tmp_path, app.config["DATABASE_URL"], "INSERT INTO app_user", ("dritte", "dritte"))
    assert sorted(r[0] for r in results) == [0, 2], results
    refused = next(r for r in results if r[0] == 2)
    assert "gibt es schon" in refused[2] and len(refused[2].strip().splitlines()) == 1, refused
    assert count(db_session, select(User).where(User.username == "dritte")) == 1
