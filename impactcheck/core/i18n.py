"""Translation without Flask: the compiled catalogue for a locale, for the core, the CLI and the Word section.

German is the source language of every msgid, so "de" (and a locale without a compiled catalogue) gets
`NullTranslations`: the msgid comes back unchanged. The web app translates with Flask-Babel's `_()`;
this module loads the same file (`impactcheck/translations/<locale>/LC_MESSAGES/messages.mo`, domain
"messages"). Babel is imported on first use, so `impactcheck --help` and the core stay light.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

LOCALES = ("de", "en")
DEFAULT_LOCALE = "de"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"


def N_(text: str) -> str:
    """Mark `text` for extraction; it comes back unchanged (it is translated where it is shown)."""
    return text


def normalise(locale: Any) -> str:
    """'en_GB', 'en-US', a babel Locale -> 'en'; anything not offered -> 'de'."""
    language = str(locale or DEFAULT_LOCALE).replace("-", "_").split("_")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


@functools.lru_cache(maxsize=8)
def translations(locale: str | None):
    """The `babel.support.Translations` of `locale` (cached); `NullTranslations` for German or a
    locale without a compiled catalogue."""
    from babel.support import NullTranslations, Translations

    language = normalise(locale)
    mo = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.mo"
    if language == DEFAULT_LOCALE or not mo.is_file():
        return NullTranslations()
    with mo.open("rb") as fp:
        return Translations(fp, domain="messages")


def gettext_for(locale: str | None) -> Callable[[str], str]:
    """A `_`-like callable translating a msgid into `locale` (identity for German)."""
    if normalise(locale) == DEFAULT_LOCALE:
        return _identity
    return translations(locale).gettext


def _identity(text: str) -> str:
    return text


def translate(text: str, locale: str | None, /, **params: Any) -> str:
    """Translate the pattern first, then fill in the parameters: `translate(N_("{n} Jahre"), "en", n=3)`."""
    pattern = gettext_for(locale)(text)
    return pattern.format(**params) if params else pattern


class Words:
    """Fixed texts and numbers of one language, for the renderers (text report, Word section, annex):
    `w(N_("{n} Jahre"), n=...)` translates the pattern, then fills it in; `w.num`, `w.t`, `w.eur` format."""

    def __init__(self, locale: str | None):
        self.locale = normalise(locale)
        self.gettext = gettext_for(self.locale)

    def __call__(self, pattern: str, /, **params: Any) -> str:
        text = self.gettext(pattern)
        return text.format(**params) if params else text

    def num(self, value: float | int, decimals: int | None = None) -> str:
        from impactcheck.core.numbers import format_number

        return format_number(value, decimals, self.locale)

    def t(self, value: float | None) -> str:
        from impactcheck.core.numbers import format_t

        return format_t(value, self.locale)

    def eur(self, value: float | None) -> str:
        from impactcheck.core.numbers import format_eur

        return format_eur(value, self.locale)


class Message(str):
    """A German message filled in from a pattern, that can be said again in another language.

    It *is* the German text (a `str`: every caller that stores, compares or prints it keeps working) and
    remembers its pattern and parameters: `translated(message, gettext)` translates the pattern first,
    then fills in the parameters (themselves translated when they are Messages).
    `Message(N_("Frage „{id}“ ist unbekannt"), id=key)`.
    """

    pattern: str
    params: dict[str, Any]

    def __new__(cls, pattern: str, /, **params: Any) -> Message:
        self = super().__new__(cls, pattern.format(**params) if params else pattern)
        self.pattern = pattern
        self.params = params
        return self


# The language messages are shown in when the caller names none: a command's `--lang` (`speaking`), else
# what the web app registered (the request's locale), else German.
_speaking: contextvars.ContextVar[str | None] = contextvars.ContextVar("impactcheck_speaking", default=None)
_registered: Callable[[], Any] | None = None


def register_locale(getter: Callable[[], Any] | None) -> None:
    """The web app's way to say which language a request reads (Flask-Babel's `get_locale`)."""
    global _registered
    _registered = getter


@contextlib.contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """Messages shown inside this block (`InputError.one_line()`, `Problem.text()`) are in `locale`."""
    token = _speaking.set(normalise(locale))
    try:
        yield
    finally:
        _speaking.reset(token)


def current_locale() -> str:
    spoken = _speaking.get()
    if spoken is not None:
        return spoken
    if _registered is not None:
        try:
            return normalise(_registered())
        except RuntimeError:  # outside a request
            return DEFAULT_LOCALE
    return DEFAULT_LOCALE


def translated(text: str, gettext: Callable[[str], str] | str | None = None) -> str:
    """`text` (a Message or a plain msgid) in the language of `gettext` (a `_`-like callable or a locale;
    None: the current language, see `speaking`). `Number` parameters are written the locale's way."""
    if gettext is None:
        gettext = current_locale()
    locale = normalise(gettext) if isinstance(gettext, str) else current_locale()
    if isinstance(gettext, str):
        gettext = gettext_for(gettext)
    if gettext is _identity:
        return str(text)
    if isinstance(text, Message):
        pattern = gettext(text.pattern)
        if not text.params:
            return pattern
        params = {k: _param(v, gettext, locale) for k, v in text.params.items()}
        try:
            return pattern.format(**params)
        except (KeyError, IndexError, ValueError):  # a translation that names other fields: the German is right
            return str(text)
    return gettext(text)


def _param(value: Any, gettext: Callable[[str], str], locale: str) -> Any:
    if isinstance(value, Message):
        return translated(value, gettext)
    if isinstance(value, Number):
        return value.text(locale)
    return value


class Number:
    """A number inside a Message: German in the German text (1.234,5), the reader's way when translated."""

    __slots__ = ("value",)

    def __init__(self, value: float | int):
        self.value = value

    def text(self, locale: str | None = DEFAULT_LOCALE) -> str:
        from impactcheck.core.numbers import format_number

        return format_number(self.value, locale=normalise(locale))

    def __str__(self) -> str:
        return self.text()

    def __format__(self, spec: str) -> str:
        return format(self.text(), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Number) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Number({self.value!r})"
