"""Error pages in plain German: never a traceback, always a way back."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from impactcheck.core.numbers import format_number

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):
    if request.path == "/healthz" or request.accept_mimetypes.best == "application/json":
        return {"status": status, "error": title, "message": message}, status
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
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
        log.error("internal error on %s", request.path, exc_info=getattr(exc, "original_exception", None))
        return _page(
            500,
            _("Interner Fehler"),
            _(
                "Etwas ist schiefgegangen. Ihre bisher gespeicherten Angaben sind erhalten. "
                "Bitte versuchen Sie es erneut."
            ),
        )
