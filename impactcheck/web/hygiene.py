"""What arrives from outside is made safe once, before any view reads it.

Every text of a form or a JSON body loses its control characters (they break Word documents, and
PostgreSQL refuses NUL), query parameters that carry any are dropped (no browser sends them), and ids
in URLs beyond what an integer column holds are simply not found.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

# Vertical tab, form feed and NEL separate lines (Word's manual line break is a vertical tab).
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85]")
# All other C0 and C1 controls, DEL, and the two code points XML never allows; tab and newline stay.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
UNCLEANED_FIELDS = frozenset({"password"})  # a password is hashed, never stored or shown: keep it as typed

# The largest id a portable integer column holds (PostgreSQL's integer).
MAX_ID = 2**31 - 1


def clean_text(value: str) -> str:
    """`value` without control characters other than tab and newline; every line break becomes \\n."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", value))


def has_controls(value: str) -> bool:
    """Any control character at all, tab and newline included (for values no person types)."""
    return _ANY_CONTROL.search(value) is not None


def clean_json(value: Any) -> Any:
    """A JSON value with every string (keys too) cleaned as a form field is; numbers and the rest as sent."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): v if k in UNCLEANED_FIELDS else clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


class CleanRequest(Request):
    """Flask's request, with form fields and JSON bodies cleaned and query parameters with controls dropped."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None:
            self.__dict__["form"] = ImmutableMultiDict(
                [(clean_text(k), v if k in UNCLEANED_FIELDS else clean_text(v)) for k, v in form.items(multi=True)]
            )

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        return clean_json(super().get_json(force=force, silent=silent, cache=cache))

    @cached_property
    def args(self):  # type: ignore[override]
        raw = super().args
        return ImmutableMultiDict([(k, v) for k, v in raw.items(multi=True) if not has_controls(k + v)])


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a number beyond an integer column is a page that does not exist."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
