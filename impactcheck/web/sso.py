"""Single sign-on, the part OIDC and LDAP share: from what the identity provider or the directory says
about a person (groups, claims) to a role and a municipality, and from there to the account.

Which groups give which role, and which municipality, is configuration (README: "Anmeldung über Single
Sign-on"); the account itself is found or created by operations.sso_user, the only writer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn
from sqlalchemy import select

from impactcheck.core.i18n import translated
from impactcheck.store import operations as ops
from impactcheck.store.models import ROLES, Municipality, User
from impactcheck.web.context import commit, db

log = logging.getLogger(__name__)

# When groups map to several roles, the one with the most rights wins.
ROLE_PRECEDENCE = ("admin", "climate", "author", "council")


class Refused(Exception):
    """The IdP or directory vouched for the person, but they get no account here; the message says why
    in words for them (German)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Identity:
    """What the IdP or the directory says about the person who just logged in there."""

    source: str  # "oidc" | "ldap"
    username: str
    display_name: str | None
    groups: tuple[str, ...]  # values the role map is read against
    municipality_values: tuple[str, ...] | None  # the municipality claim's values (None: none configured)
    subject: str | None = None  # a stable id at the IdP (OIDC: issuer and sub)


def as_values(value: Any) -> tuple[str, ...]:
    """A claim or attribute as a tuple of strings: a list, one string, or nothing."""
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (str(value),)
    if isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


def _forms(value: str) -> list[str]:
    """How a value may be named in a map, lower case: as given; for a DN also normalised (no spaces
    around "=" and ",") and by the value of its first RDN (the group's CN)."""
    text = value.strip().lower()
    forms = [text]
    if "=" in text:
        try:
            rdns = parse_dn(text, escape=False, strip=True)
        except (LDAPInvalidDnError, ValueError, IndexError):
            return forms
        if rdns:
            forms.append(",".join(f"{attr}={val}" for attr, val, _sep in rdns))
            forms.append(rdns[0][1])
    return forms


def _normalised(mapping: Mapping[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, target in (mapping or {}).items():
        for form in _forms(str(key))[:2]:  # the key as written and as a normalised DN, not its CN
            out.setdefault(form, target)
    return out


def _lookup(values: Iterable[str], mapping: Mapping[str, str] | None) -> set[str]:
    table = _normalised(mapping)
    found = set()
    for value in values:
        for form in _forms(value):
            if form in table:
                found.add(table[form])
                break
    return found


def role_for(groups: Iterable[str], role_map: Mapping[str, str] | None) -> str | None:
    """The role the groups give (the one with most rights if several), or None."""
    roles = _lookup(groups, role_map)
    return next((r for r in ROLE_PRECEDENCE if r in roles), None)


def municipality_slugs(
    values: Iterable[str], mapping: Mapping[str, str] | None, *, by_claim: bool, fixed: str | None
) -> set[str]:
    """The municipality slugs a person's claim or attribute names (or the configured fixed one)."""
    if by_claim:
        found = _lookup(values, mapping) if mapping is not None else {v.strip() for v in values}
        if found or not fixed:
            return found
    return {fixed or current_app.config.get("MUNICIPALITY_SLUG") or "default"}


def check_config(app: Flask, prefix: str) -> None:
    """Fail at start, not at the first login, on a role map that names no role of ours."""
    for key, role in (app.config.get(f"{prefix}_ROLE_MAP") or {}).items():
        if role not in ROLES:
            raise RuntimeError(f"{prefix}_ROLE_MAP: {key!r} names the role {role!r}; roles are {', '.join(ROLES)}")


def account_for(identity: Identity, prefix: str) -> User:
    """Find or create the account for `identity` with the role and municipality the configuration maps
    it to, and commit; Refused (nothing stored) when there is none."""
    config = current_app.config
    role = role_for(identity.groups, config.get(f"{prefix}_ROLE_MAP"))
    if role is None:
        log.info("%s login of %r refused: no group maps to a role", identity.source, identity.username)
        raise Refused(
            _(
                "Sie sind angemeldet, aber für den Klimacheck nicht freigeschaltet: Keine Ihrer Gruppen ist "
                "einer Rolle zugeordnet. Bitte wenden Sie sich an die Administration."
            )
        )
    slugs = municipality_slugs(
        identity.municipality_values or (),
        config.get(f"{prefix}_MUNICIPALITY_MAP"),
        by_claim=identity.municipality_values is not None,
        fixed=config.get(f"{prefix}_MUNICIPALITY"),
    )
    s = db()
    found = list(s.scalars(select(Municipality).where(Municipality.slug.in_(slugs)))) if slugs else []
    if len(found) != 1:
        log.info("%s login of %r refused: municipality %s", identity.source, identity.username, sorted(slugs))
        raise Refused(
            _(
                "Ihr Konto ist keiner (oder mehr als einer) Kommune dieser Installation eindeutig zugeordnet. "
                "Bitte wenden Sie sich an die Administration."
            )
        )
    try:
        user = ops.sso_user(
            s,
            municipality=found[0],
            username=identity.username,
            display_name=identity.display_name,
            role=role,
            source=identity.source,
            subject=identity.subject,
        )
        commit()
    except ops.OperationError as exc:
        s.rollback()
        log.info("%s login of %r refused: %s", identity.source, identity.username, exc.one_line())
        raise Refused(translated(exc.problems[0].message)) from None
    return user
