"""Insert the Klimacheck section into an author's .docx; build the stand-alone documents.

The steps of `insert_section`: take a processing slot (`jobs`), check the file (`safety`), read its styles
and its main part as a skeleton (`package`, `styles`, `skeleton`), find the place (`anchor`), store the chart
(`chart`, `nativechart`) as members of the package, build the section (`section`) and, if asked, the annex
(`annex`), put them in, drop relationships that would fetch something on opening (`externals`), and write
the package again with every untouched member copied byte for byte. The limits and the clock of the check
hold for all of it.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import posixpath
from typing import Literal, NamedTuple

from lxml import etree

from impactcheck.core.i18n import Words
from impactcheck.core.result import Result
from impactcheck.core.verification import Reference, verification_code
from impactcheck.word import nativechart, ooxml
from impactcheck.word.anchor import (
    ANNEX_MARK,
    ANNEX_TAG,
    OURS,
    SECTION_MARK,
    fill_control,
    find_anchor,
    find_end,
    find_tagged,
    heading_look,
    marked_blocks,
    replace_blocks,
)
from impactcheck.word.annex import build_annex
from impactcheck.word.chart import NAME, TITLE, chart_aspect, has_chart, sector_chart
from impactcheck.word.jobs import SLOTS
from impactcheck.word.limits import Clock
from impactcheck.word.package import Package
from impactcheck.word.safety import CheckedDocx, Limits, check, open_docx, rels_member, resolve_target
from impactcheck.word.section import HEADING_TEXT, Chart, Layout, build_section
from impactcheck.word.skeleton import Skeleton
from impactcheck.word.styles import StyleSheet

AnnexChoice = Literal["none", "end", "separate"]
ANNEX_CHOICES = ("none", "end", "separate")
CHART_NAME = "klimacheck-diagramm"  # word/charts/<name>.xml, its rels, word/embeddings/<name>.xlsx
OLD_PNG = "media/klimacheck-diagramm.png"  # the picture that sections before the native chart had
CHART_REL_ID = "rIdKlimacheckChart"


class InsertOutcome(NamedTuple):
    docx: bytes  # the author's document with the section
    annex_docx: bytes | None  # the annex as a document of its own (annex="separate"), else None
    anchor_kind: str  # content_control | bookmark | placeholder | heading | end
    verification_code: str  # as shown in the reference line
    notes: tuple[str, ...] = ()  # German sentences: what was dropped from the document, and why


def insert_section(
    source: bytes | str | os.PathLike[str],
    result: Result,
    reference: Reference | None = None,
    *,
    annex: AnnexChoice = "none",
    chart: bool = True,
    limits: Limits | None = None,
    name: str | None = None,
) -> InsertOutcome:
    """The author's .docx (bytes or path) with the section inserted, or replaced where it already is.

    Raises InputError (German, one line, naming `name` or the path) for a file that is not an acceptable
    .docx. With annex="end" the annex is (re)placed at the end of the document; with "none" or
    "separate" an annex an earlier run left in the document is removed, so that it never contradicts
    the section.
    """
    if annex not in ANNEX_CHOICES:
        raise ValueError(f"annex must be one of {ANNEX_CHOICES}, not {annex!r}")
    reference = reference or Reference()
    code = verification_code(result.to_dict(), reference.check_id)
    limits = limits or Limits()
    with SLOTS.slot(jobs=limits.max_jobs, queued=limits.max_queued, wait=limits.queue_seconds):
        checked = open_docx(source, name=name, limits=limits)
        docx, kind = _insert(checked, result, reference, code, annex_at_end=annex == "end", chart=chart)
    annex_docx = _annex_document(result, reference, code) if annex == "separate" else None
    return InsertOutcome(
        docx=docx, annex_docx=annex_docx, anchor_kind=kind, verification_code=code, notes=tuple(checked.notes)
    )


def standalone_section_docx(
    result: Result, reference: Reference | None = None, *, chart: bool = True, annex: bool = False
) -> bytes:
    """A new A4 document (German) holding only the section, naming the paper; with annex=True the annex too."""
    reference = reference or Reference()
    code = verification_code(result.to_dict(), reference.check_id)
    blank = _own(blank_docx(result.locale), "Klimacheck")
    docx, _ = _insert(blank, result, reference, code, annex_at_end=annex, chart=chart, show_paper=True)
    return docx


def annex_docx(result: Result, reference: Reference | None = None) -> bytes:
    """The annex (all questions and answers) as a document of its own."""
    reference = reference or Reference()
    return _annex_document(result, reference, verification_code(result.to_dict(), reference.check_id))


# --- the work -------------------------------------------------------------------------------


def _own(data: bytes, name: str) -> CheckedDocx:
    """Our own blank document, checked like any other (no slot: it is small and trusted)."""
    limits = Limits()
    return check(data, name, limits, Clock(limits.max_seconds, name))


def _insert(checked: CheckedDocx, result, reference, code, *, annex_at_end, chart, show_paper=False):
    pkg = Package(checked)
    sheet = checked.styles  # the check's reading of the styles part (the insertion does not change it)
    if sheet is None:
        styles = pkg.related(pkg.main_part, ooxml.REL_STYLES)
        sheet = StyleSheet(pkg.xml(styles) if styles else None)
    main_ids = {e.rel_id for e in checked.fetching if e.source == pkg.main_part}
    skeleton = Skeleton(
        sheet, main_ids, checked.limits, pkg.main_part, checked.name, keep_text=True, tree_nodes=checked.tree_nodes
    )
    root = skeleton.read(pkg.chunks(pkg.main_part), checked.clock).root
    pkg.drop_fetching(checked.fetching, root)
    anchor = find_anchor(root, sheet)
    ppr, rpr = heading_look(anchor.heading_like) if anchor.heading_like is not None else (None, None)
    free = max(_free_id(root), skeleton.max_id + 1)  # docPr and bookmark ids: free ones, the same on every run
    layout = Layout(sheet, anchor.level, anchor.width, ppr, rpr, show_paper, mark_id=free + 1)
    native = _store_chart(pkg, result, docpr_id=free, font=sheet.body_font) if chart and has_chart(result) else None
    anchor.place(build_section(result, reference, code, layout, native))
    _drop_unused(pkg, root, skeleton, chart=native is None)
    _place_annex(root, sheet, result, reference, code, free + 2, wanted=annex_at_end)
    checked.clock.check()
    pkg.put(pkg.main_part, skeleton.serialized())
    return pkg.to_bytes(), anchor.kind


def _place_annex(root, sheet, result, reference, code, mark_id: int, *, wanted: bool) -> None:
    existing = find_tagged(root, ANNEX_TAG)
    marked = None if existing is not None else marked_blocks(root, ANNEX_MARK)
    if not wanted:
        if existing is not None:
            existing.getparent().remove(existing)
        for block in marked or ():
            block.getparent().remove(block)
        return
    end = find_end(root, sheet)
    block = build_annex(result, reference, code, Layout(sheet, end.level, end.width, mark_id=mark_id))
    if existing is not None:
        fill_control(existing, block)
    elif marked:
        replace_blocks(marked, block)
    else:
        end.place(block)


def _annex_document(result: Result, reference: Reference, code: str) -> bytes:
    pkg = Package(_own(blank_docx(result.locale), "Klimacheck-Anlage"))
    root = pkg.xml(pkg.main_part)
    styles = pkg.related(pkg.main_part, ooxml.REL_STYLES)
    sheet = StyleSheet(pkg.xml(styles) if styles else None)
    end = find_end(root, sheet)
    end.place(build_annex(result, reference, code, Layout(sheet, 1, end.width), new_page=False))
    pkg.put(pkg.main_part, ooxml.serialize(root))
    return pkg.to_bytes()


# --- the chart as package members -------------------------------------------------------------


def _word_dir(pkg: Package) -> str:
    return posixpath.dirname(pkg.main_part)


def _chart_members(pkg: Package) -> tuple[str, str, str]:
    """The chart part, its relationships and its embedded workbook."""
    base = _word_dir(pkg)
    chart = posixpath.join(base, "charts", f"{CHART_NAME}.xml")
    return chart, rels_member(chart), posixpath.join(base, "embeddings", f"{CHART_NAME}.xlsx")


def _relationships(pkg: Package) -> tuple[str, etree._Element]:
    name = rels_member(pkg.main_part)
    existing = pkg.member(name)
    if existing is None:
        return name, etree.Element(ooxml.qn("pr:Relationships"), nsmap={None: ooxml.NS["pr"]})
    return existing, pkg.xml(existing)


def _relationship_to(pkg: Package, rels: etree._Element, member: str) -> etree._Element | None:
    member = member.lower()
    for rel in rels.iter(ooxml.qn("pr:Relationship")):
        internal = rel.get("TargetMode") != "External"
        if internal and resolve_target(pkg.main_part, rel.get("Target") or "").lower() == member:
            return rel
    return None


def _free_id(root: etree._Element) -> int:
    """One more than the highest drawing or bookmark id outside our own blocks (which get replaced)."""
    ours = f"ancestor::w:sdt[{OURS}]"
    query = (
        f"//wp:docPr[not({ours})]/@id"
        f" | //w:bookmarkStart[not({ours}) and not(starts-with(@w:name, '{SECTION_MARK}'))]/@w:id"
    )
    return max((int(i) for i in root.xpath(query, namespaces=ooxml.NS) if i.isdigit()), default=0) + 1


def _store_chart(pkg: Package, result: Result, *, docpr_id: int, font: str | None) -> Chart:
    """The native chart (chart part, its relationships, its workbook), related from the main part."""
    spec = dataclasses.replace(sector_chart(result), font=font)  # the chart's text in the paper's body font
    chart, chart_rels, workbook = _chart_members(pkg)
    rels_name, rels = _relationships(pkg)
    rel = _relationship_to(pkg, rels, chart)
    if rel is None:
        taken = {r.get("Id") for r in rels.iter(ooxml.qn("pr:Relationship"))}
        rel_id = next(
            f"{CHART_REL_ID}{i or ''}" for i in range(len(taken) + 1) if f"{CHART_REL_ID}{i or ''}" not in taken
        )
        rel = etree.SubElement(rels, ooxml.qn("pr:Relationship"))
        rel.set("Id", rel_id)
        rel.set("Type", nativechart.REL_CHART)
        rel.set("Target", posixpath.relpath(chart, _word_dir(pkg) or "."))
        pkg.put(rels_name, ooxml.serialize(rels))
    target = posixpath.relpath(workbook, posixpath.dirname(chart))
    pkg.put(chart, nativechart.chart_xml(spec), content_type=nativechart.CT_CHART)
    pkg.put(chart_rels, nativechart.chart_rels_xml(target))
    pkg.put(workbook, nativechart.workbook_xlsx(spec), content_type=nativechart.CT_XLSX)
    w = Words(result.locale)  # the chart's name and tooltip in the section's language
    return Chart(rel.get("Id"), chart_aspect(result), spec.alt_text, docpr_id, w(NAME), w(TITLE))


def _drop_unused(pkg: Package, root: etree._Element, skeleton: Skeleton, *, chart: bool) -> None:
    """What an earlier insertion left that the new section no longer shows goes, with its relationship: the
    picture of sections before the native chart, and (`chart`) the native chart."""
    _drop_member(pkg, root, skeleton, posixpath.join(_word_dir(pkg), OLD_PNG), ())
    if chart:
        member, chart_rels, workbook = _chart_members(pkg)
        _drop_member(pkg, root, skeleton, member, (chart_rels, workbook))


def _drop_member(pkg: Package, root, skeleton: Skeleton, member: str, with_it: tuple[str, ...]) -> None:
    rels_name, rels = _relationships(pkg)
    rel = _relationship_to(pkg, rels, member)
    if rel is None:
        return
    rel_id = rel.get("Id")
    used = root.xpath("//@r:embed | //@r:link | //@r:id", namespaces=ooxml.NS)
    if rel_id in used or skeleton.mentions(rel_id):
        return  # the author copied the chart elsewhere: keep it
    rels.remove(rel)
    pkg.put(rels_name, ooxml.serialize(rels))
    for name in (member, *with_it):
        pkg.remove(name)


# --- a blank document in the section's language ----------------------------------------------

DOCUMENT_LANGUAGES = {"de": "de-DE", "en": "en-GB"}  # Word's proofing language of our own documents


@functools.lru_cache(maxsize=2)
def blank_docx(locale: str = "de") -> bytes:
    """python-docx's default template, on A4 with 2.5 cm margins, its language German (or English)."""
    language = DOCUMENT_LANGUAGES.get(locale, "de-DE")
    import docx
    from docx.shared import Cm

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
    for lang in document.styles.element.iter(ooxml.qn("w:lang")):
        lang.set(ooxml.qn("w:val"), language)
        lang.set(ooxml.qn("w:eastAsia"), language)
    document.core_properties.language = language
    document.core_properties.title = Words(locale)(HEADING_TEXT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
