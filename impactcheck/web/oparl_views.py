"""OParl in the web app: start a check from a paper in the council information system, and the read-only
view a council information system links to.

- `GET /klimachecks/neu/ratsinfo`: the author pastes the Paper's URL (or searches the body's papers by
  reference or title); impactcheck reads it (web/oparl.py) and shows the ordinary start form filled in:
  reference, title, department (`underDirectionOf`), the first committee and its meeting day
  (`consultation`), with the paper's type and date and whether its main file is a .docx. That form posts
  to the wizard's start (`wizard.new_check`), which calls `start_source` here: the Paper is read again
  (so the stored URL is one the system really serves as a Paper), its .docx main file fetched within
  the upload limit and checked like an upload, and the check keeps the Paper's URL (operations.link_paper).
- `GET /api/v1/oparl/papers/<sha256 of the Paper URL>`: public, read-only, OParl style with vendor-prefixed
  properties: for each filed check of that paper what /pruefen shows — number, revision, verdict, date,
  rule set version and the verification code. Nothing of a draft, nothing else of the check.
"""

from __future__ import annotations

import io
import re

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from wtforms import StringField

from impactcheck.store import operations as ops
from impactcheck.store.current import latest_filed
from impactcheck.store.models import Check, Municipality
from impactcheck.web import oparl
from impactcheck.web.access import CREATORS, roles_required
from impactcheck.web.context import db
from impactcheck.web.forms import MaxChars, PaperForm
from impactcheck.web.uploads import read_docx_upload

bp = Blueprint("oparl", __name__)

SHA256 = re.compile(r"[0-9a-f]{64}")
VENDOR = "impactcheck"


class OparlStartForm(FlaskForm):
    """Read-only look-ups (GET), so no CSRF token: nothing is stored until the start form is sent."""

    class Meta:
        csrf = False

    adresse = StringField(
        _l("Adresse der Vorlage im Ratsinformationssystem"),
        validators=[MaxChars(2000)],
        description=_l(
            "Die OParl-Adresse der Drucksache, z. B. https://ris.stadt.de/oparl/paper/4711. Sie steht in "
            "Ihrem Ratsinformationssystem bei der Vorlage („OParl“ oder „Schnittstelle“)."
        ),
    )
    suche = StringField(
        _l("Oder suchen: Drucksachen-Nummer oder Titel"),
        validators=[MaxChars(200)],
        description=_l(
            "Zum Beispiel 0815/2026 oder Kita. Gesucht wird in den ersten Seiten der Vorlagenliste des "
            "Ratsinformationssystems."
        ),
    )


def client() -> oparl.Client | None:
    """The OParl client of the logged-in user's municipality; None where none is configured."""
    return oparl.client_for(current_user.municipality, current_app.config)


@bp.get("/klimachecks/neu/ratsinfo")
@roles_required(*CREATORS)
def start():
    form = OparlStartForm(request.args)
    system = None
    try:
        system = client()
    except oparl.OparlError as exc:
        form.adresse.errors = [exc.one_line()]
    if system is None or not form.validate() or not (form.adresse.data or form.suche.data):
        return render_template("oparl_start.html", form=form, configured=system is not None, search=None)
    if form.adresse.data:
        try:
            return _filled_start_form(system.paper(form.adresse.data))
        except oparl.OparlError as exc:
            form.adresse.errors = [exc.one_line()]
            return render_template("oparl_start.html", form=form, configured=True, search=None), 422
    try:
        search = system.search(form.suche.data)
    except oparl.OparlError as exc:
        form.suche.errors = [exc.one_line()]
        return render_template("oparl_start.html", form=form, configured=True, search=None), 422
    return render_template("oparl_start.html", form=form, configured=True, search=search)


def _filled_start_form(paper: oparl.PaperInfo):
    from impactcheck.web.wizard import _ruleset_choices

    form = PaperForm(formdata=None)
    form.ruleset.choices = _ruleset_choices()
    form.process(
        data={
            "reference": paper.reference,
            "title": paper.title,
            "department": paper.department or "",
            "committee": paper.committee or "",
            "meeting_date": paper.meeting_date,
            "ruleset": form.ruleset.choices[0].value if form.ruleset.choices else None,
        }
    )
    docx = paper.main_file if paper.main_file is not None and paper.main_file.is_docx else None
    carried = {
        "url": paper.url,
        "paper_type": paper.paper_type,
        "date": paper.date,
        "file_name": (docx.fileName or docx.name or "") if docx else "",
        "take_file": docx is not None,
        "other_file": paper.main_file.fileName if paper.main_file is not None and docx is None else "",
        "committees": paper.committees,
    }
    return render_template("paper.html", form=form, check=None, same=[], same_key="", oparl=carried)


def carried() -> dict | None:
    """What the start form carries of its OParl paper when it comes back (errors, "schon begonnen")."""
    url = request.form.get("oparl_url", "").strip()
    if not url:
        return None
    return {
        "url": url,
        "paper_type": request.form.get("oparl_typ", ""),
        "date": oparl.parse_date(request.form.get("oparl_datum")),
        "file_name": request.form.get("oparl_dateiname", ""),
        "take_file": request.form.get("oparl_datei") == "ja",
        "other_file": "",
        "committees": [],
    }


def start_source(upload: tuple[str, bytes] | None) -> tuple[ops.PaperSource | None, tuple[str, bytes] | None]:
    """For the wizard's start: the OParl paper the form came from (read again: the URL must be a Paper of
    the municipality's system) and, unless the author chose a file of their own, its .docx main file as the
    upload, with the same limits and checks as an upload. (None, upload) for a form typed in by hand."""
    url = request.form.get("oparl_url", "").strip()
    if not url:
        return None, upload
    system = client()
    if system is None:
        raise oparl.OparlError(_("Für Ihre Kommune ist kein Ratsinformationssystem eingerichtet."))
    paper = system.paper(url, details=False)
    source = ops.PaperSource(url=paper.url, paper_type=paper.paper_type, paper_date=paper.date)
    main = paper.main_file
    if upload is None and request.form.get("oparl_datei") == "ja" and main is not None and main.is_docx:
        content = system.download(main, int(current_app.config["UPLOAD_MAX_BYTES"]))
        name = main.fileName or f"{paper.reference or _('Vorlage')}.docx"
        if not name.lower().endswith(".docx"):
            name += ".docx"
        upload = read_docx_upload(FileStorage(io.BytesIO(content), filename=name))
    return source, upload


# --- the read-only view for the council information system -------------------------------------


def _problem(status: int, title: str, detail: str):
    response = current_app.response_class(
        current_app.json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}),
        status=status,
        mimetype="application/problem+json",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/api/v1/oparl/papers/<paper_hash>")
def paper_checks(paper_hash: str):
    """The filed checks of the Paper whose URL has this SHA-256 (lower-case hex), newest first."""
    from impactcheck.store import verify

    not_found = (
        404,
        _("Nicht gefunden"),
        _("Zu dieser Vorlage gibt es keinen eingereichten Klimacheck."),
    )
    if not SHA256.fullmatch(paper_hash):
        return _problem(*not_found)
    checks = db().scalars(
        select(Check)
        .where(Check.paper_url_sha256 == paper_hash, Check.deleted_at.is_(None), Check.filed_number.is_not(None))
        .order_by(Check.submitted_at.desc(), Check.id.desc())
        .limit(20)
    )
    items = []
    for check in checks:
        revision = latest_filed(check.revisions)
        if revision is None or revision.result is None:
            continue
        code = revision.verification_code or verify.code_of(check.id, revision.number, revision.result)
        items.append(_item(check, revision, code))
    if not items:
        return _problem(*not_found)
    body = {
        "id": url_for("oparl.paper_checks", paper_hash=paper_hash, _external=True),
        "type": f"{VENDOR}:KlimacheckList",
        "paper": items[0][0],
        f"{VENDOR}:checks": [item for _paper, item in items],
    }
    response = current_app.response_class(
        current_app.json.dumps(body), mimetype="application/json", headers={"Cache-Control": "public, max-age=300"}
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _item(check: Check, revision, code: str) -> tuple[str, dict]:
    """(Paper URL, what /pruefen would show of this check)."""
    from impactcheck.store.municipalities import timezone_of
    from impactcheck.store.queries import reference_for

    municipality = db().get(Municipality, check.municipality_id)
    reference = reference_for(check, revision, timezone_of(municipality, current_app.config))
    result = revision.result or {}
    ruleset = result.get("ruleset") or {}
    return check.paper_url, {
        "type": f"{VENDOR}:Klimacheck",
        "web": url_for("results.view", check_id=check.id, _external=True),
        f"{VENDOR}:number": reference.check_id,
        f"{VENDOR}:revision": revision.number,
        f"{VENDOR}:status": revision.status,
        f"{VENDOR}:verdict": revision.verdict or result.get("verdict"),
        f"{VENDOR}:submitted": reference.date.isoformat() if reference.date else None,
        f"{VENDOR}:verificationCode": code,
        f"{VENDOR}:ruleset": {"id": ruleset.get("id") or revision.ruleset_id, "version": ruleset.get("version")},
        f"{VENDOR}:paperReference": check.reference,
    }


@bp.app_context_processor
def _templates() -> dict:
    def oparl_start_offered() -> bool:
        """Whether the start form links to the OParl start (a council information system is configured)."""
        if not current_user.is_authenticated or current_user.role not in CREATORS:
            return False
        return bool(
            (current_user.municipality.oparl_endpoint or current_app.config.get("OPARL_ENDPOINT") or "").strip()
        )

    return {"oparl_start_offered": oparl_start_offered}
