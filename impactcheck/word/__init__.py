"""Word integration: the Klimacheck section inside the author's own .docx (DESIGN.md, "The Word section").

Public API (stable; the web app and the CLI use only these names):

    insert_section(source, result, reference=None, *, annex="none", chart=True, limits=None, name=None)
        -> InsertOutcome(docx: bytes, annex_docx: bytes | None, anchor_kind: str, verification_code: str,
                         notes: tuple[str, ...])
        `source` is the .docx as bytes or a path; `annex` is "none", "end" (in the document, own content
        control) or "separate" (annex_docx); `limits` (Limits) bounds what the file may cost; `name` is
        the file name used in error messages for bytes input. anchor_kind is one of "content_control",
        "bookmark", "placeholder", "heading", "end"; notes say (in German) what was dropped because Word
        would fetch it from outside when opening the document, and that a Strict Open XML file was
        converted (it is read as Transitional, and the output is Transitional). Raises InputError for a
        file that is not an acceptable .docx (one German line, e.g. "altes Word-Format .doc, bitte als
        .docx speichern"), and its subclass jobs.Busy when this process already works on as many files as
        the limits allow.
    standalone_section_docx(result, reference=None, *, chart=True, annex=False) -> bytes
        A new document with only the section (and, on request, the annex).
    annex_docx(result, reference=None) -> bytes
        The annex (all questions and answers) as a document of its own.
    sector_chart(result) -> nativechart.ChartSpec;  chart_alt_text(result) -> str;  has_chart(result) -> bool
        The sector chart (a native Word chart in the section; the web page draws the same spec as SVG),
        with its German alt text. `impactcheck.word.nativechart` writes chart specs as native Word charts,
        also into python-docx documents (`add_chart`).
    open_docx(source, *, name=None, limits=None) -> CheckedDocx;  check_docx(data, *, name=..., limits=None)
        Only the check (for an upload form before storing the file): everything the insertion does except
        inserting, within the same limits; raise InputError like above. CheckedDocx.notes as above.
    Limits(max_bytes=20 MB, max_members=5000, max_part=100 MB, max_uncompressed=200 MB, max_ratio=200,
           max_xml_part=64 MB, max_xml_nodes=4,000,000, max_tree_nodes=300,000, max_seconds=30,
           max_jobs=2, max_queued=2, queue_seconds=20);  Limits.from_config(settings) for the configured ones
    Reference(check_id=None, author=None, date=None)   (from impactcheck.core.verification)

The package never imports Flask or SQLAlchemy; charts are native Word charts written as XML (no plotting library).
"""

from impactcheck.core.verification import Reference, verification_code
from impactcheck.word.chart import chart_alt_text, has_chart, sector_chart
from impactcheck.word.insert import InsertOutcome, annex_docx, insert_section, standalone_section_docx
from impactcheck.word.safety import CheckedDocx, Limits, check_docx, open_docx

__all__ = [
    "CheckedDocx",
    "InsertOutcome",
    "Limits",
    "Reference",
    "annex_docx",
    "chart_alt_text",
    "check_docx",
    "has_chart",
    "insert_section",
    "open_docx",
    "sector_chart",
    "standalone_section_docx",
    "verification_code",
]
