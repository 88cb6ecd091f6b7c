"""A submitted check: its result page, revisions, downloads (Word section, paper with section, chart, JSON).

Everything here renders the Result stored at submission; nothing is recomputed, so the page, the
Word section and the JSON can never disagree.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from impactcheck.core.errors import InputError
from impactcheck.core.result import Result
from impactcheck.core.verification import verification_code
from impactcheck.store import current as current_state
from impactcheck.store import operations as ops
from impactcheck.store import permissions
from impactcheck.store.models import AuditEntry, Check, Revision
from impactcheck.store.queries import reference_for as _reference
from impactcheck.store.snapshots import localized_result
from impactcheck.web.access import load_check, may_insert_into_paper
from impactcheck.web.context import commit, db, municipality_timezone, ruleset
from impactcheck.web.forms import ReviewForm, UploadForm, VersionForm
from impactcheck.web.restore import form_with_restored_input
from impactcheck.web.uploads import busy_headers, read_docx_upload, word_limits

bp = Blueprint("results", __name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _revision(check: Check, number: int | None) -> Revision:
    """The requested revision (default: the latest submitted one); only submitted ones have a Result."""
    if number is None:
        latest = current_state.latest_filed(check.revisions)
        if latest is None:
            abort(404)
        return latest
    found = next((r for r in check.revisions if r.number == number and r.result is not None), None)
    if found is None:
        abort(404)
    return found


def result_of(revision: Revision) -> Result:
    """The stored Result in the page's language: every page and download of it renders this one."""
    return localized_result(db(), revision, str(get_locale() or "de"), ruleset)


def reference_for(check: Check, revision: Revision):
    return _reference(check, revision, municipality_timezone())


def code_for(check: Check, revision: Revision) -> str:
    """The code printed in the paper: stored when the revision was filed (what /pruefen looks up)."""
    return revision.verification_code or verification_code(revision.result, reference_for(check, revision).check_id)


@bp.get("/klimachecks/<int:check_id>")
@login_required
def view(check_id: int):
    check = load_check(check_id)
    if check.filed_number is None:
        if check.current.is_draft and check.owner_id == current_user.id:
            return redirect(url_for("wizard.resume", check_id=check.id))
        abort(404)
    return _result_page(check, request.args.get("revision", type=int))


def _can_review(check: Check, revision: Revision) -> bool:
    return permissions.may_review(current_user, check, revision, ops.latest_submitted(check))


def _result_page(
    check: Check,
    number: int | None,
    review_form: ReviewForm | None = None,
    status: int = 200,
    upload_form: UploadForm | None = None,
):
    from impactcheck.web.sectorchart import sector_chart_svg
    from impactcheck.word import has_chart

    revision = _revision(check, number)
    result = result_of(revision)
    can_review = _can_review(check, revision)
    if review_form is None and can_review:
        review_form, _restored = form_with_restored_input(ReviewForm)
        review_form.version.data = str(revision.version)
    page = render_template(
        "result.html",
        check=check,
        revision=revision,
        result=result,
        code=code_for(check, revision),
        chart=sector_chart_svg(result) if has_chart(result) else None,
        reference=reference_for(check, revision),
        own_draft=check.current.is_draft and check.owner_id == current_user.id,
        is_owner=check.owner_id == current_user.id,
        own_review=permissions.reviews_own(current_user, check),
        review_form=review_form if can_review else None,
        version_form=VersionForm(),
        upload_form=(upload_form or UploadForm()) if may_insert_into_paper(current_user) else None,
        audit=_audit_of(check),
    )
    return page, status


def _audit_of(check: Check) -> list[AuditEntry]:
    """The check's audit log, for those who may read it (else nothing)."""
    if not permissions.may_read_audit(current_user):
        return []
    query = select(AuditEntry).where(AuditEntry.check_id == check.id).order_by(AuditEntry.at, AuditEntry.id)
    return list(db().scalars(query))


@bp.get("/klimachecks/<int:check_id>/ergebnis.json")
@login_required
def result_json(check_id: int):
    check = load_check(check_id)
    revision = _revision(check, request.args.get("revision", type=int))
    body = dict(revision.result)
    body["check"] = {
        "id": check.id,
        "revision": revision.number,
        "status": revision.status,
        "verification_code": code_for(check, revision),
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")


def _filename(check: Check, suffix: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in check.reference)[:60] or f"check-{check.id}"
    return f"Klimacheck_{safe}{suffix}"


@bp.get("/klimachecks/<int:check_id>/klimacheck.docx")
@login_required
def section_docx(check_id: int):
    """The Word section alone, as a new document."""
    from impactcheck.word import standalone_section_docx

    check = load_check(check_id)
    revision = _revision(check, request.args.get("revision", type=int))
    content = standalone_section_docx(result_of(revision), reference_for(check, revision))
    return send_file(io.BytesIO(content), mimetype=DOCX, as_attachment=True, download_name=_filename(check, ".docx"))


@bp.post("/klimachecks/<int:check_id>/vorlage.docx")
@login_required
def paper_with_section(check_id: int):
    """The uploaded paper (or a new upload) with the section inserted; the stored original stays as it is."""
    from impactcheck.word import insert_section

    check = load_check(check_id)
    revision = _revision(check, request.args.get("revision", type=int))
    if not may_insert_into_paper(current_user):
        abort(403)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        filename, content = _paper_of(check, form)
        annex = form.annex.data or "none"
        result, reference = result_of(revision), reference_for(check, revision)
        outcome = insert_section(content, result, reference, annex=annex, name=filename, limits=word_limits())
    except InputError as exc:
        # The page again, the message at the upload form (focus moves there), the choice of annex kept.
        form.paper.errors = [exc.one_line()]
        busy = busy_headers(exc)
        page, status = _result_page(check, revision.number, status=503 if busy else 422, upload_form=form)
        return page, status, busy or {}
    return _download(outcome, Path(ops.clean_filename(filename)).stem[:80] or _("Vorlage"), annex)


def _paper_of(check: Check, form: UploadForm) -> tuple[str, bytes]:
    """The paper to insert into: a new upload (kept for the author), else the author's stored one.
    Raises InputError with the message for the form."""
    upload = read_docx_upload(form.paper.data)
    own = check.owner_id == current_user.id
    if upload is not None:
        if own:
            ops.attach_upload(db(), current_user, check, *upload)
            commit()
        return upload
    if own and check.uploads:
        # The author's stored paper; other readers bring their own copy (a draft paper is the author's).
        return check.uploads[-1].filename, check.uploads[-1].content
    raise InputError(_("Bitte wählen Sie Ihre Vorlage als Word-Datei (.docx) aus."))


def _download(outcome, stem: str, annex: str):
    """The paper with its section, and with a separate annex both in one ZIP."""
    if annex == "separate" and outcome.annex_docx is not None:
        import zipfile

        bundle = io.BytesIO()
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{stem}_mit_Klimacheck.docx", outcome.docx)
            z.writestr(f"{stem}_Klimacheck-Anhang.docx", outcome.annex_docx)
        bundle.seek(0)
        return send_file(
            bundle, mimetype="application/zip", as_attachment=True, download_name=f"{stem}_mit_Klimacheck.zip"
        )
    return send_file(
        io.BytesIO(outcome.docx), mimetype=DOCX, as_attachment=True, download_name=f"{stem}_mit_Klimacheck.docx"
    )


@bp.post("/klimachecks/<int:check_id>/pruefung")
@login_required
def review(check_id: int):
    if current_user.role not in permissions.REVIEWERS:
        abort(403)
    check = load_check(check_id)
    decision = request.form.get("decision", "")
    if _decided_by_me(check, decision):
        return _already_decided(check, decision)
    latest = ops.latest_submitted(check)
    if latest is None or not _can_review(check, latest):
        flash(
            _("Eigene Klimachecks prüft eine andere Person der Klimaschutzstelle.")
            if latest is not None
            else _("Nur eingereichte Klimachecks können geprüft werden."),
            "error",
        )
        return redirect(url_for("results.view", check_id=check.id))
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            ops.review(
                db(),
                current_user,
                check,
                decision=form.decision.data,
                comment=form.comment.data or "",
                expected_version=form.expected_version(),
            )
            commit()
        except ops.OperationError as exc:
            db().rollback()
            check = load_check(check_id)
            if _decided_by_me(check, decision):  # the other click of a double click was first
                return _already_decided(check, decision)
            form.comment.errors = [exc.one_line()]
        else:
            return _reviewed(check, form.decision.data)
    # The page again, with the decision and comment as typed and the problem named.
    return _result_page(check, latest.number, review_form=form, status=422)


def _reviewed(check: Check, decision: str):
    if decision == "approve":
        flash(_("Der Klimacheck ist freigegeben."), "success")
    else:
        flash(_("Der Klimacheck ist an die Verfasserin oder den Verfasser zurückgegeben."), "success")
    return redirect(url_for("results.view", check_id=check.id))


def _decided_by_me(check: Check, decision: str) -> bool:
    """Nothing waits for review and the newest decision is this reviewer's and this one: a repeated click."""
    status = {"approve": "approved", "return": "returned"}.get(decision)
    reviewed = [r for r in check.revisions if r.reviewed_at is not None]
    return (
        status is not None
        and bool(reviewed)
        and ops.latest_submitted(check) is None
        and reviewed[-1].status == status
        and reviewed[-1].reviewed_by_id == current_user.id
    )


def _already_decided(check: Check, decision: str):
    flash(
        _("Der Klimacheck ist bereits freigegeben.")
        if decision == "approve"
        else _("Der Klimacheck ist bereits an die Verfasserin oder den Verfasser zurückgegeben."),
        "info",
    )
    return redirect(url_for("results.view", check_id=check.id))
