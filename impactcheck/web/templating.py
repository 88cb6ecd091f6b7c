"""Helpers the templates use to show numbers and labels the German way."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date
from flask_babel import gettext as _

from impactcheck.core.model import METHOD_LABELS, SCOPE_LABELS, VERDICT_LABELS
from impactcheck.core.numbers import format_eur, format_number, format_t

AUDIT_LABELS = {
    "check.create": "Klimacheck begonnen",
    "check.paper": "Angaben zur Vorlage geändert",
    "check.upload": "Vorlage hochgeladen",
    "check.step": "Schritt gespeichert",
    "check.alternative": "Alternative beschrieben",
    "check.alternative_step": "Schritt der Alternative gespeichert",
    "check.alternative_removed": "Alternative entfernt",
    "check.submit": "eingereicht",
    "check.new_revision": "neue Revision angelegt",
    "check.approve": "freigegeben",
    "check.return": "zurückgegeben",
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        fmt_num=lambda v, d=None: "–" if v is None else format_number(v, d),
        fmt_t=format_t,
        fmt_eur=format_eur,
        method_label=lambda m: METHOD_LABELS.get(m, m or "–"),
        scope_label=lambda s: SCOPE_LABELS.get(s, s),
        verdict_label=lambda v: VERDICT_LABELS.get(v, v),
        audit_label=lambda a: _(AUDIT_LABELS[a]) if a in AUDIT_LABELS else a,
        format_date=format_date,
    )
