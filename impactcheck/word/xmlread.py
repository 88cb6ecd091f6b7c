"""XML parts, read as an XML parser reads them, never guessed at with patterns.

1. The encoding is found the way the XML specification (appendix F) says a parser finds it: byte-order mark,
   else the first four bytes, then the encoding declaration read in that family. Office packages may only use
   UTF-8 or UTF-16 (ECMA-376 part 2, M1.17); UTF-32, UCS-4, EBCDIC and 8-bit code pages are refused by
   name, and bytes that are not valid in the encoding are refused too, before libxml2 sees any of them.
2. The part is parsed by lxml with entities unresolved, no DTD loading and no network. Whether a DTD is
   there is asked of the parser itself (the document's internal subset), not of the text: a part with any
   <!DOCTYPE …> – and so any entity declaration – is refused.
3. Parsing is fed in chunks. After each, the subtrees the parser has finished are dropped (or handed to a
   caller that wants to keep some of them), so a check costs memory for one chunk, not for the tree; nodes,
   bytes and seconds are counted against the limits as they come. Nodes are counted on the decoded text,
   where every element, comment and end tag begins with "<" (a literal "<" must be escaped) and every
   attribute has its "=": the count is an upper bound of elements, texts and attributes, each of which
   costs a parser about the same.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from lxml import etree

from impactcheck.core.i18n import N_, Message
from impactcheck.word.limits import MAX_DEPTH, MB, Clock, Fixed, Limits, refuse

PROLOG_LIMIT = 64 * 1024  # bytes before the end of the root's start tag; Word's need about 3 KB
_SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "dtd_validation": False}
_DECLARATION = re.compile(r"<\?xml\s+version\s*=\s*[\"'][^\"']*[\"'](?:\s+encoding\s*=\s*[\"']([^\"']*)[\"'])?")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_UTF16_NAMES = {"utf-16", "utf16", "utf-16le", "utf-16be", "iso-10646-ucs-2", "ucs-2"}


def detect_encoding(head: bytes) -> tuple[str, int, str | None]:
    """(family, length of the byte-order mark, declared encoding) from the first bytes of an entity.

    family is one of "utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "ucs-4 (2143)",
    "ucs-4 (3412)", "ebcdic"; declared is what the declaration names, None without one.
    """
    boms = [
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xff\xfe", "ucs-4 (2143)"),
        (b"\xfe\xff\x00\x00", "ucs-4 (3412)"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
    ]
    for bom, family in boms:
        if head.startswith(bom):
            return family, len(bom), _declared(head[len(bom) :], family)
    starts = [
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00\x00<\x00", "ucs-4 (2143)"),
        (b"\x00<\x00\x00", "ucs-4 (3412)"),
        (b"\x00<\x00?", "utf-16-be"),
        (b"<\x00?\x00", "utf-16-le"),
        (b"\x4c\x6f\xa7\x94", "ebcdic"),  # "<?xm" in EBCDIC
    ]
    for start, family in starts:
        if head.startswith(start):
            return family, 0, _declared(head, family)
    return "utf-8", 0, _declared(head, "utf-8")


def _declared(head: bytes, family: str) -> str | None:
    codec = {"ebcdic": "cp037", "ucs-4 (2143)": None, "ucs-4 (3412)": None}.get(family, family)
    if codec is None:
        return None
    text = head[:1024].decode(codec, errors="replace")
    m = _DECLARATION.match(text)
    return m.group(1) if m and m.group(1) else None


def codec_for(head: bytes, member: str, name: str) -> str:
    """The Python codec of an XML part that may be parsed; InputError for every other encoding."""
    family, _, declared = detect_encoding(head)
    said = (declared or "").lower()
    if family == "utf-8" and (not declared or said in _UTF8_NAMES):
        return "utf-8-sig"
    if family.startswith("utf-16") and (not declared or said in _UTF16_NAMES):
        return family
    if family == "utf-8" and said in _UTF16_NAMES:
        problem = Message(
            N_("gibt die Zeichenkodierung {declared} an, ist aber nicht so gespeichert"), declared=declared
        )
    elif family == "utf-8":
        problem = Message(N_("ist in der Zeichenkodierung „{declared}“ gespeichert"), declared=declared)
    elif family.startswith("utf-16"):
        problem = Message(N_("ist in UTF-16 gespeichert, gibt aber „{declared}“ an"), declared=declared)
    else:
        label = {"ebcdic": "EBCDIC"}.get(family, family.upper())
        encoding = f"{label} ({declared})" if declared else label
        problem = Message(N_("ist in der Zeichenkodierung {encoding} gespeichert"), encoding=encoding)
    return _refuse_encoding(name, member, problem)


def _refuse_encoding(name: str, member: str, problem: Message):
    raise refuse(
        name,
        Message(
            N_(
                "„{member}“ {problem}; in Word-Dateien sind nur UTF-8 und UTF-16 erlaubt – die Datei ist beschädigt "
                "oder verändert worden, bitte in Word neu speichern"
            ),
            member=member,
            problem=problem,
        ),
    )


class Scan(NamedTuple):
    """What reading one XML part found out."""

    nodes: int  # elements, attributes, texts, comments and instructions (an upper bound, see above)
    root_tag: str
    root: etree._Element | None = None  # only with a pruner (see `scan`)


# Given the element under which finished subtrees are handled and whether its last child may still be open;
# takes care of the finished subtrees (drops them or puts something smaller in their place).
Pruner = Callable[[etree._Element, bool], None]


def scan(
    chunks: Iterable[bytes],
    member: str,
    name: str,
    limits: Limits,
    clock: Clock,
    *,
    keep_tag: str | None = None,
    pruner: Pruner | None = None,
    expect_root: tuple[str, str] | None = None,
) -> Scan:
    """Parse one XML part from its chunks with bounded memory; refuse bad encodings, DTDs, broken XML.

    Without `pruner`, every finished subtree is counted and dropped: nothing is kept. With one (the main
    document's skeleton), the pruner handles what is finished under the first element tagged `keep_tag`,
    and the tree that is left is returned in Scan.root. `expect_root` is (tag, Message): any other root is
    refused before the real parse begins.
    """
    text = _Text(iter(chunks), member, name)
    root_tag = text.probe()
    unexpected = expect_root is not None and root_tag != expect_root[0]
    if unexpected:  # read on with nothing kept: broken XML is said as such, else the wrong root
        keep_tag, pruner = None, None
    parser = etree.XMLPullParser(events=("start",), tag=keep_tag or root_tag, **_SAFE)
    prune = pruner or _drop
    anchor = None  # the element under which finished subtrees are pruned
    try:
        for chunk in text.replay():
            if text.nodes > limits.max_xml_nodes:
                raise _too_many(name, member, limits.max_xml_nodes)
            parser.feed(chunk)
            for _, element in parser.read_events():
                anchor = element if anchor is None else anchor
            if anchor is not None:
                prune(anchor, True)
            elif text.fed > PROLOG_LIMIT + MB:  # what comes before w:body is small; nothing is pruned there
                raise refuse(name, Message(N_("beschädigt: „{member}“ hat keinen Textkörper (w:body)"), member=member))
            clock.check()
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise _syntax(name, member, exc) from None
    if unexpected:
        raise refuse(name, expect_root[1])
    if anchor is not None:
        prune(anchor, False)
    return Scan(nodes=text.nodes, root_tag=root_tag, root=root if pruner is not None else None)


def parse_whole(
    chunks: Iterable[bytes],
    member: str,
    name: str,
    limits: Limits,
    clock: Clock,
    fits: Callable[[int], None],
) -> tuple[etree._Element, int]:
    """A part the caller holds as a tree, read and parsed once: (root, nodes).

    The same checks as `scan` (encoding, DTD, node limit), but the nodes are counted on the decoded text
    before the parser builds anything, and `fits(nodes so far)` refuses the part as soon as it would not fit
    the caller's memory limit: so neither the bytes read nor the tree outgrow it, and one parse serves both
    the check and the insertion.
    """
    text = _Text(iter(chunks), member, name)
    text.probe()
    pieces = []
    for chunk in text.replay():
        if text.nodes > limits.max_xml_nodes:
            raise _too_many(name, member, limits.max_xml_nodes)
        fits(text.nodes)
        pieces.append(chunk)
        clock.check()
    if text.nodes > limits.max_xml_nodes:
        raise _too_many(name, member, limits.max_xml_nodes)
    fits(text.nodes)
    return parse(b"".join(pieces), member, name), text.nodes


class _Text:
    """The chunks of one part: encoding checked first, every byte run through a strict decoder once."""

    def __init__(self, stream: Iterator[bytes], member: str, name: str):
        self.stream, self.member, self.name = stream, member, name
        head = b""
        for chunk in stream:
            head += chunk
            if len(head) >= 1024:
                break
        self.codec = codec_for(head, member, name)
        self.decoder = codecs.getincrementaldecoder(self.codec)("strict")
        self.pending = [head]  # read, not yet fed to the real parser
        self.decoded = 0  # how many of `pending` the decoder has seen
        self.fed = 0  # bytes handed to the real parser
        self.nodes = 0  # markup and attributes in the text decoded so far

    def _decode(self, data: bytes, final: bool = False) -> None:
        try:
            text = self.decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            encoding = "UTF-8" if self.codec.startswith("utf-8") else "UTF-16"
            raise refuse(
                self.name,
                Message(
                    N_(
                        "„{member}“ enthält Bytes, die in {encoding} keine gültigen Zeichen sind ({reason}); "
                        "die Datei ist beschädigt, bitte in Word neu speichern"
                    ),
                    member=self.member,
                    encoding=encoding,
                    reason=exc.reason,
                ),
            ) from None
        self.nodes += text.count("<") + text.count("=")

    def probe(self) -> str:
        """The root's tag, from a throw-away parser fed only as far as the root's start tag; DTDs refused here."""
        probe = etree.XMLPullParser(events=("start",), **_SAFE)
        size = 0
        try:
            while True:
                if self.decoded == len(self.pending):
                    chunk = next(self.stream, None)
                    if chunk is None:
                        probe.close()
                        return self._root_of(probe)
                    self.pending.append(chunk)
                piece = self.pending[self.decoded]
                self._decode(piece)
                self.decoded += 1
                for pos in range(0, len(piece), 4096):  # the prolog is short: stop soon after it
                    probe.feed(piece[pos : pos + 4096])
                    size += min(4096, len(piece) - pos)
                    tag = self._root_of(probe, required=False)
                    if tag is not None:
                        return tag
                    if size > PROLOG_LIMIT:
                        raise refuse(
                            self.name,
                            Message(
                                N_(
                                    "„{member}“ beginnt mit über {size} KB vor dem ersten Element; so sieht kein "
                                    "Teil einer Word-Datei aus, die Datei wird nicht verarbeitet"
                                ),
                                member=self.member,
                                size=PROLOG_LIMIT // 1024,
                            ),
                        )
        except etree.XMLSyntaxError as exc:
            raise _syntax(self.name, self.member, exc) from None

    def _root_of(self, probe: etree.XMLPullParser, required: bool = True) -> str | None:
        for _, root in probe.read_events():
            _refuse_dtd(root, self.member, self.name)
            return root.tag
        if required:
            raise refuse(
                self.name,
                Message(N_("beschädigt: „{member}“ ist kein gültiges XML (kein Element)"), member=self.member),
            )
        return None

    def replay(self) -> Iterator[bytes]:
        """The bytes the probe read, then the rest, each chunk checked by the decoder."""
        for index, chunk in enumerate(self.pending):
            if index >= self.decoded:
                self._decode(chunk)
            self.fed += len(chunk)
            yield chunk
        self.pending = []
        for chunk in self.stream:
            self._decode(chunk)
            self.fed += len(chunk)
            yield chunk
        self._decode(b"", final=True)


def _refuse_dtd(root: etree._Element, member: str, name: str) -> None:
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.externalDTD is not None or info.doctype:
        raise refuse(
            name,
            Message(
                N_(
                    "„{member}“ enthält eine DTD oder Entity-Deklaration (<!DOCTYPE/<!ENTITY); das kommt in echten "
                    "Word-Dateien nicht vor, die Datei wird nicht verarbeitet"
                ),
                member=member,
            ),
        )


def _drop(anchor: etree._Element, last_open: bool) -> None:
    """Drop every finished subtree below `anchor`.

    After a chunk, the parser is still inside the last child of each element on the path from the anchor
    down; everything before that last child is finished. After the end (last_open=False) all is finished.
    """
    node = anchor
    while node is not None and len(node):
        if not last_open:
            del node[:]
            return
        if len(node) > 1:
            del node[:-1]
        node = node[-1]


def _too_many(name: str, member: str, limit: int):
    return refuse(
        name,
        Message(
            N_(
                "„{member}“ hat mehr als {limit} XML-Knoten; so umfangreiche Teile verarbeiten wir nicht – bitte "
                "das Dokument teilen oder in Word neu speichern"
            ),
            member=member,
            limit=Fixed(limit, 0),
        ),
    )


def _syntax(name: str, member: str, exc: etree.XMLSyntaxError):
    message = exc.msg or str(exc)
    if "Excessive depth" in message:
        return refuse(
            name,
            Message(
                N_(
                    "„{member}“ ist mehr als {depth} Ebenen tief verschachtelt; so etwas schreibt kein "
                    "Office-Programm, die Datei wird nicht verarbeitet"
                ),
                member=member,
                depth=MAX_DEPTH,
            ),
        )
    return refuse(
        name, Message(N_("beschädigt: „{member}“ ist kein gültiges XML ({reason})"), member=member, reason=message)
    )


def pull_parser(events: tuple[str, ...]) -> etree.XMLPullParser:
    """A pull parser with the same safe options, for a part `scan` has already accepted."""
    return etree.XMLPullParser(events=events, **_SAFE)


def syntax_error(name: str, member: str, exc: etree.XMLSyntaxError):
    """The InputError for a part the parser refused (as `scan` and `parse` say it)."""
    return _syntax(name, member, exc)


def parse(data: bytes, member: str, name: str) -> etree._Element:
    """A part already scanned, as a whole tree (with the same safe parser)."""
    try:
        return etree.fromstring(data, etree.XMLParser(**_SAFE))
    except etree.XMLSyntaxError as exc:
        raise _syntax(name, member, exc) from None
