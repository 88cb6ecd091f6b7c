"""What one .docx may cost us, and the clock that holds a file to it.

Every limit is counted on what the file really does – bytes as they come out of the inflater, XML nodes as
the parser builds them, seconds on the clock – never on what the ZIP directory claims. The check at upload
(`safety.check_docx`) applies the same limits as the insertion, so a file that could never be processed
is refused before it is stored.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import DEFAULT_LOCALE, N_, Message, Number, normalise

MB = 1024 * 1024
# libxml2 refuses deeper nesting unless told otherwise (we never do); real documents stay below 60.
MAX_DEPTH = 256


@dataclass(frozen=True)
class Limits:
    """Sizes in bytes; `max_ratio` applies to members over 1 MB unpacked.

    Memory: a part we hold as a tree costs about 160 to 300 bytes per node (element, attribute or text,
    counted as in `xmlread`); `max_tree_nodes` bounds that (300,000 nodes ≈ 50 to 90 MB). The main document
    is held as a tree only where the insertion may look (headings, anchors, section breaks); the rest is kept
    as text, so its cost grows with `max_xml_part` bytes (about 1.5 times), not with the bytes of a tree.
    """

    max_bytes: int = 20 * MB  # the .docx file itself
    max_members: int = 5_000
    max_part: int = 100 * MB  # any one member, unpacked
    max_uncompressed: int = 200 * MB  # all members together, unpacked
    max_ratio: int = 200
    max_xml_part: int = 64 * MB  # any one XML part, unpacked
    max_xml_nodes: int = 4_000_000  # nodes of one XML part (bounds the parsing time)
    max_tree_nodes: int = 300_000  # nodes held as a tree at once (bounds the memory)
    max_seconds: float = 30.0  # check and insertion of one file
    max_jobs: int = 2  # files checked or processed at once in one server process
    max_queued: int = 2  # files waiting for a free slot; more are asked to try again later
    queue_seconds: float = 20.0  # how long a file waits for a slot

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits an installation configured (settings.py: UPLOAD_MAX_BYTES, WORD_*), defaults for the rest."""
        values = {}
        for field in fields(cls):
            key = CONFIG_KEYS.get(field.name)
            if key and config.get(key) is not None:
                values[field.name] = type(getattr(cls, field.name))(config[key])
        return cls(**values)


CONFIG_KEYS = {
    "max_bytes": "UPLOAD_MAX_BYTES",
    "max_uncompressed": "WORD_MAX_UNPACKED_BYTES",
    "max_xml_part": "WORD_MAX_XML_BYTES",
    "max_tree_nodes": "WORD_MAX_TREE_NODES",
    "max_seconds": "WORD_MAX_SECONDS",
    "max_jobs": "WORD_JOBS",
    "max_queued": "WORD_QUEUE",
}


def refuse(name: str, message: str) -> InputError:
    """The InputError for file `name`; `message` is a `Message` (German, translated where it is shown)."""
    return InputError(Problem(message, file=name))


class Fixed(Number):
    """A number inside a Message written with a fixed number of decimals, in each reader's way."""

    __slots__ = ("decimals",)

    def __init__(self, value: float | int, decimals: int = 0):
        super().__init__(value)
        self.decimals = decimals

    def text(self, locale: str | None = DEFAULT_LOCALE) -> str:
        from impactcheck.core.numbers import format_number

        return format_number(self.value, self.decimals, normalise(locale))


class Megabytes(Fixed):
    """A size in MB with one decimal: "20,0 MB" in German, "20.0 MB" in English."""

    __slots__ = ()

    def __init__(self, size: int):
        super().__init__(size / MB, 1)

    def text(self, locale: str | None = DEFAULT_LOCALE) -> str:
        return f"{super().text(locale)} MB"


def mb(size: int) -> Megabytes:
    return Megabytes(size)


class Clock:
    """The processing-time limit of one file: checked between chunks, so no step runs on unbounded."""

    def __init__(self, seconds: float, name: str):
        self.seconds = seconds
        self.name = name
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise refuse(
                self.name,
                Message(
                    N_(
                        "die Verarbeitung dauert länger als {seconds} Sekunden; die Datei ist zu aufwendig "
                        "aufgebaut – bitte in Word neu speichern oder verkleinern"
                    ),
                    seconds=Fixed(self.seconds, 0),
                ),
            )
