"""Which Word template the report is built on, and opening it as an empty document.

In this order: a template given explicitly (the CLI's --vorlage), the municipality's house template
`RULES_DIR/kommunen/<slug>/bericht-vorlage.docx` (beside its own rule sets and its climate target, so the
climate department keeps them together), else the default shipped in this package (`bericht-vorlage.docx`,
made by `python -m impactcheck.report.default_template`). A house template keeps its page setup, headers,
footers and styles; its body text is replaced by the report.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from impactcheck.core.errors import InputError

TEMPLATE_NAME = "bericht-vorlage.docx"
DEFAULT_TEMPLATE = Path(__file__).with_name(TEMPLATE_NAME)
# A Word template (.dotx) is a document with another content type; python-docx opens documents only.
_DOTX = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_DOCX = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


class TemplateError(InputError):
    """A template that cannot be used (one German line)."""


def house_template(rules_dir: Path | None, slug: str) -> Path | None:
    """The municipality's own template, if it has one."""
    if rules_dir is None:
        return None
    from impactcheck.store.municipalities import own_rules_dir

    path = own_rules_dir(Path(rules_dir), slug) / TEMPLATE_NAME
    return path if path.is_file() else None


def template_for(rules_dir: Path | None, slug: str, explicit: Path | bytes | None = None) -> tuple[bytes, str]:
    """The template's bytes and a name for messages."""
    if isinstance(explicit, bytes | bytearray):
        return bytes(explicit), "Vorlage"
    path = Path(explicit) if explicit is not None else house_template(rules_dir, slug) or DEFAULT_TEMPLATE
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise TemplateError(f"{path}: Vorlage nicht lesbar ({exc.strerror or exc})") from None


def _as_document(data: bytes) -> bytes:
    """A .dotx as a .docx (the content type of its main part), other files unchanged."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            types = z.read("[Content_Types].xml")
            if _DOTX not in types:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
                for info in z.infolist():
                    content = z.read(info.filename)
                    w.writestr(info, types.replace(_DOTX, _DOCX) if info.filename == "[Content_Types].xml" else content)
            return out.getvalue()
    except (zipfile.BadZipFile, KeyError, OSError):
        return data  # the check below says what is wrong


def open_template(data: bytes, name: str):
    """The template as a python-docx Document with an empty body (its last section's page setup kept).
    TemplateError for anything that is not a usable Word file, checked as the Word section checks an
    upload (word/safety.py: size, zip bombs, external content)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    from impactcheck.word.safety import check_docx

    data = _as_document(data)
    try:
        check_docx(data, name=name)
    except InputError as exc:
        raise TemplateError(f"Vorlage {exc.one_line()}") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TemplateError(f"{name}: Vorlage ist keine lesbare Word-Datei (.docx) ({type(exc).__name__})") from None
    _clear_body(document)
    return document


def _clear_body(document) -> None:
    """Remove the template's content but the last section's properties (page size, margins, headers)."""
    from docx.oxml.ns import qn

    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
