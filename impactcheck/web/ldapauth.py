"""LDAP bind (Active Directory, OpenLDAP): the login form's name and password, checked by the directory.

With LDAP_URL set, every name without a local password is checked by binding to the directory as that
person: straight to a DN made from LDAP_USER_DN, or after a service account has searched the entry
(LDAP_BIND_DN, LDAP_USER_SEARCH_BASE, LDAP_USER_FILTER). The person's groups (memberOf on the entry
and/or a group search) give role and municipality (web/sso.py). Input reaches the directory only
escaped (DN and filter syntax); passwords are never logged. The caller throttles like a local login.
"""

from __future__ import annotations

import logging
import math
import ssl
from dataclasses import dataclass
from typing import Any

import ldap3
from flask import Flask, current_app
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn
from sqlalchemy import select
from sqlalchemy.orm import Session

from impactcheck.store import operations as ops
from impactcheck.store.models import User
from impactcheck.web import sso

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = 49


class DirectoryUnavailable(Exception):
    """The directory could not be asked (down, TLS failed, the service account refused)."""


@dataclass(frozen=True)
class Entry:
    dn: str
    attributes: dict[str, Any]
    groups: tuple[str, ...]


def init_app(app: Flask) -> None:
    """Check the settings at start, when LDAP is on: a wrong one fails here, not at the first login."""
    if not app.config.get("LDAP_URL"):
        return
    if not app.config.get("LDAP_USER_DN") and not app.config.get("LDAP_USER_SEARCH_BASE"):
        raise RuntimeError("LDAP_URL is set, but neither LDAP_USER_DN nor LDAP_USER_SEARCH_BASE")
    sso.check_config(app, "LDAP")


def enabled() -> bool:
    return bool(current_app.config.get("LDAP_URL"))


def password_login(s: Session, username: str, password: str) -> User | None:
    """The account for this name and password, or None (wrong name or password, the same answer).

    Names with a local password (and OIDC accounts) are checked locally only; with LDAP on, every other
    name by the directory. Raises DirectoryUnavailable, or sso.Refused when the directory knows the
    person but nothing maps them to a role or a municipality here.
    """
    if not enabled():
        return ops.authenticate(s, username, password)
    local = s.scalar(select(User).where(User.username == username.strip()))
    if local is not None and ops.sso_source(local) != "ldap" and not ops.sso_released(local):
        return ops.authenticate(s, username, password)
    name = canonical(username)
    entry = bind(current_app.config, name, password)
    if entry is None:
        return None
    config = current_app.config
    municipality_attribute = config.get("LDAP_MUNICIPALITY_ATTRIBUTE")
    if not municipality_attribute:
        municipality_values = None
    elif municipality_attribute.lower() == "groups":
        municipality_values = entry.groups
    else:
        municipality_values = sso.as_values(_attribute(entry.attributes, municipality_attribute))
    display = _attribute(entry.attributes, config.get("LDAP_NAME_ATTRIBUTE") or "displayName")
    display = display or _attribute(entry.attributes, "cn")
    identity = sso.Identity(
        source="ldap",
        username=name,
        display_name=next(iter(sso.as_values(display)), None),
        groups=entry.groups,
        municipality_values=municipality_values,
    )
    return sso.account_for(identity, "LDAP")


def canonical(username: str) -> str:
    """Directory names are not case sensitive (AD): one account for "KSchmidt" and "kschmidt"."""
    return username.strip().lower()


def _valid(username: str) -> bool:
    return 0 < len(username) <= 64 and not any(c.isspace() or not c.isprintable() for c in username)


def _attribute(attributes: dict[str, Any], name: str) -> Any:
    for key, value in attributes.items():
        if key.lower() == name.lower():
            return value
    return None


def _timeout(config) -> int:
    """Whole seconds: ldap3 hands the answer timeout to the socket as an integer."""
    return max(1, math.ceil(float(config.get("LDAP_TIMEOUT") or 5)))


def _servers(config) -> list[ldap3.Server]:
    urls = config["LDAP_URL"]
    urls = [urls] if isinstance(urls, str) else list(urls)
    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED if config.get("LDAP_TLS_VERIFY", True) else ssl.CERT_NONE,
        ca_certs_file=config.get("LDAP_CA_FILE") or None,
        version=ssl.PROTOCOL_TLS_CLIENT,
    )
    timeout = _timeout(config)
    return [ldap3.Server(url, connect_timeout=timeout, tls=tls, get_info=ldap3.NONE) for url in urls]


def _connection(config, servers: list[ldap3.Server], user: str | None, password: str | None) -> ldap3.Connection:
    """An open connection to the first server that answers (StartTLS done when configured), not yet
    bound. (Not ldap3's ServerPool: it waits ten seconds before it gives up on servers that are down.)"""
    error: Exception | None = None
    for server in servers:
        conn = ldap3.Connection(
            server,
            user=user,
            password=password,
            raise_exceptions=False,
            read_only=True,
            receive_timeout=_timeout(config),
            auto_referrals=False,
        )
        try:
            conn.open()
        except (LDAPException, OSError) as exc:
            error = exc
            continue
        if config.get("LDAP_START_TLS") and not conn.start_tls():
            conn.unbind()
            raise DirectoryUnavailable("StartTLS failed")
        return conn
    raise DirectoryUnavailable(f"no server answered: {error}")


def _entries(conn: ldap3.Connection) -> list[dict]:
    return [r for r in conn.response or [] if r.get("type") == "searchResEntry"]


def bind(config, username: str, password: str) -> Entry | None:
    """Bind as the person; their entry and groups, or None when name or password is wrong."""
    if not password or not _valid(username):
        return None  # an empty password would be an "unauthenticated bind", which many servers accept
    try:
        servers = _servers(config)
        dn = _user_dn(config, servers, username)
        if dn is None:
            return None
        conn = _connection(config, servers, dn, password)
        try:
            if not conn.bind():
                if conn.result.get("result") != INVALID_CREDENTIALS:
                    log.warning("LDAP bind for %r: %s", username, conn.result.get("description"))
                return None
            return _read_entry(config, conn, dn, username)
        finally:
            conn.unbind()
    except (LDAPException, OSError, DirectoryUnavailable) as exc:
        log.warning("LDAP directory not usable: %s: %s", type(exc).__name__, exc)
        raise DirectoryUnavailable(str(exc)) from None


def _user_dn(config, servers: list[ldap3.Server], username: str) -> str | None:
    template = config.get("LDAP_USER_DN")
    if template:
        return template.format(username=escape_rdn(username))
    base, service_dn = config.get("LDAP_USER_SEARCH_BASE"), config.get("LDAP_BIND_DN")
    if not base:
        raise DirectoryUnavailable("neither LDAP_USER_DN nor LDAP_USER_SEARCH_BASE is set")
    conn = _connection(config, servers, service_dn or None, config.get("LDAP_BIND_PASSWORD") if service_dn else None)
    try:
        bound = conn.bind() if service_dn else True
        if not bound:
            log.error("LDAP service account %r refused: %s", service_dn, conn.result.get("description"))
            raise DirectoryUnavailable("service account refused")
        search_filter = (config.get("LDAP_USER_FILTER") or "(uid={username})").format(
            username=escape_filter_chars(username)
        )
        conn.search(base, search_filter, search_scope=ldap3.SUBTREE, attributes=[], size_limit=2)
        found = _entries(conn)
        if len(found) != 1:
            return None  # nobody (or, ambiguous, more than one) by that name
        return found[0]["dn"]
    finally:
        conn.unbind()


def _read_entry(config, conn: ldap3.Connection, dn: str, username: str) -> Entry:
    name_attribute = config.get("LDAP_NAME_ATTRIBUTE") or "displayName"
    groups_attribute = config.get("LDAP_GROUPS_ATTRIBUTE")
    wanted = {name_attribute, "cn"}
    if groups_attribute:
        wanted.add(groups_attribute)
    municipality_attribute = config.get("LDAP_MUNICIPALITY_ATTRIBUTE")
    if municipality_attribute and municipality_attribute.lower() != "groups":
        wanted.add(municipality_attribute)
    conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=sorted(wanted))
    found = _entries(conn)
    attributes = dict(found[0]["attributes"]) if found else {}
    groups = list(sso.as_values(_attribute(attributes, groups_attribute))) if groups_attribute else []
    group_base = config.get("LDAP_GROUP_SEARCH_BASE")
    if group_base:
        group_filter = (config.get("LDAP_GROUP_FILTER") or "(member={dn})").format(
            dn=escape_filter_chars(dn), username=escape_filter_chars(username)
        )
        conn.search(group_base, group_filter, search_scope=ldap3.SUBTREE, attributes=[])
        groups += [r["dn"] for r in _entries(conn)]
    return Entry(dn=dn, attributes=attributes, groups=tuple(dict.fromkeys(groups)))
