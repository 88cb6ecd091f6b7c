"""Strict Open XML documents for the tests, made from Transitional ones the way Word saves "Strict Open XML".

Independent of impactcheck.word.strict (its own tables, written from ISO/IEC 29500 and from what Word's
Strict files look like, e.g. the docx2python and pandoc ones in the corpus): the namespaces and relationship
types renamed, measures in points, percentages with "%", start/end for left/right, the new text directions,
and w:conformance="strict" on the document.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from lxml import etree

T, S = "http://schemas.openxmlformats.org/", "http://purl.oclc.org/ooxml/"
# Transitional -> Strict; longer names first, so that a prefix of another is never replaced inside it
REL_T, REL_S = f"{T}officeDocument/2006/relationships/", f"{S}officeDocument/relationships/"
URIS = [
    (f"{REL_T}extended-properties", f"{REL_S}extendedProperties"),
    (f"{REL_T}custom-properties", f"{REL_S}customProperties"),
    (f"{T}officeDocument/2006/extended-properties", f"{S}officeDocument/extendedProperties"),
    (f"{T}officeDocument/2006/custom-properties", f"{S}officeDocument/customProperties"),
    (f"{T}officeDocument/2006/docPropsVTypes", f"{S}officeDocument/docPropsVTypes"),
    (f"{T}officeDocument/2006/relationships", f"{S}officeDocument/relationships"),
    (f"{T}officeDocument/2006/math", f"{S}officeDocument/math"),
    (f"{T}wordprocessingml/2006/main", f"{S}wordprocessingml/main"),
    (f"{T}drawingml/2006/wordprocessingDrawing", f"{S}drawingml/wordprocessingDrawing"),
    (f"{T}drawingml/2006/picture", f"{S}drawingml/picture"),
    (f"{T}drawingml/2006/chart", f"{S}drawingml/chart"),
    (f"{T}drawingml/2006/main", f"{S}drawingml/main"),
]  # fmt: skip
W = f"{T}wordprocessingml/2006/main"
A = f"{T}drawingml/2006/main"
TWIPS = {  # element: attributes in twips, written in points as Word's Strict files have them
    "pgSz": ("w", "h"),
    "pgMar": ("top", "right", "bottom", "left", "header", "footer", "gutter"),
    "cols": ("space",),
    "ind": ("left", "right", "hanging", "firstLine"),
    "spacing": ("before", "after", "line"),
    "defaultTabStop": ("val",),
    "tab": ("pos",),
}
WIDTHS = {"tblW", "tcW", "tblInd", "wBefore", "wAfter"}
SIDES = {"left": "start", "right": "end"}


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def _points(twips: str) -> str:
    return f"{int(twips) / 20:g}pt"


def strictify(root: etree._Element) -> None:
    """Transitional values -> Strict ones, in place (names of namespaces are done on the bytes)."""
    if root.tag == w("document"):
        root.set(w("conformance"), "strict")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        qname = etree.QName(el)
        local = qname.localname
        if qname.namespace == W:
            for attr in TWIPS.get(local, ()):
                if el.get(w(attr)) is not None and el.get(w(attr)).lstrip("-").isdigit():
                    el.set(w(attr), _points(el.get(w(attr))))
            if local == "ind":
                for old, new in (("left", "start"), ("right", "end"), ("leftChars", "startChars")):
                    if el.get(w(old)) is not None:
                        el.set(w(new), el.get(w(old)))
                        del el.attrib[w(old)]
            parent = el.getparent()
            if local in WIDTHS or (parent is not None and etree.QName(parent).localname in ("tblCellMar", "tcMar")):
                value, kind = el.get(w("w")), el.get(w("type"))
                if kind == "pct" and value and value.isdigit():
                    el.set(w("w"), f"{int(value) / 50:g}%")
                elif kind == "dxa" and value and value.isdigit():
                    el.set(w("w"), _points(value))
            if local in ("jc", "lvlJc") and el.get(w("val")) in SIDES:
                el.set(w("val"), SIDES[el.get(w("val"))])
            if local == "textDirection":
                el.set(w("val"), {"btLr": "lr", "tbRl": "rl", "lrTb": "tb"}.get(el.get(w("val")), el.get(w("val"))))
            if local == "zoom" and (el.get(w("percent")) or "").isdigit():
                el.set(w("percent"), el.get(w("percent")) + "%")
            if local == "sz" and (el.get(w("val")) or "").isdigit() and int(el.get(w("val"))) % 2 == 0:
                el.set(w("val"), f"{int(el.get(w('val'))) // 2}pt")
            in_sides = parent is not None and etree.QName(parent).localname in ("tblBorders", "tcBorders", "tblCellMar")
            if in_sides and local in SIDES:
                el.tag = w(SIDES[local])
        elif qname.namespace == A and local in ("lumMod", "lumOff", "tint", "shade", "satMod", "alpha", "gs"):
            for attr in ("val", "pos"):  # ST_Percentage: thousandths in Transitional, "50%" in Strict
                value = el.get(attr)
                if value and value.isdigit():
                    el.set(attr, f"{int(value) / 1000:g}%")


def to_strict(data: bytes) -> bytes:
    """A Transitional .docx as Word would save it in Strict Open XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename.endswith((".xml", ".rels")) and info.filename != "[Content_Types].xml":
                root = etree.fromstring(blob)
                strictify(root)
                blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                for old, new in URIS:
                    blob = blob.replace(old.encode(), new.encode())
            dst.writestr(info, blob)
    return out.getvalue()


def png(width: int = 4, height: int = 3) -> bytes:
    """A small grey PNG (for a picture in the document)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
