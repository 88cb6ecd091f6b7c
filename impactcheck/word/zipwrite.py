"""Writing a package: members copied byte for byte, still compressed, from a checked archive, or new ones
deflated as their pieces come.

Used by `package` (the document with the section) and `strict` (a Strict package read as Transitional).
The same input gives the same output: new members get a fixed time stamp, nothing depends on the clock.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable

from impactcheck.word.zipread import Reader

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_NEW_MEMBER_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same input gives the same output


class Writer:
    """A new archive, written member by member; `finish` adds the central directory."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._central: list[bytes] = []

    def copy(self, reader: Reader, info: zipfile.ZipInfo) -> None:
        """An original member as it is, still compressed (its bytes are where the checked directory says)."""
        data = reader.view
        span = reader.spans[info.filename]  # checked: headers agree with the directory, no overlaps
        name_len = struct.unpack("<H", bytes(data[span.header + 26 : span.header + 28]))[0]
        raw_name = bytes(data[span.header + 30 : span.header + 30 + name_len])
        flags = info.flag_bits & ~0x08  # sizes and CRC go into the local header: no data descriptor
        payload = data[span.start : span.end]
        self._emit(raw_name, info, flags, info.compress_type, info.CRC, info.compress_size, info.file_size, payload)

    def add(self, name: str, content: bytes | Iterable[bytes], like: zipfile.ZipInfo | None = None) -> None:
        """A new or changed member, deflated; `like` gives the original's time stamp and attributes."""
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = io.BytesIO()
        crc = size = 0
        for piece in [content] if isinstance(content, bytes) else content:
            crc = zlib.crc32(piece, crc)
            size += len(piece)
            packed.write(compressor.compress(piece))
        packed.write(compressor.flush())
        info = like or zipfile.ZipInfo(name, _NEW_MEMBER_TIME)
        raw_name = name.encode("utf-8")
        flags = 0x800 if any(b > 0x7F for b in raw_name) else 0
        payload = packed.getbuffer()
        self._emit(raw_name, info, flags, zipfile.ZIP_DEFLATED, crc, len(payload), size, payload)

    def finish(self, comment: bytes = b"") -> bytes:
        out = self._out
        offset = out.tell()
        for entry in self._central:
            out.write(entry)
        comment = comment[:0xFFFF]
        count = len(self._central)
        out.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, out.tell() - offset, offset, len(comment)))
        out.write(comment)
        return out.getvalue()

    def _emit(self, raw_name, info, flags, method, crc, csize, usize, payload) -> None:
        """Write one local header and its data; keep the matching central directory entry."""
        out = self._out
        mtime, mdate = _dos_time(info.date_time)
        offset = out.tell()
        out.write(_LOCAL.pack(b"PK\x03\x04", 20, 0, flags, method, mtime, mdate, crc, csize, usize, len(raw_name), 0))
        out.write(raw_name)
        out.write(payload)
        comment = info.comment[:0xFFFF]
        entry = _CENTRAL.pack(
            b"PK\x01\x02",
            20,
            info.create_system,
            20,
            0,
            flags,
            method,
            mtime,
            mdate,
            crc,
            csize,
            usize,
            len(raw_name),
            0,
            len(comment),
            0,
            info.internal_attr,
            info.external_attr & 0xFFFFFFFF,
            offset,
        )
        self._central.append(entry + raw_name + comment)


def _dos_time(date_time: tuple[int, ...]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day
