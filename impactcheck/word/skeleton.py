"""The main document as a skeleton: a tree only where the insertion may look, text everywhere else.

A tree costs about 14 times the XML it was parsed from; the insertion needs a tree only of the blocks it
may touch or read: headings and lines that look like titles, "Finanzielle Auswirkungen", placeholders,
bookmarks and content controls called klimacheck, our own earlier blocks, section breaks, and references
to relationships that are being neutralised (see `externals`). While the document is parsed in chunks,
every finished run of other blocks – paragraphs, tables, table rows, content controls, in the body and in
table cells – is serialised at once and replaced by a processing instruction naming its text; writing the
document puts the text back in its place. The output is the XML that serialising the whole tree would give
(the same canonical form; a namespace declaration that repeats one of an ancestor is left out).

What the anchor search would have read from the blocks left as text is recorded on the way (the highest
drawing and bookmark id, for `_free_id`) or looked up in the text (`mentions`, for `_drop_chart`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator

from lxml import etree

from impactcheck.core.i18n import N_, Message
from impactcheck.word import ooxml, xmlread
from impactcheck.word.anchor import TAG, is_break_only, looks_like_title
from impactcheck.word.limits import MB, Clock, Fixed, Limits, refuse
from impactcheck.word.ooxml import NS, qn
from impactcheck.word.styles import StyleSheet

_RUN_NS = "urn:impactcheck:skeleton"
_RUN = f"{{{_RUN_NS}}}run"
# Containers whose finished children may be left as text, and the children that may.
_CONTAINERS = {qn("w:body"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdtContent")}
_DESCEND = _CONTAINERS | {qn("w:sdt")}
_TEXT_BLOCKS = {qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:sdt")}
_W_T, _W_SDT, _W_P = qn("w:t"), qn("w:sdt"), qn("w:p")
_SECTPR, _BM_START, _BM_END = qn("w:sectPr"), qn("w:bookmarkStart"), qn("w:bookmarkEnd")
_W_B, _W_BR, _OUTLINE, _PSTYLE = qn("w:b"), qn("w:br"), qn("w:outlineLvl"), qn("w:pStyle")
_DOCPR, _BM_ID, _BM_NAME, _BR_TYPE = qn("wp:docPr"), qn("w:id"), qn("w:name"), qn("w:type")
_LOOK_ANYWHERE = (_W_T, _SECTPR, _W_SDT, _BM_START, _BM_END)
_LOOK_TOP = (*_LOOK_ANYWHERE, _W_B, _W_BR)
_REFS = etree.XPath("descendant-or-self::*/@r:*", namespaces=NS, smart_strings=False)
_COUNT = etree.XPath("count(descendant::node()) + count(descendant::*/@*)")


def _our_tag(sdt: etree._Element) -> bool:
    tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
    return tag is not None and (tag.get(ooxml.W_VAL) or "").casefold().startswith(TAG)


class Skeleton:
    """The main part's tree with the text of the blocks left out, and what it takes to write it whole again."""

    def __init__(self, sheet: StyleSheet, rel_ids: Iterable[str], limits: Limits, member: str, name: str, *,
                 keep_text: bool, tree_nodes: int = 0):  # fmt: skip
        self.member, self.name, self.limits = member, name, limits
        self.keep_text = keep_text
        self.marker = f"impactcheck-{secrets.token_hex(6)}"
        self.texts: list[bytes] = []
        self.max_id = 0  # highest wp:docPr/@id and w:bookmarkStart/@w:id in the texts
        self.kept = tree_nodes  # nodes held as trees: other parts (given), and finished top-level blocks kept
        self._open_kept = 0  # nodes kept so far inside the top-level block being read (an estimate from above)
        self.root: etree._Element | None = None
        self._marks: set[str] = set()
        self._ids = set(rel_ids)
        self._done: dict[etree._Element, int] = {}  # per open container: leading children already handled
        self._fed = 0  # bytes given to the parser so far
        self._open_block: etree._Element | None = None  # see _watch
        self._open_since = self._next_count = 0
        self._headings = set(sheet.heading_styles())
        self._text_pattern = re.compile(rb"<\?" + re.escape(self.marker.encode()) + rb" (\d+)\?>")

    # --- reading ------------------------------------------------------------------------------

    def read(self, chunks: Iterable[bytes], clock: Clock) -> Skeleton:
        found = xmlread.scan(
            self._counted(chunks),
            self.member,
            self.name,
            self.limits,
            clock,
            keep_tag=qn("w:body"),
            pruner=self._prune,
            expect_root=(qn("w:document"), Message(N_("keine Word-Datei: das Hauptdokument ist kein Textdokument"))),
        )
        self.root = found.root
        return self

    def _counted(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._fed += len(chunk)
            yield chunk

    def _prune(self, body: etree._Element, last_open: bool) -> None:
        chain: dict[etree._Element, int] = {}
        node: etree._Element | None = body
        while node is not None:
            chain[node] = self._done.get(node, 0)
            if node.tag in _CONTAINERS:
                self._handle(node, chain, last_open, top=node is body)
            below = self._open_child(node) if last_open else None
            if below is None and last_open and len(node):
                self._watch(node[-1])
            node = below
        self._done = chain if last_open else {}

    def _watch(self, block: etree._Element) -> None:
        """A block we cannot leave as text while it is open (a paragraph, say) may not grow without bound:
        its nodes are counted whenever the bytes read since it began have doubled."""
        if block is not self._open_block:
            self._open_block, self._open_since, self._next_count = block, self._fed, MB
            return
        if self._fed - self._open_since >= self._next_count:
            self._next_count *= 2
            self._check_size(int(_COUNT(block)))

    def _open_child(self, node: etree._Element) -> etree._Element | None:
        """The child the parser is still in, if it is a container we look into (never one of ours)."""
        if not len(node):
            return None
        last = node[-1]
        if last.tag not in _DESCEND or (last.tag == ooxml.W_SDT and _our_tag(last)):
            return None
        return last

    def _handle(self, node: etree._Element, chain: dict, last_open: bool, top: bool) -> None:
        start, end = chain[node], len(node) - (1 if last_open else 0)
        if end <= start:
            return
        runs: list[tuple[int, int]] = []  # [from, to) of the blocks left as text
        first = None  # where the current run began
        child = node[start]
        for index in range(start, end):
            if self._needed(child, top):
                if first is not None:
                    runs.append((first, index))
                    first = None
                self._keep(child, top)
            elif first is None:
                first = index
            child = child.getnext()
        if first is not None:
            runs.append((first, end))
        del child  # no proxy may hold a node that is about to be dropped: dropping would then be slow
        for begin, stop in reversed(runs):  # from the end, so that the indices before stay right
            self._text(node, begin, stop)
        chain[node] = len(node) - (1 if last_open else 0)  # everything but the open child is handled now
        if top:
            self._open_kept = 0  # the blocks finished at the top are counted exactly from here on

    def _needed(self, block: etree._Element, top: bool) -> bool:
        """Whether the anchor search, the annex, the width or `externals` may read or change this block."""
        if not isinstance(block.tag, str) or block.tag not in _TEXT_BLOCKS:
            return True  # comments, instructions, and what is neither paragraph nor table: small, kept
        if not len(block):  # an empty paragraph: nothing in it to find
            return bool(self._ids) and any(ref in self._ids for ref in _REFS(block))
        if top and block.tag == _W_P:  # a heading? (anchor._headings asks the same)
            ppr = block[0] if block[0].tag == ooxml.W_PPR else None  # w:pPr comes first, if at all
            if ppr is not None:
                for prop in ppr.iterchildren(_OUTLINE, _PSTYLE):
                    if prop.tag == _OUTLINE or prop.get(ooxml.W_VAL) in self._headings:
                        return True
        bold = page_break = False  # at the top: a title-like line, or an empty line with a page break?
        for el in block.iter(*(_LOOK_TOP if top else _LOOK_ANYWHERE)):
            tag = el.tag
            if tag == _W_T:
                text = el.text
                if text and ("{" in text or (top and "finanz" in text.casefold())):
                    return True  # a placeholder, or "Finanzielle Auswirkungen"
            elif tag == _W_SDT:
                if _our_tag(el):
                    return True
            elif tag == _BM_START:
                if (el.get(_BM_NAME) or "").casefold().lstrip("_").startswith(TAG):
                    self._marks.add(el.get(_BM_ID) or "")
                    return True
            elif tag == _BM_END:
                if el.get(_BM_ID) in self._marks:
                    return True
            elif tag == _SECTPR:
                return True
            elif tag == _W_B:
                bold = True
            elif el.get(_BR_TYPE) == "page":
                page_break = True
        if block.tag == _W_P and ((bold and looks_like_title(block, block)) or (page_break and is_break_only(block))):
            return True  # what anchor._financial_section and _skip_back_over_breaks may look at
        return bool(self._ids) and any(ref in self._ids for ref in _REFS(block))

    def _keep(self, child: etree._Element, top: bool) -> None:
        if isinstance(child.tag, str):
            size = int(_COUNT(child)) + 1
            if top:
                self.kept += size
            else:  # inside a block still being read; counted again (exactly) when that block is finished
                self._open_kept += size
            self._check_size()

    def _check_size(self, more: int = 0) -> None:
        if self.kept + self._open_kept + more > self.limits.max_tree_nodes:
            raise refuse(
                self.name,
                Message(
                    N_(
                        "„{member}“ ist so aufgebaut, dass der Klimacheck zu viel Speicher bräuchte (mehr als "
                        "{limit} XML-Knoten in Überschriften, Tabellen mit Platzhaltern und anderen Stellen, an "
                        "denen er eingefügt werden könnte); bitte das Dokument teilen"
                    ),
                    member=self.member,
                    limit=Fixed(self.limits.max_tree_nodes, 0),
                ),
            )

    def _text(self, node: etree._Element, begin: int, stop: int) -> None:
        """Replace the blocks node[begin:stop] by a marker naming their text (or, when only checking, drop them)."""
        if not self.keep_text:
            del node[begin:stop]
            return
        holder = node.makeelement(_RUN, nsmap={self.marker.replace("-", ""): _RUN_NS})  # a prefix no one uses
        node.insert(begin, holder)
        blocks = node[begin + 1 : stop + 1]
        holder.extend(blocks)
        del blocks
        for el in holder.iter(_DOCPR, _BM_START):  # what _free_id would have seen
            value = el.get("id") if el.tag == _DOCPR else el.get(_BM_ID)
            if value and value.isdigit():
                self.max_id = max(self.max_id, int(value))
        # The holder's start tag carries the namespace declarations of its ancestors; the text starts after
        # a marker put first into it, and ends before the holder's end tag.
        holder.insert(0, etree.ProcessingInstruction(self.marker, "begin"))
        text = etree.tostring(holder, encoding="UTF-8", xml_declaration=False)
        begin_mark = f"<?{self.marker} begin?>".encode()
        offset = text.index(begin_mark) + len(begin_mark)
        self.texts.append(text[offset : text.rindex(b"</")])
        del holder[:]  # cheap while no proxy holds the blocks; removing the holder with them would not be
        node.replace(holder, etree.ProcessingInstruction(self.marker, str(len(self.texts) - 1)))

    def mentions(self, value: str) -> bool:
        """Whether an attribute in the blocks kept as text has this value (e.g. a relationship id)."""
        needle = f'="{value}"'.encode()
        return any(needle in text for text in self.texts)

    # --- writing ------------------------------------------------------------------------------

    def serialized(self) -> Iterator[bytes]:
        """The whole document as UTF-8, in pieces: the skeleton with every text put back."""
        return self._expand(ooxml.serialize(self.root))

    def _expand(self, data: bytes) -> Iterator[bytes]:
        pos = 0
        for m in self._text_pattern.finditer(data):
            yield data[pos : m.start()]
            yield from self._expand(self.texts[int(m.group(1))])  # a run may hold runs of its cells
            pos = m.end()
        yield data[pos:]
