"""Error pages in plain German: never a traceback, always a way back."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from impactcheck.web.templating import page_number as format_number  # in the page's language

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):
    if request.path == "/healthz" or request.accept_mimetypes.best == "application/json":
        return {"status": status, "error": title, "message": message}, status
    return render_template("error.html", status=status, title=title, message=message), status


REDACTED = "[Eingabe entfernt]"
MIN_REDACTED_LENGTH = 3  # shorter inputs ("ja", "1") would blank out the traceback itself


def _inputs() -> list[str]:
    """Everything the request brought that a person typed or chose: form fields, query values, upload
    names, JSON strings; longest first, so a longer input is removed before a part of it."""
    found: set[str] = set()
    try:
        found.update(v for _, v in request.form.items(multi=True))
        found.update(v for _, v in request.args.items(multi=True))
        found.update(f.filename or "" for _, f in request.files.items(multi=True))
        body = request.get_json(silent=True) if request.is_json else None
    except Exception:  # the request itself may be what failed (too large, broken)
        body = None
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    texts = set()
    for value in found:
        for variant in (value, repr(value)[1:-1]):  # as it is, and as it shows inside a repr()
            if len(variant.strip()) >= MIN_REDACTED_LENGTH:
                texts.add(variant)
    return sorted(texts, key=len, reverse=True)


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback of `exc` without what the user entered: SQL parameters are hidden (SQLAlchemy's
    messages carry the values, e.g. a whole answer text), and every input of the request is cut out of
    the exception messages. Code lines and the exception types stay, so the log still says where."""
    from sqlalchemy.exc import StatementError

    seen: set[int] = set()
    item: BaseException | None = exc
    while item is not None and id(item) not in seen:
        seen.add(id(item))
        if isinstance(item, StatementError):
            item.hide_parameters = True
        item = item.__cause__ or item.__context__
    lines = "".join(traceback.format_exception(exc)).splitlines(keepends=True)
    # PostgreSQL's DETAIL names the values of the refused row or key, possibly cut short: left out whole.
    text = "".join(line for line in lines if not line.lstrip().startswith("DETAIL:"))
    for value in _inputs():
        text = text.replace(value, REDACTED)
    return text


def _log_exception(exc_info) -> None:
    """Replaces Flask's own logging of an unhandled exception (which prints the raw messages)."""
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    try:
        user = getattr(current_user, "id", None)
    except Exception:  # loading the user may be what failed
        user = None
    log.error(
        "internal error on %s %s (endpoint %s, user id %s)\n%s",
        request.method,
        request.path,
        request.endpoint,
        user,
        scrubbed_traceback(exc) if exc is not None else "(no exception)",
    )


def init_app(app: Flask) -> None:
    # Log lines carry no answer contents: the path, the endpoint, the user's id and a scrubbed traceback.
    app.log_exception = _log_exception  # type: ignore[method-assign]

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _page(
            400,
            _("Formular abgelaufen"),
            _(
                "Das Formular konnte nicht sicher zugeordnet werden, meist weil die Sitzung abgelaufen ist oder "
                "die Seite sehr lange offen war. Gehen Sie mit der Zurück-Taste Ihres Browsers zurück, kopieren "
                "Sie Ihre Eingaben, laden Sie die Seite neu und senden Sie sie erneut."
            ),
        )

    @app.errorhandler(400)
    def bad_request(exc):
        return _page(400, _("Ungültige Anfrage"), _("Die Anfrage war unvollständig oder fehlerhaft."))

    @app.errorhandler(403)
    def forbidden(exc):
        return _page(403, _("Keine Berechtigung"), _("Diese Seite oder Aktion ist für Ihre Rolle nicht vorgesehen."))

    @app.errorhandler(404)
    def not_found(exc):
        return _page(
            404, _("Seite nicht gefunden"), _("Diese Seite gibt es nicht oder Sie haben keinen Zugriff darauf.")
        )

    @app.errorhandler(405)
    def method_not_allowed(exc):
        return _page(405, _("Nicht möglich"), _("Diese Aktion ist auf dieser Seite nicht möglich."))

    @app.errorhandler(413)
    def too_large(exc):
        length = request.content_length
        within = length is not None and length <= app.config["MAX_CONTENT_LENGTH"]
        if within or request.mimetype != "multipart/form-data":
            # No file can be the cause (the request was within the limit, or a form without files):
            # a text field was longer than a form may hold.
            return _page(
                400,
                _("Eingabe zu lang"),
                _(
                    "Ein Textfeld enthält mehr als %(limit)s Zeichen. Gehen Sie mit der Zurück-Taste Ihres Browsers "
                    "zurück, kürzen Sie den Text und senden Sie das Formular erneut.",
                    limit=format_number(app.config["MAX_FORM_MEMORY_SIZE"]),
                ),
            )
        limit = app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)
        return _page(
            413,
            _("Datei zu groß"),
            _(
                "Die hochgeladene Datei ist größer als %(limit)d MB. Bitte verkleinern Sie Bilder in der Vorlage.",
                limit=limit,
            ),
        )

    @app.errorhandler(503)
    def unavailable(exc):
        return _page(503, _("Vorübergehend nicht verfügbar"), _("Der Dienst ist gerade nicht verfügbar."))

    @app.errorhandler(500)
    def internal(exc):
        # Logged by _log_exception (Flask calls it before this handler), once and without the inputs.
        # A failed statement leaves PostgreSQL's transaction aborted: end it, the page itself reads the database.
        session = g.get("db")
        if session is not None:
            try:
                session.rollback()
            except Exception:
                log.warning("could not roll back after an internal error", exc_info=True)
        return _page(
            500,
            _("Interner Fehler"),
            _(
                "Etwas ist schiefgegangen. Ihre bisher gespeicherten Angaben sind erhalten. "
                "Bitte versuchen Sie es erneut."
            ),
        )
