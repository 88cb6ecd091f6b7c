"""Uploaded Word files: read them fully, check them before anything parses them, before anything stores them.

The check (impactcheck.word.check_docx) does all the insertion will do to the file except inserting, within
the configured limits (settings.py: UPLOAD_MAX_BYTES, WORD_*), and takes one of the few processing slots of
this process; a file that could never be processed is refused here, with one German sentence.
"""

from __future__ import annotations

from flask import current_app, flash
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import translated


def word_limits():
    """The limits of this installation for Word files (also for the insertion: pass them to insert_section)."""
    from impactcheck.word import Limits

    return Limits.from_config(current_app.config)


def busy_headers(exc: InputError) -> dict[str, str] | None:
    """For a Word file refused because every processing slot is taken – not the file's fault – the
    headers of a 503 that asks to come back in a minute; None for a file refused for what it is."""
    from impactcheck.word.jobs import Busy

    return {"Retry-After": "60"} if isinstance(exc, Busy) else None


def read_docx_upload(storage: FileStorage | None) -> tuple[str, bytes] | None:
    """(filename, content) of a checked .docx, None when no file was chosen; InputError otherwise."""
    if storage is None or not getattr(storage, "filename", None):
        return None
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    content = storage.read(limit + 1)
    if len(content) > limit:
        raise InputError(
            Problem(
                _(
                    "Die Datei ist größer als %(mb)s MB. Bitte verkleinern Sie Bilder in der Vorlage.",
                    mb=limit // (1024 * 1024),
                )
            )
        )
    if not content:
        raise InputError(Problem(_("Die Datei ist leer.")))
    from impactcheck.word import check_docx

    checked = check_docx(content, name=storage.filename, limits=word_limits())
    for note in checked.notes:  # e.g. a template on a server: the insertion will leave it out
        flash(translated(note, _), "info")  # a Message: its pattern translated, then filled in
    return storage.filename, content
