"""The register as CSV and XLSX: exactly the set the register shows for the same URL parameters
(`listing.parse_filter`, `listing.register_query`), for the same roles. See store/export.py."""

from __future__ import annotations

import tempfile

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import Session

from impactcheck.store import export, listing
from impactcheck.web.access import READERS_OF_ALL, roles_required
from impactcheck.web.context import database, db, municipality_timezone, ruleset_getter

bp = Blueprint("exports", __name__)

CHUNK = 64 * 1024
_PROBE = 987654321  # a check id no municipality reaches, to learn the URL pattern of a check page


def _rows(s: Session):
    timezone = municipality_timezone()
    flt = listing.parse_filter(request.args, timezone)  # as the register page: the same set, the same order
    query = listing.register_query(current_user.municipality_id, current_user.role, flt)
    probe = url_for("results.view", check_id=_PROBE, _external=True)
    before, _, after = probe.partition(str(_PROBE))
    return export.export_rows(
        s,
        query,
        municipality_id=current_user.municipality_id,
        role=current_user.role,
        timezone=timezone,
        link=lambda ident: f"{before}{ident}{after}",
        rulesets=ruleset_getter(),  # bound to the municipality: exit labels are looked up while the body is sent
        translate=gettext,
    )


def _download(response: Response, fmt: str) -> Response:
    name = export.filename(fmt, export.today_in(municipality_timezone()))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # Names of people and unpublished drafts: not for shared caches, not kept by the browser.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/register/export.csv")
@roles_required(*READERS_OF_ALL)
def register_csv():
    """Streamed: rows go out as the database sends them, a thousand at a time.

    On a session of its own: the request's session is closed when the view returns (teardown), which
    would end the transaction that holds PostgreSQL's server-side cursor before the body is sent.
    Labels and the header are resolved before the view returns, so the body needs no request
    context (no `stream_with_context`, which would keep the request open until the body is closed)."""
    s = database().session()
    try:
        chunks = export.iter_csv(_rows(s), translate=gettext)
    except BaseException:
        s.close()
        raise

    def body():
        try:
            yield from chunks
        finally:
            s.close()

    response = Response(body(), mimetype=export.CSV_MIMETYPE)
    response.call_on_close(s.close)  # if the body is never read
    return _download(response, "csv")


@bp.get("/register/export.xlsx")
@roles_required(*READERS_OF_ALL)
def register_xlsx():
    """Built from the streamed rows into a temporary file (openpyxl write-only), then sent in chunks;
    the file is anonymous and disappears when it is closed, also when the download is cut off."""
    rows = _rows(db())  # read to the end before the view returns
    spool = tempfile.TemporaryFile(prefix="impactcheck-export-", suffix=".xlsx")  # noqa: SIM115 - closed by the response
    try:
        export.write_xlsx(rows, spool, translate=gettext)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks():
        try:
            while data := spool.read(CHUNK):
                yield data
        finally:
            spool.close()

    response = Response(chunks(), mimetype=export.XLSX_MIMETYPE, direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.call_on_close(spool.close)  # if the body is never read
    return _download(response, "xlsx")
