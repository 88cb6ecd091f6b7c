"""Configuration: defaults, then `instance/config.py`, then IMPACTCHECK_* environment variables.

The one reader of every setting: the web app, `serve` and every CLI command call `load()`, so a
`RULES_DIR` in `instance/config.py` means the same folder for `rules check` as for the wizard. Plain
data, no Flask: the headless commands read the same settings without loading the web app.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import secrets
import sys
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
# The shipped rule sets, factor tables and examples: package data, present in a wheel as in a checkout.
SHIPPED_RULES = PACKAGE / "rules"

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # generated once into instance/secret_key when not configured
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "RULES_DIR": None,  # default: the rule sets shipped in the package (impactcheck/rules/)
    "DEFAULT_RULESET": "kassel-2030",
    "RULESETS": None,  # rule set ids offered to authors; default: every rule set in RULES_DIR
    "MUNICIPALITY_SLUG": "default",
    "MUNICIPALITY_NAME": None,  # default: the municipality named in the default rule set
    "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
    # What one Word file may cost (impactcheck.word.Limits has the same defaults): counted while it is
    # unpacked and parsed, at upload already; and how many files one server process works on at once.
    "WORD_MAX_UNPACKED_BYTES": 200 * 1024 * 1024,
    "WORD_MAX_XML_BYTES": 64 * 1024 * 1024,
    "WORD_MAX_TREE_NODES": 300_000,
    "WORD_MAX_SECONDS": 30,
    "WORD_JOBS": 2,
    "WORD_QUEUE": 2,
    "SESSION_IDLE_MINUTES": 8 * 60,  # a login ends after this long without a request
    "SESSION_MAX_HOURS": 24,  # ... and at the latest this long after it began (0 or None: no limit)
    # Failed logins (store/logins.py), counted in the database for every worker: free failures per client
    # address and per user name, the first wait (doubling with each further failure, at most 15 minutes),
    # and after how many failures on one name it is locked until an admin lifts it.
    "LOGIN_FREE_FAILURES": 10,
    "LOGIN_NAME_FREE_FAILURES": 5,
    "LOGIN_FIRST_WAIT_SECONDS": 5,
    "LOGIN_LOCK_FAILURES": 50,
    "TRUST_PROXY": False,  # behind a reverse proxy that sets X-Forwarded-Proto/-For
    "TIMEZONE": "Europe/Berlin",  # how stored (UTC) times are shown
    # The council information system (web/oparl.py): the OParl endpoint (System or Body URL) for every
    # municipality without its own (municipality.oparl_endpoint); seconds per request (connect, each read,
    # and a whole answer), the largest JSON answer, and how many pages of the body's papers a search reads.
    "OPARL_ENDPOINT": None,
    "OPARL_TIMEOUT": 10,
    "OPARL_MAX_JSON_BYTES": 5 * 1024 * 1024,
    "OPARL_SEARCH_PAGES": 20,
    "HOST": "127.0.0.1",
    "PORT": 8080,
    "WORKERS": 1,  # `serve`: 1 = waitress in one process; more = gunicorn worker processes (Linux/Unix)
    "THREADS": None,  # threads per process; default 8 for waitress, 1 per gunicorn worker (its sync worker)
    # Single sign-on beside the local accounts (README: "Anmeldung über Single Sign-on"). An account is
    # created at the first login in the mapped municipality with the mapped role; the role follows the
    # IdP or directory at every login; someone none of whose groups maps to a role is refused.
    # OpenID Connect, on when OIDC_SERVER_METADATA_URL is set (the IdP's discovery document).
    "OIDC_SERVER_METADATA_URL": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,  # None: a public client (PKCE only)
    "OIDC_SCOPE": "openid profile email",
    "OIDC_BUTTON_LABEL": None,  # default: "Mit dem Konto der Verwaltung anmelden"
    "OIDC_REDIRECT_URI": None,  # default: …/login/oidc/callback of this server as the browser reached it
    "OIDC_USERNAME_CLAIM": "preferred_username",
    "OIDC_NAME_CLAIM": "name",
    "OIDC_ROLES_CLAIM": "groups",  # a list (or one value) of groups or app roles; Entra ID app roles: "roles"
    "OIDC_ROLE_MAP": {},  # claim value -> role (author, council, climate, admin); case is ignored
    "OIDC_MUNICIPALITY_CLAIM": None,  # a claim naming the municipality, e.g. "groups" or "municipality"
    "OIDC_MUNICIPALITY_MAP": None,  # its value -> municipality slug; None: the value is the slug
    "OIDC_MUNICIPALITY": None,  # fixed municipality slug without a claim; default: MUNICIPALITY_SLUG
    "OIDC_USERINFO": True,  # also ask the userinfo endpoint for claims the ID token lacks
    "OIDC_LOGOUT_AT_IDP": False,  # logout also ends the session at the IdP (RP-initiated logout)
    "OIDC_TIMEOUT": 10,  # seconds per request to the IdP
    # LDAP bind (Active Directory, OpenLDAP), on when LDAP_URL is set: the login form's user name and
    # password are checked against the directory for every name without a local password.
    "LDAP_URL": None,  # "ldaps://dc1.stadt.local" or a list of servers, tried in order
    "LDAP_START_TLS": False,  # StartTLS on an ldap:// URL; never falls back to plain text
    "LDAP_CA_FILE": None,  # CA certificate(s) for ldaps/StartTLS; default: the system's
    "LDAP_TLS_VERIFY": True,
    "LDAP_USER_DN": None,  # direct bind: "uid={username},ou=people,dc=…" or "{username}@stadt.local" (AD)
    "LDAP_BIND_DN": None,  # or search, then bind: a service account that finds the user's entry …
    "LDAP_BIND_PASSWORD": None,
    "LDAP_USER_SEARCH_BASE": None,  # … below this base …
    "LDAP_USER_FILTER": "(uid={username})",  # … with this filter (AD: "(sAMAccountName={username})")
    "LDAP_NAME_ATTRIBUTE": "displayName",  # falls back to cn
    "LDAP_GROUPS_ATTRIBUTE": "memberOf",  # groups listed on the user's entry (AD, the memberof overlay)
    "LDAP_GROUP_SEARCH_BASE": None,  # and/or groups found by a search (OpenLDAP groupOfNames) …
    "LDAP_GROUP_FILTER": "(member={dn})",  # … with this filter
    "LDAP_ROLE_MAP": {},  # group DN or CN -> role; case is ignored
    "LDAP_MUNICIPALITY_ATTRIBUTE": None,  # an attribute naming the municipality, e.g. "memberOf" or "l"
    "LDAP_MUNICIPALITY_MAP": None,  # its value (DN or CN for groups) -> municipality slug; None: the slug
    "LDAP_MUNICIPALITY": None,  # fixed municipality slug; default: MUNICIPALITY_SLUG
    "LDAP_TIMEOUT": 5,  # seconds to connect and per answer
    # /pruefen (web/verify.py, no login): look-ups of verification codes per client address and window,
    # counted in the database (store/ratelimit.py); beyond them a 429 page with Retry-After. 0: no limit.
    "VERIFY_MAX_LOOKUPS": 30,
    "VERIFY_WINDOW_SECONDS": 600,
}


def instance_path() -> Path:
    """IMPACTCHECK_INSTANCE; else `instance/` of a checkout (editable install), else Flask's place for an
    installed package: `<venv>/var/impactcheck-instance`."""
    configured = os.environ.get("IMPACTCHECK_INSTANCE")
    if configured:
        return Path(configured).resolve()
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "instance"
    return Path(sys.prefix) / "var" / "impactcheck-instance"


def _parse_env(value: str) -> Any:
    """Numbers, true/false and JSON lists come through as such; everything else as text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def load(instance: Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    instance = instance or instance_path()
    config = dict(DEFAULTS)
    pyfile = instance / "config.py"
    if pyfile.is_file():
        # The administrator's own Python file, its upper-case names as settings (Flask's from_pyfile rule).
        try:
            namespace = runpy.run_path(str(pyfile))
        except Exception as exc:  # the administrator's file: say where it broke, in one line
            from impactcheck.core.errors import InputError, Problem

            raise InputError(Problem(f"Konfiguration nicht lesbar: {type(exc).__name__}: {exc}", str(pyfile))) from exc
        config.update({k: v for k, v in namespace.items() if k.isupper()})
    for key, value in os.environ.items():
        if key.startswith("IMPACTCHECK_") and key != "IMPACTCHECK_INSTANCE":
            config[key.removeprefix("IMPACTCHECK_")] = _parse_env(value)
    config.update(overrides or {})
    config["INSTANCE_PATH"] = str(instance)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'impactcheck.sqlite3'}"
    config["RULES_DIR"] = str(rules_dir(config))
    return config


def rules_dir(config: dict[str, Any]) -> Path:
    """The configured rules folder (relative to the instance folder when not absolute), else the shipped one."""
    configured = config.get("RULES_DIR")
    if not configured:
        return SHIPPED_RULES
    path = Path(configured).expanduser()
    return path if path.is_absolute() else (Path(config["INSTANCE_PATH"]) / path).resolve()


def ensure_instance(config: dict[str, Any]) -> None:
    """Create the instance folder and a secret key on first start, both private to the account that
    runs the app (the key signs logins)."""
    instance = Path(config["INSTANCE_PATH"])
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not config.get("SECRET_KEY"):
        key_file = instance / "secret_key"
        try:
            # Created with its final mode: never readable by others, not even for a moment.
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32))
        config["SECRET_KEY"] = key_file.read_text(encoding="utf-8").strip()


def ensure_private_sqlite(url: str) -> None:
    """Create a missing SQLite file as 0600 before SQLite would create it world-readable (it holds the
    password hashes); SQLite gives its -wal and -shm files the mode of the database file. Called where a
    database may be created (bootstrap, the app factory), not where a missing one is an error."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or parsed.query.get("uri"):
        return
    path = Path(parsed.database)
    if not path.parent.is_dir():
        return  # a missing folder is a wrong setting: SQLite names it when it connects
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
