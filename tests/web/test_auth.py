"""Login, logout, cookies, CSRF, login throttling, and the health check."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import event, func, select, text
from werkzeug.serving import make_server

from impactcheck.store import operations as ops
from impactcheck.store.models import AuditEntry, User
from tests.web.conftest import PASSWORD, TOKEN, Browser


def test_login_logout(browser):
    assert browser.get("/klimachecks").status_code == 302
    response = browser.submit(
        "/login?next=/register", {"username": "climate", "password": PASSWORD}, post_url="/login?next=/register"
    )
    assert response.headers["Location"] == "/register"
    assert browser.get("/register").status_code == 200
    browser.post("/logout")
    assert browser.get("/register").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(browser):
    a = browser.submit("/login", {"username": "author", "password": "falsch-falsch"})
    b = browser.submit("/login", {"username": "niemand", "password": "falsch-falsch"})
    assert a.status_code == b.status_code == 401
    assert "Benutzername oder Passwort ist falsch" in a.get_data(as_text=True)
    assert a.get_data(as_text=True).count("falsch") == b.get_data(as_text=True).count("falsch")


def test_deactivated_user_cannot_log_in_and_is_logged_out(app, as_role, db_session):
    b = as_role("author")
    user = db_session.query(User).filter_by(username="author").one()
    ops.set_active(db_session, None, user, False)
    db_session.commit()
    assert b.get("/klimachecks").status_code == 302  # the running session ends too
    response = Browser(app.test_client()).submit("/login", {"username": "author", "password": PASSWORD})
    assert response.status_code == 401


def test_next_cannot_point_elsewhere(browser):
    response = browser.submit(
        "/login?next=https://evil.example/",
        {"username": "author", "password": PASSWORD},
        post_url="/login?next=https://evil.example/",
    )
    assert response.headers["Location"] == "/"
    browser.post("/logout")
    response = browser.submit(
        "/login?next=//evil.example/x",
        {"username": "author", "password": PASSWORD},
        post_url="/login?next=//evil.example/x",
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(app):
    client = app.test_client()
    b = Browser(client)
    response = b.submit("/login", {"username": "author", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development
    tls = Browser(app.test_client())
    page = tls.client.get("/login", base_url="https://klimacheck.example")
    token = tls.token(page.get_data(as_text=True))
    response = tls.client.post(
        "/login",
        base_url="https://klimacheck.example",
        data={"csrf_token": token, "username": "author", "password": PASSWORD},
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_healthz(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


def test_healthz_reports_broken_database(app, tmp_path):
    from impactcheck.app import create_app

    broken = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "i"),
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_error_pages_are_german(as_role):
    b = as_role("author")
    html = b.get("/gibt-es-nicht").get_data(as_text=True)
    assert "Seite nicht gefunden" in html and "Traceback" not in html


def test_security_headers(app):
    response = app.test_client().get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- login throttling: per client address and per user name, counted in the database ----------------

WRONG = "falsch-falsch"


def client_at(app, address: str, **environ) -> Browser:
    """A browser whose requests come from `address` (the socket's peer address)."""
    browser = Browser(app.test_client())
    browser.client.environ_base.update({"REMOTE_ADDR": address, **environ})
    return browser


def attempt(browser: Browser, username: str, password: str = WRONG) -> int:
    return browser.submit("/login", {"username": username, "password": password}).status_code


def age_counts(db_session, seconds: float) -> None:
    """Let `seconds` pass for the stored counts (moving their times back instead of sleeping)."""
    from impactcheck.store.models import LoginThrottle

    db_session.expire_all()
    for row in db_session.scalars(select(LoginThrottle)):
        row.last_failure_at -= dt.timedelta(seconds=seconds)
    db_session.commit()


def test_a_guesser_elsewhere_never_blocks_the_right_password(app):
    guesser = client_at(app, "10.0.0.66")
    assert [attempt(guesser, "author") for _ in range(6)] == [401] * 5 + [429]
    owner = client_at(app, "10.0.0.1")
    assert attempt(owner, "author", PASSWORD) == 302  # before: 429 for 15 minutes


def test_the_failing_client_waits_longer_after_every_failure(app, db_session):
    from impactcheck.store import logins

    assert [logins.wait_after(n, logins.NAME_POLICY) for n in (4, 5, 6, 7, 20)] == [0, 5, 10, 20, 900]
    b = client_at(app, "10.0.0.66")
    assert [attempt(b, "author") for _ in range(5)] == [401] * 5
    for seconds in (5, 10, 20, 40):
        response = b.submit("/login", {"username": "author", "password": PASSWORD})
        assert response.status_code == 429
        assert f"in {seconds} Sekunden erneut" in response.get_data(as_text=True)
        assert int(response.headers["Retry-After"]) == seconds
        age_counts(db_session, seconds)
        assert attempt(b, "author") == 401  # the wait is over: one more try, then twice the wait
    age_counts(db_session, 80)
    assert attempt(b, "author", PASSWORD) == 302


def test_one_client_guessing_many_names_is_throttled(app):
    b = client_at(app, "10.0.0.66")
    assert [attempt(b, f"name{i}") for i in range(9)] == [401] * 9
    for colleague in ("author", "author2", "council", "climate"):  # an office behind one address
        c = client_at(app, "10.0.0.66")
        assert attempt(c, colleague, PASSWORD) == 302  # a right password costs the address nothing
    assert attempt(b, "name9") == 401
    response = b.submit("/login", {"username": "name10", "password": WRONG})
    assert response.status_code == 429 and "Zu viele fehlgeschlagene Anmeldungen" in response.get_data(as_text=True)
    assert attempt(client_at(app, "10.0.0.67"), "name10") == 401  # another client is not held back


def test_without_trust_proxy_a_forwarded_address_changes_nothing(app):
    answers = []
    for i in range(11):
        b = client_at(app, "10.0.0.66", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        answers.append(attempt(b, f"name{i}"))
    assert answers == [401] * 10 + [429]


def test_with_trust_proxy_the_forwarded_address_is_the_client(app, tmp_path):
    from impactcheck.app import create_app

    behind_proxy = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": str(tmp_path / "proxy"),
            "TRUST_PROXY": True,
        }
    )
    try:
        guesser = client_at(behind_proxy, "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert [attempt(guesser, f"name{i}") for i in range(11)] == [401] * 10 + [429]
        other = client_at(behind_proxy, "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8")
        assert attempt(other, "name11") == 401
    finally:
        behind_proxy.extensions["impactcheck.db"].dispose()


def test_many_failures_lock_the_name_until_an_admin_lifts_it(app, as_role, db_session):
    for i in range(50):  # a guesser with many addresses, one try each
        assert attempt(client_at(app, f"10.1.0.{i}"), "author") == 401
    locked = client_at(app, "10.0.0.1").submit("/login", {"username": "author", "password": PASSWORD})
    assert locked.status_code == 429 and "gesperrt" in locked.get_data(as_text=True)
    admin = as_role("admin")
    page = admin.get("/admin/benutzer").get_data(as_text=True)
    assert "Die Anmeldung als „author“ ist nach vielen Fehlversuchen gesperrt" in page
    author_id = db_session.scalar(select(User.id).where(User.username == "author"))
    assert admin.post(f"/admin/benutzer/{author_id}/entsperren").status_code == 302
    assert "wieder möglich" in admin.get("/admin/benutzer").get_data(as_text=True)
    assert attempt(client_at(app, "10.0.0.1"), "author", PASSWORD) == 302
    assert any(e.action == "user.unlock" for e in db_session.scalars(select(AuditEntry)))


def test_an_admin_password_reset_also_lifts_the_lock(app, as_role, db_session):
    for i in range(50):
        attempt(client_at(app, f"10.1.0.{i}"), "author2")
    assert attempt(client_at(app, "10.0.0.1"), "author2", PASSWORD) == 429
    admin = as_role("admin")
    admin.get("/admin/benutzer")
    user_id = db_session.scalar(select(User.id).where(User.username == "author2"))
    admin.post(f"/admin/benutzer/{user_id}/passwort", {"password": "ganz-neues-passwort"})
    assert attempt(client_at(app, "10.0.0.1"), "author2", "ganz-neues-passwort") == 302


def test_failed_logins_hold_across_workers_and_restarts(app, tmp_path):
    b = client_at(app, "127.0.0.1")
    assert [attempt(b, "author") for _ in range(5)] == [401] * 5
    # Another worker process (or the same server after a restart) on the same database.
    script = (
        "import re, sys\n"
        "from impactcheck.app import create_app\n"
        "app = create_app({'TESTING': True, 'SECRET_KEY': 'x', 'DATABASE_URL': sys.argv[1],"
        " 'INSTANCE_PATH': sys.argv[2]})\n"
        "c = app.test_client()\n"
        'token = re.search(r\'name="csrf_token"[^>]*value="([^"]+)"\', c.get(\'/login\').get_data(as_text=True))[1]\n'
        "r = c.post('/login', data={'csrf_token': token, 'username': 'author', 'password': sys.argv[3]})\n"
        "print(r.status_code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, app.config["DATABASE_URL"], str(tmp_path / "worker"), PASSWORD],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "429"


# --- parallel guesses against a real server -----------------------------------------------------------------


@contextlib.contextmanager
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


class HoldFirstCounts:
    """Hold the first `parties` requests at their first write to the counts until all of them got there:
    all have read the same count before any of them changes it, the worst case for a counter."""

    WRITES = ("INSERT INTO LOGIN_THROTTLE", "UPDATE LOGIN_THROTTLE")

    def __init__(self, engine, parties: int = 8, timeout: float = 10.0, writes: tuple[str, ...] | None = None):
        self.writes = writes or self.WRITES
        self.engine = engine
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.seen: set[int] = set()
        self.lock = threading.Lock()
        self.met = False
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(self.writes):
            return
        with self.lock:
            me = threading.get_ident()
            if self.met or me in self.seen or len(self.seen) >= self.barrier.parties:
                return
            self.seen.add(me)
        try:
            self.barrier.wait()
            self.met = True
        except threading.BrokenBarrierError:
            pass

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


def parallel_guesses(base: str, username: str, forwarded_for: list[str | None]) -> list[int]:
    """One browser per entry (its own session and CSRF token); all send a wrong password at once."""
    sessions = []
    for address in forwarded_for:
        headers = {"X-Forwarded-For": address} if address else {}
        s = requests.Session()
        s.headers.update(headers)
        token = TOKEN.search(s.get(base + "/login", timeout=30).text)
        sessions.append((s, token.group(1) or token.group(2)))
    start = threading.Barrier(len(sessions))

    def guess(item):
        s, token = item
        start.wait()
        data = {"csrf_token": token, "username": username, "password": WRONG}
        return s.post(base + "/login", data=data, allow_redirects=False, timeout=60).status_code

    with ThreadPoolExecutor(len(sessions)) as pool:
        return list(pool.map(guess, sessions))


def stored_failures(db_session, kind: str) -> list[int]:
    db_session.expire_all()
    return sorted(
        db_session.execute(text("SELECT failures FROM login_throttle WHERE kind = :k"), {"k": kind}).scalars()
    )


def test_parallel_guesses_from_one_client_cannot_slip_past_the_count(app, db_session):
    hold = HoldFirstCounts(app.extensions["impactcheck.db"].engine)
    try:
        with served(app) as base:
            statuses = parallel_guesses(base, "author", [None] * 20)
    finally:
        hold.remove()
    assert sorted(statuses) == [401] * 5 + [429] * 15  # before: most of the 20 were checked
    assert stored_failures(db_session, "name") == [5] and stored_failures(db_session, "address") == [5]
    assert hold.met  # eight of them really read the same count before any wrote it


def test_parallel_guesses_from_many_addresses_stop_at_the_lock(app, db_session, tmp_path):
    from impactcheck.app import create_app

    behind_proxy = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": str(tmp_path / "proxy"),
            "TRUST_PROXY": True,
        }
    )
    hold = HoldFirstCounts(behind_proxy.extensions["impactcheck.db"].engine)
    try:
        with served(behind_proxy) as base:
            statuses = parallel_guesses(base, "author", [f"198.51.100.{i}" for i in range(60)])
    finally:
        hold.remove()
        behind_proxy.extensions["impactcheck.db"].dispose()
    assert statuses.count(401) == 50 and statuses.count(429) == 10
    assert stored_failures(db_session, "name") == [50]
    assert hold.met


def parallel_logins(base: str, logins: list[tuple[str, str]]) -> list[int]:
    """One browser per (username, password), all from this machine's address, all sending at once."""
    sessions = []
    for username, password in logins:
        s = requests.Session()
        token = TOKEN.search(s.get(base + "/login", timeout=30).text)
        sessions.append(
            (s, {"csrf_token": token.group(1) or token.group(2), "username": username, "password": password})
        )
    start = threading.Barrier(len(sessions))

    def send(item):
        s, data = item
        start.wait()
        return s.post(base + "/login", data=data, allow_redirects=False, timeout=60).status_code

    with ThreadPoolExecutor(len(sessions)) as pool:
        return list(pool.map(send, sessions))


def colleagues(db_session, count: int) -> list[str]:
    """`count` more accounts of the default municipality (an office behind one address)."""
    from impactcheck.store.models import Municipality

    municipality = db_session.scalar(select(Municipality).where(Municipality.slug == "default"))
    names = [f"kollegin{i}" for i in range(count)]
    for name in names:
        ops.create_user(db_session, None, municipality=municipality, username=name, password=PASSWORD, role="author")
    db_session.commit()
    return names


def in_flight(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(text("SELECT count(*) FROM login_throttle WHERE kind = 'flight'"))


@pytest.mark.parametrize("accounts", ["colleagues", "one account in many tabs"])
def test_many_right_passwords_at_once_from_one_address_all_get_in(app, db_session, accounts):
    """A town hall behind one address at 8:00: 24 right passwords at once – none may wait (before: from
    the eleventh on, the others' attempts still being checked counted as failures, 429)."""
    names = colleagues(db_session, 24) if accounts == "colleagues" else ["author"] * 24
    hold = HoldFirstCounts(app.extensions["impactcheck.db"].engine, parties=12)
    try:
        with served(app) as base:
            statuses = parallel_logins(base, [(name, PASSWORD) for name in names])
    finally:
        hold.remove()
    assert statuses == [302] * 24
    assert hold.met  # twelve of them read the same count before any wrote it
    assert stored_failures(db_session, "address") in ([], [0]) and stored_failures(db_session, "name") == []
    assert in_flight(db_session) == 0


def test_right_and_wrong_passwords_at_once_are_told_apart(app, db_session):
    """The right ones all get in; every wrong one is counted, and none more."""
    names = colleagues(db_session, 20)
    logins = [(name, PASSWORD) for name in names] + [(f"vertippt{i}", WRONG) for i in range(4)]
    with served(app) as base:
        statuses = parallel_logins(base, logins)
    assert statuses == [302] * 20 + [401] * 4
    assert stored_failures(db_session, "address") == [4] and stored_failures(db_session, "name") == [1] * 4
    assert in_flight(db_session) == 0


def test_parallel_wrong_guesses_on_many_names_are_all_counted(app, db_session):
    """Twenty guesses at once from one address: the ten the address allows are checked and counted, the
    others are refused (not checked) – however the twenty interleave."""
    hold = HoldFirstCounts(app.extensions["impactcheck.db"].engine, parties=12)
    try:
        with served(app) as base:
            statuses = parallel_logins(base, [(f"name{i}", WRONG) for i in range(20)])
    finally:
        hold.remove()
    assert sorted(statuses) == [401] * 10 + [429] * 10
    assert stored_failures(db_session, "address") == [10] and stored_failures(db_session, "name") == [1] * 10
    assert in_flight(db_session) == 0
    assert hold.met


def test_an_attempt_lost_in_flight_delays_a_refusal_only_briefly(app, db_session, monkeypatch):
    """A worker that died while checking a password leaves its attempt in flight: a refusal it could have
    lifted waits for it HOLD seconds at most, and after STALE it is not waited for at all."""
    from impactcheck.store import logins
    from impactcheck.store.models import LoginThrottle, utcnow

    monkeypatch.setattr(logins, "HOLD", 0.5)
    b = client_at(app, "10.0.0.66")
    assert [attempt(b, f"name{i}") for i in range(10)] == [401] * 10
    lost = logins.address_key("10.0.0.66")[:24] + "0" * 40
    db_session.add(LoginThrottle(key=lost, kind="flight", failures=1, last_failure_at=utcnow()))
    db_session.commit()
    started = time.monotonic()
    assert attempt(b, "name10") == 429
    assert 0.5 <= time.monotonic() - started < 3
    db_session.get(LoginThrottle, lost).last_failure_at -= logins.STALE
    db_session.commit()
    started = time.monotonic()
    assert attempt(b, "name10") == 429
    assert time.monotonic() - started < 0.5


def test_a_double_click_on_create_account_is_no_error(app, db_session):
    """Both clicks pass the check for a taken name before either has written: the second gets a message."""
    hold = HoldFirstCounts(app.extensions["impactcheck.db"].engine, parties=2, writes=("INSERT INTO APP_USER",))
    try:
        with served(app) as base:
            clicks = []
            for _ in range(2):
                s = requests.Session()
                page = s.get(base + "/login", timeout=30).text
                login = {"csrf_token": TOKEN.search(page)[1], "username": "admin", "password": PASSWORD}
                assert s.post(base + "/login", data=login, allow_redirects=False, timeout=30).status_code == 302
                token = TOKEN.search(s.get(base + "/admin/benutzer", timeout=30).text)[1]
                form = {"csrf_token": token, "username": "doppelt", "role": "author", "password": "ein-langes-passwort"}
                clicks.append((s, form))
            start = threading.Barrier(2)

            def click(item):
                s, form = item
                start.wait()
                return s.post(base + "/admin/benutzer", data=form, allow_redirects=False, timeout=60)

            with ThreadPoolExecutor(2) as pool:
                responses = list(pool.map(click, clicks))
    finally:
        hold.remove()
    assert sorted(r.status_code for r in responses) == [302, 422]  # before: 302 and 500
    refused = next(r for r in responses if r.status_code == 422).text
    assert "nicht verfügbar" in refused and "Interner Fehler" not in refused
    assert db_session.scalar(select(func.count()).select_from(User).where(User.username == "doppelt")) == 1
    assert hold.met
