"""The members of a .docx, read without trusting the ZIP directory.

The directory says where a member starts, how big it is packed and unpacked, and its CRC. We use the
first two to find the bytes (checking that the local header agrees and that no two members share bytes)
and treat the other two as claims: every member is inflated in chunks, its real size counted as it comes
out and refused the moment it passes a limit or the size claimed, and its CRC compared at the end.
"""

from __future__ import annotations

import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from impactcheck.core.i18n import N_, Message
from impactcheck.word.limits import MB, Clock, Limits, mb, refuse

LOCAL = struct.Struct("<4s2B4HL2L2H")
CHUNK = 256 * 1024  # unpacked bytes per step: small enough to check limits and the clock often
_DRIVE = re.compile(r"^[A-Za-z]:")


class Span(NamedTuple):
    header: int  # offset of the local header
    start: int  # first byte of the packed data
    end: int  # one past its last byte


def check_names(infos: list[zipfile.ZipInfo], name: str) -> None:
    """Every member lies inside the package tree: no '..', no absolute path, no drive, no backslash."""
    for info in infos:
        member = info.filename
        segments = member.rstrip("/").split("/") if info.is_dir() else member.split("/")
        outside = (
            member.startswith("/")
            or "\\" in member
            or _DRIVE.match(member)
            or any(s in ("", ".", "..") for s in segments)
            or any(ord(c) < 0x20 for c in member)
        )
        if outside:
            raise refuse(
                name,
                Message(
                    N_(
                        "der Eintrag „{member}“ liegt außerhalb des Dokuments (Pfad mit „..“, „/“ am Anfang, "
                        "Laufwerk oder „\\“); so etwas schreibt kein Office-Programm, die Datei wird nicht verarbeitet"
                    ),
                    member=_printable(member),
                ),
            )


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)[:120]


def spans(data: bytes | memoryview, infos: list[zipfile.ZipInfo], name: str) -> dict[str, Span]:
    """Where each member's packed bytes are; refuses headers that disagree with the directory and overlaps."""
    view = memoryview(data)
    found: dict[str, Span] = {}
    for info in infos:
        start = info.header_offset
        header = bytes(view[start : start + LOCAL.size])
        if len(header) < LOCAL.size or header[:4] != b"PK\x03\x04":
            raise _broken(name, N_("beschädigt: Eintrag „{member}“ im ZIP-Archiv ist defekt"), info.filename)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        raw_name = bytes(view[start + 30 : start + 30 + name_len])
        if raw_name != _raw_name(info):
            raise _broken(name, N_("beschädigt: Eintrag „{member}“ heißt im Archiv zweimal anders"), info.filename)
        begin = start + 30 + name_len + extra_len
        end = begin + info.compress_size
        if end > len(view):
            raise _broken(name, N_("beschädigt: Eintrag „{member}“ ist abgeschnitten"), info.filename)
        found[info.filename] = Span(start, begin, end)
    ordered = sorted(found.items(), key=lambda item: item[1].header)
    for (first, a), (_, b) in itertools.pairwise(ordered):
        if b.header < a.end:
            raise _broken(
                name,
                N_("beschädigt: Einträge im ZIP-Archiv überlappen sich („{member}“) – möglicherweise eine ZIP-Bombe"),
                first,
            )
    return found


def _broken(name: str, pattern: str, member: str):
    """The InputError for member `member` of file `name`: `pattern` names it as {member}."""
    return refuse(name, Message(pattern, member=_printable(member)))


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


class Reader:
    """Inflates members of one archive, counting every byte against the limits."""

    def __init__(self, data: bytes, infos: list[zipfile.ZipInfo], name: str, limits: Limits, clock: Clock):
        self.view = memoryview(data)
        self.name = name
        self.limits = limits
        self.clock = clock
        self.spans = spans(self.view, infos, name)
        self.total = 0  # unpacked bytes of every member read with count=True

    def chunks(self, info: zipfile.ZipInfo, *, limit: int | None = None, count: bool = False) -> Iterator[bytes]:
        """The member's content in chunks of at most CHUNK bytes; InputError as soon as a limit is passed."""
        span = self.spans[info.filename]
        limit = min(limit or self.limits.max_part, self.limits.max_part)
        ratio_cap = max(MB, self.limits.max_ratio * max(info.compress_size, 1))
        produced, crc = 0, 0
        for chunk in self._raw_chunks(info, span):
            produced += len(chunk)
            crc = zlib.crc32(chunk, crc)
            if produced > info.file_size:
                raise _broken(
                    self.name,
                    N_(
                        "„{member}“ wird größer entpackt, als das Inhaltsverzeichnis des Archivs angibt – "
                        "möglicherweise eine ZIP-Bombe"
                    ),
                    info.filename,
                )
            if produced > limit:
                raise refuse(
                    self.name,
                    Message(
                        N_("„{member}“ ist entpackt größer als {limit}; erlaubt sind höchstens {limit}"),
                        member=_printable(info.filename),
                        limit=mb(limit),
                    ),
                )
            if produced > ratio_cap:
                raise refuse(
                    self.name,
                    Message(
                        N_(
                            "„{member}“ wird auf mehr als das {ratio}-Fache seiner Größe entpackt – "
                            "möglicherweise eine ZIP-Bombe"
                        ),
                        member=_printable(info.filename),
                        ratio=self.limits.max_ratio,
                    ),
                )
            if count:
                self.total += len(chunk)
                if self.total > self.limits.max_uncompressed:
                    raise refuse(
                        self.name,
                        Message(
                            N_(
                                "entpackt mehr als {limit}, erlaubt sind höchstens {limit} – "
                                "möglicherweise eine ZIP-Bombe"
                            ),
                            limit=mb(self.limits.max_uncompressed),
                        ),
                    )
            self.clock.check()
            yield chunk
        if produced != info.file_size:
            raise _broken(
                self.name,
                N_("„{member}“ ist kleiner, als das Inhaltsverzeichnis des Archivs angibt (abgeschnitten)"),
                info.filename,
            )
        if crc != info.CRC:
            raise _broken(
                self.name, N_("„{member}“ hat eine falsche Prüfsumme (CRC); das Archiv ist beschädigt"), info.filename
            )

    def read(self, info: zipfile.ZipInfo, *, limit: int | None = None) -> bytes:
        return b"".join(self.chunks(info, limit=limit))

    def _raw_chunks(self, info: zipfile.ZipInfo, span: Span) -> Iterator[bytes]:
        packed = self.view[span.start : span.end]
        if info.compress_type == zipfile.ZIP_STORED:
            for pos in range(0, len(packed), CHUNK):
                yield bytes(packed[pos : pos + CHUNK])
            return
        inflater = zlib.decompressobj(-15)
        pos = 0
        while not inflater.eof:
            if inflater.unconsumed_tail:
                source = inflater.unconsumed_tail
            elif pos < len(packed):
                source, pos = packed[pos : pos + CHUNK], pos + CHUNK
            else:
                raise _broken(
                    self.name, N_("„{member}“ ist abgeschnitten (die gepackten Daten enden zu früh)"), info.filename
                )
            try:
                chunk = inflater.decompress(source, CHUNK)
            except zlib.error:
                raise _broken(
                    self.name, N_("„{member}“ lässt sich nicht entpacken (gepackte Daten beschädigt)"), info.filename
                ) from None
            if chunk:
                yield chunk
