"""Where the section goes: the place the author's document reserves for it (DESIGN.md, "The Word section").

In this order, the first that exists:
1. a block content control (w:sdt) tagged `klimacheck` – also the one an earlier insertion left, so
   inserting again replaces the section instead of adding a second one;
2. a bookmark named `klimacheck`: the section goes after the paragraph that holds it;
3. a paragraph whose whole text is `{{klimacheck}}` (case and surrounding spaces ignored, split across runs,
   also in table cells), or an inline content control tagged `klimacheck`: the section replaces it;
4. right after the section headed "Finanzielle Auswirkungen" (any heading level, manual numbering such as
   "3. Finanzielle Auswirkungen" allowed), i.e. before the next heading of the same or a higher level;
   a bold stand-alone line "Finanzielle Auswirkungen" counts when the document has no such heading;
5. the end of the body, before its final section properties.

One XPath query finds every candidate of kinds 1–3 in a single pass in C; headings are found by a second
query over the top-level paragraphs only. Python never walks the whole document.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree

from impactcheck.word import ooxml
from impactcheck.word.ooxml import NS, W_P, W_PPR, W_R, W_RPR, W_SDT, W_T, paragraph_text, qn, val
from impactcheck.word.styles import StyleSheet, paragraph_level

TAG = "klimacheck"
ANNEX_TAG = "klimacheck-anhang"
SECTION_MARK = "_Klimacheck"  # hidden bookmarks around our own blocks (see section.content_control)
ANNEX_MARK = "_Klimacheck_Anlage"
PLACEHOLDER = "{{klimacheck}}"
HEADING_TEXT = "finanzielle auswirkungen"

CONTENT_CONTROL, BOOKMARK, PLACEHOLDER_KIND, HEADING, END = (
    "content_control",
    "bookmark",
    "placeholder",
    "heading",
    "end",
)

_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ", "abcdefghijklmnopqrstuvwxyzäöü"
# An XPath predicate for our controls (tag "klimacheck" or "klimacheck-anhang", in any case).
OURS = f"w:sdtPr/w:tag[starts-with(translate(@w:val, '{_UPPER}', '{_LOWER}'), '{TAG}')]"
_CANDIDATES = etree.XPath(
    f"//w:sdt[w:sdtPr/w:tag[translate(@w:val, '{_UPPER}', '{_LOWER}') = '{TAG}']]"
    f" | //w:bookmarkStart[translate(@w:name, '{_UPPER}', '{_LOWER}') = '{TAG}']"
    " | //w:p[.//w:t[contains(., '{')]]",
    namespaces=NS,
)
_MARK_START = etree.XPath(f"//w:bookmarkStart[translate(@w:name, '{_UPPER}', '{_LOWER}') = $name]", namespaces=NS)
_TAGGED = etree.XPath(f"//w:sdt[w:sdtPr/w:tag[translate(@w:val, '{_UPPER}', '{_LOWER}') = $tag]]", namespaces=NS)
_TITLE_CANDIDATES = etree.XPath(f"w:p[.//w:t[contains(translate(., '{_UPPER}', '{_LOWER}'), 'finanz')]]", namespaces=NS)
# Where a found candidate does not count: text boxes (whose content Word stores twice, as DrawingML and as
# VML fallback) and deleted text.
_OUT_OF_FLOW = {
    qn("w:txbxContent"),
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent",
    qn("w:del"),
    qn("w:moveFrom"),
}
_BLOCK_CONTAINERS = {qn("w:body"), qn("w:tc"), qn("w:txbxContent")}
_NUMBERING = re.compile(r"^(?:(?:\d+(?:\.\d+)*\.?|\d+\)|[IVXLC]+\.|[A-Za-z][.)])\s+)?")
DEFAULT_WIDTH = 9072  # twips: 16 cm, the text width of A4 with 2.5 cm margins


@dataclass
class Anchor:
    kind: str
    level: int  # 1-based heading level for the section's own heading
    heading_like: etree._Element | None  # a heading paragraph whose look the section's heading copies
    width: int  # twips available for tables and the chart
    node: etree._Element  # the control, bookmark, placeholder paragraph, "Finanzielle Auswirkungen" or the body
    before: etree._Element | None = None  # kinds heading/end: insert before this (None: append)
    replace: list[etree._Element] | None = None  # an earlier section whose control an editor dropped

    def place(self, sdt: etree._Element) -> etree._Element:
        """Put the section (a w:sdt tagged klimacheck) into the document; return the sdt now in it."""
        if self.replace:
            replace_blocks(self.replace, sdt)
            return sdt
        if self.kind == CONTENT_CONTROL and _is_block(self.node):
            return fill_control(self.node, sdt)
        if self.kind == CONTENT_CONTROL:  # an inline control: the paragraph holding it is the place
            p = _ancestor(self.node, W_P)
            self.node.getparent().remove(self.node)
            _drop_empty_wrappers(p)
            _replace_or_follow(p, sdt)
        elif self.kind == BOOKMARK:
            _after_bookmark(self.node, sdt)
        elif self.kind == PLACEHOLDER_KIND:
            _strip_placeholder_runs(self.node)
            _replace_or_follow(self.node, sdt)
        elif self.before is not None:
            self.before.addprevious(sdt)
        else:  # the end of the body; for a heading (the last section of the paper), its paragraph's parent
            _append_to_body(self.node if self.kind == END else self.node.getparent(), sdt)
        _keep_cell_ending_in_paragraph(sdt)
        return sdt


def find_anchor(root: etree._Element, sheet: StyleSheet) -> Anchor:
    body = root.find(qn("w:body"))
    if body is None:
        body = ooxml.sub(root, "w:body")
    found: dict[str, tuple[int, etree._Element]] = {}
    for index, node in enumerate(_CANDIDATES(root)):
        if _out_of_flow(node):
            continue
        if node.tag == W_SDT:
            key = CONTENT_CONTROL if _is_block(node) else "inline"
        elif node.tag == W_P:
            if paragraph_text(node).strip().casefold() != PLACEHOLDER:
                continue
            key = "inline"  # a placeholder paragraph and an inline control rank the same: first one wins
        else:
            key = BOOKMARK
        found.setdefault(key, (index, node))
    headings = _headings(body, sheet)
    if CONTENT_CONTROL in found:
        sdt = found[CONTENT_CONTROL][1]
        own = _own_heading(sdt, sheet)
        if own is not None:
            return _anchor(CONTENT_CONTROL, sdt, body, own[1] + 1, own[0])
        return _anchor(CONTENT_CONTROL, sdt, body, _level_under(sdt, body, headings), None)
    marked = marked_blocks(root, SECTION_MARK)
    if marked:
        own = _own_heading_paragraph(marked[0], sheet)
        anchor = _anchor(CONTENT_CONTROL, marked[0], body, own[1] + 1 if own else 1, own[0] if own else None)
        anchor.replace = marked
        return anchor
    if BOOKMARK in found:
        mark = found[BOOKMARK][1]
        return _anchor(BOOKMARK, mark, body, _level_under(mark, body, headings), None)
    if "inline" in found:
        node = found["inline"][1]
        kind = CONTENT_CONTROL if node.tag == W_SDT else PLACEHOLDER_KIND
        return _anchor(kind, node, body, _level_under(node, body, headings), None)
    section = _financial_section(body, headings, sheet)
    if section is not None:
        title, level, before = section
        anchor = _anchor(HEADING, title, body, level + 1, title)
        anchor.before = _skip_back_over_breaks(before, title)
        return anchor
    return _end(body, headings)


def find_end(root: etree._Element, sheet: StyleSheet) -> Anchor:
    """The end of the body, with the level of the document's top headings (for the annex)."""
    body = root.find(qn("w:body"))
    return _end(body, _headings(body, sheet))


def _end(body: etree._Element, headings: list[tuple[etree._Element, int]]) -> Anchor:
    top = min((lvl for _, lvl in headings), default=0)
    return _anchor(END, body, body, top + 1, None)


def find_tagged(root: etree._Element, tag: str) -> etree._Element | None:
    """The first block content control tagged `tag` (compared without case), outside text boxes."""
    for node in _TAGGED(root, tag=tag):
        if _is_block(node) and not _out_of_flow(node):
            return node
    return None


# --- finding --------------------------------------------------------------------------------


def _anchor(kind, node, body, level, heading_like) -> Anchor:
    in_table = _ancestor(node, qn("w:tc")) is not None
    return Anchor(kind, max(1, min(level, 9)), heading_like, _width(node, body, in_table), node)


def _is_block(sdt: etree._Element) -> bool:
    """A block-level content control: in the body, a cell, a text box or another block-level control."""
    parent = sdt.getparent()
    return parent is not None and _is_block_container(parent)


def _is_block_container(node: etree._Element) -> bool:
    if node.tag in _BLOCK_CONTAINERS:
        return True
    return node.tag == qn("w:sdtContent") and _is_block(node.getparent())


def _out_of_flow(node: etree._Element) -> bool:
    return any(a.tag in _OUT_OF_FLOW for a in node.iterancestors())


def _ancestor(node: etree._Element, tag: str) -> etree._Element | None:
    return next(node.iterancestors(tag), None)


def _headings(body: etree._Element, sheet: StyleSheet) -> list[tuple[etree._Element, int]]:
    """Top-level heading paragraphs in document order, with their 0-based levels."""
    tests = ["w:pPr/w:outlineLvl"]
    ids = [sid for sid in sheet.heading_styles() if "'" not in sid]
    if ids:
        tests.append("w:pPr/w:pStyle[" + " or ".join(f"@w:val='{sid}'" for sid in ids) + "]")
    out = []
    for p in body.xpath(f"w:p[{' or '.join(tests)}]", namespaces=NS):
        level = paragraph_level(p, sheet)
        if level is not None:
            out.append((p, level))
    return out


def _normalized_title(p: etree._Element) -> str:
    text = " ".join(paragraph_text(p).split())
    return _NUMBERING.sub("", text).rstrip(" :.").casefold()


def _is_financial_title(p: etree._Element) -> bool:
    text = _normalized_title(p)
    return text == HEADING_TEXT or (text.startswith(HEADING_TEXT) and not text[len(HEADING_TEXT)].isalnum())


def _financial_section(body, headings, sheet):
    """(title paragraph, 0-based level, element to insert before or None) of "Finanzielle Auswirkungen"."""
    for i, (p, level) in enumerate(headings):
        if _is_financial_title(p):
            after = next((h for h, lvl in headings[i + 1 :] if lvl <= level), None)
            return p, level, after
    # No such heading: a stand-alone line with that text, formatted as a title (bold, short).
    for p in _TITLE_CANDIDATES(body):
        if _is_financial_title(p) and looks_like_title(p, like=p):
            after = next((s for s in p.itersiblings() if s.tag == W_P and _ends_pseudo_section(s, p, sheet)), None)
            return p, 0, after
    return None


def looks_like_title(p: etree._Element, like: etree._Element) -> bool:
    text = paragraph_text(p).strip()
    if not text or len(text) > 120 or text.endswith("."):
        return False
    return val(p.find(W_PPR), "w:pStyle") == val(like.find(W_PPR), "w:pStyle") and _bold(p)


def _bold(p: etree._Element) -> bool:
    runs = [r for r in p.iter(W_R) if r.find(W_T) is not None and (r.findtext(W_T) or "").strip()]
    if not runs:
        return False
    for r in runs:
        b = r.find(f"{W_RPR}/{qn('w:b')}")
        if b is None or b.get(qn("w:val")) in ("0", "false", "off"):
            return False
    return True


def _ends_pseudo_section(p: etree._Element, title: etree._Element, sheet: StyleSheet) -> bool:
    return paragraph_level(p, sheet) is not None or looks_like_title(p, title)


def _own_heading(sdt: etree._Element, sheet: StyleSheet) -> tuple[etree._Element, int] | None:
    """The heading a previous insertion put first into this control, to keep its level and look."""
    content = sdt.find(qn("w:sdtContent"))
    first = None if content is None else next(iter(content.iterchildren(W_P)), None)
    return None if first is None else _own_heading_paragraph(first, sheet)


def _own_heading_paragraph(p: etree._Element, sheet: StyleSheet) -> tuple[etree._Element, int] | None:
    if p.tag != W_P:
        return None
    level = paragraph_level(p, sheet)
    return None if level is None else (p, level)


def marked_blocks(root: etree._Element, name: str) -> list[etree._Element] | None:
    """The blocks from the one holding the start of bookmark `name` to the one holding its end.

    LibreOffice 7.4 writes our bookmark back as two: a start without end in the first paragraph and a
    start with end in the last; so the range runs from the first start to the last end of any bookmark
    of that name. None unless both ends lie in blocks of the same container: an author who moved one end
    elsewhere gets a new section rather than losing the text between the two.
    """
    starts = [s for s in _MARK_START(root, name=name.casefold()) if not _out_of_flow(s)]
    if not starts:
        return None
    ids = {s.get(qn("w:id")) for s in starts}
    ends = [e for e in root.iter(qn("w:bookmarkEnd")) if e.get(qn("w:id")) in ids]
    if not ends:
        return None
    first, last = _block_of(starts[0]), _block_of(ends[-1])
    if first.getparent() is not last.getparent():
        return None
    blocks = [first]
    for sibling in first.itersiblings():
        if blocks[-1] is last:
            break
        blocks.append(sibling)
    return blocks if blocks[-1] is last else None


def _block_of(node: etree._Element) -> etree._Element:
    while node.getparent() is not None and not _is_block_container(node.getparent()):
        node = node.getparent()
    return node


def replace_blocks(blocks: list[etree._Element], new: etree._Element) -> None:
    blocks[0].addprevious(new)
    for block in blocks:
        block.getparent().remove(block)


def _top_level(node: etree._Element, body: etree._Element) -> etree._Element:
    while node.getparent() is not None and node.getparent() is not body:
        node = node.getparent()
    return node


def _level_under(node, body, headings) -> int:
    """1-based level for a section placed at `node`: one below the heading it stands under, else 1."""
    levels = dict(headings)  # lxml hands out the same proxy for a node while one is alive
    for sibling in _top_level(node, body).itersiblings(preceding=True):
        if sibling in levels:
            return levels[sibling] + 2
    return 1


def _skip_back_over_breaks(before: etree._Element | None, title: etree._Element) -> etree._Element | None:
    """Stay in the same Word section and page: insert before empty paragraphs that only carry a break."""
    prev = title.getparent()[-1] if before is None else before.getprevious()
    best = before
    while prev is not None and prev is not title and prev.tag == W_P and is_break_only(prev):
        best, prev = prev, prev.getprevious()
    return best


def is_break_only(p: etree._Element) -> bool:
    if paragraph_text(p).strip():
        return False
    ppr = p.find(W_PPR)
    has_sect = ppr is not None and ppr.find(ooxml.W_SECTPR) is not None
    has_page_break = any(br.get(qn("w:type")) == "page" for br in p.iter(qn("w:br")))
    return has_sect or has_page_break


def _width(node: etree._Element, body: etree._Element, in_table: bool) -> int:
    if in_table:
        tcw = _ancestor(node, qn("w:tc")).find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
        if tcw is not None and tcw.get(qn("w:type")) == "dxa" and (tcw.get(qn("w:w")) or "").isdigit():
            return max(1500, int(tcw.get(qn("w:w"))) - 216)
    sect = next(iter(node.xpath("following::w:sectPr[1]", namespaces=NS)), None)
    if sect is None:
        sect = body.find(ooxml.W_SECTPR)
    width = DEFAULT_WIDTH
    if sect is not None:
        size, margin = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
        try:
            width = int(size.get(qn("w:w"))) - int(margin.get(qn("w:left"))) - int(margin.get(qn("w:right")))
        except (AttributeError, TypeError, ValueError):
            width = DEFAULT_WIDTH
    width = width if 2000 <= width <= 30000 else DEFAULT_WIDTH
    return width // 2 if in_table else width


# --- placing --------------------------------------------------------------------------------

_SDTPR_KEEP = {qn(f"w:{n}") for n in ("rPr", "alias", "tag", "id", "lock", "richText")} | {
    "{http://schemas.microsoft.com/office/word/2012/wordml}color",
    "{http://schemas.microsoft.com/office/word/2012/wordml}appearance",
}


def fill_control(existing: etree._Element, ours: etree._Element) -> etree._Element:
    """Replace the content of the author's (or an earlier) control; keep it a rich-text control."""
    props = existing.find(qn("w:sdtPr"))
    for child in list(props) if props is not None else ():
        # Placeholder state, "remove when edited", data binding and plain-text or list types would each
        # lose or refuse the section; keep only what names and locks the control.
        if child.tag not in _SDTPR_KEEP:
            props.remove(child)
    content = existing.find(qn("w:sdtContent"))
    if content is None:
        content = ooxml.sub(existing, "w:sdtContent")
    for child in list(content):
        content.remove(child)
    content.extend(list(ours.find(qn("w:sdtContent"))))
    _keep_cell_ending_in_paragraph(existing)
    return existing


def _strip_placeholder_runs(p: etree._Element) -> None:
    """Remove the runs that spell the placeholder; keep bookmarks, comments and tracked deletions."""
    for run in list(p.iter(W_R)):
        spells = run.find(W_T) is not None or run.find(qn("w:tab")) is not None
        if spells and not any(a.tag in _OUT_OF_FLOW for a in run.iterancestors()):
            run.getparent().remove(run)
    for mark in list(p.iter(qn("w:proofErr"))):  # spelling marks around the placeholder's words
        mark.getparent().remove(mark)
    _drop_empty_wrappers(p)


_WRAPPERS = tuple(qn(f"w:{n}") for n in ("ins", "hyperlink", "smartTag", "customXml", "fldSimple", "sdtContent"))
_PROPS = {W_RPR, qn("w:sdtPr"), qn("w:sdtEndPr")}


def _drop_empty_wrappers(p: etree._Element) -> None:
    """Runs without content, and tracked insertions, hyperlinks, inline controls etc. left empty, go too."""
    changed = True
    while changed:
        changed = False
        for node in list(p.iterdescendants(W_R, W_SDT, *_WRAPPERS)):
            if node.tag in (W_R, W_SDT):
                empty = all(c.tag in _PROPS for c in node)
            else:
                empty = not any(isinstance(c.tag, str) for c in node)
            if empty:
                node.getparent().remove(node)
                changed = True


def _replace_or_follow(p: etree._Element, sdt: etree._Element) -> None:
    """Replace an emptied paragraph with the section, or keep it (marks, comments, tracked text) before it."""
    if all(child.tag == W_PPR for child in p):
        p.addnext(sdt)
        p.getparent().remove(p)
    else:
        p.addnext(sdt)


def _after_bookmark(start: etree._Element, sdt: etree._Element) -> None:
    p = _ancestor(start, W_P)
    if p is not None:
        p.addnext(sdt)
        return
    _block_of(start).addnext(sdt)  # a bookmark between paragraphs, or between table rows: after the table


def _append_to_body(body: etree._Element, sdt: etree._Element) -> None:
    last = body[-1] if len(body) else None
    if last is not None and last.tag == ooxml.W_SECTPR:
        last.addprevious(sdt)
    else:
        body.append(sdt)


def _keep_cell_ending_in_paragraph(sdt: etree._Element) -> None:
    parent = sdt.getparent()
    if parent is not None and parent.tag == qn("w:tc") and parent[-1] is sdt:
        parent.append(ooxml.el("w:p"))


def heading_look(p: etree._Element) -> tuple[etree._Element | None, etree._Element | None]:
    """Copies of a heading's paragraph properties and first-run properties, without tracked changes."""
    ppr = p.find(W_PPR)
    ppr = copy.deepcopy(ppr) if ppr is not None else None
    if ppr is not None:
        for tag in ("w:sectPr", "w:pPrChange"):
            for node in ppr.findall(qn(tag)):
                ppr.remove(node)
        _drop_tracking(ppr.find(W_RPR))
    run = next((r for r in p.iter(W_R) if r.find(W_T) is not None), None)
    rpr = copy.deepcopy(run.find(W_RPR)) if run is not None and run.find(W_RPR) is not None else None
    _drop_tracking(rpr)
    return ppr, rpr


def _drop_tracking(rpr: etree._Element | None) -> None:
    if rpr is None:
        return
    for tag in ("w:ins", "w:del", "w:rPrChange", "w:moveFrom", "w:moveTo"):
        for node in rpr.findall(qn(tag)):
            rpr.remove(node)
