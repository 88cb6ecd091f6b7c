"""Test documents and ways to look into .docx files, independent of the code under test.

Documents are made here with python-docx (raw XML where python-docx has no API) or, in `libreoffice.py`,
with LibreOffice. Reading uses zipfile and lxml only, so a bug in impactcheck.word cannot hide itself.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable

import docx
from docx.oxml import parse_xml
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
WNS = f'xmlns:w="{W}"'
STRICT = "http://purl.oclc.org/ooxml/"  # the namespaces and relationship types of Strict Open XML begin so
STRICT_W = f"{STRICT}wordprocessingml/main"
# Content controls tagged klimacheck…, in any case: their content is ours to replace.
OURS = "ancestor-or-self::w:sdt[w:sdtPr/w:tag[starts-with(translate(@w:val, 'K', 'k'), 'klimacheck')]]"


def w(name: str) -> str:
    return f"{{{W}}}{name}"


# --- reading ----------------------------------------------------------------------------------


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def main_part(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rels = etree.fromstring(zf.read("_rels/.rels"))
    for rel in rels:
        if rel.get("Type", "").endswith("/officeDocument"):
            return posixpath.normpath(rel.get("Target").lstrip("/"))
    raise AssertionError("no main part")


def document(data: bytes) -> etree._Element:
    return etree.fromstring(members(data)[main_part(data)])


def text_of(p: etree._Element) -> str:
    return "".join(p.xpath(".//w:t/text()", namespaces=NS))


def sections(root: etree._Element, tag: str = "klimacheck") -> list[etree._Element]:
    return root.xpath(f"//w:sdt[w:sdtPr/w:tag[translate(@w:val, 'K', 'k') = '{tag}']]", namespaces=NS)


def section_text(data: bytes, tag: str = "klimacheck") -> str:
    found = sections(document(data), tag)
    assert len(found) == 1, f"{len(found)} sections tagged {tag}"
    return "\n".join(text_of(p) for p in found[0].iter(w("p")))


def namespaces_of(root: etree._Element) -> dict[str, str]:
    """NS, with "w" bound to the namespace the document uses (a Strict document's own)."""
    return {**NS, "w": STRICT_W} if etree.QName(root).namespace == STRICT_W else NS


def original_texts(root: etree._Element) -> list[str]:
    """Texts of all paragraphs outside our controls, without placeholders and empty ones, in order."""
    out = []
    ns = namespaces_of(root)
    for p in root.xpath(f"//w:p[not({OURS})]", namespaces=ns):
        text = "".join(p.xpath(f".//w:t[not({OURS})]/text()", namespaces=ns))
        if text.strip() and text.strip().casefold() != "{{klimacheck}}":
            out.append(text)
    return out


def tracked(root: etree._Element) -> list[tuple[str, str]]:
    """Tracked insertions and deletions outside our controls: (kind, text)."""
    out = []
    ns = namespaces_of(root)
    for node in root.xpath(f"//w:ins[not({OURS})] | //w:del[not({OURS})]", namespaces=ns):
        text = "".join(node.xpath(".//w:t/text() | .//w:delText/text()", namespaces=ns))
        out.append((etree.QName(node).localname, text))
    return out


def heading_paragraph(data: bytes) -> etree._Element:
    """The first paragraph of the inserted section."""
    return sections(document(data))[0].find(f"{w('sdtContent')}/{w('p')}")


def preceding_text(sdt: etree._Element) -> str:
    """Text of the block right before the inserted section."""
    prev = sdt.getprevious()
    while prev is not None and prev.tag != w("p") and prev.tag != w("tbl"):
        prev = prev.getprevious()
    return "" if prev is None else text_of(prev)


def following_text(sdt: etree._Element) -> str:
    nxt = sdt.getnext()
    while nxt is not None and nxt.tag not in (w("p"), w("tbl")):
        nxt = nxt.getnext()
    return "" if nxt is None else text_of(nxt)


# --- making with python-docx ------------------------------------------------------------------


def make(build: Callable[[docx.document.Document], None]) -> bytes:
    d = docx.Document()
    build(d)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def append_xml(d: docx.document.Document, xml: str) -> None:
    """Append a raw block (w:p, w:sdt, w:tbl …) before the final section properties."""
    d.element.body.sectPr.addprevious(parse_xml(xml))


def p_xml(inner: str, ppr: str = "") -> str:
    return f"<w:p {WNS}>{ppr}{inner}</w:p>"


def r_xml(text: str, rpr: str = "") -> str:
    return f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r>'


def beschlussvorlage(d: docx.document.Document, *, financial: bool = True, extra: Callable | None = None) -> None:
    """A short council paper in the usual order of sections."""
    d.add_paragraph("Vorlage 101.26.0601", style="Title")
    d.add_heading("Beschlussvorschlag", level=1)
    d.add_paragraph("Der Bau- und Planungsausschuss beschließt den Ersatz der Heizungsanlage.")
    d.add_heading("Sachverhalt", level=1)
    d.add_paragraph("Die Heizung der Kita Wolfsanger ist 31 Jahre alt.")
    if extra:
        extra(d)
    if financial:
        d.add_heading("Finanzielle Auswirkungen", level=1)
        d.add_paragraph("Die Kosten betragen 180.000 Euro.")
        d.add_heading("Haushaltsmittel", level=2)
        d.add_paragraph("Produkt 11.02.01, Investitionsnummer I-4711.")
    d.add_heading("Anlagen", level=1)
    d.add_paragraph("Lageplan")


def rename_styles(
    d: docx.document.Document, ids: dict[str, str], names: dict[str, str] | None = None, drop_outline: bool = False
) -> None:
    """Give styles other ids (and names), as German Word or a house template does; fix every reference."""
    names = names or {}
    for style in d.styles.element.iter(w("style")):
        sid = style.get(w("styleId"))
        if sid in ids:
            style.set(w("styleId"), ids[sid])
        for ref in ("basedOn", "next", "link"):
            node = style.find(w(ref))
            if node is not None and node.get(w("val")) in ids:
                node.set(w("val"), ids[node.get(w("val"))])
        name = style.find(w("name"))
        if sid in names and name is not None:
            name.set(w("val"), names[sid])
        if drop_outline:
            for lvl in style.iter(w("outlineLvl")):
                lvl.getparent().remove(lvl)
    for ps in d.element.body.iter(w("pStyle")):
        if ps.get(w("val")) in ids:
            ps.set(w("val"), ids[ps.get(w("val"))])


def number_headings(d: docx.document.Document, style_ids: list[str]) -> int:
    """Auto-number the heading styles (1., 1.1) through numbering.xml, as Word's multilevel list does."""
    numbering = d.part.numbering_part.element
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        f'<w:lvlText w:val="{".".join(f"%{j + 1}" for j in range(i + 1))}."/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{432 * (i + 1)}" w:hanging="432"/></w:pPr></w:lvl>'
        for i in range(len(style_ids))
    )
    abstract = parse_xml(
        f'<w:abstractNum {WNS} w:abstractNumId="77"><w:multiLevelType w:val="multilevel"/>{levels}</w:abstractNum>'
    )
    first_num = numbering.find(w("num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(f'<w:num {WNS} w:numId="77"><w:abstractNumId w:val="77"/></w:num>'))
    for level, sid in enumerate(style_ids):
        style = next(s for s in d.styles.element.iter(w("style")) if s.get(w("styleId")) == sid)
        ppr = style.find(w("pPr"))
        before = ("keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl")
        at = sum(1 for c in ppr if etree.QName(c).localname in before)
        ppr.insert(at, parse_xml(f'<w:numPr {WNS}><w:ilvl w:val="{level}"/><w:numId w:val="77"/></w:numPr>'))
    return 77


# --- what must hold after every insertion -----------------------------------------------------


def rels_of(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def fetching_parts(data: bytes) -> set[str]:
    """Relationship parts holding an external relationship other than a hyperlink (Word follows those when
    it opens the document; the insertion drops them), with the parts they belong to."""
    found = set()
    for name, blob in members(data).items():
        if not name.endswith(".rels"):
            continue
        for rel in etree.fromstring(blob):
            if rel.get("TargetMode") == "External" and not rel.get("Type", "").endswith("/hyperlink"):
                folder, base = posixpath.split(name)
                found |= {name, posixpath.join(posixpath.dirname(folder), base.removesuffix(".rels"))}
    return found


# The native sector chart: its part, the part's relationships, its embedded workbook (word/insert.py).
CHART_MEMBERS = (
    "word/charts/klimacheck-diagramm.xml",
    "word/charts/_rels/klimacheck-diagramm.xml.rels",
    "word/embeddings/klimacheck-diagramm.xlsx",
)


def assert_kept(original: bytes, output: bytes, *, sections_expected: int = 1) -> None:
    """Nothing of the original lost: every member there and, except the few we edit, byte for byte the
    same; every paragraph's text in the same order; every tracked change; the section exactly once;
    no relationship left that Word would follow on opening; and python-docx opens the result."""
    before, after = members(original), members(output)
    main = main_part(original)
    assert not set(before) - set(after), f"members lost: {sorted(set(before) - set(after))}"
    assert not fetching_parts(output), f"fetch-on-open relationships left: {sorted(fetching_parts(output))}"
    editable = {main, rels_of(main), "[Content_Types].xml"} | fetching_parts(original)
    if is_strict(original):  # read as Transitional: every XML part is written anew, with the same content
        converted = {n for n in before if _xml(before[n]) is not None}
        for n in sorted(converted - editable):
            assert same_content(before[n], after[n]), f"content of {n} changed in the conversion"
        editable |= converted
        left = sorted(n for n in converted if STRICT.encode() in after[n])
        assert not left, f"Strict names left in {left}"
    changed = sorted(n for n in before if n not in editable and before[n] != after[n])
    assert not changed, f"members changed: {changed}"
    added = set(after) - set(before)
    assert all(n in CHART_MEMBERS or n == rels_of(main) for n in added), added
    old, new = document(original), document(output)
    assert original_texts(old) == original_texts(new)
    assert tracked(old) == tracked(new)
    assert len(sections(new)) == sections_expected
    docx.Document(io.BytesIO(output))


# --- Strict Open XML ----------------------------------------------------------------------------


def is_strict(data: bytes) -> bool:
    rels = etree.fromstring(members(data)["_rels/.rels"])
    return any(rel.get("Type", "").startswith(STRICT) for rel in rels)


def _xml(blob: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(blob, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def same_content(strict_part: bytes, transitional_part: bytes) -> bool:
    """The same elements and the same text, in order: what a conversion of names and values keeps."""
    a, b = _xml(strict_part), _xml(transitional_part)
    if a is None or b is None:
        return False
    count = etree.XPath("count(//*)")
    return "".join(a.itertext()) == "".join(b.itertext()) and count(a) == count(b)
