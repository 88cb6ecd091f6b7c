"""Strict Open XML (ISO/IEC 29500 Strict) read as Transitional, the dialect python-docx and our code speak.

Word saves "Strict Open XML" on request, and pandoc or docx2python test files come in it. It is the same
document model under other names: the namespaces (`http://purl.oclc.org/ooxml/...` instead of
`http://schemas.openxmlformats.org/.../2006/...`), the relationship types, and a few value forms that
Transitional readers from before ISO/IEC 29500:2008 (Word 2007, python-docx, our own width arithmetic) do
not understand: measures with units ("612pt" where Transitional writes 12240 twips), percentages with a
sign ("50%" where it writes 2500 fiftieths or 50000 thousandths), "start"/"end" for left/right, and the
text directions' new names. The content types are the same in both (ISO/IEC 29500-1 gives one list).

`to_transitional` writes a new package: every XML part is scanned first like any part (`xmlread.scan`:
encoding, DTD, depth and node limits), then parsed again in chunks and written out event by event with
the Strict names and values replaced, holding no more than the open elements; the other members (images,
embedded workbooks, which their own programs open) are copied as they are, still compressed. The safety
check then checks the new package like any other, so nothing of it is trusted for being our output.
What to map is data (the tables below), kept in one place.
"""

from __future__ import annotations

import functools
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from impactcheck.core.i18n import N_
from impactcheck.word import ooxml, xmlread
from impactcheck.word.limits import Clock, Limits
from impactcheck.word.zipread import Reader
from impactcheck.word.zipwrite import Writer

NOTE = N_(
    "Hinweis: Die Datei ist im Format „Strict Open XML“ gespeichert; sie wird als übliches Word-Dokument "
    "(*.docx) zurückgegeben"
)

_S = "http://purl.oclc.org/ooxml/"
_T = "http://schemas.openxmlformats.org/"

# Strict namespace -> Transitional namespace (ISO/IEC 29500-1 Annex A; ECMA-376 Part 1 §A.1). The package
# namespaces (content types, relationships, core properties), markup compatibility, VML and Microsoft's
# extension namespaces are the same in both and need no entry.
NAMESPACES: dict[str, str] = {
    # WordprocessingML, SpreadsheetML, PresentationML
    f"{_S}wordprocessingml/main": f"{_T}wordprocessingml/2006/main",
    f"{_S}spreadsheetml/main": f"{_T}spreadsheetml/2006/main",
    f"{_S}presentationml/main": f"{_T}presentationml/2006/main",
    # shared by all three
    f"{_S}officeDocument/relationships": f"{_T}officeDocument/2006/relationships",
    f"{_S}officeDocument/math": f"{_T}officeDocument/2006/math",
    f"{_S}officeDocument/sharedTypes": f"{_T}officeDocument/2006/sharedTypes",
    f"{_S}officeDocument/bibliography": f"{_T}officeDocument/2006/bibliography",
    f"{_S}officeDocument/customXml": f"{_T}officeDocument/2006/customXml",
    f"{_S}officeDocument/characteristics": f"{_T}officeDocument/2006/characteristics",
    f"{_S}officeDocument/docPropsVTypes": f"{_T}officeDocument/2006/docPropsVTypes",
    f"{_S}officeDocument/extendedProperties": f"{_T}officeDocument/2006/extended-properties",
    f"{_S}officeDocument/customProperties": f"{_T}officeDocument/2006/custom-properties",
    # the spelling some writers use (LibreOffice's tables name these two like Transitional)
    f"{_S}officeDocument/extended-properties": f"{_T}officeDocument/2006/extended-properties",
    f"{_S}officeDocument/custom-properties": f"{_T}officeDocument/2006/custom-properties",
    f"{_S}schemaLibrary/main": f"{_T}schemaLibrary/2006/main",
    # DrawingML
    f"{_S}drawingml/main": f"{_T}drawingml/2006/main",
    f"{_S}drawingml/wordprocessingDrawing": f"{_T}drawingml/2006/wordprocessingDrawing",
    f"{_S}drawingml/picture": f"{_T}drawingml/2006/picture",
    f"{_S}drawingml/chart": f"{_T}drawingml/2006/chart",
    f"{_S}drawingml/chartDrawing": f"{_T}drawingml/2006/chartDrawing",
    f"{_S}drawingml/diagram": f"{_T}drawingml/2006/diagram",
    f"{_S}drawingml/lockedCanvas": f"{_T}drawingml/2006/lockedCanvas",
    f"{_S}drawingml/spreadsheetDrawing": f"{_T}drawingml/2006/spreadsheetDrawing",
}

# Relationship types: Strict ".../officeDocument/relationships/<name>" is Transitional
# ".../officeDocument/2006/relationships/<name>", except for the names below.
REL_STRICT = ooxml.REL_STRICT
REL_TRANSITIONAL = f"{_T}officeDocument/2006/relationships/"
REL_TYPES: dict[str, str] = {
    f"{REL_STRICT}extendedProperties": f"{REL_TRANSITIONAL}extended-properties",
    f"{REL_STRICT}customProperties": f"{REL_TRANSITIONAL}custom-properties",
    f"{REL_STRICT}metadata/thumbnail": f"{_T}package/2006/relationships/metadata/thumbnail",
    f"{REL_STRICT}metadata/core-properties": f"{_T}package/2006/relationships/metadata/core-properties",
}

_W = ooxml.NS["w"]
_M = NAMESPACES[f"{_S}officeDocument/math"]
_C = NAMESPACES[f"{_S}drawingml/chart"]
_PR = ooxml.NS["pr"]
_XML = ooxml.NS["xml"]
# DrawingML namespaces whose percentages are thousandths in Transitional (charts' are whole percents)
_DRAWINGML = {
    NAMESPACES[f"{_S}drawingml/{n}"]
    for n in ("main", "wordprocessingDrawing", "picture", "chartDrawing", "diagram", "lockedCanvas",
              "spreadsheetDrawing")
}  # fmt: skip

# --- the values (WordprocessingML element local name -> attribute local names) ----------------------------

# ST_TwipsMeasure, ST_SignedTwipsMeasure: Strict also allows "12pt", "2.5cm" …; Transitional: twips
W_TWIPS: dict[str, frozenset[str]] = {
    k: frozenset(v)
    for k, v in {
        "pgSz": ("w", "h"),
        "pgMar": ("top", "right", "bottom", "left", "header", "footer", "gutter"),
        "cols": ("space",),
        "col": ("w", "space"),
        "ind": ("left", "right", "start", "end", "hanging", "firstLine"),
        "spacing": ("before", "after", "line", "val"),  # paragraph spacing; character spacing (w:val)
        "tab": ("pos",),
        "gridCol": ("w",),
        "trHeight": ("val",),
        "tblpPr": ("leftFromText", "rightFromText", "topFromText", "bottomFromText", "tblpX", "tblpY"),
        "framePr": ("w", "h", "hSpace", "vSpace", "x", "y"),
        "lnNumType": ("distance",),
        "object": ("dxaOrig", "dyaOrig"),
        "fitText": ("val",),
        "defaultTabStop": ("val",),
        "hyphenationZone": ("val",),
        "drawingGridHorizontalSpacing": ("val",),
        "drawingGridVerticalSpacing": ("val",),
        "drawingGridHorizontalOrigin": ("val",),
        "drawingGridVerticalOrigin": ("val",),
        "marLeft": ("val",),
        "marRight": ("val",),
        "marTop": ("val",),
        "marBottom": ("val",),
    }.items()
}
# ST_HpsMeasure, ST_SignedHpsMeasure (w:val): half-points
W_HALF_POINTS = frozenset({"sz", "szCs", "kern", "position", "hps", "hpsRaise", "hpsBaseText"})
# CT_TblWidth (w:w with w:type): a measure -> twips, "50%" -> fiftieths of a percent (2500)
W_TABLE_WIDTHS = frozenset({"tblW", "tcW", "tblInd", "wBefore", "wAfter", "tblCellSpacing"})
W_MARGINS = frozenset({"tblCellMar", "tcMar"})  # their children are CT_TblWidth too
# "100%" -> 100 (ST_DecimalNumberOrPercent of the zoom, ST_TextScale)
W_WHOLE_PERCENT = {"zoom": "percent", "w": "val"}
# Borders and margins: Strict names the sides start/end, Transitional left/right (the same sides: ECMA-376's
# "left" was the leading edge of right-to-left text too)
W_SIDE_PARENTS = frozenset({"tblBorders", "tcBorders", "tblCellMar", "tcMar", "pBdr"})
W_SIDES = {"start": "left", "end": "right"}
W_IND = {"start": "left", "end": "right", "startChars": "leftChars", "endChars": "rightChars"}
W_JUSTIFICATION = frozenset({"jc", "lvlJc", "tab"})  # w:val start/end -> left/right
W_TEXT_DIRECTION = {"tb": "lrTb", "rl": "tbRl", "lr": "btLr", "tbV": "lrTbV", "rlV": "tbRlV", "lrV": "tbLrV"}
# Office Math: ST_TwipsMeasure (m:val)
M_TWIPS = frozenset({"lMargin", "rMargin", "preSp", "postSp", "interSp", "intraSp", "wrapIndent"})
# DrawingML: coordinates (ST_Coordinate and kin) in EMU; text points (a:rPr kern, spc) in 1/100 pt
A_COORDINATES = frozenset(
    {"x", "y", "cx", "cy", "l", "t", "r", "b", "w", "h", "distT", "distB", "distL", "distR", "marL", "marR",
     "indent", "defTabSz", "pos", "lIns", "tIns", "rIns", "bIns", "blurRad", "dist", "rad"}
)  # fmt: skip
A_RUN_PROPERTIES = frozenset({"rPr", "defRPr", "endParaRPr"})
A_TEXT_POINTS = frozenset({"kern", "spc"})  # of the run properties
A_NOT_NUMBERS = frozenset({"name", "descr", "title", "typeface", "macro", "textlink", "uri", "lang", "altLang"})

_MEASURE = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)(mm|cm|in|pt|pc|pi)")
_PERCENT = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)%")
_POINTS_PER = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0, "pc": 12.0, "pi": 12.0}
_TWIPS, _HALF_POINTS, _EMU, _CENTI_POINTS = 20, 2, 12700, 100  # per point
_QUOTED_URI = re.compile(r"""(['"])(http://purl\.oclc\.org/ooxml/[^'"]*)\1""")
OUT_CHUNK = 256 * 1024  # characters of output collected before they are handed on


def to_transitional(
    reader: Reader,
    infos: list[zipfile.ZipInfo],
    is_xml: Callable[[zipfile.ZipInfo], bool],
    comment: bytes,
    name: str,
    limits: Limits,
    clock: Clock,
) -> bytes:
    """The package with every XML part in Transitional; the other members copied as they are."""
    writer = Writer()
    for info in infos:
        if info.is_dir() or info.file_size == 0 or not is_xml(info):
            writer.copy(reader, info)
            continue
        member = info.filename
        xmlread.scan(reader.chunks(info, limit=limits.max_xml_part, count=True), member, name, limits, clock)
        writer.add(member, convert(reader.chunks(info, limit=limits.max_xml_part), member, name, clock), info)
    return writer.finish(comment)


def convert(chunks: Iterable[bytes], member: str, name: str, clock: Clock) -> Iterator[bytes]:
    """One XML part (already scanned) in Transitional, UTF-8, in pieces as it is parsed."""
    parser = xmlread.pull_parser(("start-ns", "start", "end", "comment", "pi"))
    out = _Writer()
    try:
        for chunk in chunks:
            parser.feed(chunk)
            out.handle(parser.read_events())
            clock.check()
            if out.size >= OUT_CHUNK:
                yield out.take()
        parser.close()
        out.handle(parser.read_events())
    except etree.XMLSyntaxError as exc:
        raise xmlread.syntax_error(name, member, exc) from None
    yield out.take()


# --- names and values --------------------------------------------------------------------------------------


def transitional_uri(uri: str) -> str:
    return NAMESPACES.get(uri, uri)


def rel_type(value: str) -> str:
    if value in REL_TYPES:
        return REL_TYPES[value]
    if value.startswith(REL_STRICT):
        return REL_TRANSITIONAL + value[len(REL_STRICT) :]
    return value


@functools.lru_cache(maxsize=4096)
def _name(clark: str) -> tuple[str, str, str]:
    """'{uri}local' -> (the URI as read, its Transitional equivalent, local)."""
    if clark[:1] == "{":
        uri, local = clark[1:].split("}", 1)
        return uri, transitional_uri(uri), local
    return "", "", clark


def _measure(value: str, per_point: int) -> str:
    m = _MEASURE.fullmatch(value)
    if m is None:
        return value
    return _whole(float(m.group(1)) * _POINTS_PER[m.group(2)] * per_point)


def _percent(value: str, factor: int) -> str:
    m = _PERCENT.fullmatch(value)
    return value if m is None else _whole(float(m.group(1)) * factor)


def _whole(number: float) -> str:
    """Rounded half away from zero, as a whole number."""
    return str(int(math.copysign(math.floor(abs(number) + 0.5), number)))


def _w_value(element: str, parent: str, attr: str, value: str) -> str:
    """A WordprocessingML attribute's value in its Transitional form."""
    if element in W_TABLE_WIDTHS or parent in W_MARGINS:
        if attr == "w":
            return _percent(_measure(value, _TWIPS), 50)
        return value
    if attr in W_TWIPS.get(element, ()):
        return _measure(value, _TWIPS)
    if attr == "val":
        if element in W_HALF_POINTS:
            return _measure(value, _HALF_POINTS)
        if element in W_JUSTIFICATION:
            return W_SIDES.get(value, value)
        if element == "textDirection":
            return W_TEXT_DIRECTION.get(value, value)
    if W_WHOLE_PERCENT.get(element) == attr:
        return _percent(value, 1)
    return value


def _drawing_value(uri: str, element: str, attr: str, value: str) -> str:
    """A DrawingML or chart attribute's value (no namespace on the attribute) in its Transitional form."""
    if attr in A_NOT_NUMBERS:
        return value
    if value.endswith("%"):
        return _percent(value, 1 if uri == _C else 1000)
    if element in A_RUN_PROPERTIES and attr in A_TEXT_POINTS:
        return _measure(value, _CENTI_POINTS)
    if attr in A_COORDINATES and uri != _C:
        return _measure(value, _EMU)
    return value


# --- writing events back as XML ----------------------------------------------------------------------------


@dataclass
class _Scope:
    """The namespace declarations in force: prefix -> (Strict) URI, and a prefix for each URI."""

    uris: dict[str, str]
    prefixes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for prefix, uri in self.uris.items():
            if prefix:  # attributes never take the default namespace
                self.prefixes.setdefault(uri, prefix)


@dataclass
class _Open:
    element: etree._Element
    uri: str  # Transitional namespace
    local: str  # the element's local name as read
    qname: str  # as written
    scope: _Scope
    start_open: bool = True  # "<name …" written, ">" not yet
    text_done: bool = False
    last: etree._Element | None = None  # the finished child whose tail is not yet written


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
        self.size = 0
        self.stack: list[_Open] = []
        self.declared: list[tuple[str, str]] = []  # start-ns events for the next element
        self.root_scope = _Scope({"xml": _XML})

    def take(self) -> bytes:
        data = "".join(self.parts).encode("utf-8")
        self.parts, self.size = [], 0
        return data

    def _put(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def handle(self, events: Iterable[tuple[str, object]]) -> None:
        for event, node in events:
            if event == "start-ns":
                self.declared.append(node)  # (prefix, uri); prefix "" for the default namespace
            elif event == "start":
                self._start(node)
            elif event == "end":
                self._end(node)
            else:
                self._leaf(node)

    def _before_child(self) -> None:
        """A child begins: the text before it (the parent's text or the previous child's tail) is complete."""
        if not self.stack:
            return
        top = self.stack[-1]
        if top.start_open:
            self._put(">")
            top.start_open = False
        if top.last is not None:
            self._put(_text(top.last.tail))
            top.element.remove(top.last)  # written: nothing of it is needed any more
            top.last = None
        elif not top.text_done:
            self._put(_text(top.element.text))
        top.text_done = True

    def _start(self, element: etree._Element) -> None:
        self._before_child()
        outer = self.stack[-1].scope if self.stack else self.root_scope
        declared, self.declared = self.declared, []
        scope = _Scope({**outer.uris, **dict(declared)}) if declared else outer
        _, uri, local = _name(element.tag)
        parent = self.stack[-1] if self.stack else None
        written = local
        if uri == _W and parent is not None and parent.uri == _W and parent.local in W_SIDE_PARENTS:
            written = W_SIDES.get(local, local)
        prefix = element.prefix
        qname = f"{prefix}:{written}" if prefix else written
        pieces = ["<", qname]
        for ns_prefix, ns_uri in declared:
            pieces.append(f' xmlns:{ns_prefix}="' if ns_prefix else ' xmlns="')
            pieces.append(_attr(transitional_uri(ns_uri)) + '"')
        for key, value in self._attributes(element, uri, local, parent, scope):
            pieces.append(f' {key}="{_attr(value)}"')
        self._put("".join(pieces))
        self.stack.append(_Open(element, uri, local, qname, scope))

    def _attributes(self, element, uri, local, parent, scope) -> Iterator[tuple[str, str]]:
        attrib = element.attrib
        parent_local = parent.local if parent is not None and parent.uri == _W else ""
        for key, value in attrib.items():
            strict_uri, attr_uri, attr = _name(key)
            if attr_uri == _W and uri == _W:
                if parent is None and attr == "conformance":
                    continue  # w:conformance="strict" on w:document
                if local == "ind" and attr in W_IND:
                    renamed = W_IND[attr]
                    if f"{{{strict_uri}}}{renamed}" in attrib:
                        continue  # both given: the Transitional name wins
                    attr = renamed
                value = _w_value(local, parent_local, attr, value)
                if attr == "prefixMappings":
                    value = _QUOTED_URI.sub(lambda m: m.group(1) + transitional_uri(m.group(2)) + m.group(1), value)
            elif attr_uri == _M and uri == _M and attr == "val" and local in M_TWIPS:
                value = _measure(value, _TWIPS)
            elif not attr_uri and (uri in _DRAWINGML or uri == _C):
                value = _drawing_value(uri, local, attr, value)
            elif not attr_uri and uri == _PR and local == "Relationship" and attr == "Type":
                value = rel_type(value)
            value = NAMESPACES.get(value, value)  # a namespace named as a value (a:graphicData/@uri …)
            if not attr_uri:
                yield attr, value
            elif attr_uri == _XML:
                yield f"xml:{attr}", value
            else:
                yield f"{scope.prefixes[strict_uri]}:{attr}", value

    def _end(self, element: etree._Element) -> None:
        top = self.stack.pop()
        if top.last is not None:
            self._put(_text(top.last.tail))
            element.remove(top.last)
        elif not top.text_done and element.text:
            if top.start_open:
                self._put(">")
                top.start_open = False
            self._put(_text(element.text))
        self._put("/>" if top.start_open else f"</{top.qname}>")
        if self.stack:
            self.stack[-1].last = element

    def _leaf(self, node: etree._Element) -> None:
        """A comment or processing instruction."""
        self._before_child()
        if isinstance(node, etree._ProcessingInstruction):
            self._put(f"<?{node.target} {node.text}?>" if node.text else f"<?{node.target}?>")
        else:
            self._put(f"<!--{node.text or ''}-->")
        if self.stack:
            self.stack[-1].last = node
        else:
            self._put("\n")  # before or after the root element


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)


def _text(text: str | None) -> str:
    return text.translate(_TEXT_ESCAPES) if text else ""


def _attr(value: str) -> str:
    return value.translate(_ATTR_ESCAPES)
