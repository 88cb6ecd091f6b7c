"""The yearly report to the council as a download (`GET /klimabudget/bericht/<year>.docx`), linked from
the budget page. The document is the CLI's (`impactcheck report`, impactcheck/report/), for the logged-in
user's municipality only. Without a climate target (or with a bad target file) the budget page says
what is missing, so the download leads there; a house template that is no usable Word file gets a page
that says so. Who may download: store/permissions.may_download_report.
"""

from __future__ import annotations

import io
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from impactcheck.report import ReportError, build_report
from impactcheck.report.template import TemplateError
from impactcheck.store import permissions
from impactcheck.store import targets as t
from impactcheck.web.context import commit, db, municipality_timezone

bp = Blueprint("report", __name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
YEARS = (2000, 2100)


@bp.get("/klimabudget/bericht/<int:year>.docx")
@login_required
def download(year: int):
    if not permissions.may_download_report(current_user):
        abort(403)
    if not YEARS[0] <= year <= YEARS[1]:
        abort(404)
    municipality = current_user.municipality
    rules_dir = Path(current_app.config["RULES_DIR"])
    try:
        content = build_report(db(), municipality, year, rules_dir=rules_dir, timezone=municipality_timezone())
    except TemplateError as exc:
        db().rollback()
        message = _("Die Word-Vorlage Ihrer Kommune ist nicht verwendbar: %(problem)s", problem=exc.one_line())
        return render_template("error.html", status=422, title=_("Bericht nicht möglich"), message=message), 422
    except (ReportError, t.TargetFileError):
        db().rollback()
        flash(_("Für den Klimacheck-Bericht braucht Ihre Kommune ein gültiges Klimaziel."), "error")
        return redirect(url_for("budget.index"))
    commit()  # the climate target's text as the figures used it (store/targets.record)
    name = f"Klimacheck-Bericht-{year}-{municipality.slug}.docx"
    return send_file(io.BytesIO(content), mimetype=DOCX, as_attachment=True, download_name=name)
