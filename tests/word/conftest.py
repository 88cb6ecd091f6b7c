from __future__ import annotations

import datetime as dt

import pytest

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.verification import Reference
from tests.support import ARCHIVE, require_program
from tests.word import docs
from tests.word import libreoffice as lo

# The section is built from stored Results; the richest ones to render come from the 2026.1 examples
# (tests/word/test_section.py covers what 2026.2 adds: open points, fragile verdicts, typical values).
EXAMPLES = ARCHIVE / "examples"


def _result(kassel, name):
    return evaluate_submission(kassel, load_submission(EXAMPLES / "kassel-2030" / f"{name}.yaml"))


@pytest.fixture(scope="session")
def negative(kassel_2026_1):
    """Negative, with an alternative that is positive: the richest section."""
    result = _result(kassel_2026_1, "gasheizung-kita")
    assert result.verdict == "negative" and result.alternative is not None
    return result


@pytest.fixture(scope="session")
def positive(kassel_2026_1):
    return _result(kassel_2026_1, "pv-schuldaecher")


@pytest.fixture(scope="session")
def not_relevant(kassel_2026_1):
    result = _result(kassel_2026_1, "strassenumbenennung")
    assert result.assessment.screening.exited
    return result


@pytest.fixture(scope="session")
def reference():
    return Reference(check_id="K-2026-0042", author="Maria Muster", date=dt.date(2026, 3, 3))


# --- LibreOffice documents (one soffice run per target format and session) ----------------------

LO_SOURCES = {
    # German heading styles (ids "Berschrift1"), numbered by the outline; header, footer, tracked changes.
    "lo_heading": lo.fodt(
        lo.h("Beschlussvorschlag")
        + lo.p("Der Ausschuss beschließt den Ersatz der Heizung.")
        + lo.h("Finanzielle Auswirkungen")
        + lo.p('Die Kosten betragen <text:change text:change-id="d1"/>180.000 Euro.')
        + lo.h("Haushaltsmittel", 2)
        + lo.p('<text:change-start text:change-id="i1"/>Produkt 11.02.01.<text:change-end text:change-id="i1"/>')
        + lo.h("Anlagen")
        + lo.p("Lageplan"),
        styles=lo.GERMAN_HEADINGS,
        header="Stadt Kassel – Der Magistrat",
        footer="Vorlage 101.26.0601",
        changes=lo.change("d1", "deletion", "150.000 Euro oder ") + lo.change("i1", "insertion"),
    ),
    # LibreOffice's own "Heading 1" with a number typed by hand.
    "lo_manual_number": lo.fodt(
        lo.h("1. Beschlussvorschlag", style="Heading_20_{level}")
        + lo.p("Text.")
        + lo.h("3. Finanzielle Auswirkungen", style="Heading_20_{level}")
        + lo.p("Keine.")
        + lo.h("4. Anlagen", style="Heading_20_{level}")
        + lo.p("Keine Anlagen."),
        styles='<style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph"'
        ' style:default-outline-level="1"><style:text-properties fo:font-weight="bold"/></style:style>',
    ),
    # The placeholder split over differently formatted spans, with tracked changes around it.
    "lo_placeholder_split": lo.fodt(
        lo.h("Klimaauswirkungen")
        + lo.p('Davor <text:change text:change-id="d2"/>bleibt.')
        + lo.p(
            '<text:change text:change-id="d3"/>{{<text:span text:style-name="Bold">Klima</text:span>'
            '<text:span text:style-name="Italic">check</text:span>}}'
        )
        + lo.p('<text:change-start text:change-id="i2"/>Danach eingefügt.<text:change-end text:change-id="i2"/>')
        + lo.h("Finanzielle Auswirkungen")
        + lo.p("Keine."),
        styles=lo.GERMAN_HEADINGS,
        header="Kopfzeile",
        footer="Fußzeile",
        changes=lo.change("d2", "deletion", "gelöscht ")
        + lo.change("d3", "deletion", "Entwurf: ")
        + lo.change("i2", "insertion"),
    ),
    # The placeholder in a table cell of a form-like template.
    "lo_placeholder_cell": lo.fodt(
        lo.h("Vorlage") + '<table:table table:name="Angaben"><table:table-column table:number-columns-repeated="2"/>'
        "<table:table-row><table:table-cell><text:p>Finanzielle Auswirkungen</text:p></table:table-cell>"
        "<table:table-cell><text:p>180.000 Euro</text:p></table:table-cell></table:table-row>"
        "<table:table-row><table:table-cell><text:p>Klimaauswirkungen</text:p></table:table-cell>"
        "<table:table-cell><text:p> {{KLIMACHECK}} </text:p></table:table-cell></table:table-row>"
        "</table:table>" + lo.p("Schluss."),
        styles=lo.GERMAN_HEADINGS,
    ),
    "lo_bookmark": lo.fodt(
        lo.h("Finanzielle Auswirkungen")
        + lo.p("Keine.")
        + lo.h("Klimaschutz")
        + lo.p('Die Klimawirkung ist unten dargestellt.<text:bookmark text:name="klimacheck"/>')
        + lo.p("Weiterer Text."),
        styles=lo.GERMAN_HEADINGS,
        header="Kopf",
        footer="Fuß",
    ),
    # Section titles as bold standard paragraphs, no heading styles at all.
    "lo_bold_titles": lo.fodt(
        lo.p("Beschlussvorschlag", "BoldPara")
        + lo.p("Der Ausschuss beschließt.")
        + lo.p("Finanzielle Auswirkungen:", "BoldPara")
        + lo.p("Die Kosten betragen 10.000 Euro.")
        + lo.p("Anlagen", "BoldPara")
        + lo.p("Keine.")
    ),
    "lo_end": lo.fodt(lo.h("Sachverhalt") + lo.p("Nur Text."), styles=lo.GERMAN_HEADINGS, header="K", footer="F"),
}


@pytest.fixture(scope="session")
def lo_workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("libreoffice")


@pytest.fixture(scope="session")
def soffice():
    return require_program("soffice")


@pytest.fixture(scope="session")
def lo_docx(soffice, lo_workdir, negative):
    """name -> .docx bytes written by LibreOffice; "lo_roundtrip" is our output saved again by LibreOffice,
    "lo_strict" our output for a Strict Open XML paper, saved again by LibreOffice."""
    from impactcheck.word import insert_section
    from tests.word.strictdocs import to_strict

    ours = insert_section(docs.make(docs.beschlussvorlage), negative, annex="end").docx
    from_strict = insert_section(to_strict(docs.make(docs.beschlussvorlage)), negative).docx
    sources = {**LO_SOURCES, "lo_roundtrip.docx": ours, "lo_strict.docx": from_strict}
    return lo.convert(sources, "docx", lo_workdir, soffice)


@pytest.fixture(scope="session")
def lo_legacy_doc(soffice, lo_workdir):
    """A real legacy .doc (Word 97) written by LibreOffice."""
    return lo.convert({"legacy": LO_SOURCES["lo_end"]}, "doc", lo_workdir, soffice)["legacy"]
