"""The styles a document has, found by what they are rather than by their ids.

Style ids differ between templates: Word in German writes the built-in "heading 1" with the id
"berschrift1", LibreOffice writes "Heading1", house templates have "Überschrift 1" of their own. So a
heading is a paragraph style with an outline level (its own or inherited through basedOn), or one named
"heading N"/"Überschrift N"; a grid table is the style named "Table Grid". Anything missing is None, and
the caller falls back to direct formatting.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from impactcheck.word import ooxml
from impactcheck.word.ooxml import qn, val

_HEADING_NAME = re.compile(r"^(?:heading|überschrift)\s*([1-9])$")
_TABLE_GRID_NAMES = ("table grid", "tabellenraster")
BODY_TEXT_LEVEL = 9  # w:outlineLvl 9 means "body text", not a heading


class _Style(NamedTuple):
    id: str
    type: str
    name: str  # casefolded
    based_on: str | None
    outline: int | None  # own w:outlineLvl, 0-based


_W_STYLE, _W_STYLE_ID, _W_TYPE, _W_DEFAULT = qn("w:style"), qn("w:styleId"), qn("w:type"), qn("w:default")
_W_NAME, _W_BASED_ON, _W_OUTLINE = qn("w:name"), qn("w:basedOn"), qn("w:outlineLvl")
_READ = frozenset({_W_NAME, _W_BASED_ON, ooxml.W_PPR})


class StyleSheet:
    def __init__(self, root: etree._Element | None):
        self._styles: dict[str, _Style] = {}
        self.default_paragraph: str | None = None
        for node in () if root is None else root.iter(_W_STYLE):  # hundreds in a template: one pass each
            sid = node.get(_W_STYLE_ID)
            if not sid:
                continue
            first: dict[str, etree._Element] = {}  # the first w:name, w:basedOn and w:pPr, as find() has them
            for child in node:
                if child.tag in _READ and child.tag not in first:
                    first[child.tag] = child
            name, based_on = val(first.get(_W_NAME)), val(first.get(_W_BASED_ON))
            ppr = first.get(ooxml.W_PPR)
            outline = val(ppr.find(_W_OUTLINE)) if ppr is not None else None
            style = _Style(
                id=sid,
                type=node.get(_W_TYPE) or "paragraph",
                name=" ".join((name or "").split()).casefold(),
                based_on=based_on,
                outline=int(outline) if outline and outline.isdigit() else None,
            )
            self._styles.setdefault(sid, style)
            if style.type == "paragraph" and node.get(_W_DEFAULT) in ("1", "true", "on"):
                self.default_paragraph = self.default_paragraph or sid
        self._levels: dict[str, int | None] = {}
        self.body_font = _body_font(root, self.default_paragraph)

    def outline_level(self, style_id: str | None) -> int | None:
        """0-based outline level of a paragraph style (0 = "heading 1"), or None for body text."""
        if style_id is None:
            return None
        if style_id not in self._levels:
            self._levels[style_id] = self._resolve(style_id, set())
        return self._levels[style_id]

    def _resolve(self, style_id: str, seen: set[str]) -> int | None:
        style = self._styles.get(style_id)
        if style is None or style_id in seen:
            return None
        seen.add(style_id)
        if style.outline is not None:
            return style.outline if style.outline < BODY_TEXT_LEVEL else None
        m = _HEADING_NAME.match(style.name)
        if m:
            return int(m.group(1)) - 1
        return self._resolve(style.based_on, seen) if style.based_on else None

    def heading_styles(self) -> dict[str, int]:
        """Every paragraph style that makes a heading, with its 0-based level."""
        out = {}
        for sid, style in self._styles.items():
            if style.type == "paragraph":
                level = self.outline_level(sid)
                if level is not None:
                    out[sid] = level
        return out

    def heading_style(self, level: int) -> str | None:
        """The paragraph style for a heading of `level` (1-based): the built-in one if present."""
        by_name = {s.name: s.id for s in self._styles.values() if s.type == "paragraph"}
        for name in (f"heading {level}", f"überschrift {level}"):
            if name in by_name:
                return by_name[name]
        for sid, lvl in self.heading_styles().items():
            if lvl == level - 1 and not self._styles[sid].name.startswith(("toc", "verzeichnis")):
                return sid
        return None

    def table_grid(self) -> str | None:
        for style in self._styles.values():
            if style.type == "table" and (style.name in _TABLE_GRID_NAMES or style.id == "TableGrid"):
                return style.id
        return None


def paragraph_level(p: etree._Element, sheet: StyleSheet) -> int | None:
    """0-based heading level of a paragraph (direct w:outlineLvl first, then its style), None if body text."""
    ppr = p.find(ooxml.W_PPR)
    if ppr is None:
        return sheet.outline_level(sheet.default_paragraph)
    direct = val(ppr, "w:outlineLvl")
    if direct is not None and direct.isdigit():
        level = int(direct)
        return level if level < BODY_TEXT_LEVEL else None
    return sheet.outline_level(val(ppr, "w:pStyle") or sheet.default_paragraph)


def _body_font(root: etree._Element | None, default_paragraph: str | None) -> str | None:
    """The typeface of body text (for the chart's text): the default paragraph style's, else the document
    default's; "+mn-lt"/"+mj-lt" (the theme's body/heading font) for a theme font; None when nothing says."""
    if root is None:
        return None
    places = ["w:style[@w:styleId=$sid]/w:rPr/w:rFonts"] if default_paragraph else []
    places.append("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts")
    for place in places:
        fonts = root.xpath(place, namespaces=ooxml.NS, sid=default_paragraph or "")  # a variable: ids are input
        if fonts:
            theme = fonts[0].get(qn("w:asciiTheme"))  # wins over w:ascii in Word
            if theme:
                return "+mj-lt" if theme.startswith("major") else "+mn-lt"
            if fonts[0].get(qn("w:ascii")):
                return fonts[0].get(qn("w:ascii"))
    return None
