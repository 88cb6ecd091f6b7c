"""Uploaded Word files: read them fully, check them before anything parses them."""

from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import FileStorage

from impactcheck.core.errors import InputError, Problem


def read_docx_upload(storage: FileStorage | None) -> tuple[str, bytes] | None:
    """(filename, content) of a checked .docx, None when no file was chosen; InputError otherwise."""
    if storage is None or not getattr(storage, "filename", None):
        return None
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    content = storage.read(limit + 1)
    if len(content) > limit:
        raise InputError(
            Problem(
                f"Die Datei ist größer als {limit // (1024 * 1024)} MB. Bitte verkleinern Sie Bilder in der Vorlage."
            )
        )
    if not content:
        raise InputError(Problem("Die Datei ist leer."))
    from impactcheck.word.safety import Limits, check_docx

    check_docx(content, name=storage.filename, limits=Limits(max_bytes=limit))
    return storage.filename, content
