"""Helpers the templates use to show numbers and labels the German way."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from impactcheck.core.i18n import N_
from impactcheck.core.model import METHOD_LABELS, SCOPE_LABELS, VERDICT_LABELS
from impactcheck.core.numbers import format_eur, format_number, format_t
from impactcheck.core.sensitivity import sentences as robustness_sentences
from impactcheck.store import permissions

AUDIT_LABELS = {
    "check.create": N_("Klimacheck begonnen"),
    "check.paper": N_("Angaben zur Vorlage geändert"),
    "check.upload": N_("Vorlage hochgeladen"),
    "check.step": N_("Schritt gespeichert"),
    "check.alternative": N_("Alternative beschrieben"),
    "check.alternative_step": N_("Schritt der Alternative gespeichert"),
    "check.alternative_removed": N_("Alternative entfernt"),
    "check.submit": N_("eingereicht"),
    "check.new_revision": N_("neue Revision angelegt"),
    "check.approve": N_("freigegeben"),
    "check.return": N_("zurückgegeben"),
    "check.outcome": N_("Beschluss des Rates eingetragen"),
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        fmt_num=lambda v, d=None: "–" if v is None else format_number(v, d),
        fmt_t=format_t,
        fmt_eur=format_eur,
        method_label=lambda m: _(METHOD_LABELS[m]) if m in METHOD_LABELS else (m or "–"),
        scope_label=lambda s: _(SCOPE_LABELS[s]) if s in SCOPE_LABELS else s,
        verdict_label=lambda v: _(VERDICT_LABELS[v]) if v in VERDICT_LABELS else v,
        audit_label=lambda a: _(AUDIT_LABELS[a]) if a in AUDIT_LABELS else a,
        format_date=format_date,
        format_datetime=format_datetime,
        step_title=_step_title,
        robustness_sentences=robustness_sentences,
        permissions=permissions,  # the pages ask store/permissions.py, never a role list of their own
    )


def _step_title(check, step_id: str) -> str:
    """The title of a step, by id, in the rule set of the check's current revision (else the id)."""
    from impactcheck.web.context import ruleset

    try:
        rs = ruleset(check.current.ruleset_id)
    except Exception:  # a rule set that no longer loads must not break the log
        return step_id
    return next((s.title for s in rs.all_steps if s.id == step_id), step_id)
