"""Single sign-on against real servers: OpenID Connect at oauth2-mock-server (a node process started here,
tests/web/oidc_server.mjs), LDAP bind at Debian's slapd (started by .ci/run, tests/web/ldap_directory.sh).

The app side runs in the Flask test client; everything between the app and the IdP or the directory is
real HTTP and real LDAP on loopback: discovery, JWKS, the code exchange with PKCE, binds and searches.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.store import logins
from impactcheck.store import operations as ops
from impactcheck.store.models import AuditEntry, LoginThrottle, Municipality, User
from impactcheck.web import ldapauth, sso
from tests.support import ROOT, require
from tests.web.conftest import PASSWORD, Browser, _config

HERE = ROOT / "tests" / "web"
# Read when the module loads: the suite's autouse fixture removes IMPACTCHECK_* variables from each test.
LDAP_URL = os.environ.get("IMPACTCHECK_TEST_LDAP_URL")
BASE = "dc=stadt,dc=example"
PEOPLE = f"ou=people,{BASE}"
LDAP_PASSWORDS = {
    "kschmidt": "klima-passwort-1",
    "amueller": "autoren-passwort-1",
    "ohnerolle": "kantine-passwort-1",
    "nbauer": "nachbar-passwort-1",
}
CLIENT_ID = "klimacheck"
ROLE_MAP = {"klimaschutz": "climate", "autoren": "author", "rat": "council", "it-admins": "admin"}


def free_port() -> int:
    """A loopback port nobody listens on (for "the server is down")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the app ------------------------------------------------------------------------------------------


@pytest.fixture
def make_app(backend, tmp_path):
    """An app with the given settings on a fresh database: the default municipality with a local author,
    and the neighbouring municipality "nachbar"."""
    made = []

    def make(**settings):
        _, fresh = backend
        url = fresh()
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / f"instance{len(made)}"),
            **settings,
        }
        application = create_app(config)
        prepared = prepare(_config(url, tmp_path), create_admin=False)
        with prepared.database.session() as s:
            municipality = s.get(Municipality, prepared.municipality_id)
            ops.create_user(s, None, municipality=municipality, username="author", password=PASSWORD, role="author")
            ops.ensure_municipality(s, slug="nachbar", name="Nachbargemeinde", rulesets=["schnellcheck"])
            s.commit()
        prepared.database.dispose()
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["impactcheck.db"].dispose()


def account(app, username: str) -> User | None:
    with app.extensions["impactcheck.db"].session() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is not None:
            s.expunge(user)
        return user


def municipality_slug(app, user: User) -> str:
    with app.extensions["impactcheck.db"].session() as s:
        return s.get(Municipality, user.municipality_id).slug


def audit_actions(app, username: str) -> list[tuple[str, dict]]:
    with app.extensions["impactcheck.db"].session() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.action, e.detail) for e in entries if (e.detail or {}).get("user") == username]


def logged_in(browser: Browser) -> bool:
    return browser.get("/klimachecks").status_code == 200


def login_page_text(browser: Browser) -> str:
    page = browser.get("/login")
    assert page.status_code == 200
    return page.get_data(as_text=True)


# --- OpenID Connect -----------------------------------------------------------------------------------


class Idp:
    """The running oauth2-mock-server: say who logs in next, and walk the browser through a login."""

    def __init__(self, issuer: str):
        self.issuer = issuer
        self.discovery = f"{issuer}/.well-known/openid-configuration"

    def next_login(self, **what) -> None:
        requests.post(f"{self.issuer}/_test/login", data=json.dumps(what), timeout=10).raise_for_status()

    def settings(self, **more):
        return {
            "OIDC_SERVER_METADATA_URL": self.discovery,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": "geheimnis-des-clients",
            "OIDC_ROLE_MAP": ROLE_MAP,
            **more,
        }

    def login(self, browser: Browser, start: str = "/login/oidc", **what):
        """Start at the app, let the IdP answer (as a browser follows its redirect), come back: the app's
        answer to the callback. The IdP part is real HTTP to the node server."""
        self.next_login(**what)
        response = browser.get(start)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        at_idp = response.headers["Location"]
        assert at_idp.startswith(f"{self.issuer}/authorize?"), at_idp
        answer = requests.get(at_idp, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["Location"])
        assert back.path == "/login/oidc/callback"
        return browser.get(f"{back.path}?{back.query}")


@pytest.fixture(scope="session")
def idp():
    node = shutil.which("node")
    require(node, "program 'node' not installed (OIDC tests)")
    require((ROOT / "node_modules" / "oauth2-mock-server").is_dir(), "node_modules/oauth2-mock-server missing: npm ci")
    proc = subprocess.Popen(
        [node, str(HERE / "oidc_server.mjs")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line, f"the OIDC test server did not start (exit status {proc.poll()})"
        server = Idp(json.loads(line)["issuer"])
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(server.discovery, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the OIDC test server does not answer"
            time.sleep(0.1)
        yield server
    finally:
        proc.stdin.close()  # the server ends when its standard input closes
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def karla(**claims):
    return {"sub": "k-4711", "preferred_username": "karla", "name": "Karla Klima", "groups": ["klimaschutz"], **claims}


@pytest.fixture
def oidc_app(make_app, idp):
    return make_app(**idp.settings())


def test_login_page_offers_single_sign_on_only_when_configured(make_app, idp):
    plain = Browser(make_app().test_client())
    assert "/login/oidc" not in login_page_text(plain)
    assert plain.get("/login/oidc").status_code == 404
    configured = Browser(make_app(**idp.settings(OIDC_BUTTON_LABEL="Mit dem Stadtkonto anmelden")).test_client())
    html = login_page_text(configured)
    assert 'href="/login/oidc"' in html and "Mit dem Stadtkonto anmelden" in html
    assert 'name="password"' in html  # local accounts stay


def test_first_login_creates_the_account_with_mapped_role_and_municipality(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    start = browser.get("/login/oidc?next=/register")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    # The authorisation code flow with PKCE (S256), state and nonce.
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()

    response = idp.login(browser, start="/login/oidc?next=/register", claims=karla(groups=["sonstige", "klimaschutz"]))
    assert response.status_code == 302 and response.headers["Location"] == "/register"
    assert browser.get("/register").status_code == 200  # climate may see every check
    user = account(oidc_app, "karla")
    assert (user.role, user.display_name, municipality_slug(oidc_app, user)) == ("climate", "Karla Klima", "default")
    assert ops.sso_source(user) == "oidc"
    created = audit_actions(oidc_app, "karla")
    assert created == [("user.create", {"user": "karla", "role": "climate", "source": "oidc"})]


def test_the_role_follows_the_idp_at_every_login(oidc_app, idp):
    first = Browser(oidc_app.test_client())
    assert idp.login(first, claims=karla()).status_code == 302
    user_id = account(oidc_app, "karla").id

    again = Browser(oidc_app.test_client())
    assert idp.login(again, claims=karla(groups=["autoren"], name="Karla Klima-Weber")).status_code == 302
    user = account(oidc_app, "karla")
    assert (user.id, user.role, user.display_name) == (user_id, "author", "Karla Klima-Weber")
    assert again.get("/register").status_code == 403  # an author does not see every check
    assert audit_actions(oidc_app, "karla")[-1] == (
        "user.sso_update",
        {
            "user": "karla",
            "source": "oidc",
            "role": "author",
            "previous_role": "climate",
            "display_name": "Karla Klima-Weber",
        },
    )


def test_several_mapped_groups_give_the_role_with_most_rights(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    assert idp.login(browser, claims=karla(groups=["rat", "autoren", "IT-Admins"])).status_code == 302
    assert account(oidc_app, "karla").role == "admin"  # case of the group name ignored


def test_no_mapped_group_is_refused_and_creates_no_account(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    response = idp.login(browser, claims=karla(groups=["kantine"]))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "nicht freigeschaltet" in login_page_text(browser)
    assert account(oidc_app, "karla") is None
    assert not logged_in(browser)
    no_groups = idp.login(Browser(oidc_app.test_client()), claims=karla(groups=None))
    assert no_groups.headers["Location"].startswith("/login") and account(oidc_app, "karla") is None


def test_the_municipality_comes_from_a_claim(make_app, idp):
    app = make_app(
        **idp.settings(OIDC_MUNICIPALITY_CLAIM="kommune", OIDC_MUNICIPALITY_MAP={"Nachbargemeinde": "nachbar"})
    )
    assert idp.login(Browser(app.test_client()), claims=karla(kommune="Nachbargemeinde")).status_code == 302
    assert municipality_slug(app, account(app, "karla")) == "nachbar"
    # A value that maps to no municipality here: refused, no account.
    browser = Browser(app.test_client())
    idp.login(browser, claims=karla(sub="o-1", preferred_username="otto", kommune="Irgendwo"))
    assert "keiner (oder mehr als einer) Kommune" in login_page_text(browser)
    assert account(app, "otto") is None
    # Later the IdP names another municipality: the account does not move, the login is refused.
    browser = Browser(app.test_client())
    app.config["OIDC_MUNICIPALITY_MAP"] = {"Nachbargemeinde": "nachbar", "Stadt": "default"}
    idp.login(browser, claims=karla(kommune="Stadt"))
    assert "anderen Kommune" in login_page_text(browser)
    assert municipality_slug(app, account(app, "karla")) == "nachbar"


def test_claims_only_in_userinfo_count(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    claims = karla()
    del claims["groups"]
    response = idp.login(browser, claims=claims, userinfo={"groups": ["autoren"], "preferred_username": "falsch"})
    assert response.status_code == 302
    assert account(oidc_app, "karla").role == "author"  # the group from userinfo, the name from the ID token
    assert account(oidc_app, "falsch") is None


@pytest.mark.parametrize("tamper", ["nonce", "expired", "audience", "issuer", "signature"])
def test_an_id_token_that_does_not_pass_logs_nobody_in(oidc_app, idp, tamper):
    browser = Browser(oidc_app.test_client())
    response = idp.login(browser, claims=karla(), tamper=tamper)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "konnte nicht bestätigt werden" in login_page_text(browser)
    assert account(oidc_app, "karla") is None
    assert not logged_in(browser)


def test_a_state_that_is_not_ours_is_refused(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    idp.next_login(claims=karla())
    at_idp = browser.get("/login/oidc").headers["Location"]
    back = urlsplit(requests.get(at_idp, allow_redirects=False, timeout=10).headers["Location"])
    code = parse_qs(back.query)["code"][0]
    # The real code with another state (a forged link), and the real answer in another browser.
    forged = browser.get(f"/login/oidc/callback?code={code}&state=gefaelscht")
    assert forged.status_code == 302 and forged.headers["Location"].startswith("/login")
    other = Browser(oidc_app.test_client())
    assert other.get(f"{back.path}?{back.query}").headers["Location"].startswith("/login")
    assert "konnte nicht bestätigt werden" in login_page_text(other)
    assert account(oidc_app, "karla") is None
    # Without any state at all.
    assert Browser(oidc_app.test_client()).get("/login/oidc/callback").headers["Location"].startswith("/login")


def test_errors_of_the_idp_end_on_the_login_page(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    response = idp.login(browser, claims=karla(), error="access_denied")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "abgebrochen oder abgelehnt" in login_page_text(browser)
    refused_code = idp.login(browser, claims=karla(), token_error="invalid_grant")
    assert refused_code.headers["Location"].startswith("/login")
    assert "konnte nicht bestätigt werden" in login_page_text(browser)
    odd = idp.login(browser, claims=karla(), error="server_error")
    assert odd.headers["Location"].startswith("/login")
    assert "nicht bestätigt" in login_page_text(browser)
    assert account(oidc_app, "karla") is None


def test_an_idp_that_is_down_ends_on_the_login_page(make_app):
    app = make_app(
        OIDC_SERVER_METADATA_URL=f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_ROLE_MAP=ROLE_MAP,
        OIDC_TIMEOUT=2,
    )
    browser = Browser(app.test_client())
    response = browser.get("/login/oidc?next=/register")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/register"
    assert "nicht erreichbar" in login_page_text(browser)


def test_a_local_account_is_not_taken_over_by_the_idp(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    idp.login(browser, claims=karla(preferred_username="author", groups=["it-admins"]))
    assert "Konto mit eigenem Passwort" in login_page_text(browser)
    local = account(oidc_app, "author")
    assert (local.role, ops.sso_source(local)) == ("author", None)
    Browser(oidc_app.test_client()).login("author")  # its password still works


def test_a_reassigned_user_name_does_not_take_over_the_account(oidc_app, idp):
    assert idp.login(Browser(oidc_app.test_client()), claims=karla()).status_code == 302
    browser = Browser(oidc_app.test_client())
    idp.login(browser, claims=karla(sub="jemand-anderes"))
    assert "gehört hier zu einem anderen Konto" in login_page_text(browser)
    assert not logged_in(browser)


def test_an_sso_account_has_no_local_password(oidc_app, idp):
    assert idp.login(Browser(oidc_app.test_client()), claims=karla()).status_code == 302
    marker = account(oidc_app, "karla").password_hash
    browser = Browser(oidc_app.test_client())
    for guess in (marker, "", "karla", PASSWORD):
        response = browser.submit("/login", {"username": "karla", "password": guess})
        assert response.status_code in (200, 401)  # the empty one is a form error
        assert not logged_in(browser)


def test_session_version_logout_and_deactivation_apply_to_sso_accounts(oidc_app, idp):
    laptop = Browser(oidc_app.test_client())
    assert idp.login(laptop, claims=karla()).status_code == 302
    phone = Browser(oidc_app.test_client())
    phone.client.set_cookie(oidc_app.config["SESSION_COOKIE_NAME"], laptop.client.get_cookie("session").value)
    assert logged_in(phone) and logged_in(laptop)
    laptop.post("/logout")
    assert not logged_in(phone) and not logged_in(laptop)  # the copied cookie ended with the logout

    again = Browser(oidc_app.test_client())
    assert idp.login(again, claims=karla()).status_code == 302 and logged_in(again)
    with oidc_app.extensions["impactcheck.db"].session() as s:
        ops.set_active(s, None, s.scalar(select(User).where(User.username == "karla")), False)
        s.commit()
    assert not logged_in(again)
    refused = Browser(oidc_app.test_client())
    idp.login(refused, claims=karla())
    assert "deaktiviert" in login_page_text(refused) and not logged_in(refused)


def test_next_after_login_stays_on_this_site(oidc_app, idp):
    browser = Browser(oidc_app.test_client())
    response = idp.login(browser, start="/login/oidc?next=//evil.example/", claims=karla())
    assert response.headers["Location"] == "/"


def test_logout_at_the_idp_when_configured(make_app, idp):
    app = make_app(**idp.settings(OIDC_LOGOUT_AT_IDP=True))
    browser = Browser(app.test_client())
    assert idp.login(browser, claims=karla()).status_code == 302
    browser.get("/klimachecks")
    response = browser.post("/logout")
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{idp.issuer}/endsession"
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"] and query["client_id"] == [CLIENT_ID]
    assert not logged_in(browser)
    back = requests.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"].startswith("http://localhost/login")
    # A local login logs out locally only.
    local = Browser(app.test_client())
    local.login("author")
    assert local.post("/logout").headers["Location"] == "/login"


def test_the_whole_flow_over_http(make_app, idp):
    """The app on a real port, a requests session as the browser following every redirect."""
    app = make_app(**idp.settings())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        idp.next_login(claims=karla(groups=["autoren"]))
        with requests.Session() as browser:
            page = browser.get(f"{base}/login/oidc?next=/klimachecks", timeout=10)
            assert page.status_code == 200 and page.url == f"{base}/klimachecks"
            assert [r.status_code for r in page.history] == [302, 302, 302]
            assert "Karla Klima" in page.text
        assert account(app, "karla").role == "author"
    finally:
        server.shutdown()
        thread.join(5)


# --- LDAP ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def directory():
    require(LDAP_URL, "IMPACTCHECK_TEST_LDAP_URL not set: slapd test directory (tests/web/ldap_directory.sh)")
    parts = urlsplit(LDAP_URL)
    try:
        socket.create_connection((parts.hostname, parts.port or 389), timeout=3).close()
    except OSError:
        require(False, f"the LDAP test directory at {LDAP_URL} does not answer")
    return LDAP_URL


def ldap_settings(directory: str, **more):
    return {
        "LDAP_URL": directory,
        "LDAP_USER_DN": f"uid={{username}},{PEOPLE}",
        "LDAP_ROLE_MAP": ROLE_MAP,
        **more,
    }


def search_settings(directory: str, **more):
    """Search, then bind: a service account finds the entry, groups by a search (no memberOf)."""
    return {
        "LDAP_URL": directory,
        "LDAP_BIND_DN": f"cn=impactcheck,ou=services,{BASE}",
        "LDAP_BIND_PASSWORD": "dienst-passwort-1",
        "LDAP_USER_SEARCH_BASE": PEOPLE,
        "LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "LDAP_GROUPS_ATTRIBUTE": None,
        "LDAP_GROUP_SEARCH_BASE": f"ou=groups,{BASE}",
        "LDAP_ROLE_MAP": {
            f"cn=klimaschutz,ou=groups,{BASE}": "climate",
            "CN=Autoren, OU=Groups, DC=stadt, DC=example": "author",
        },
        **more,
    }


def ldap_login(app, username: str, password: str | None = None):
    browser = Browser(app.test_client())
    password = LDAP_PASSWORDS.get(username, "irgendein-passwort") if password is None else password
    return browser, browser.submit("/login", {"username": username, "password": password})


@pytest.fixture
def ldap_app(make_app, directory):
    return make_app(**ldap_settings(directory))


def test_ldap_login_creates_the_account_from_the_directory(ldap_app):
    browser, response = ldap_login(ldap_app, "amueller")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert logged_in(browser)
    user = account(ldap_app, "amueller")
    assert (user.role, user.display_name, ops.sso_source(user)) == ("author", "Anton Müller", "ldap")
    assert municipality_slug(ldap_app, user) == "default"
    # In Klimaschutz and Autoren: the role with more rights.
    _, response = ldap_login(ldap_app, "kschmidt")
    assert response.status_code == 302 and account(ldap_app, "kschmidt").role == "climate"
    # The directory's names ignore case: the same account.
    _, response = ldap_login(ldap_app, "KSchmidt", LDAP_PASSWORDS["kschmidt"])
    assert response.status_code == 302 and account(ldap_app, "KSchmidt") is None


def test_ldap_search_then_bind_with_a_service_account(make_app, directory):
    app = make_app(**search_settings(directory))
    for name, role in (("kschmidt", "climate"), ("amueller", "author")):
        browser, response = ldap_login(app, name)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert account(app, name).role == role and logged_in(browser)


def test_ldap_role_follows_the_directory_at_every_login(ldap_app):
    assert ldap_login(ldap_app, "kschmidt")[1].status_code == 302
    ldap_app.config["LDAP_ROLE_MAP"] = {"autoren": "author"}  # as if the person had left Klimaschutz
    assert ldap_login(ldap_app, "kschmidt")[1].status_code == 302
    assert account(ldap_app, "kschmidt").role == "author"


def test_ldap_wrong_password_and_unknown_user_look_like_local_ones(ldap_app):
    for name, password in (("kschmidt", "falsches-passwort"), ("niemand", "falsches-passwort"), ("author", "falsch-1")):
        browser, response = ldap_login(ldap_app, name, password)
        assert response.status_code == 401
        assert "Benutzername oder Passwort ist falsch" in response.get_data(as_text=True)
        assert not logged_in(browser)
    assert account(ldap_app, "kschmidt") is None and account(ldap_app, "niemand") is None


def test_ldap_failures_are_throttled_like_local_ones(ldap_app):
    """The same sequence of wrong passwords, then the right one: the same answers for a local account
    and a directory account, and the same counts in the database."""

    def sequence(name: str, right: str) -> list[int]:
        browser = Browser(ldap_app.test_client())
        statuses = [
            browser.submit("/login", {"username": name, "password": "ganz-falsch-1"}).status_code for _ in range(7)
        ]
        return [*statuses, browser.submit("/login", {"username": name, "password": right}).status_code]

    local = sequence("author", PASSWORD)
    with ldap_app.extensions["impactcheck.db"].session() as s:
        s.query(LoginThrottle).delete()  # each sequence from a clean count (same client address)
        s.commit()
    directory = sequence("kschmidt", LDAP_PASSWORDS["kschmidt"])
    assert directory == local
    assert 429 in directory and directory[-1] == 429  # even the right password waits
    with ldap_app.extensions["impactcheck.db"].session() as s:
        assert s.get(LoginThrottle, logins.name_key("kschmidt")).failures >= 5
    assert account(ldap_app, "kschmidt") is None


@pytest.mark.parametrize("mode", ["direct", "search"])
def test_ldap_injection_finds_nobody(make_app, directory, mode):
    """Filter and DN syntax in the name is escaped: "k*" with Karla's password must not log in as her."""
    app = make_app(**(ldap_settings(directory) if mode == "direct" else search_settings(directory)))
    for name in ("*)(uid=*", "k*", "*", "kschmidt)(|(uid=*", "kschmidt,ou=people", "kschmidt\\2a", "uid=kschmidt"):
        browser, response = ldap_login(app, name, LDAP_PASSWORDS["kschmidt"])
        assert response.status_code == 401, name
        assert not logged_in(browser)
    with app.extensions["impactcheck.db"].session() as s:
        assert s.scalar(select(User).where(User.password_hash.like("!sso:%"))) is None
    assert ldap_login(app, "kschmidt")[1].status_code == 302  # after all that, Karla herself still can


def test_ldap_without_a_mapped_group_is_refused(ldap_app):
    browser, response = ldap_login(ldap_app, "ohnerolle")
    assert response.status_code == 403
    assert "nicht freigeschaltet" in response.get_data(as_text=True)
    assert account(ldap_app, "ohnerolle") is None and not logged_in(browser)


def test_ldap_municipality_from_the_groups(make_app, directory):
    app = make_app(
        **ldap_settings(
            directory,
            LDAP_MUNICIPALITY_ATTRIBUTE="groups",
            LDAP_MUNICIPALITY_MAP={"gemeinde-nachbar": "nachbar"},
            LDAP_MUNICIPALITY="default",
        )
    )
    assert ldap_login(app, "nbauer")[1].status_code == 302
    assert municipality_slug(app, account(app, "nbauer")) == "nachbar"
    assert ldap_login(app, "amueller")[1].status_code == 302  # no municipality group: the fixed one
    assert municipality_slug(app, account(app, "amueller")) == "default"


def test_ldap_directory_down(make_app, directory):
    app = make_app(**ldap_settings(f"ldap://127.0.0.1:{free_port()}", LDAP_TIMEOUT=2))
    browser, response = ldap_login(app, "kschmidt")
    assert response.status_code == 503
    assert "Der Verzeichnisdienst ist nicht erreichbar" in response.get_data(as_text=True)
    # Local accounts do not need the directory.
    assert browser.submit("/login", {"username": "author", "password": PASSWORD}).status_code == 302


def test_ldap_second_server_when_the_first_is_down(make_app, directory):
    app = make_app(**ldap_settings([f"ldap://127.0.0.1:{free_port()}", directory], LDAP_TIMEOUT=2))
    assert ldap_login(app, "kschmidt")[1].status_code == 302


def test_ldap_starttls_never_falls_back_to_plain_text(make_app, directory):
    """This test directory speaks no TLS: with StartTLS configured, no password goes over the wire."""
    app = make_app(**ldap_settings(directory, LDAP_START_TLS=True))
    _, response = ldap_login(app, "kschmidt")
    assert response.status_code == 503 and account(app, "kschmidt") is None


def test_ldap_a_refused_service_account_is_a_directory_problem(make_app, directory):
    app = make_app(**search_settings(directory, LDAP_BIND_PASSWORD="falsch"))
    assert ldap_login(app, "kschmidt")[1].status_code == 503


def test_ldap_empty_password_is_never_a_bind(ldap_app, directory):
    with ldap_app.app_context():
        assert ldapauth.bind(ldap_app.config, "kschmidt", "") is None
        assert ldapauth.bind(ldap_app.config, "kschmidt", LDAP_PASSWORDS["kschmidt"]) is not None


def test_ldap_passwords_are_never_logged(make_app, directory, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(**search_settings(directory))
    ldap_login(app, "kschmidt")
    ldap_login(app, "kschmidt", "ein-falsches-passwort-1")
    down = make_app(**ldap_settings(f"ldap://127.0.0.1:{free_port()}", LDAP_TIMEOUT=1))
    ldap_login(down, "kschmidt")
    text = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert "LDAP directory not usable" in text  # the log speaks …
    for secret in (LDAP_PASSWORDS["kschmidt"], "ein-falsches-passwort-1", "dienst-passwort-1"):
        assert secret not in text  # … but never of a password


def test_ldap_session_ends_when_the_account_is_deactivated(ldap_app):
    browser, response = ldap_login(ldap_app, "kschmidt")
    assert response.status_code == 302 and logged_in(browser)
    with ldap_app.extensions["impactcheck.db"].session() as s:
        ops.set_active(s, None, s.scalar(select(User).where(User.username == "kschmidt")), False)
        s.commit()
    assert not logged_in(browser)
    _, again = ldap_login(ldap_app, "kschmidt")
    assert again.status_code == 403 and "deaktiviert" in again.get_data(as_text=True)


def test_an_oidc_account_cannot_log_in_by_ldap(make_app, idp, directory):
    app = make_app(**idp.settings(), **ldap_settings(directory))
    assert idp.login(Browser(app.test_client()), claims=karla(preferred_username="kschmidt")).status_code == 302
    _, response = ldap_login(app, "kschmidt")
    assert response.status_code == 401  # an OIDC account is checked locally, where it has no password


def test_role_maps_naming_unknown_roles_fail_at_start(make_app, directory):
    with pytest.raises(RuntimeError, match="LDAP_ROLE_MAP"):
        make_app(**ldap_settings(directory, LDAP_ROLE_MAP={"autoren": "autorin"}))


# --- the mapping, without servers ----------------------------------------------------------------------


def test_group_names_match_as_dn_or_cn_ignoring_case_and_spaces():
    role_map = {"CN=Klimaschutz, OU=Gruppen, DC=stadt, DC=de": "climate", "autoren": "author"}
    assert sso.role_for(["cn=klimaschutz,ou=gruppen,dc=stadt,dc=de"], role_map) == "climate"
    assert sso.role_for(["CN=Autoren,OU=Gruppen,DC=stadt,DC=de"], role_map) == "author"  # by its CN
    assert sso.role_for(["cn=klimaschutz,ou=andere,dc=stadt,dc=de"], role_map) is None  # a DN is not a CN
    assert sso.role_for(["/autoren"], role_map) is None
    assert sso.role_for([], role_map) is None
    assert sso.as_values("a") == ("a",) and sso.as_values(["a", 1, None, {"x": 1}]) == ("a", "1")
    assert sso.as_values({"a": 1}) == ()


def test_an_sso_account_gets_no_local_password(app, db_session):
    """An admin's "Passwort setzen" must not turn an SSO account into a local one."""
    municipality = db_session.scalar(select(Municipality).where(Municipality.slug == "default"))
    user = ops.sso_user(
        db_session, municipality=municipality, username="k.sso", display_name="K. Sso", role="author", source="ldap"
    )
    db_session.commit()
    marker = user.password_hash
    with pytest.raises(ops.OperationError, match="Single Sign-on"):
        ops.set_password(db_session, None, user, "ein-ganz-neues-passwort")
    db_session.rollback()
    assert db_session.get(User, user.id).password_hash == marker
    assert ops.authenticate(db_session, "k.sso", "ein-ganz-neues-passwort") is None


# --- moving an account to single sign-on (release, then bind) -------------------------------------------


def release(app, username: str) -> None:
    with app.extensions["impactcheck.db"].session() as s:
        ops.release_for_sso(s, None, s.scalar(select(User).where(User.username == username)))
        s.commit()


def test_a_released_local_account_is_taken_over_by_the_idp_with_its_checks(oidc_app, idp):
    from tests.web.flows import start

    local = Browser(oidc_app.test_client())
    local.login("author")
    check_id = start(local)
    release(oidc_app, "author")
    assert not logged_in(local)  # the release ends every session of the account
    refused = Browser(oidc_app.test_client())
    assert refused.submit("/login", {"username": "author", "password": PASSWORD}).status_code == 401
    browser = Browser(oidc_app.test_client())
    claims = karla(sub="a-1", preferred_username="author", groups=["autoren"])
    assert idp.login(browser, claims=claims).status_code == 302
    assert browser.get(f"/klimachecks/{check_id}/vorlage").status_code == 200  # the same account, its draft
    user = account(oidc_app, "author")
    assert ops.sso_source(user) == "oidc" and user.role == "author"
    actions = [action for action, _ in audit_actions(oidc_app, "author")]
    assert actions[actions.index("user.sso_release") + 1] == "user.sso_bind"
    # Bound now: another subject under that name is refused, as for any SSO account.
    other = Browser(oidc_app.test_client())
    idp.login(other, claims=karla(sub="a-2", preferred_username="author", groups=["autoren"]))
    assert "gehört hier zu einem anderen Konto" in login_page_text(other)


def test_a_released_sso_account_takes_the_new_subject(oidc_app, idp):
    assert idp.login(Browser(oidc_app.test_client()), claims=karla()).status_code == 302
    release(oidc_app, "karla")  # e.g. the city moved to a new identity provider
    browser = Browser(oidc_app.test_client())
    assert idp.login(browser, claims=karla(sub="neuer-idp-99")).status_code == 302 and logged_in(browser)


def test_a_new_password_undoes_the_release(oidc_app, idp):
    release(oidc_app, "author")
    with oidc_app.extensions["impactcheck.db"].session() as s:
        ops.set_password(s, None, s.scalar(select(User).where(User.username == "author")), PASSWORD)
        s.commit()
    Browser(oidc_app.test_client()).login("author")
    browser = Browser(oidc_app.test_client())
    idp.login(browser, claims=karla(preferred_username="author"))
    assert "Konto mit eigenem Passwort" in login_page_text(browser)


def test_a_released_account_of_another_municipality_is_not_bound(make_app, idp):
    app = make_app(**idp.settings(OIDC_MUNICIPALITY="nachbar"))
    release(app, "author")
    browser = Browser(app.test_client())
    idp.login(browser, claims=karla(preferred_username="author", groups=["autoren"]))
    assert "anderen Kommune" in login_page_text(browser)
    assert not logged_in(browser) and ops.sso_released(account(app, "author"))


def test_a_released_local_account_binds_at_the_ldap_login(make_app, directory):
    app = make_app(**ldap_settings(directory))
    with app.extensions["impactcheck.db"].session() as s:
        municipality = s.scalar(select(Municipality).where(Municipality.slug == "default"))
        ops.create_user(s, None, municipality=municipality, username="amueller", password=PASSWORD, role="author")
        s.commit()
    # With its own password the directory is not asked: the local account stays local.
    browser, response = ldap_login(app, "amueller")
    assert response.status_code == 401 and ops.sso_source(account(app, "amueller")) is None
    release(app, "amueller")
    browser, response = ldap_login(app, "amueller")
    assert response.status_code == 302 and logged_in(browser)
    assert ops.sso_source(account(app, "amueller")) == "ldap"


def test_the_admin_releases_an_account_on_the_users_page(oidc_app, idp):
    admin = Browser(oidc_app.test_client())
    with oidc_app.extensions["impactcheck.db"].session() as s:
        municipality = s.scalar(select(Municipality).where(Municipality.slug == "default"))
        ops.create_user(s, None, municipality=municipality, username="chefin", password=PASSWORD, role="admin")
        s.commit()
    admin.login("chefin")
    page = admin.get("/admin/benutzer").get_data(as_text=True)
    assert "Für Single Sign-on freigeben" in page and "eigenes Passwort" in page
    author = account(oidc_app, "author")
    assert admin.post(f"/admin/benutzer/{author.id}/sso-freigeben").status_code == 302
    assert ops.sso_released(account(oidc_app, "author"))
    assert "wartet auf die erste Anmeldung über Single Sign-on" in admin.get("/admin/benutzer").get_data(as_text=True)
    browser = Browser(oidc_app.test_client())
    assert idp.login(browser, claims=karla(preferred_username="author", groups=["autoren"])).status_code == 302
    assert "Anmeldedienst (OIDC)" in admin.get("/admin/benutzer").get_data(as_text=True)


def test_no_release_button_without_single_sign_on(make_app):
    app = make_app()
    with app.extensions["impactcheck.db"].session() as s:
        municipality = s.scalar(select(Municipality).where(Municipality.slug == "default"))
        ops.create_user(s, None, municipality=municipality, username="chefin", password=PASSWORD, role="admin")
        s.commit()
    admin = Browser(app.test_client())
    admin.login("chefin")
    assert "Für Single Sign-on freigeben" not in admin.get("/admin/benutzer").get_data(as_text=True)
