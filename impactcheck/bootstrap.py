"""First start and every start: migrate the database, ensure the default municipality and an admin.

Shared by `impactcheck serve` and the other CLI commands; no web code here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from impactcheck import settings
from impactcheck.core.registry import resolve_ruleset
from impactcheck.store import migrate
from impactcheck.store import municipalities as municipal
from impactcheck.store import operations as ops
from impactcheck.store.db import Database
from impactcheck.store.models import Municipality, User


@dataclass
class Prepared:
    database: Database
    municipality_id: int
    admin_username: str | None = None  # set only when an admin was just created
    admin_password: str | None = None


def _rules_dir(config: dict[str, Any]) -> Path:
    return Path(config["RULES_DIR"]) if config.get("RULES_DIR") else settings.SHIPPED_RULES


def prepare(config: dict[str, Any], *, create_admin: bool = True) -> Prepared:
    settings.ensure_private_sqlite(config["DATABASE_URL"])  # before SQLite creates it world-readable
    database = Database(config["DATABASE_URL"])
    migrate.upgrade(database.engine)
    with database.session() as s:
        municipality = default_municipality(s, config)
        username = password = None
        if create_admin and not s.scalar(
            select(User.id).where(User.municipality_id == municipality.id, User.role == "admin").limit(1)
        ):
            password = ops.random_password()
            username = "admin"
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                username = f"admin-{municipality.slug}"
            admin = ops.create_user(
                s,
                None,
                municipality=municipality,
                username=username,
                password=password,
                role="admin",
                display_name="Admin",
            )
            if not s.scalar(select(User.id).where(User.installation_admin.is_(True)).limit(1)):
                # The first admin of a new installation also runs it (creates further municipalities).
                ops.set_installation_admin(s, None, admin, True)
        s.commit()
        return Prepared(database, municipality.id, username if password else None, password)


def default_municipality(s, config: dict[str, Any]) -> Municipality:
    """The installation's municipality (setting MUNICIPALITY_SLUG), created on first start and brought in
    line with the settings on every start: the rule sets offered (RULESETS, default first; default: every
    shared rule set and its own, see store/municipalities.py) and, if set, MUNICIPALITY_NAME.

    A single-town installation is configured by these settings alone; further municipalities of a
    district's installation are created with `impactcheck municipalities add` or in the web app and
    keep what was set there."""
    rules_dir = _rules_dir(config)
    default = config["DEFAULT_RULESET"]
    slug = config["MUNICIPALITY_SLUG"]
    everything = municipal.available_ids(rules_dir, slug)
    offered = [r for r in (config.get("RULESETS") or everything) if r != default]
    offered.insert(0, default)
    found = s.scalar(select(Municipality).where(Municipality.slug == slug))
    if found is None:
        folder = municipal.folder_of(rules_dir, slug, default)
        name = config.get("MUNICIPALITY_NAME") or resolve_ruleset(default, folder).municipality
        return ops.ensure_municipality(s, slug=slug, name=name, rulesets=offered)
    ops.update_municipality(s, found, name=config.get("MUNICIPALITY_NAME") or found.name, rulesets=offered)
    return found
