"""Accept only real .docx files that we can process within the limits, and find that out before storing them.

`open_docx(source)` reads a file (bytes or a path) and returns a `CheckedDocx`, or raises `InputError` with
one German sentence saying what is wrong and what to do: not a ZIP, an encrypted file, a legacy .doc,
macros, too big, a ZIP bomb, a member outside the package, a DTD or an encoding Office packages do not
allow, broken XML, missing or dangling parts, a structure that would cost too much to process.

The check does everything the insertion will do to the file except inserting: every member is inflated
(counted against the limits while it inflates, its CRC compared), every XML part is parsed with the safe
parser (`xmlread`), the main document is read the way the insertion reads it (`skeleton`), and the parts the
insertion holds as whole trees are held to the tree limit. So a file the check accepts can be processed,
and a file it refuses is refused at upload, before it is stored. Relationships that would fetch something
from outside when the document is opened are found here and reported in `notes`; the insertion drops them.
A Strict Open XML package is converted to Transitional (`strict`) and the converted package checked in
full; from then on it is that package that is processed, and the output is Transitional.
"""

from __future__ import annotations

import io
import os
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from impactcheck.core.i18n import N_, Message
from impactcheck.word import externals, ooxml, xmlread
from impactcheck.word.jobs import SLOTS
from impactcheck.word.limits import MB, Clock, Fixed, Limits, mb, refuse
from impactcheck.word.skeleton import Skeleton
from impactcheck.word.styles import StyleSheet
from impactcheck.word.zipread import Reader, check_names

__all__ = ["MB", "CheckedDocx", "Limits", "check_docx", "open_docx"]

CT_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CT_TEMPLATE = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


@dataclass
class CheckedDocx:
    """A .docx that passed every check, with what the checks found out on the way."""

    data: bytes
    zip: zipfile.ZipFile
    name: str  # for messages: the path, or the name the caller gave
    main_part: str  # ZIP member name of the main document part, e.g. "word/document.xml"
    content_types: etree._Element
    reader: Reader  # inflates members within the limits
    limits: Limits
    clock: Clock
    tree_nodes: int = 0  # nodes of the parts the insertion holds as whole trees
    styles: StyleSheet | None = None  # the styles part as the check read it: the insertion uses it, no second parse
    fetching: list[externals.External] = field(default_factory=list)  # dropped by the insertion
    # Sentences for the user about what is dropped: German Messages, translated where they are shown.
    notes: list[str] = field(default_factory=list)


def open_docx(
    source: bytes | str | os.PathLike[str], *, name: str | None = None, limits: Limits | None = None
) -> CheckedDocx:
    """Read and check a .docx from bytes or a path; InputError (one line, in the reader's language where it is
    shown) if it is not acceptable."""
    limits = limits or Limits()
    with SLOTS.slot(jobs=limits.max_jobs, queued=limits.max_queued, wait=limits.queue_seconds):
        data, name = _read(source, name, limits)
        return check(data, name, limits, Clock(limits.max_seconds, name))


def check_docx(data: bytes, *, name: str = "Word-Datei", limits: Limits | None = None) -> CheckedDocx:
    limits = limits or Limits()
    with SLOTS.slot(jobs=limits.max_jobs, queued=limits.max_queued, wait=limits.queue_seconds):
        return check(data, name, limits, Clock(limits.max_seconds, name))


def _read(source: bytes | str | os.PathLike[str], name: str | None, limits: Limits) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        _check_size(len(data), name or "Word-Datei", limits)
        return data, name or "Word-Datei"
    path = Path(source)
    name = name or str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise refuse(name, Message(N_("ist ein Ordner, keine Word-Datei")))
        _check_size(size, name, limits)
        return path.read_bytes(), name
    except FileNotFoundError:
        raise refuse(name, Message(N_("Datei nicht gefunden"))) from None
    except PermissionError:
        raise refuse(name, Message(N_("keine Leseberechtigung"))) from None
    except OSError as exc:
        raise refuse(name, Message(N_("nicht lesbar ({reason})"), reason=exc.strerror or str(exc))) from None


def _check_size(size: int, name: str, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise refuse(
            name,
            Message(
                N_("Datei ist {size} groß; erlaubt sind höchstens {limit}"), size=mb(size), limit=mb(limits.max_bytes)
            ),
        )
    if size == 0:
        raise refuse(name, Message(N_("Datei ist leer")))


def check(data: bytes, name: str, limits: Limits, clock: Clock, *, from_strict: bool = False) -> CheckedDocx:
    """The whole check, without taking a processing slot (the caller holds one, or the file is our own).

    A Strict Open XML package is converted to Transitional (`strict`) and the result checked again, as a
    whole and within the same limits and clock (`from_strict`: that result, whose size follows from the
    checked original's); the CheckedDocx is then that of the Transitional package.
    """
    if not from_strict:
        _check_size(len(data), name, limits)
    _check_magic(data, name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise refuse(name, Message(N_("beschädigt: das ZIP-Archiv der .docx-Datei ist nicht lesbar"))) from None
    _check_directory(infos, name, limits)
    check_names(infos, name)
    reader = Reader(data, infos, name, limits, clock)
    parts = _Parts(reader, {i.filename: i for i in infos}, name, limits, clock)
    if "mimetype" in parts.infos and parts.read("mimetype", limit=MB).strip() == ODT_MIMETYPE:
        raise refuse(
            name, Message(N_("OpenDocument-Text (.odt), keine .docx-Datei; bitte im Format Word (.docx) speichern"))
        )
    if "[Content_Types].xml" not in parts.infos:
        raise refuse(
            name,
            Message(N_("keine .docx-Datei: [Content_Types].xml fehlt (ZIP-Archiv, aber kein Office-Dokument)")),
        )
    _check_macros(infos, name)
    content_types = parts.whole("[Content_Types].xml")
    _check_macro_types(content_types, name)
    parts.content_types = content_types
    if not from_strict and "_rels/.rels" in parts.infos and ooxml.is_strict(parts.whole("_rels/.rels")):
        from impactcheck.word import strict  # the converter's tables: loaded for a Strict file only

        converted = strict.to_transitional(reader, infos, parts.is_xml, zf.comment, name, limits, clock)
        checked = check(converted, name, limits, clock, from_strict=True)
        checked.notes.insert(0, strict.NOTE)
        return checked
    main = _main_part(parts, name)
    _check_main_type(content_types, main, name)
    fetching = _check_relationships(parts, name)
    sources = {e.source for e in fetching if e.source and e.source != main}
    styles = _related(parts, main, ooxml.REL_STYLES)
    sheet = StyleSheet(parts.whole(styles) if styles else None)
    for info in infos:
        if info.filename not in parts.scanned and info.filename != main:
            parts.scan(info, whole_later=info.filename in sources)
    main_ids = {e.rel_id for e in fetching if e.source == main}
    skeleton = Skeleton(sheet, main_ids, limits, main, name, keep_text=False, tree_nodes=parts.tree_nodes)
    skeleton.read(reader.chunks(parts.infos[main], limit=limits.max_xml_part, count=True), clock)
    return CheckedDocx(
        data=data,
        zip=zf,
        name=name,
        main_part=main,
        content_types=content_types,
        reader=reader,
        limits=limits,
        clock=clock,
        tree_nodes=parts.tree_nodes,
        styles=sheet,
        fetching=fetching,
        notes=externals.notes(fetching),
    )


class _Parts:
    """The members met so far: each is inflated (and counted) once by the check, parsed as XML if it is XML."""

    def __init__(self, reader: Reader, infos: dict[str, zipfile.ZipInfo], name: str, limits: Limits, clock: Clock):
        self.reader, self.infos, self.name, self.limits, self.clock = reader, infos, name, limits, clock
        self.scanned: set[str] = set()
        self.trees: dict[str, etree._Element] = {}
        self.tree_nodes = 0  # nodes of the parts held (now or by the insertion) as whole trees
        self.content_types: etree._Element | None = None
        self.lower = {n.lower(): n for n in infos}

    def read(self, member: str, *, limit: int | None = None) -> bytes:
        return self.reader.read(self.infos[member], limit=limit)

    def is_xml(self, info: zipfile.ZipInfo) -> bool:
        member = info.filename
        if member == "[Content_Types].xml" or member.lower().endswith(".rels"):
            return True
        ctype = content_type_of(self.content_types, member) if self.content_types is not None else None
        if ctype is not None:
            return ctype.split(";")[0].strip().lower().endswith(("+xml", "/xml"))
        # Not a part (no content type): Word ignores it, but we copy it, so what looks like XML is checked.
        head = next(self.reader.chunks(info), b"")[:64]
        family, bom, _ = xmlread.detect_encoding(head)
        return family != "utf-8" or head[bom:].lstrip()[:1] == b"<"

    def scan(self, info: zipfile.ZipInfo, *, whole_later: bool = False) -> None:
        """Inflate the member once, counting every byte; parse it if it is XML (refusing what is unsafe)."""
        self.scanned.add(info.filename)
        if info.is_dir():
            return
        if not whole_later and not self.is_xml(info):  # a part held whole is parsed as XML, whatever its type says
            for _ in self.reader.chunks(info, count=True):
                pass
            return
        chunks = self.reader.chunks(info, limit=self.limits.max_xml_part, count=True)
        if whole_later:  # held as a tree: parsed once, here, within the tree limit
            self.trees[info.filename], nodes = xmlread.parse_whole(
                chunks, info.filename, self.name, self.limits, self.clock, lambda nodes: self._fits(info, nodes)
            )
            self.tree_nodes += nodes
            return
        if info.file_size == 0:
            return  # an empty XML member: nothing in it to parse or fear
        xmlread.scan(chunks, info.filename, self.name, self.limits, self.clock)

    def _fits(self, info: zipfile.ZipInfo, nodes: int) -> None:
        """Refuse a part whose `nodes` would not fit beside the trees already held."""
        if self.tree_nodes + nodes > self.limits.max_tree_nodes:
            raise refuse(
                self.name,
                Message(
                    N_(
                        "„{member}“ ist zu umfangreich, um ihn zu bearbeiten (mit den anderen Teilen, die dafür "
                        "ganz gelesen werden, mehr als {limit} XML-Knoten)"
                    ),
                    member=info.filename,
                    limit=Fixed(self.limits.max_tree_nodes, 0),
                ),
            )

    def whole(self, member: str) -> etree._Element:
        """A part the insertion holds as a tree: counted first (so its size is known), then parsed once."""
        if member not in self.trees:
            self.scan(self.infos[member], whole_later=True)
        if member not in self.trees:  # a folder entry: nothing to parse
            return xmlread.parse(b"", member, self.name)
        return self.trees[member]


def _check_magic(data: bytes, name: str) -> None:
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise refuse(
                name, Message(N_("Datei ist verschlüsselt (Kennwortschutz); bitte ohne Kennwort als .docx speichern"))
            )
        if "WordDocument".encode("utf-16-le") in data:
            raise refuse(name, Message(N_("altes Word-Format .doc, bitte als .docx speichern")))
        raise refuse(
            name, Message(N_("älteres Office-Format (OLE-Container), keine .docx-Datei; bitte als .docx speichern"))
        )
    if data.startswith(b"{\\rtf"):
        raise refuse(name, Message(N_("RTF-Datei, keine .docx-Datei; bitte als .docx speichern")))
    if data.startswith(b"%PDF"):
        raise refuse(name, Message(N_("PDF-Datei, keine .docx-Datei; bitte die Word-Datei der Vorlage verwenden")))
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise refuse(
            name, Message(N_("keine Word-Datei im Format .docx; bitte die Vorlage in Word als .docx speichern"))
        )


def _check_directory(infos: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    """What the ZIP directory tells before anything is unpacked. Its sizes are claims: a claim over a limit
    is refused now; a claim under it is held to when inflating (zipread)."""
    if len(infos) > limits.max_members:
        raise refuse(
            name,
            Message(
                N_("zu viele Einträge im ZIP-Archiv ({count}, höchstens {limit}) – möglicherweise eine ZIP-Bombe"),
                count=len(infos),
                limit=limits.max_members,
            ),
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        raise refuse(
            name,
            Message(
                N_("entpackt {size}, erlaubt sind höchstens {limit} – möglicherweise eine ZIP-Bombe"),
                size=mb(total),
                limit=mb(limits.max_uncompressed),
            ),
        )
    seen: set[str] = set()
    for info in infos:
        if info.file_size > MB and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise refuse(
                name,
                Message(
                    N_(
                        "„{member}“ wird auf {size} entpackt, mehr als das {ratio}-Fache seiner Größe – "
                        "möglicherweise eine ZIP-Bombe"
                    ),
                    member=info.filename,
                    size=mb(info.file_size),
                    ratio=limits.max_ratio,
                ),
            )
        if info.flag_bits & 0x1:
            raise refuse(
                name, Message(N_("Datei enthält verschlüsselte Teile; bitte ohne Kennwort als .docx speichern"))
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(
                name,
                Message(N_("„{member}“ ist mit einem in .docx nicht üblichen Verfahren gepackt"), member=info.filename),
            )
        key = info.filename.lower()
        if key in seen:
            raise refuse(
                name, Message(N_("beschädigt: „{member}“ kommt im ZIP-Archiv doppelt vor"), member=info.filename)
            )
        seen.add(key)


MACROS = N_(
    "Datei enthält Makros (.docm/.dotm); Makros könnten beim Öffnen Programmcode ausführen, darum nehmen wir "
    "solche Dateien nicht an – bitte als .docx ohne Makros speichern"
)


def _check_macros(infos: list[zipfile.ZipInfo], name: str) -> None:
    for info in infos:
        if posixpath.basename(info.filename).lower() in ("vbaproject.bin", "vbadata.xml"):
            raise refuse(name, Message(MACROS))


def _check_macro_types(content_types: etree._Element, name: str) -> None:
    for node in content_types:
        ctype = (node.get("ContentType") or "").lower()
        if "macroenabled" in ctype or "vbaproject" in ctype:
            raise refuse(name, Message(MACROS))


def rels_member(part: str) -> str:
    """'word/document.xml' -> 'word/_rels/document.xml.rels'; '' (the package) -> '_rels/.rels'."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def resolve_target(source_part: str, target: str) -> str:
    """The ZIP member a relationship of `source_part` points to."""
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def internal_relationships(rels: etree._Element) -> list[etree._Element]:
    return [r for r in rels.iter(ooxml.qn("pr:Relationship")) if (r.get("TargetMode") or "Internal") != "External"]


def _main_part(parts: _Parts, name: str) -> str:
    if "_rels/.rels" not in parts.infos:
        raise refuse(name, Message(N_("beschädigt: _rels/.rels fehlt, das Hauptdokument ist nicht auffindbar")))
    rels = parts.whole("_rels/.rels")
    found = [r for r in internal_relationships(rels) if r.get("Type") == ooxml.REL_OFFICE_DOCUMENT]
    if not found:
        raise refuse(name, Message(N_("keine Word-Datei: das Archiv nennt kein Hauptdokument")))
    main = resolve_target("", found[0].get("Target") or "")
    if main not in parts.infos:
        raise refuse(name, Message(N_("beschädigt: das Hauptdokument „{main}“ fehlt"), main=main))
    return main


def _related(parts: _Parts, source: str, rel_type: str) -> str | None:
    member = rels_member(source)
    if member not in parts.infos:
        return None
    for rel in internal_relationships(parts.whole(member)):
        if rel.get("Type") == rel_type:
            target = resolve_target(source, rel.get("Target") or "")
            return target if target in parts.infos else parts.lower.get(target.lower())
    return None


def content_type_of(content_types: etree._Element, member: str) -> str | None:
    partname = "/" + member
    for node in content_types.iter(ooxml.qn("ct:Override")):
        if (node.get("PartName") or "").lower() == partname.lower():
            return node.get("ContentType")
    ext = posixpath.splitext(member)[1].lstrip(".").lower()
    for node in content_types.iter(ooxml.qn("ct:Default")):
        if (node.get("Extension") or "").lower() == ext:
            return node.get("ContentType")
    return None


def _check_main_type(content_types: etree._Element, main: str, name: str) -> None:
    ctype = content_type_of(content_types, main) or ""
    if ctype == CT_DOCUMENT:
        return
    if ctype == CT_TEMPLATE:
        raise refuse(name, Message(N_("Dokumentvorlage (.dotx), kein Dokument; bitte als .docx speichern")))
    if "spreadsheetml" in ctype:
        raise refuse(name, Message(N_("Excel-Datei, keine Word-Datei (.docx)")))
    if "presentationml" in ctype:
        raise refuse(name, Message(N_("PowerPoint-Datei, keine Word-Datei (.docx)")))
    raise refuse(
        name,
        Message(N_("keine Word-Datei: das Hauptdokument hat den Typ „{type}“"), type=ctype or Message(N_("unbekannt"))),
    )


def _check_relationships(parts: _Parts, name: str) -> list[externals.External]:
    """Every internal relationship reachable from the package points to a part that exists; returns the
    external ones Word would follow on opening.

    Word and python-docx both refuse a package with a dangling one; better to say so now, clearly.
    """
    todo, seen = [""], set()
    fetching: list[externals.External] = []
    while todo:
        part = todo.pop()
        if part in seen:
            continue
        seen.add(part)
        member = rels_member(part)
        if member not in parts.infos:
            continue
        rels = parts.whole(member)
        fetching += externals.fetching(rels, part, member)
        for rel in internal_relationships(rels):
            target = resolve_target(part, rel.get("Target") or "")
            actual = target if target in parts.infos else parts.lower.get(target.lower())
            if actual is None:
                where = part or Message(N_("das Paket"))
                raise refuse(
                    name,
                    Message(
                        N_("beschädigt: „{target}“ fehlt, obwohl „{source}“ darauf verweist"),
                        target=target,
                        source=where,
                    ),
                )
            todo.append(actual)
    return fetching
