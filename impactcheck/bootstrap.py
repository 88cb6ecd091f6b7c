"""First start and every start: migrate the database, ensure the default municipality and an admin.

Shared by `impactcheck serve` and the other CLI commands; no web code here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from impactcheck import settings
from impactcheck.core.registry import available_ids, resolve_ruleset
from impactcheck.store import migrate
from impactcheck.store import operations as ops
from impactcheck.store.db import Database
from impactcheck.store.models import Municipality, User


@dataclass
class Prepared:
    database: Database
    municipality_id: int
    admin_username: str | None = None  # set only when an admin was just created
    admin_password: str | None = None


def _rules_dir(config: dict[str, Any]) -> Path | None:
    return Path(config["RULES_DIR"]) if config.get("RULES_DIR") else None


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
            ops.create_user(
                s,
                None,
                municipality=municipality,
                username=username,
                password=password,
                role="admin",
                display_name="Admin",
            )
        s.commit()
        return Prepared(database, municipality.id, username if password else None, password)


def default_municipality(s, config: dict[str, Any]) -> Municipality:
    """The installation's municipality, created on first start and brought in line with the settings on
    every start: the rule sets offered (RULESETS, default first) and, if set, MUNICIPALITY_NAME."""
    rules_dir = _rules_dir(config)
    default = config["DEFAULT_RULESET"]
    offered = [r for r in (config.get("RULESETS") or available_ids(rules_dir)) if r != default]
    offered.insert(0, default)
    slug = config["MUNICIPALITY_SLUG"]
    found = s.scalar(select(Municipality).where(Municipality.slug == slug))
    if found is None:
        name = config.get("MUNICIPALITY_NAME") or resolve_ruleset(default, rules_dir).municipality
        return ops.ensure_municipality(s, slug=slug, name=name, rulesets=offered)
    ops.update_municipality(s, found, name=config.get("MUNICIPALITY_NAME") or found.name, rulesets=offered)
    return found
