"""WordprocessingML vocabulary: namespaces, a safe XML parser, small element builders, paragraph text.

Everything the other modules of the package need to read or write raw OOXML, in one place. The parser
never resolves entities, never loads a DTD and never touches the network, whatever a document names.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
W = NS["w"]

REL_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
REL_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/"  # ISO/IEC 29500 Strict's relationships


def qn(name: str) -> str:
    """'w:p' -> '{http://…/main}p'."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


W_P, W_R, W_T, W_TBL, W_TC, W_SDT, W_BODY = (qn(f"w:{n}") for n in ("p", "r", "t", "tbl", "tc", "sdt", "body"))
W_PPR, W_RPR, W_SECTPR, W_VAL = qn("w:pPr"), qn("w:rPr"), qn("w:sectPr"), qn("w:val")
# Subtrees whose w:t is not text of the paragraph that contains them: deleted or moved-away text, and the
# paragraphs of text boxes, which are paragraphs of their own.
_NOT_OWN_TEXT = {qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent"), qn("w:fldData")}


def is_strict(root_rels: etree._Element) -> bool:
    """Whether the package's own relationships (_rels/.rels) are Strict ones (then `strict` converts it)."""
    return any((r.get("Type") or "").startswith(REL_STRICT) for r in root_rels.iter(qn("pr:Relationship")))


def parser() -> etree.XMLParser:
    """lxml parser for untrusted package parts: no entities, no DTD, no network, no huge-tree mode."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser())


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_BUILT_NSMAP = {k: NS[k] for k in ("w", "r", "wp", "a", "pic")}
_BLANKS = threading.local()  # one set per thread, as lxml keeps its string dictionaries


def _blank(tag: str) -> etree._Element:
    """An empty element 'w:tag' with the namespace declarations; never handed out, only copied."""
    blanks = getattr(_BLANKS, "by_tag", None)
    if blanks is None:
        blanks = _BLANKS.by_tag = {}
    node = blanks.get(tag)
    if node is None:
        node = blanks[tag] = etree.Element(qn(tag), nsmap=_BUILT_NSMAP)
    return node


def el(tag: str, attrs: dict[str, Any] | None = None, *children: etree._Element | None) -> etree._Element:
    """An element 'w:tag' with attributes {'w:val': …} (values turned into text) and children (None skipped)."""
    # A copy of a blank element is the same element as Element(tag, nsmap=…), in a sixth of the time (a section
    # has about a thousand elements).
    node = copy.copy(_blank(tag))
    for key, value in (attrs or {}).items():
        if value is not None:
            node.set(qn(key) if ":" in key else key, str(value))
    node.extend(c for c in children if c is not None)
    return node


def sub(parent: etree._Element, tag: str, attrs: dict[str, Any] | None = None) -> etree._Element:
    node = etree.SubElement(parent, qn(tag))
    for key, value in (attrs or {}).items():
        if value is not None:
            node.set(qn(key) if ":" in key else key, str(value))
    return node


def val(node: etree._Element | None, tag: str | None = None) -> str | None:
    """The w:val of `node` (or of its child `tag`)."""
    if node is not None and tag is not None:
        node = node.find(qn(tag))
    return None if node is None else node.get(W_VAL)


def paragraph_text(p: etree._Element) -> str:
    """The visible text of one paragraph: its w:t, tabs as spaces, without deleted text or text boxes."""
    return "".join(_own_text(p))


def _own_text(node: etree._Element) -> Iterator[str]:
    for child in node:
        tag = child.tag
        if tag == W_T:
            yield child.text or ""
        elif tag in (qn("w:tab"), qn("w:ptab")):
            yield " "
        elif tag not in _NOT_OWN_TEXT and tag != W_P and isinstance(tag, str):
            yield from _own_text(child)


def children(node: etree._Element, *tags: str) -> Iterable[etree._Element]:
    wanted = {qn(t) for t in tags}
    return (c for c in node if c.tag in wanted)
