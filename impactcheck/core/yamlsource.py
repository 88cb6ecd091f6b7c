"""Read YAML (or JSON) into plain data and remember the line of every key and item.

PyYAML alone forgets lines and silently keeps the last of two equal keys; both matter for error
messages written for people who edit rule files by hand.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_, Message

Path_ = tuple[Hashable, ...]

MAX_FILE_BYTES = 5 * 1024 * 1024  # rule and answer files are small; refuse anything absurd early


@dataclass
class Located:
    """Parsed data plus the line of every path in it (1-based)."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def problem(self, path: Path_, message: str) -> Problem:
        return Problem(message, file=self.file, line=self.line_of(path))


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there


def _convert(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str, scalars: Any) -> Any:
    if isinstance(node, yaml.ScalarNode):
        try:
            return scalars.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise InputError(
                Problem(Message(N_("Wert nicht lesbar ({detail})"), detail=_short(exc)), file, node.start_mark.line + 1)
            ) from None
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, child in enumerate(node.value):
            lines[(*path, i)] = child.start_mark.line + 1
            items.append(_convert(child, (*path, i), lines, file, scalars))
        return items
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path, lines, file, scalars)
            line = key_node.start_mark.line + 1
            if not isinstance(key, Hashable) or isinstance(key, list | dict):
                raise InputError(Problem(Message(N_("Ein Schlüssel muss ein einfacher Wert sein")), file, line))
            if key in result:
                raise InputError(
                    Problem(Message(N_("Schlüssel „{key}“ steht zweimal in derselben Ebene"), key=key), file, line)
                )
            lines[(*path, key)] = line
            result[key] = _convert(value_node, (*path, key), lines, file, scalars)
        return result
    raise InputError(Problem(N_("unbekannter YAML-Knoten"), file, node.start_mark.line + 1))


def _short(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "problem", None) or exc).split())


def _refuse_aliases(text: str, file: str) -> None:
    """Anchors and aliases (&x, *x) can make a small file expand without end ("billion laughs") or
    refer to itself; rule and answer files have no need for them."""
    if "*" not in text:
        return  # an alias begins with "*": without one there is none (and a second parse is spared)
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                Problem(
                    N_("Verweise mit * (YAML-Aliase) sind nicht erlaubt; bitte den Inhalt ausschreiben"),
                    file,
                    event.start_mark.line + 1,
                )
            )


def parse_text(text: str, file: str, *, json_only: bool = False) -> Located:
    """Parse YAML (JSON is accepted as YAML) or, with json_only, strict JSON."""
    if json_only:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                Problem(Message(N_("kein gültiges JSON ({detail})"), detail=exc.msg), file, exc.lineno)
            ) from None
        # JSON has no line information we can map cheaply; errors name the file only.
        return Located(data, file, {(): 1})
    try:
        _refuse_aliases(text, file)
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(
            Problem(Message(N_("kein gültiges YAML ({detail})"), detail=_short(exc)), file, line)
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(Message(N_("kein gültiges YAML ({detail})"), detail=_short(exc)), file)) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise InputError(Problem(N_("die Datei ist leer"), file))
    if len(nodes) > 1:
        raise InputError(Problem(Message(N_("die Datei enthält mehrere YAML-Dokumente; erlaubt ist eines")), file))
    lines: dict[Path_, int] = {(): nodes[0].start_mark.line + 1}
    # A constructor per file: it remembers every value it made (PyYAML clears that per document only),
    # so a shared one would keep them all for the life of the process, and threads would share it.
    data = _convert(nodes[0], (), lines, file, yaml.constructor.SafeConstructor())
    return Located(data, file, lines)


def read_file(path: str | Path) -> Located:
    """Read a YAML or JSON file; every failure is an InputError naming the file."""
    p = Path(path)
    name = str(path)
    try:
        if p.is_dir():
            raise InputError(Problem(N_("ist ein Verzeichnis, keine Datei"), name))
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                Problem(
                    Message(N_("Datei zu groß ({size} Bytes, höchstens {max})"), size=size, max=MAX_FILE_BYTES), name
                )
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(N_("Datei nicht gefunden"), name)) from None
    except PermissionError:
        raise InputError(Problem(N_("Datei nicht lesbar (keine Berechtigung)"), name)) from None
    except OSError as exc:
        raise InputError(
            Problem(Message(N_("Datei nicht lesbar ({detail})"), detail=exc.strerror or exc), name)
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(Problem(N_("keine UTF-8-Textdatei"), name, line)) from None
    if not text.strip():
        raise InputError(Problem(N_("die Datei ist leer"), name))
    return parse_text(text, name, json_only=p.suffix.lower() == ".json")


def require_mapping(located: Located, expected: str) -> Located:
    """The top level must be a mapping (rule sets, factor tables, answers); `expected` names its keys."""
    if not isinstance(located.data, dict):
        kind = Message(N_("eine Liste")) if isinstance(located.data, list) else Message(N_("ein einzelner Wert"))
        raise InputError(
            Problem(
                Message(
                    N_("oberste Ebene ist {kind}; erwartet werden Schlüssel wie {expected}"),
                    kind=kind,
                    expected=expected,
                ),
                located.file,
                1,
            )
        )
    return located
