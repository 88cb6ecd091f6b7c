"""Hostile and oversized .docx files, built here from a clean one (also used by bench/bench_hostile_uploads.py).

`raw_zip` writes an archive byte by byte, so that it can lie: sizes and CRCs in the directory that do not
match the data, member names outside the package, a local header that names another file. The generators
stream, so that a 200 MB document.xml never sits in memory here either.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MB = 1024 * 1024
TEXT = (
    "Der Magistrat wird beauftragt die Maßnahme im Rahmen der verfügbaren Haushaltsmittel umzusetzen und dem "
    "Ausschuss über den Fortschritt zu berichten Die Planung berücksichtigt Vorgaben des Klimaschutzkonzepts"
)
WORDS = TEXT.split(" ")


@dataclass
class Entry:
    name: str
    data: bytes = b""  # unpacked content (ignored when `packed` is given)
    packed: bytes | None = None  # deflated bytes as they go into the archive
    crc: int | None = None  # what the headers claim (default: the real CRC of `data`)
    size: int | None = None  # what the headers claim as unpacked size (default: the real one)
    local_name: str | None = None  # the name in the local header (default: `name`)
    stored: bool = False


def raw_zip(entries: Iterable[Entry]) -> bytes:
    out = io.BytesIO()
    central = []
    for e in entries:
        if e.packed is not None:
            method, packed = zipfile.ZIP_DEFLATED, e.packed
        elif e.stored:
            method, packed = zipfile.ZIP_STORED, e.data
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            method, packed = zipfile.ZIP_DEFLATED, c.compress(e.data) + c.flush()
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        size = len(e.data) if e.size is None else e.size
        name = e.name.encode("utf-8")
        local = (e.local_name or e.name).encode("utf-8")
        offset = out.tell()
        fields = (method, 0, 0x21, crc, len(packed), size)  # method, time, date (1980-01-01), CRC, sizes
        out.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0x800, *fields, len(local), 0) + local + packed)
        tail = (len(name), 0, 0, 0, 0, 0, offset)  # name, extra, comment, disk, attributes, local header
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0x800, *fields, *tail) + name)
    start = out.tell()
    for c in central:
        out.write(c)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def entries_of(docx: bytes) -> list[Entry]:
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return [Entry(i.filename, zf.read(i.filename)) for i in zf.infolist()]


def replaced(docx: bytes, **changes: Entry) -> list[Entry]:
    """The entries of `docx`, with those named in `changes` (by their name) replaced."""
    by_name = {e.name: e for e in changes.values()}
    out = [by_name.pop(e.name, e) for e in entries_of(docx)]
    return out + list(by_name.values())


def with_attached_template(docx: bytes, target: str) -> bytes:
    """`docx` whose settings attach the document template `target` on a server (an external link that
    Word would follow on opening): the insertion drops it and says so."""
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'attachedTemplate" Target="{target}" TargetMode="External"/></Relationships>'
    )
    settings = {e.name: e.data for e in entries_of(docx)}["word/settings.xml"].replace(
        b"<w:defaultTabStop",
        b'<w:attachedTemplate xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        b'r:id="rId1"/><w:defaultTabStop',
        1,
    )
    entries = replaced(docx, s=Entry("word/settings.xml", settings))
    return raw_zip([*entries, Entry("word/_rels/settings.xml.rels", rels.encode())])


def deflated(chunks: Iterable[bytes]) -> tuple[bytes, int, int]:
    """(deflated bytes, CRC, size) of a stream of chunks, without holding the unpacked text."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out, crc, size = io.BytesIO(), 0, 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out.write(c.compress(chunk))
    out.write(c.flush())
    return out.getvalue(), crc, size


def zeros(size: int) -> Iterator[bytes]:
    block = b"\0" * MB
    for _ in range(size // MB):
        yield block
    yield b"\0" * (size % MB)


# --- document.xml of any size -------------------------------------------------------------------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<w:document xmlns:w="{W_NS}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>'
).encode()
TAIL = (
    b'<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1417" w:right="1417" w:bottom="1134" '
    b'w:left="1417" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>'
)


def word_paragraphs(size: int, seed: int = 1) -> Iterator[bytes]:
    """About `size` bytes of body as Word writes it: paragraphs of formatted runs (some bold), a heading now
    and then, "Finanzielle Auswirkungen" in the middle. Random words, so it compresses like real text (about 1:8)."""
    rng = random.Random(seed)
    written, n, middle = 0, 0, False
    while written < size:
        n += 1
        if not middle and written > size // 2:
            middle = True
            block = (
                '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Finanzielle Auswirkungen</w:t></w:r>'
                "</w:p><w:p><w:r><w:t>Die Kosten betragen 180.000 Euro.</w:t></w:r></w:p>"
            )
        elif n % 40 == 0:
            block = f'<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Abschnitt {n}</w:t></w:r></w:p>'
        else:
            runs = "".join(
                f'<w:r w:rsidR="00{rng.randrange(16**6):06X}"><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial"/>'
                f'{"<w:b/>" if i == 1 else ""}<w:sz w:val="22"/></w:rPr>'
                f'<w:t xml:space="preserve">{" ".join(rng.choices(WORDS, k=12))} </w:t></w:r>'
                for i in range(rng.randint(1, 4))  # the second run of a paragraph in bold, as authors do
            )
            block = (
                f'<w:p w:rsidR="00{rng.randrange(16**6):06X}" w:rsidRDefault="00{rng.randrange(16**6):06X}">'
                f'<w:pPr><w:spacing w:after="120"/><w:jc w:val="both"/></w:pPr>{runs}</w:p>'
            )
        data = block.encode()
        written += len(data)
        yield data


def repeated_paragraphs(size: int) -> Iterator[bytes]:
    """About `size` bytes of the same paragraph, with a random letter now and then: it packs about 1:130,
    as the issue's 1.5 MB file with a 199 MiB document.xml does, within a ZIP-bomb ratio of 200."""
    rng = random.Random(2)
    block = (
        b'<w:p><w:r><w:t xml:space="preserve">Der Ausschuss beschlie\xc3\x9ft die Ma\xc3\x9fnahme.</w:t></w:r></w:p>'
    )
    letters = b"abcdefghijklmnopqrstuvwxyz"
    piece = block * 12
    for _ in range(size // (len(piece) * 1000 + 34_000)):
        yield b"".join(piece + b"<w:p><w:r><w:t>" + bytes(rng.choices(letters, k=2)) + b"</w:t></w:r></w:p>"
                       for _ in range(1000))  # fmt: skip


def empty_paragraphs(count: int, seed: int = 1) -> Iterator[bytes]:
    """The most blocks per byte a parser can be made to handle: empty paragraphs, each followed by a few
    random letters so that the whole does not compress beyond the ZIP-bomb ratio."""
    rng = random.Random(seed)
    letters = b"abcdefghijklmnopqrstuvwxyz0123456789"
    for done in range(0, count, 10_000):
        yield b"".join(b"<w:p/>" + bytes(rng.choices(letters, k=3)) for _ in range(min(10_000, count - done)))


def document_xml(body: Iterable[bytes], batch: int = MB) -> Iterator[bytes]:
    """The body wrapped in w:document, in pieces of about `batch` bytes."""
    pending, size = [HEAD], len(HEAD)
    for piece in body:
        pending.append(piece)
        size += len(piece)
        if size >= batch:
            yield b"".join(pending)
            pending, size = [], 0
    pending.append(TAIL)
    yield b"".join(pending)


def with_document(docx: bytes, body: Iterable[bytes]) -> bytes:
    """`docx` with its word/document.xml replaced by one with this body (deflated as it is generated)."""
    packed, crc, size = deflated(document_xml(body))
    entries = []
    for e in entries_of(docx):
        if e.name == "word/document.xml":
            e = Entry(e.name, b"", packed=packed, crc=crc, size=size)
        entries.append(e)
    return raw_zip(entries)


def nested(depth: int) -> bytes:
    """A paragraph inside `depth` levels of w:sdt/w:sdtContent (the depth a parser has to follow)."""
    return b"<w:sdt><w:sdtContent>" * (depth // 2) + b"<w:p/>" + b"</w:sdtContent></w:sdt>" * (depth // 2)
