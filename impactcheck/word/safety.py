"""Accept only real .docx files, and check them before any XML of theirs is parsed.

`open_docx(source)` reads a file (bytes or a path) and returns a `CheckedDocx`, or raises `InputError`
with one German sentence saying what is wrong and what to do: not a ZIP, an encrypted file, a legacy .doc,
macros, too big, a ZIP bomb, a DTD or entity declaration in an XML part, missing or dangling parts.

Order matters: sizes come from the ZIP directory, so a bomb is refused before anything is decompressed;
every member is then read only as far as the start of its root element, to find a DTD (entity declarations
can only live in a DTD, and a DTD only before the root element). Only after that are the package's
[Content_Types].xml and relationship parts parsed, with the safe parser of `ooxml`.
"""

from __future__ import annotations

import codecs
import io
import os
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.numbers import format_number
from impactcheck.word import ooxml

MB = 1024 * 1024

CT_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CT_TEMPLATE = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_PROLOG_LIMIT = 64 * 1024  # characters before the root element; real parts need a few dozen


@dataclass(frozen=True)
class Limits:
    """What a .docx may cost us. Sizes in bytes; `max_ratio` applies to members over 1 MB unpacked."""

    max_bytes: int = 20 * MB
    max_members: int = 5_000
    max_uncompressed: int = 200 * MB
    max_ratio: int = 200


@dataclass
class CheckedDocx:
    """A .docx that passed every check, with what the checks found out on the way."""

    data: bytes
    zip: zipfile.ZipFile
    name: str  # for messages: the path, or the name the caller gave
    main_part: str  # ZIP member name of the main document part, e.g. "word/document.xml"
    content_types: etree._Element


def open_docx(source: bytes | str | os.PathLike[str], *, name: str | None = None, limits: Limits | None = None):
    """Read and check a .docx from bytes or a path; InputError (German, one line) if it is not acceptable."""
    limits = limits or Limits()
    data, name = _read(source, name, limits)
    return check_docx(data, name=name, limits=limits)


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
            raise _bad(name, "ist ein Ordner, keine Word-Datei")
        _check_size(size, name, limits)
        return path.read_bytes(), name
    except FileNotFoundError:
        raise _bad(name, "Datei nicht gefunden") from None
    except PermissionError:
        raise _bad(name, "keine Leseberechtigung") from None
    except OSError as exc:
        raise _bad(name, f"nicht lesbar ({exc.strerror or exc})") from None


def _bad(name: str, message: str) -> InputError:
    return InputError(Problem(message, file=name))


def _mb(size: int) -> str:
    return f"{format_number(size / MB, 1)} MB"


def _check_size(size: int, name: str, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise _bad(name, f"Datei ist {_mb(size)} groß; erlaubt sind höchstens {_mb(limits.max_bytes)}")
    if size == 0:
        raise _bad(name, "Datei ist leer")


def check_docx(data: bytes, *, name: str = "Word-Datei", limits: Limits | None = None) -> CheckedDocx:
    limits = limits or Limits()
    _check_size(len(data), name, limits)
    _check_magic(data, name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _bad(name, "beschädigt: das ZIP-Archiv der .docx-Datei ist nicht lesbar") from None
    _check_directory(infos, name, limits)
    names = {i.filename for i in infos}
    if "mimetype" in names and zf.read("mimetype").strip() == ODT_MIMETYPE:
        raise _bad(name, "OpenDocument-Text (.odt), keine .docx-Datei; bitte im Format Word (.docx) speichern")
    if "[Content_Types].xml" not in names:
        raise _bad(name, "keine .docx-Datei: [Content_Types].xml fehlt (ZIP-Archiv, aber kein Office-Dokument)")
    _check_macros(infos, name)
    for info in infos:
        _check_no_dtd(zf, info, name)
    content_types = _parse_member(zf, "[Content_Types].xml", name)
    _check_macro_types(content_types, name)
    main = _main_part(zf, names, name)
    _check_main_type(content_types, main, name)
    _check_relationships(zf, names, name)
    return CheckedDocx(data=data, zip=zf, name=name, main_part=main, content_types=content_types)


def _check_magic(data: bytes, name: str) -> None:
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise _bad(name, "Datei ist verschlüsselt (Kennwortschutz); bitte ohne Kennwort als .docx speichern")
        if "WordDocument".encode("utf-16-le") in data:
            raise _bad(name, "altes Word-Format .doc, bitte als .docx speichern")
        raise _bad(name, "älteres Office-Format (OLE-Container), keine .docx-Datei; bitte als .docx speichern")
    if data.startswith(b"{\\rtf"):
        raise _bad(name, "RTF-Datei, keine .docx-Datei; bitte als .docx speichern")
    if data.startswith(b"%PDF"):
        raise _bad(name, "PDF-Datei, keine .docx-Datei; bitte die Word-Datei der Vorlage verwenden")
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise _bad(name, "keine Word-Datei im Format .docx; bitte die Vorlage in Word als .docx speichern")


def _check_directory(infos: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    """Everything the ZIP directory tells before any member is unpacked: count, sizes, ratios, oddities."""
    bomb = " – möglicherweise eine ZIP-Bombe"
    if len(infos) > limits.max_members:
        raise _bad(name, f"zu viele Einträge im ZIP-Archiv ({len(infos)}, höchstens {limits.max_members}){bomb}")
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        raise _bad(name, f"entpackt {_mb(total)}, erlaubt sind höchstens {_mb(limits.max_uncompressed)}{bomb}")
    seen: set[str] = set()
    for info in infos:
        if info.file_size > MB and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _bad(
                name,
                f"„{info.filename}“ wird auf {_mb(info.file_size)} entpackt, mehr als das "
                f"{limits.max_ratio}-Fache seiner Größe{bomb}",
            )
        if info.flag_bits & 0x1:
            raise _bad(name, "Datei enthält verschlüsselte Teile; bitte ohne Kennwort als .docx speichern")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _bad(name, f"„{info.filename}“ ist mit einem in .docx nicht üblichen Verfahren gepackt")
        key = info.filename.lower()
        if key in seen:
            raise _bad(name, f"beschädigt: „{info.filename}“ kommt im ZIP-Archiv doppelt vor")
        seen.add(key)


_MACRO_REASON = (
    "enthält Makros (.docm/.dotm); Makros könnten beim Öffnen Programmcode ausführen, darum nehmen wir "
    "solche Dateien nicht an – bitte als .docx ohne Makros speichern"
)


def _check_macros(infos: list[zipfile.ZipInfo], name: str) -> None:
    for info in infos:
        if posixpath.basename(info.filename).lower() in ("vbaproject.bin", "vbadata.xml"):
            raise _bad(name, f"Datei {_MACRO_REASON}")


def _check_macro_types(content_types: etree._Element, name: str) -> None:
    for node in content_types:
        ctype = (node.get("ContentType") or "").lower()
        if "macroenabled" in ctype or "vbaproject" in ctype:
            raise _bad(name, f"Datei {_MACRO_REASON}")


def _check_no_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    if info.is_dir() or info.file_size == 0:
        return
    try:
        with zf.open(info) as stream:
            verdict = prolog_has_dtd(stream)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise _bad(name, f"beschädigt: „{info.filename}“ lässt sich nicht entpacken") from None
    if verdict:
        raise _bad(
            name,
            f"„{info.filename}“ enthält eine DTD oder Entity-Deklaration (<!DOCTYPE/<!ENTITY); "
            "das kommt in echten Word-Dateien nicht vor, die Datei wird nicht verarbeitet",
        )


def prolog_has_dtd(stream: io.BufferedIOBase) -> bool:
    """True if the XML read from `stream` declares anything (<!DOCTYPE, <!ENTITY, …) before its root.

    Reads only the prolog. A stream that does not start like XML (an image, say) answers False; an
    unusually long prolog counts as a declaration, because no honest part has one.
    """
    head = stream.read(4)
    encoding, skip = "latin-1", 0
    if head.startswith(codecs.BOM_UTF8):
        encoding, skip = "utf-8", 3
    elif head.startswith((codecs.BOM_UTF16_LE, b"<\x00")):
        encoding, skip = "utf-16-le", 2 if head.startswith(codecs.BOM_UTF16_LE) else 0
    elif head.startswith((codecs.BOM_UTF16_BE, b"\x00<")):
        encoding, skip = "utf-16-be", 2 if head.startswith(codecs.BOM_UTF16_BE) else 0
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    buf = decoder.decode(head[skip:])
    if buf.lstrip()[:1] not in ("<", ""):
        return False
    while True:
        buf = buf.lstrip()
        end = None
        if buf.startswith("<?"):
            end = buf.find("?>", 2)
            end = None if end < 0 else end + 2
        elif buf.startswith("<!--"):
            end = buf.find("-->", 4)
            end = None if end < 0 else end + 3
        elif buf.startswith("<!"):
            return True
        elif buf.startswith("<") and len(buf) > 1:
            return False
        elif buf and not buf.startswith("<"):
            return False  # not XML after all, or text before the root: the parser will say so
        if end is not None:
            buf = buf[end:]
            continue
        chunk = stream.read(4096)
        if not chunk:
            return False
        buf += decoder.decode(chunk)
        if len(buf) > _PROLOG_LIMIT:
            return True


def _parse_member(zf: zipfile.ZipFile, member: str, name: str) -> etree._Element:
    try:
        return ooxml.parse(zf.read(member))
    except etree.XMLSyntaxError as exc:
        raise _bad(name, f"beschädigt: „{member}“ ist kein gültiges XML ({exc.msg})") from None


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


def _main_part(zf: zipfile.ZipFile, names: set[str], name: str) -> str:
    if "_rels/.rels" not in names:
        raise _bad(name, "beschädigt: _rels/.rels fehlt, das Hauptdokument ist nicht auffindbar")
    rels = _parse_member(zf, "_rels/.rels", name)
    found = [r for r in internal_relationships(rels) if r.get("Type") == ooxml.REL_OFFICE_DOCUMENT]
    if not found:
        if any(r.get("Type") == ooxml.STRICT_OFFICE_DOCUMENT for r in rels):
            raise _bad(
                name,
                "Format „Strict Open XML“ wird nicht unterstützt; bitte als „Word-Dokument (*.docx)“ speichern",
            )
        raise _bad(name, "keine Word-Datei: das Archiv nennt kein Hauptdokument")
    main = resolve_target("", found[0].get("Target") or "")
    if main not in names:
        raise _bad(name, f"beschädigt: das Hauptdokument „{main}“ fehlt")
    return main


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
        raise _bad(name, "Dokumentvorlage (.dotx), kein Dokument; bitte als .docx speichern")
    if "spreadsheetml" in ctype:
        raise _bad(name, "Excel-Datei, keine Word-Datei (.docx)")
    if "presentationml" in ctype:
        raise _bad(name, "PowerPoint-Datei, keine Word-Datei (.docx)")
    raise _bad(name, f"keine Word-Datei: das Hauptdokument hat den Typ „{ctype or 'unbekannt'}“")


def _check_relationships(zf: zipfile.ZipFile, names: set[str], name: str) -> None:
    """Every internal relationship reachable from the package points to a part that exists.

    Word and python-docx both refuse a package with a dangling one; better to say so now, clearly.
    """
    lower = {n.lower(): n for n in names}
    todo, seen = [""], set()
    while todo:
        part = todo.pop()
        if part in seen:
            continue
        seen.add(part)
        member = rels_member(part)
        if member not in names:
            continue
        for rel in internal_relationships(_parse_member(zf, member, name)):
            target = resolve_target(part, rel.get("Target") or "")
            actual = target if target in names else lower.get(target.lower())
            if actual is None:
                where = part or "das Paket"
                raise _bad(name, f"beschädigt: „{target}“ fehlt, obwohl „{where}“ darauf verweist")
            todo.append(actual)
