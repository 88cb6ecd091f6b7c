"""Roles and check states: plain names, importable without SQLAlchemy (the CLI lists them)."""

from __future__ import annotations

from impactcheck.core.i18n import N_

ROLES = ("author", "council", "climate", "admin")
ROLE_LABELS = {
    "author": N_("Verfasserin/Verfasser"),
    "council": N_("Ratsmitglied (nur lesen)"),
    "climate": N_("Klimaschutzstelle"),
    "admin": N_("Administration"),
}
STATUSES = ("draft", "submitted", "approved", "returned")
STATUS_LABELS = {
    "draft": N_("Entwurf"),
    "submitted": N_("eingereicht"),
    "approved": N_("freigegeben"),
    "returned": N_("zurückgegeben"),
}
